package judge

import (
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
)

// Key IDs are assembled at run time so that this file holds nothing a
// secret scanner (ours included) would report.
func keyID(suffix string) string { return "AKIA" + suffix }

var (
	now       = time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)
	committed = time.Date(2024, 3, 2, 9, 30, 0, 0, time.UTC)

	activeKey   = keyID("Q3TESTACTIVEKEYA")
	inactiveKey = keyID("Q3TESTINACTIVEKY")
	unknownKey  = keyID("Q3TESTUNKNOWNKEY")
	otherKey    = keyID("Q3TESTOTHERACCTK")
	goneKey     = keyID("Q3TESTDELETEDKEY")
)

const (
	ours   = "111122223333"
	theirs = "444455556666"
)

func leak(id string, secret bool, account string) finding.Leak {
	l := finding.Leak{
		KeyID:   id,
		Account: account,
		Path:    "config/.env",
		Commit:  "4f2a1c7d9e0b8a6f5c4d3e2f1a0b9c8d7e6f5a4b",
		Author:  "alice",
		Date:    committed,
		Line:    3,
		Column:  19,
		Commits: 2,
		InHead:  true,
	}
	if secret {
		l.Secret = finding.NewSecret(strings.Repeat("s", 40))
	}
	return l
}

func liveInventory() *finding.Inventory {
	return &finding.Inventory{
		Source:  "aws",
		Account: ours,
		Keys: map[string]finding.AccessKey{
			activeKey: {ID: activeKey, User: "deploy-bot", Status: "Active",
				Created: time.Date(2023, 1, 5, 0, 0, 0, 0, time.UTC), LastUsed: now.Add(-3 * 24 * time.Hour),
				LastUsedService: "s3", LastUsedRegion: "eu-west-1"},
			inactiveKey: {ID: inactiveKey, User: "old-ci", Status: "Inactive"},
			unknownKey:  {ID: unknownKey},
		},
		KeyAccounts: map[string]string{goneKey: ours},
		Complete:    true,
	}
}

