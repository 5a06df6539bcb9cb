// Package finding is the data model shared by every stage of keysweep:
// what the history scan found (Leak), what the judge concluded about it
// (KeyFinding), what the account checks concluded (CheckResult), and the
// Report that the output stages render.
//
// It has no I/O and no dependencies beyond the standard library so that
// every other package can import it without cycles.
package finding
