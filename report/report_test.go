package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
)

var (
	now       = time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)
	activeKey = "AKIA" + "Q3TESTACTIVEKEYA" // split so no scanner reports this file
	otherKey  = "AKIA" + "Q3TESTOTHERACCTK"
)

func sample() *finding.Report {
	leaks := []finding.Leak{
		{KeyID: activeKey, Path: "config/.env", Commit: "4f2a1c7d9e0b", Author: "alice", Date: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC),
			Line: 3, Column: 19, Commits: 2, InHead: true, OtherPaths: 3},
		{KeyID: activeKey, Path: "deploy/old.sh", Commit: "9b8c7d6e5f4a", Author: "bob", Date: time.Date(2023, 11, 20, 0, 0, 0, 0, time.UTC),
			Line: 10, Column: 5, Commits: 4, OtherPaths: 3},
		{KeyID: otherKey, Path: "README.md", Commit: "0a1b2c3d4e5f", Author: "carol", Date: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC),
			Line: 1, Column: 1, Commits: 9, InHead: true, Account: "444455556666"},
	}
	inv := &finding.Inventory{Source: "aws", Account: "111122223333", Keys: map[string]finding.AccessKey{
		activeKey: {ID: activeKey, User: "deploy-bot", Status: "Active", LastUsed: now.Add(-72 * time.Hour), LastUsedService: "s3", LastUsedRegion: "eu-west-1"},
	}, Complete: true} // a live inventory is complete
	keys := judge.JudgeAt(leaks, inv, now)
	keys[len(keys)-1].Suppressed = &finding.Suppression{Kind: "fingerprint", Justification: "sample data in docs"}
	return &finding.Report{
		Tool: "keysweep", Version: "1.2.3", Started: now, Repo: "/src/app", Head: "abcdef0123456789",
		Stats:   finding.ScanStats{Refs: 3, Commits: 120, Blobs: 450, Bytes: 3 << 20, Duration: 1234 * time.Millisecond},
		Skipped: []string{"blob 5e6f7a8b: zlib: invalid header"},
		Account: "111122223333", InventorySource: "aws", Gaps: []string{"last used of user ci: AccessDenied"},
		Keys: keys,
		Checks: []finding.CheckResult{
			{RuleID: "iam-root-mfa", Severity: finding.SeverityCritical, State: finding.CheckFail, Resource: "<root_account>", Message: "root user has no MFA device"},
			{RuleID: "iam-user-mfa", Severity: finding.SeverityHigh, State: finding.CheckPass, Resource: "alice"},
			{RuleID: "iam-user-mfa", Severity: finding.SeverityHigh, State: finding.CheckFail, Resource: "bob", Message: "console password without MFA"},
			{RuleID: "cloudtrail-enabled", Severity: finding.SeverityHigh, State: finding.CheckCouldNotRun, Region: "us-east-1", Message: "could not run: AccessDenied on cloudtrail:DescribeTrails"},
			{RuleID: "billing-alarm", Severity: finding.SeverityMedium, State: finding.CheckNotApplicable},
		},
	}
}

func render(t *testing.T, r *finding.Report, color bool) string {
	t.Helper()
	var b bytes.Buffer
	if err := Text(&b, r, color); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestText(t *testing.T) {
	out := render(t, sample(), false)
	for _, want := range []string{
		"keysweep 1.2.3  /src/app\n",
		"scanned:   120 commits, 450 blobs, 3.0 MiB from 3 refs in 1.234s\n",
		"inventory: live IAM access keys of account 111122223333\n",
		"warning: last used of user ci: AccessDenied\n",
		"SKIPPED 1 object: this scan is PARTIAL\n  blob 5e6f7a8b: zlib: invalid header\n",
		"2 AWS access keys found at 3 places\n",
		"CRITICAL " + activeKey + "  active  user deploy-bot  account 111122223333\n",
		"  key " + activeKey + " is ACTIVE, belongs to IAM user deploy-bot, last used 3 days ago in s3/eu-west-1",
		"  config/.env:3:19    4f2a1c7  alice  2024-03-02  2 commits  in HEAD      id only, +2 other paths\n",
		"  deploy/old.sh:10:5  9b8c7d6  bob    2023-11-20  4 commits  not in HEAD  id only, +2 other paths\n",
		"LOW      " + otherKey + "  other-account  account 444455556666  SUPPRESSED\n",
		"  fingerprint " + finding.KeyFingerprint(activeKey) + " (every path of this key)\n",
		// What to do now and whose key it is, for every key not suppressed.
		"  next: deactivate it now (`aws iam update-access-key --access-key-id " + activeKey + " --status Inactive --user-name deploy-bot`), then rotate it; owner: IAM user deploy-bot of account 111122223333\n",
		"suppressed (fingerprint: sample data in docs)",
		"  RULE                SEVERITY  PASS  FAIL  COULD NOT RUN\n",
		"  iam-user-mfa        high      1     1     0\n",
		"CRITICAL iam-root-mfa\n  FAIL <root_account>: root user has no MFA device\n",
		"  COULD NOT RUN us-east-1: AccessDenied on cloudtrail:DescribeTrails\n",
		"\nsummary: 3 critical, 1 high, 0 medium, 0 low, 0 info findings; 1 suppressed; 1 check could not run; PARTIAL scan, 1 object skipped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q\n%s", want, out)
		}
	}
	if strings.Count(out, activeKey+"  active") != 1 {
		t.Errorf("key not listed once:\n%s", out)
	}
	if strings.Contains(out, "billing-alarm\n") {
		t.Errorf("not-applicable check listed as a problem:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("ANSI escapes without color:\n%q", out)
	}
	// The key with an active status comes before the low one.
	if strings.Index(out, activeKey+"  active") > strings.Index(out, otherKey) {
		t.Errorf("keys not ordered by severity:\n%s", out)
	}
}

func TestTextColor(t *testing.T) {
	out := render(t, sample(), true)
	for _, want := range []string{bold + red + "CRITICAL" + reset, bold + red + "SKIPPED", cyan + "LOW     " + reset} {
		if !strings.Contains(out, want) {
			t.Errorf("colored text lacks %q:\n%q", want, out)
		}
	}
}

func TestTextEmpty(t *testing.T) {
	out := render(t, &finding.Report{Repo: "."}, false)
	for _, want := range []string{
		"range:     full history, every ref\n",
		"inventory: none: key IDs not verified (use --aws or --known-keys)\n",
		"No AWS access keys found in the scanned history.\n",
		"summary: 0 critical, 0 high, 0 medium, 0 low, 0 info findings\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q\n%s", want, out)
		}
	}
	if strings.Contains(out, "SKIPPED") || strings.Contains(out, "Account checks") {
		t.Errorf("empty sections shown:\n%s", out)
	}
}

func TestJSON(t *testing.T) {
	r := sample()
	var a, b bytes.Buffer
	if err := JSON(&a, r); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("JSON output differs between runs")
	}
	var back finding.Report
	if err := json.Unmarshal(a.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Keys) != 3 || back.Keys[0].RuleID != judge.RuleActive || back.Keys[0].Severity != finding.SeverityCritical {
		t.Errorf("round trip lost findings: %+v", back.Keys)
	}
	for _, want := range []string{"\n  \"tool\": \"keysweep\",\n", `"resource": "<root_account>"`, `"severity": "critical"`} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("JSON lacks %q", want)
		}
	}

	var empty bytes.Buffer
	if err := JSON(&empty, &finding.Report{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(empty.String(), `"keys": []`) {
		t.Errorf("no findings should be an empty list:\n%s", empty.String())
	}
}
