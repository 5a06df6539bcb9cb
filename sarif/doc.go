// Package sarif turns a finding.Report into SARIF 2.1.0 as GitHub code
// scanning reads it (DESIGN.md, "SARIF"): one run for git history, one for
// the AWS account checks, rules carrying security-severity, and fingerprints
// that survive rewritten history. Uploading the file is upload.go's job.
package sarif
