package report_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/report"
	"github.com/keysweep/keysweep/sarif"
)

// planted makes a credential-shaped value of n base64 characters, derived
// at run time so this file holds no secret-looking literal.
func planted(seed string, n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		sum := sha256.Sum256([]byte(seed + string(rune('a'+i))))
		b.WriteString(base64.StdEncoding.EncodeToString(sum[:])[:40])
	}
	return b.String()[:n]
}

// TestNoSecretInAnyFormat renders every output format and fails if a
// planted secret or session token, or any 12-character piece of one,
// appears anywhere.
func TestNoSecretInAnyFormat(t *testing.T) {
	now := time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)
	secret := planted("secret", 40)
	other := planted("other", 40)
	token := "IQoJb3JpZ2luX2VjE" + planted("token", 340)
	secrets := []string{secret, other, token}

	akia, asia := "AKIA"+"Q3TESTACTIVEKEYA", "ASIA"+"Q3TESTSESSIONKEY"
	leaks := []finding.Leak{
		{KeyID: akia, Secret: finding.NewSecret(secret), Path: "config/.env", Commit: "4f2a1c7d", Line: 2, Column: 1, InHead: true},
		{KeyID: akia, Secret: finding.NewSecret(secret), Path: "café/ü.env", Commit: "5e6f7a8b", Line: 9, Column: 4},
		{KeyID: asia, Secret: finding.NewSecret(other), SessionToken: finding.NewSecret(token), Path: "ci/run.sh", Commit: "9b8c7d6e", Line: 1, Column: 1},
	}
	inv := &finding.Inventory{Source: "aws", Account: "111122223333", Keys: map[string]finding.AccessKey{akia: {ID: akia, User: "ci", Status: "Active"}}, Complete: true}
	for _, with := range []*finding.Inventory{inv, nil} {
		r := &finding.Report{
			Tool: "keysweep", Version: "1.0.0", Started: now, Repo: ".",
			Keys: judge.JudgeAt(leaks, with, now),
			// A stage that slips a raw value into a message must still not leak it.
			Checks:  []finding.CheckResult{{RuleID: "iam-user-mfa", Severity: finding.SeverityHigh, State: finding.CheckFail, Message: "saw " + secret}},
			Skipped: []string{"blob near " + token},
		}
		outputs := map[string]func(*bytes.Buffer) error{
			"text":       func(b *bytes.Buffer) error { return report.Text(b, r, false) },
			"text/color": func(b *bytes.Buffer) error { return report.Text(b, r, true) },
			"json":       func(b *bytes.Buffer) error { return report.JSON(b, r) },
			"sarif":      func(b *bytes.Buffer) error { return sarif.Write(b, r, sarif.Options{}) },
			"markdown":   func(b *bytes.Buffer) error { return report.Markdown(b, r) },
		}
		for name, render := range outputs {
			var b bytes.Buffer
			if err := render(&b); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out := b.String()
			if !strings.Contains(out, akia) {
				t.Errorf("%s: key ID missing; is the test rendering anything?", name)
			}
			for _, s := range secrets {
				for i := 0; i+12 <= len(s); i++ {
					if strings.Contains(out, s[i:i+12]) {
						t.Errorf("%s: leaks %q, part of a planted secret", name, s[i:i+12])
						break
					}
				}
			}
		}
	}
}
