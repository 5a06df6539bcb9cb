// Package scan is keysweep's AWS side: it loads credentials (the standard
// SDK chain, or GitHub Actions OIDC), names the account scanned, and reads
// the inventory of live access keys that committed key IDs are matched
// against. Every failure to reach AWS is an *Error whose one-line message
// names the likely cause and the fix.
//
// Subpackages read the rest of the account (snapshot) and judge it
// (checks); they load their configuration with LoadConfig.
package scan
