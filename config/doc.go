// Package config reads .keysweep.yml, the repository's keysweep settings:
// the fail-on default, paths whose keys are not reported, AWS accounts whose
// keys are expected (canary and test accounts), and which account checks
// run with which thresholds.
//
// The file is checked strictly. A misspelt key or a bad value is an error
// naming the file and line and what was expected, never silently ignored:
// a typo in an exclude list must not switch scanning off unnoticed, nor a
// typo in a threshold leave the default in place.
package config