func TestSeverityTable(t *testing.T) {
	inv := liveInventory()
	tests := []struct {
		name     string
		leak     finding.Leak
		inv      *finding.Inventory
		rule     string
		severity finding.Severity
		status   finding.KeyStatus
		account  string
		message  string // a part the message must hold
	}{
		{"active key of the account", leak(activeKey, false, ""), inv,
			RuleActive, finding.SeverityCritical, finding.StatusActive, ours, " is ACTIVE, belongs to IAM user deploy-bot"},
		{"active key with its secret", leak(activeKey, true, ours), inv,
			RuleActive, finding.SeverityCritical, finding.StatusActive, ours, " is ACTIVE"},
		{"inactive key of the account", leak(inactiveKey, true, ""), inv,
			RuleInactive, finding.SeverityHigh, finding.StatusInactive, ours, " is INACTIVE, belongs to IAM user old-ci"},
		{"listed without status", leak(unknownKey, false, ""), inv,
			RuleActive, finding.SeverityCritical, finding.StatusActive, ours, UnknownStatus},
		{"secret, no inventory", leak(goneKey, true, ours), nil,
			RuleUnverified, finding.SeverityHigh, finding.StatusUnverified, ours, "could not be verified"},
		{"secret of another account, decoded", leak(otherKey, true, theirs), inv,
			RuleNotInAccount, finding.SeverityMedium, finding.StatusOtherAccount, theirs, "belongs to another AWS account (" + theirs + ")"},
		{"secret of another account, confirmed by sts", leak(otherKey, true, ours),
			withKeyAccount(inv, otherKey, theirs),
			RuleNotInAccount, finding.SeverityMedium, finding.StatusOtherAccount, theirs, "another AWS account"},
		{"secret of a deleted key", leak(goneKey, true, ""), inv,
			RuleNotInAccount, finding.SeverityMedium, finding.StatusNotInAccount, ours, "is no longer in account " + ours + " (deleted)"},
		{"secret, account unknown", leak(otherKey, true, ""), inv,
			RuleNotInAccount, finding.SeverityMedium, finding.StatusNotInAccount, "", "is not in account " + ours},
		{"secret, complete list of unknown account", leak(otherKey, true, theirs), &finding.Inventory{Source: "known-keys", Keys: inv.Keys, Complete: true},
			RuleNotInAccount, finding.SeverityMedium, finding.StatusNotInAccount, theirs, "is not in the known-keys list"},
		// A partial list proves no absence: an unlisted key stays high.
		{"secret, partial list", leak(goneKey, true, ours), &finding.Inventory{Source: "known-keys", Account: ours, Keys: inv.Keys},
			RuleUnverified, finding.SeverityHigh, finding.StatusUnverified, ours, "not in the known-keys list, which is not declared complete"},
		{"secret of another account, partial list", leak(otherKey, true, theirs), &finding.Inventory{Source: "known-keys", Account: ours, Keys: inv.Keys},
			RuleUnverified, finding.SeverityHigh, finding.StatusUnverified, theirs, "could not be verified"},
		{"id alone, partial list", leak(goneKey, false, ours), &finding.Inventory{Source: "known-keys", Account: ours, Keys: inv.Keys},
			RuleIDOnly, finding.SeverityLow, finding.StatusUnverified, ours, "could not be verified"},
		{"listed key, partial list", leak(inactiveKey, true, ours), &finding.Inventory{Source: "known-keys", Account: ours, Keys: inv.Keys},
			RuleInactive, finding.SeverityHigh, finding.StatusInactive, ours, "INACTIVE"},
		{"id alone, no inventory", leak(otherKey, false, theirs), nil,
			RuleIDOnly, finding.SeverityLow, finding.StatusUnverified, theirs, "alone (no secret found) could not be verified"},
		{"id alone, another account", leak(otherKey, false, theirs), inv,
			RuleIDOnly, finding.SeverityLow, finding.StatusOtherAccount, theirs, "alone (no secret found) belongs to another AWS account"},
		{"id alone, not in account", leak(goneKey, false, ""), inv,
			RuleIDOnly, finding.SeverityLow, finding.StatusNotInAccount, ours, "(deleted)"},
		{"maybe the root user's active key", leak(goneKey, true, ours), withRootKeys(inv, "Inactive", "Active"),
			RuleActive, finding.SeverityCritical, finding.StatusActive, ours, "root user has an ACTIVE access key it may be"},
		{"maybe the root user's inactive key", leak(goneKey, false, ours), withRootKeys(inv, "Inactive"),
			RuleInactive, finding.SeverityHigh, finding.StatusInactive, ours, "root user has an INACTIVE access key it may be"},
		{"root keys of this account cannot be another's", leak(otherKey, true, theirs), withRootKeys(inv, "Active"),
			RuleNotInAccount, finding.SeverityMedium, finding.StatusOtherAccount, theirs, "another AWS account"},
		{"root key created after the commit", leakOn(goneKey, true, ours, now.AddDate(-1, 0, 0)), rootKeyCreated(inv, now.AddDate(0, -1, 0)),
			RuleNotInAccount, finding.SeverityMedium, finding.StatusNotInAccount, ours, "(deleted)"},
		{"no root keys", leak(goneKey, true, ours), withRootKeys(inv),
			RuleNotInAccount, finding.SeverityMedium, finding.StatusNotInAccount, ours, "(deleted)"},
		{"id alone, account unknown", leak(otherKey, false, ""), inv,
			RuleIDOnly, finding.SeverityLow, finding.StatusNotInAccount, "", "is not in account " + ours},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := JudgeAt([]finding.Leak{tt.leak}, tt.inv, now)
			if len(got) != 1 {
				t.Fatalf("got %d findings, want 1", len(got))
			}
			f := got[0]
			if f.RuleID != tt.rule || f.Severity != tt.severity || f.Status != tt.status || f.Account != tt.account {
				t.Errorf("got %s/%s/%s account %q, want %s/%s/%s account %q",
					f.RuleID, f.Severity, f.Status, f.Account, tt.rule, tt.severity, tt.status, tt.account)
			}
			if !strings.Contains(f.Message, tt.message) {
				t.Errorf("message %q does not say %q", f.Message, tt.message)
			}
			if f.Severity != ruleFor(f.RuleID).Severity {
				t.Errorf("severity %s differs from rule %s's", f.Severity, f.RuleID)
			}
			if strings.Contains(f.Message, "ssssssss") || strings.Contains(Remediation(&f, ""), "ssssssss") {
				t.Errorf("secret in message or remediation")
			}
		})
	}
}

