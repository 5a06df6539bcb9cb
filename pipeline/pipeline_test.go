package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/config"
	"github.com/keysweep/keysweep/finding"
)

func TestExitCode(t *testing.T) {
	high := finding.KeyFinding{Severity: finding.SeverityHigh}
	tests := []struct {
		name    string
		rep     finding.Report
		cfg     Config
		want    int
		wantWhy string
	}{
		{"clean", finding.Report{}, Config{FailOn: finding.SeverityHigh}, ExitClean, ""},
		{"finding at fail-on", finding.Report{Keys: []finding.KeyFinding{high}}, Config{FailOn: finding.SeverityHigh}, ExitFindings, ""},
		{"finding below fail-on", finding.Report{Keys: []finding.KeyFinding{high}}, Config{FailOn: finding.SeverityCritical}, ExitClean, ""},
		{"fail-on none", finding.Report{Keys: []finding.KeyFinding{high}}, Config{FailOn: finding.SeverityNone}, ExitClean, ""},
		{"suppressed", finding.Report{Keys: []finding.KeyFinding{{Severity: finding.SeverityHigh, Suppressed: &finding.Suppression{}}}}, Config{FailOn: finding.SeverityHigh}, ExitClean, ""},
		{"partial", finding.Report{Skipped: []string{"blob 1234"}}, Config{FailOn: finding.SeverityHigh}, ExitError, "partial scan: 1 object"},
		{"partial allowed, leak", finding.Report{Skipped: []string{"blob 1234"}, Keys: []finding.KeyFinding{high}}, Config{FailOn: finding.SeverityHigh, AllowPartial: true}, ExitFindings, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := ExitCode(&tt.rep, tt.cfg)
			if got != tt.want || !strings.HasPrefix(why, tt.wantWhy) || (tt.wantWhy == "") != (why == "") {
				t.Errorf("ExitCode = %d %q, want %d %q…", got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

func TestSettingsApply(t *testing.T) {
	none := finding.SeverityNone
	file := &Settings{Config: &config.Config{FailOn: &none, Enable: []string{"iam-*"}, Disable: []string{"iam-user-mfa"}}}
	tests := []struct {
		name      string
		cfg       Config
		wantFail  finding.Severity
		wantCheck []string
		wantSkip  []string
	}{
		{"file decides", Config{FailOn: finding.SeverityHigh}, finding.SeverityNone, []string{"iam-*"}, []string{"iam-user-mfa"}},
		{"explicit fail-on wins", Config{FailOn: finding.SeverityHigh, FailOnSet: true}, finding.SeverityHigh, []string{"iam-*"}, []string{"iam-user-mfa"}},
		{"explicit checks win", Config{FailOn: finding.SeverityHigh, AWS: AWSConfig{Checks: []string{"billing-alarm"}}}, finding.SeverityNone, []string{"billing-alarm"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := file.apply(tt.cfg)
			if got.FailOn != tt.wantFail || !slices.Equal(got.AWS.Checks, tt.wantCheck) || !slices.Equal(got.AWS.SkipChecks, tt.wantSkip) {
				t.Errorf("apply: fail-on %v checks %v skip %v", got.FailOn, got.AWS.Checks, got.AWS.SkipChecks)
			}
		})
	}
}

// TestExitLine: the text report's last line says which exit status it
// gives and why, whatever the status.
func TestExitLine(t *testing.T) {
	high := finding.KeyFinding{Severity: finding.SeverityHigh}
	low := finding.KeyFinding{Severity: finding.SeverityLow}
	tests := []struct {
		name string
		rep  finding.Report
		cfg  Config
		want string
	}{
		{"clean", finding.Report{Keys: []finding.KeyFinding{low}}, Config{FailOn: finding.SeverityHigh}, "exit 0: no unsuppressed finding at or above fail-on high"},
		{"findings", finding.Report{Keys: []finding.KeyFinding{high, high}}, Config{FailOn: finding.SeverityHigh}, "exit 1: 2 findings at or above fail-on high"},
		{"fail-on none", finding.Report{Keys: []finding.KeyFinding{high}}, Config{FailOn: finding.SeverityNone}, "exit 0: fail-on none, so findings do not fail the scan"},
		{"partial", finding.Report{Skipped: []string{"blob 12"}}, Config{FailOn: finding.SeverityHigh}, "exit 2: partial scan: 1 object(s) could not be read"},
		{"partial accepted", finding.Report{Skipped: []string{"blob 12"}, Keys: []finding.KeyFinding{high}}, Config{FailOn: finding.SeverityHigh, AllowPartial: true},
			"exit 1: 1 finding at or above fail-on high (a partial scan, accepted with --allow-partial)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExitLine(&tt.rep, tt.cfg)
			code, _ := ExitCode(&tt.rep, tt.cfg)
			if !strings.HasPrefix(got, tt.want) || strings.Contains(got, "\n") || !strings.HasPrefix(got, fmt.Sprintf("exit %d: ", code)) {
				t.Errorf("ExitLine = %q, want %q… (exit %d)", got, tt.want, code)
			}
		})
	}
}
