package suppress

import (
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
)

// A key --verify proved live is as dangerous as an active one: the inline
// comment whoever committed it could add does not suppress it.
func TestInlineAllowDoesNotSuppressALiveKey(t *testing.T) {
	r := &finding.Report{Keys: []finding.KeyFinding{
		{Leak: finding.Leak{KeyID: "AKIALIVELIVELIVELIVE", Path: "x.env", Line: 1, InlineAllow: true}, Status: finding.StatusLive, Severity: finding.SeverityCritical},
		{Leak: finding.Leak{KeyID: "AKIAINVALIDINVALIDIN", Path: "y.env", Line: 1, InlineAllow: true}, Status: finding.StatusInvalid, Severity: finding.SeverityLow},
	}}
	Apply(r, Options{Ignores: &Ignores{}, Now: now})
	live, invalid := r.Keys[0], r.Keys[1]
	if live.Suppressed != nil || !strings.Contains(live.SuppressionNote, "inline keysweep:allow ignored: the key is live") {
		t.Errorf("live key: %+v %q", live.Suppressed, live.SuppressionNote)
	}
	if invalid.Suppressed == nil || invalid.Suppressed.Kind != "inline" {
		t.Errorf("invalid key: %+v", invalid.Suppressed)
	}
}
