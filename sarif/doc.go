// Package sarif turns a finding.Report into SARIF 2.1.0 as GitHub code
// scanning reads it (docs/github-action.md, "Alerts"): one run for git history, one for
// the AWS account checks, rules carrying security-severity, and fingerprints
// that survive rewritten history. Uploading the file is upload.go's job.
//
// It builds on go-sarif v2, not v3: v3's generated types write every
// schema default into the log (`"rank": -1`, `"index": -1`, empty arrays
// for a dozen properties of each result and location), which makes the
// SARIF several times larger, against GitHub's 10 MB upload limit, for no
// information.
package sarif
