package report

import (
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
)

// hostile is what a pull request controls, as it would write it to
// inject workflow commands into the job log or escape bytes into a
// terminal.
const hostile = "x\n::warning title=X::forged\n::stop-commands::TOKEN\n\x1b]0;pwned\x07\x1b[2J\r\u202e"

func hostileReport() *finding.Report {
	leaks := []finding.Leak{{KeyID: activeKey, Path: "a" + hostile + ".env", Commit: "4f2a1c7d9e0b", Author: "mallory" + hostile,
		Line: 1, Column: 1, Commits: 1, InHead: true, OtherPaths: 1}}
	keys := judge.JudgeAt(leaks, nil, now)
	keys[0].Suppressed = &finding.Suppression{Kind: "fingerprint", Justification: "reason" + hostile}
	// What CloudTrail recorded is the intruder's to choose: the user agent,
	// the source "IP" of an AWS service, event names of other tools.
	keys[0].Access = &finding.Access{Level: "unknown", Unreadable: []string{"policy" + hostile}, HighImpact: []string{"iam:*" + hostile}}
	keys[0].Activity = &finding.Activity{Events: 1, SourceIPs: []string{"ip" + hostile}, UserAgents: []string{"agent" + hostile},
		Regions: []string{"r" + hostile}, EventNames: map[string]int{"ev" + hostile: 1}, Persistence: []string{"iam:CreateUser" + hostile}}
	return &finding.Report{
		Tool: "keysweep", Version: "1", Started: now, Repo: "/src" + hostile, Since: "main" + hostile, Head: "abcdef0123456789",
		Skipped: []string{"blob 5e6f: " + hostile}, Gaps: []string{"gap" + hostile}, Config: ".keysweep.yml" + hostile,
		IgnoreFile: ".keysweepignore" + hostile, Baseline: "old.json" + hostile,
		Keys: keys,
		Checks: []finding.CheckResult{{RuleID: "ec2-security-group-open", Severity: finding.SeverityHigh, State: finding.CheckFail,
			Resource: "sg-1 " + hostile, Region: "us-east-1", Message: "open" + hostile}},
	}
}

func TestTextEscapesUntrustedStrings(t *testing.T) {
	for _, color := range []bool{false, true} {
		out := render(t, hostileReport(), color)
		plain := out
		for _, style := range []string{reset, bold, dim, red, yellow, cyan} {
			plain = strings.ReplaceAll(plain, style, "")
		}
		for _, b := range []byte(plain) {
			if b < 0x20 && b != '\n' && b != '\t' || b == 0x7f {
				t.Fatalf("color %v: raw control byte %#x in:\n%q", color, b, out)
			}
		}
		if strings.Contains(plain, "\u202e") {
			t.Errorf("color %v: a bidi override reached the terminal", color)
		}
		for _, line := range strings.Split(plain, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "::") {
				t.Errorf("color %v: line %q would be a workflow command", color, line)
			}
		}
		for _, want := range []string{`ax\n::warning title=X::forged\n::stop-commands::TOKEN\n\x1b]0;pwned\x07\x1b[2J\r\u202e.env`, `malloryx\n`, `reasonx\n`, `sg-1 x\n`, `mainx\n`, `agentx\n`, `policyx\n`} {
			if !strings.Contains(plain, want) {
				t.Errorf("color %v: output lacks %q:\n%s", color, want, plain)
			}
		}
	}
}