func withRootKeys(inv *finding.Inventory, statuses ...string) *finding.Inventory {
	c := *inv
	c.RootKeysKnown = true
	c.RootKeys = nil
	for _, s := range statuses {
		c.RootKeys = append(c.RootKeys, finding.AccessKey{User: rootUser, Status: s})
	}
	return &c
}

func rootKeyCreated(inv *finding.Inventory, created time.Time) *finding.Inventory {
	c := withRootKeys(inv, "Active")
	c.RootKeys[0].Created = created
	return c
}

func leakOn(id string, secret bool, account string, date time.Time) finding.Leak {
	l := leak(id, secret, account)
	l.Date = date
	return l
}

func withKeyAccount(inv *finding.Inventory, id, account string) *finding.Inventory {
	c := *inv
	c.KeyAccounts = map[string]string{id: account}
	return &c
}

func TestHeadlineMessage(t *testing.T) {
	f := JudgeAt([]finding.Leak{leak(activeKey, true, "")}, liveInventory(), now)[0]
	want := "key " + activeKey + " is ACTIVE, belongs to IAM user deploy-bot, last used 3 days ago in s3/eu-west-1, " +
		"committed in 4f2a1c7 by alice on 2024-03-02 in config/.env, still in HEAD"
	if f.Message != want {
		t.Errorf("message\n got %q\nwant %q", f.Message, want)
	}
	if f.User != "deploy-bot" || !f.KeyCreated.Equal(time.Date(2023, 1, 5, 0, 0, 0, 0, time.UTC)) ||
		f.LastUsedService != "s3" || f.LastUsedRegion != "eu-west-1" {
		t.Errorf("live facts not copied: %+v", f)
	}
}

func TestMessageDetails(t *testing.T) {
	gone := leak(goneKey, true, "")
	gone.InHead = false
	gone.OtherPaths = 2
	unreachable := leak(goneKey, false, "")
	unreachable.Unreachable, unreachable.Commit, unreachable.Blob = true, "", "9c1e0b7a5d"
	neverUsed := liveInventory()
	k := neverUsed.Keys[activeKey]
	k.LastUsed = time.Time{}
	neverUsed.Keys[activeKey] = k
	tests := []struct {
		name string
		leak finding.Leak
		inv  *finding.Inventory
		want string
	}{
		{"removed, other paths", gone, nil, "in config/.env, no longer in HEAD, also at 2 other paths"},
		{"unreachable", unreachable, nil, "found in unreachable object 9c1e0b7 at config/.env"},
		{"never used", leak(activeKey, false, ""), neverUsed, "deploy-bot, no recorded use, committed"},
		{"known-keys gives no last use", leak(activeKey, false, ""), &finding.Inventory{Source: "known-keys", Keys: neverUsed.Keys}, "deploy-bot, committed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := JudgeAt([]finding.Leak{tt.leak}, tt.inv, now)[0].Message; !strings.Contains(got, tt.want) {
				t.Errorf("message %q does not say %q", got, tt.want)
			}
		})
	}
}

