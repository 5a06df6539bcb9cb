package judge

import (
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
)

func TestWhy(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	committed := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	used := &finding.Activity{Since: committed, CoversLeak: true, Events: 14, Last: now.Add(-2 * time.Hour),
		SourceIPs: []string{"a", "b", "c"}, Persistence: []string{"iam:CreateAccessKey ×1", "iam:CreateUser ×2 (failed)"}}
	tests := []struct {
		k    finding.KeyFinding
		want string
	}{
		{finding.KeyFinding{Status: finding.StatusActive, Access: &finding.Access{Level: "admin"}, Activity: used},
			"ACTIVE, admin, used 14 times since it was committed on 2024-03-02, from 3 source IPs, last 2 hours ago; CreateAccessKey seen"},
		{finding.KeyFinding{Status: finding.StatusActive, Access: &finding.Access{Level: "read", Conditional: true},
			Activity: &finding.Activity{Since: now.Add(-90 * 24 * time.Hour), Unread: []string{"eu-west-1: x"}}},
			"ACTIVE, read (conditional), not used in the event history since 2026-09-07 (the leak is older); 1 region not searched"},
		{finding.KeyFinding{Status: finding.StatusInactive, Access: &finding.Access{Level: "unknown"}}, "INACTIVE, unknown"},
		{finding.KeyFinding{Status: finding.StatusActive, Activity: &finding.Activity{Since: committed, CoversLeak: true, Events: 1, Truncated: true,
			Last: now.Add(-3 * 24 * time.Hour), SourceIPs: []string{"a"}, DeniedBurst: true}},
			"ACTIVE, used 1 time or more since it was committed on 2024-03-02, from 1 source IP, last 3 days ago; AccessDenied burst (enumeration)"},
	}
	for _, tt := range tests {
		if got := why(tt.k, now); got != tt.want {
			t.Errorf("why = %q\nwant  %q", got, tt.want)
		}
	}
}

// TestOrder: live and used first, then by what a live key can do, then
// the rest by severity; suppressed last.
func TestOrder(t *testing.T) {
	used := &finding.Activity{Events: 1}
	fs := []finding.KeyFinding{
		{Leak: finding.Leak{KeyID: "inactive-used"}, Status: finding.StatusInactive, Severity: finding.SeverityHigh, Activity: used},
		{Leak: finding.Leak{KeyID: "active-read"}, Status: finding.StatusActive, Severity: finding.SeverityCritical, Access: &finding.Access{Level: "read"}},
		{Leak: finding.Leak{KeyID: "suppressed-admin-used"}, Status: finding.StatusActive, Severity: finding.SeverityCritical, Access: &finding.Access{Level: "admin"}, Activity: used, Suppressed: &finding.Suppression{Kind: "config"}},
		{Leak: finding.Leak{KeyID: "unverified"}, Status: finding.StatusUnverified, Severity: finding.SeverityHigh},
		{Leak: finding.Leak{KeyID: "active-escalation"}, Status: finding.StatusActive, Severity: finding.SeverityCritical, Access: &finding.Access{Level: "privilege-escalation"}},
		{Leak: finding.Leak{KeyID: "active-none-used"}, Status: finding.StatusActive, Severity: finding.SeverityCritical, Access: &finding.Access{Level: "none"}, Activity: used},
		{Leak: finding.Leak{KeyID: "live-verified"}, Status: finding.StatusLive, Severity: finding.SeverityCritical},
	}
	Order(fs)
	want := []string{"active-none-used", "active-escalation", "active-read", "live-verified", "inactive-used", "unverified", "suppressed-admin-used"}
	for i, f := range fs {
		if f.KeyID != want[i] {
			var got []string
			for _, f := range fs {
				got = append(got, f.KeyID)
			}
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}
