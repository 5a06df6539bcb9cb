// Package report renders a finding.Report for people (Text) and for
// programs (JSON). Neither ever prints a secret: finding.Secret renders
// redacted, and both outputs pass through the report's scrubber besides.
package report