func TestAgo(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "just now"},
		{time.Minute, "1 minute ago"},
		{5 * time.Hour, "5 hours ago"},
		{47 * time.Hour, "47 hours ago"},
		{72 * time.Hour, "3 days ago"},
		{400 * 24 * time.Hour, "400 days ago"},
	}
	for _, tt := range tests {
		if got := ago(now.Add(-tt.d), now); got != tt.want {
			t.Errorf("ago(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestRemediation(t *testing.T) {
	inv := liveInventory()
	inv.Keys[inactiveKey] = finding.AccessKey{ID: inactiveKey, User: rootUser, Status: "Active"}
	tests := []struct {
		name    string
		leak    finding.Leak
		want    []string
		notWant []string
	}{
		{"active", leak(activeKey, false, ""), []string{
			"aws iam update-access-key --access-key-id " + activeKey + " --status Inactive --user-name deploy-bot",
			"aws iam create-access-key --user-name deploy-bot",
			"aws iam delete-access-key --access-key-id " + activeKey + " --user-name deploy-bot",
			"AttributeValue=" + activeKey + " --start-time 2024-03-02",
			"Tell IAM user `deploy-bot`",
			"optional and not sufficient",
		}, nil},
		{"root", leak(inactiveKey, false, ""), []string{
			"--access-key-id " + inactiveKey + " --status Inactive`", "root user",
		}, []string{"--user-name"}},
		{"other account", leak(otherKey, true, theirs), []string{"belongs to AWS account " + theirs}, []string{"update-access-key"}},
		{"id only", leak(otherKey, false, ""), []string{"aws sts get-access-key-info --access-key-id " + otherKey}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := JudgeAt([]finding.Leak{tt.leak}, inv, now)[0]
			got := Remediation(&f, inv.Account)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("remediation lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("remediation has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestOrderAndFingerprint(t *testing.T) {
	a := leak(goneKey, false, "")
	b := leak(activeKey, false, "")
	b.Path = "z.txt"
	c := leak(activeKey, false, "")
	c.Path = "a.txt"
	got := JudgeAt([]finding.Leak{a, b, c}, liveInventory(), now)
	var order []string
	for _, f := range got {
		order = append(order, f.KeyID+" "+f.Path)
	}
	want := []string{activeKey + " a.txt", activeKey + " z.txt", goneKey + " config/.env"}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("order %v, want %v", order, want)
	}

	moved := c
	moved.Line, moved.Column, moved.Commit = 99, 1, "0000000"
	if x, y := got[0].Fingerprint, JudgeAt([]finding.Leak{moved}, nil, now)[0].Fingerprint; x != y {
		t.Errorf("fingerprint changed with line/commit/status: %s vs %s", x, y)
	}
	if got[0].Fingerprint == got[1].Fingerprint {
		t.Error("two paths share a fingerprint")
	}
	if len(got[0].Fingerprint) != 32 {
		t.Errorf("fingerprint %q is not 32 hex chars", got[0].Fingerprint)
	}
	if finding.Fingerprint("ab", "c") == finding.Fingerprint("a", "bc") {
		t.Error("fingerprint parts run together")
	}
}

func TestRules(t *testing.T) {
	want := map[string]finding.Severity{
		RuleActive: finding.SeverityCritical, RuleInactive: finding.SeverityHigh, RuleUnverified: finding.SeverityHigh,
		RuleNotInAccount: finding.SeverityMedium, RuleIDOnly: finding.SeverityLow,
		RuleLive: finding.SeverityCritical, RuleInvalid: finding.SeverityLow, RuleCanary: finding.SeverityInfo,
	}
	rs := Rules()
	if len(rs) != len(want) {
		t.Fatalf("%d rules, want %d", len(rs), len(want))
	}
	for _, r := range rs {
		if sev, ok := want[r.ID]; !ok || sev != r.Severity {
			t.Errorf("rule %s severity %s, want %s", r.ID, r.Severity, sev)
		}
		if r.Title == "" || r.Description == "" || !strings.Contains(r.Help, "\n1. ") {
			t.Errorf("rule %s lacks title, description or steps", r.ID)
		}
		if !strings.Contains(strings.Join(r.Tags, ","), "security") {
			t.Errorf("rule %s tags %v", r.ID, r.Tags)
		}
	}
	rs[0].Tags[0] = "changed"
	if Rules()[0].Tags[0] != "security" {
		t.Error("Rules shares its tags with callers")
	}
	if !strings.Contains(Rules()[0].Help, "aws iam update-access-key --access-key-id ACCESS_KEY_ID --status Inactive --user-name USER_NAME") {
		t.Errorf("active rule help lacks the deactivate command:\n%s", Rules()[0].Help)
	}
}
