// Package cli is the keysweep command line: flag parsing, the pipeline
// that wires the history scan, the inventory, the judge and the account
// checks together, rendering, and exit codes. main only calls Main, so the
// whole command is testable in-process.
package cli
