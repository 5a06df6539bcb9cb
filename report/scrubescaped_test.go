package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
)

// TestMarkdownScrubsEscapedSecrets puts the key's own secret where a
// caller controls the text (a CloudTrail user agent), whole and cut: the
// markdown escapes '+' and '=' before it is scrubbed, and a cut must not
// leave the secret's first characters.
func TestMarkdownScrubsEscapedSecrets(t *testing.T) {
	secret := "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKE="
	k := finding.KeyFinding{Leak: finding.Leak{KeyID: "AKIAQ7ZK3MWPR2TVBN4D", Path: "a.env", Secret: finding.NewSecret(secret)}}
	k.Status, k.Severity = finding.StatusActive, finding.SeverityCritical
	k.Activity = &finding.Activity{Events: 2, UserAgents: []string{secret, strings.Repeat("a", 41) + secret, strings.Repeat("b", 190) + secret}}
	rep := &finding.Report{Keys: []finding.KeyFinding{k}}
	var b bytes.Buffer
	if err := Markdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	plain := strings.ReplaceAll(b.String(), `\`, "")
	for _, part := range []string{secret, secret[:16], secret[20:36]} {
		if strings.Contains(plain, part) {
			t.Errorf("the markdown holds %q of the secret:\n%s", part, b.String())
		}
	}
	b.Reset()
	if err := Text(&b, rep, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), secret[:16]) {
		t.Errorf("the text report holds the secret's start:\n%s", b.String())
	}
}
