package sarif

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gosarif "github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
)

var now = time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)

// keyID is assembled at run time so no scanner reports this file.
func keyID(suffix string) string { return "AKIA" + suffix }

var (
	activeKey   = keyID("Q3TESTACTIVEKEYA")
	inactiveKey = keyID("Q3TESTINACTIVEKY")
	otherKey    = keyID("Q3TESTOTHERACCTK")
	goneKey     = keyID("Q3TESTDELETEDKEY")
	looseKey    = keyID("Q3TESTIDONLYKEYZ")
)

func leak(id, path string, secret bool, account string) finding.Leak {
	l := finding.Leak{KeyID: id, Path: path, Account: account, Commit: "4f2a1c7d9e0b8a6f", Author: "alice",
		Date: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), Line: 3, Column: 19, Commits: 1, InHead: true}
	if secret {
		l.Secret = finding.NewSecret(strings.Repeat("k", 40))
	}
	return l
}

// report holds one key of every committed-key rule, plus checks if asked.
func report(checks ...finding.CheckResult) *finding.Report {
	inv := &finding.Inventory{Source: "aws", Account: "111122223333", Keys: map[string]finding.AccessKey{
		activeKey:   {ID: activeKey, User: "deploy-bot", Status: "Active"},
		inactiveKey: {ID: inactiveKey, User: "old-ci", Status: "Inactive"},
	}, Complete: true}
	leaks := []finding.Leak{
		leak(activeKey, "config/.env", false, ""),
		leak(inactiveKey, "ci/deploy.sh", true, ""),
		leak(otherKey, "docs/example.md", true, "444455556666"),
		leak(goneKey, "old/creds", true, "111122223333"),
		leak(looseKey, "README.md", false, ""),
	}
	// The checks set every result's fingerprint; renderers only read it.
	for i := range checks {
		if checks[i].Fingerprint == "" {
			checks[i].Fingerprint = finding.Fingerprint(checks[i].RuleID, checks[i].Region, checks[i].Resource)
		}
	}
	return &finding.Report{
		Tool: "keysweep", Version: "v1.4.0", Started: now, Repo: ".",
		Stats:   finding.ScanStats{Duration: time.Second},
		Account: "111122223333", InventorySource: "aws",
		Keys:   judge.JudgeAt(leaks, inv, now),
		Checks: checks,
		Rules: []finding.Rule{{ID: "iam-root-mfa", Title: "Root user without MFA", Severity: finding.SeverityCritical,
			Description: "The root user can sign in without MFA.", Help: "Enable MFA for the root user.", Tags: []string{"FSBP IAM.9", "CIS 1.5"}}},
	}
}

func build(t *testing.T, r *finding.Report, opts Options) *gosarif.Report {
	t.Helper()
	log, err := gosarif.FromBytes(writeValid(t, r, opts))
	if err != nil {
		t.Fatal(err)
	}
	return log
}

func resultFor(t *testing.T, run *gosarif.Run, key string) *gosarif.Result {
	t.Helper()
	for _, res := range run.Results {
		if res.Properties["keyId"] == key {
			return res
		}
	}
	t.Fatalf("no result for %s", key)
	return nil
}

func TestRuns(t *testing.T) {
	tests := []struct {
		name   string
		checks []finding.CheckResult
		runs   []string
	}{
		{"history only", nil, []string{HistoryCategory}},
		{"checks that all pass still close old alerts", []finding.CheckResult{{RuleID: "iam-root-mfa", State: finding.CheckPass}},
			[]string{HistoryCategory, AccountCategory}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := build(t, report(tt.checks...), Options{})
			if log.Version != "2.1.0" || log.Schema != SchemaURI {
				t.Errorf("version %q schema %q", log.Version, log.Schema)
			}
			if len(log.Runs) != len(tt.runs) {
				t.Fatalf("%d runs, want %d", len(log.Runs), len(tt.runs))
			}
			for i, run := range log.Runs {
				if got := *run.AutomationDetails.ID; got != tt.runs[i] {
					t.Errorf("run %d automation id %q, want %q", i, got, tt.runs[i])
				}
				d := run.Tool.Driver
				if d.Name != "keysweep" || *d.Version != "1.4.0" || *d.SemanticVersion != "1.4.0" || *d.InformationURI != DefaultInformationURI {
					t.Errorf("driver %+v", d)
				}
			}
			if len(tt.runs) > 1 && len(log.Runs[1].Results) != 0 {
				t.Errorf("passing checks became results: %d", len(log.Runs[1].Results))
			}
		})
	}
}

func TestLevelsAndRules(t *testing.T) {
	run := build(t, report(), Options{}).Runs[0]
	// The rule is the evidence's (one alert per key whatever its status);
	// the level and the status rule are the status's.
	tests := []struct {
		key, rule, level, ruleLevel, score, status, statusRule string
	}{
		{activeKey, judge.AlertRuleKeyID, "error", "note", "2.0", "active", judge.RuleActive},
		{inactiveKey, judge.AlertRuleSecret, "error", "error", "9.5", "inactive", judge.RuleInactive},
		{otherKey, judge.AlertRuleSecret, "warning", "error", "9.5", "other-account", judge.RuleNotInAccount},
		{goneKey, judge.AlertRuleSecret, "warning", "error", "9.5", "not-in-account", judge.RuleNotInAccount},
		{looseKey, judge.AlertRuleKeyID, "note", "note", "2.0", "not-in-account", judge.RuleIDOnly},
	}
	for _, tt := range tests {
		t.Run(tt.rule+" "+tt.status, func(t *testing.T) {
			res := resultFor(t, run, tt.key)
			if *res.RuleID != tt.rule || *res.Level != tt.level || res.Properties["status"] != tt.status || res.Properties["statusRule"] != tt.statusRule {
				t.Errorf("got %s %s %v %v, want %s %s %s %s", *res.RuleID, *res.Level, res.Properties["status"], res.Properties["statusRule"], tt.rule, tt.level, tt.status, tt.statusRule)
			}
			rule := run.Tool.Driver.Rules[*res.RuleIndex]
			if rule.ID != tt.rule {
				t.Fatalf("ruleIndex %d points at %s", *res.RuleIndex, rule.ID)
			}
			if rule.Properties["security-severity"] != tt.score || rule.DefaultConfiguration.Level != tt.ruleLevel ||
				rule.Properties["precision"] != "very-high" {
				t.Errorf("rule properties %v level %s", rule.Properties, rule.DefaultConfiguration.Level)
			}
			if rule.ShortDescription.Text == nil || rule.FullDescription.Text == nil || rule.Help.Text == nil ||
				!strings.Contains(*rule.Help.Markdown, "1. ") {
				t.Errorf("rule %s lacks descriptions or help", rule.ID)
			}
			if tags, _ := rule.Properties["tags"].([]any); len(tags) == 0 || tags[0] != "security" {
				t.Errorf("rule %s tags %v", rule.ID, rule.Properties["tags"])
			}
		})
	}
	if n := len(run.Tool.Driver.Rules); n != 2 {
		t.Errorf("%d rules, want the 2 used", n)
	}
	res := resultFor(t, run, activeKey)
	loc := res.Locations[0].PhysicalLocation
	if *loc.ArtifactLocation.URI != "config/.env" || *loc.ArtifactLocation.URIBaseId != "%SRCROOT%" ||
		*loc.Region.StartLine != 3 || *loc.Region.StartColumn != 19 || *loc.Region.EndColumn != 39 {
		t.Errorf("location %s line %d", *loc.ArtifactLocation.URI, *loc.Region.StartLine)
	}
	for k, want := range map[string]any{"keyId": activeKey, "commit": "4f2a1c7d9e0b8a6f", "inHead": true, "user": "deploy-bot", "account": "111122223333", "severity": "critical"} {
		if res.Properties[k] != want {
			t.Errorf("properties[%s] = %v, want %v", k, res.Properties[k], want)
		}
	}
	if _, ok := resultFor(t, run, looseKey).Properties["user"]; ok {
		t.Error("user set for a key nobody owns")
	}
}

func TestFingerprintStable(t *testing.T) {
	hash := func(r *finding.Report) string {
		return resultFor(t, build(t, r, Options{}).Runs[0], activeKey).PartialFingerprints["primaryLocationLineHash"].(string)
	}
	base := report()
	moved := report()
	moved.Keys[0].Line, moved.Keys[0].Column, moved.Keys[0].Commit = 120, 2, "9999999999"
	renamed := report()
	renamed.Keys[0].Path = "config/prod.env"
	renamed.Keys[0].Fingerprint = finding.Fingerprint(finding.Family, activeKey, renamed.Keys[0].Path)

	want := hash(base)
	if want != finding.Fingerprint(finding.Family, activeKey, "config/.env") {
		t.Errorf("fingerprint %s is not the judge's", want)
	}
	if got := hash(moved); got != want {
		t.Errorf("fingerprint moved with line/commit: %s vs %s", got, want)
	}
	if hash(renamed) == want {
		t.Error("another path has the same fingerprint")
	}
}

func TestToolVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v1.4.0": "1.4.0", "1.4.0": "1.4.0", "": "0.0.0-dev", "dev": "0.0.0-dev",
		"dev+27caaab01234-dirty": "0.0.0-dev+27caaab01234-dirty", "v0.0.0-20261201081425-27caaab01234": "0.0.0-20261201081425-27caaab01234",
	} {
		if got := toolVersion(in); got != want || !semver.MatchString(got) {
			t.Errorf("toolVersion(%q) = %q, want %q (semver)", in, got, want)
		}
	}
}

func TestPathURI(t *testing.T) {
	tests := []struct{ path, want string }{
		{"config/.env", "config/.env"},
		{"dir with space/café/ü#1.env", "dir%20with%20space/caf%C3%A9/%C3%BC%231.env"},
		{"a:b/c?d%e", "a%3Ab/c%3Fd%25e"},
		{"日本/鍵.txt", "%E6%97%A5%E6%9C%AC/%E9%8D%B5.txt"},
		{"/abs/path", "abs/path"},
	}
	for _, tt := range tests {
		if got := pathURI(tt.path); got != tt.want {
			t.Errorf("pathURI(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
	r := report()
	r.Keys[0].Path = "dir with space/café/ü#1.env"
	res := resultFor(t, build(t, r, Options{}).Runs[0], activeKey)
	if got := *res.Locations[0].PhysicalLocation.ArtifactLocation.URI; got != "dir%20with%20space/caf%C3%A9/%C3%BC%231.env" {
		t.Errorf("uri %q", got)
	}
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)

func TestSuppressions(t *testing.T) {
	r := report(finding.CheckResult{RuleID: "iam-root-mfa", Severity: finding.SeverityCritical, State: finding.CheckFail,
		Resource: "<root_account>", Message: "root user has no MFA", Suppressed: &finding.Suppression{Kind: "fingerprint", Justification: "break-glass account"}})
	r.Keys[0].Suppressed = &finding.Suppression{Kind: "inline", Justification: "test fixture", Expires: now.Add(24 * time.Hour)}
	r.Keys[1].Suppressed = &finding.Suppression{Kind: "fingerprint", Justification: "accepted risk"}
	log := build(t, r, Options{})
	tests := []struct {
		res           *gosarif.Result
		kind, justify string
	}{
		{resultFor(t, log.Runs[0], activeKey), "inSource", "test fixture"},
		{resultFor(t, log.Runs[0], inactiveKey), "external", "accepted risk"},
		{log.Runs[1].Results[0], "external", "break-glass account"},
	}
	for _, tt := range tests {
		if len(tt.res.Suppressions) != 1 {
			t.Fatalf("%s: %d suppressions", *tt.res.RuleID, len(tt.res.Suppressions))
		}
		s := tt.res.Suppressions[0]
		if s.Kind != tt.kind || *s.Justification != tt.justify || *s.Status != "accepted" || !guidPattern.MatchString(*s.Guid) {
			t.Errorf("%s: suppression %s %q %q %q", *tt.res.RuleID, s.Kind, *s.Justification, *s.Status, *s.Guid)
		}
	}
	if got := tests[0].res.Suppressions[0].Properties["expires"]; got != "2024-06-11T12:00:00Z" {
		t.Errorf("expires %v", got)
	}
	if len(resultFor(t, log.Runs[0], otherKey).Suppressions) != 0 {
		t.Error("unsuppressed result has suppressions")
	}
	if a, b := build(t, r, Options{}), log; *a.Runs[0].Results[0].Suppressions[0].Guid != *b.Runs[0].Results[0].Suppressions[0].Guid {
		t.Error("suppression GUID changes between runs")
	}
}

func TestAccountRun(t *testing.T) {
	checks := []finding.CheckResult{
		{RuleID: "iam-root-mfa", Severity: finding.SeverityCritical, State: finding.CheckFail, Resource: "<root_account>", Message: "root user has no MFA"},
		{RuleID: "iam-user-mfa", Severity: finding.SeverityHigh, State: finding.CheckPass, Resource: "alice"},
		{RuleID: "ec2-security-group-open", Severity: finding.SeverityHigh, State: finding.CheckFail, Resource: "sg-0123", Region: "eu-west-1", Message: "port 22 open to 0.0.0.0/0 on 2 interfaces"},
		{RuleID: "cloudtrail-enabled", Severity: finding.SeverityHigh, State: finding.CheckCouldNotRun, Message: "AccessDenied: cloudtrail:DescribeTrails"},
		{RuleID: "billing-alarm", Severity: finding.SeverityMedium, State: finding.CheckNotApplicable},
		// One batch of Trusted Advisor calls after another failing the
		// same way: one notification, not two.
		{RuleID: "trusted-advisor", Severity: finding.SeverityInfo, State: finding.CheckCouldNotRun, Message: "could not run: SubscriptionRequiredException: support plan"},
		{RuleID: "trusted-advisor", Severity: finding.SeverityInfo, State: finding.CheckCouldNotRun, Message: "could not run: SubscriptionRequiredException: support plan"},
		// The same failure reported twice is one result.
		{RuleID: "iam-root-mfa", Severity: finding.SeverityCritical, State: finding.CheckFail, Resource: "<root_account>", Message: "root user has no MFA"},
	}
	tests := []struct {
		name, anchor, uri string
	}{
		{"default anchor", "", ".github/keysweep/aws-account"},
		{"workflow file", ".github/workflows/keysweep.yml", ".github/workflows/keysweep.yml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report(checks...)
			r.Gaps = []string{"credential report: AccessDenied"}
			run := build(t, r, Options{AccountAnchor: tt.anchor}).Runs[1]
			if len(run.Results) != 2 {
				t.Fatalf("%d results, want the two distinct failures (could not run is no result)", len(run.Results))
			}
			want := []struct{ rule, level, msg string }{
				{"iam-root-mfa", "error", "<root_account>: root user has no MFA"},
				{"ec2-security-group-open", "error", "[eu-west-1] sg-0123: port 22 open to 0.0.0.0/0 on 2 interfaces"},
			}
			for i, res := range run.Results {
				loc := res.Locations[0].PhysicalLocation
				if *res.RuleID != want[i].rule || *res.Level != want[i].level || *res.Message.Text != want[i].msg {
					t.Errorf("result %d: %s %s %q, want %v", i, *res.RuleID, *res.Level, *res.Message.Text, want[i])
				}
				if *loc.ArtifactLocation.URI != tt.uri || *loc.Region.StartLine != 1 {
					t.Errorf("result %d anchored at %s:%d", i, *loc.ArtifactLocation.URI, *loc.Region.StartLine)
				}
				if res.Properties["account"] != "111122223333" {
					t.Errorf("result %d account %v", i, res.Properties["account"])
				}
			}
			rule := run.Tool.Driver.Rules[*run.Results[0].RuleIndex]
			if rule.Properties["security-severity"] != "9.5" || *rule.Help.Markdown != "Enable MFA for the root user." {
				t.Errorf("described rule lost: %+v", rule.Properties)
			}
			if tags := rule.Properties["tags"].([]any); len(tags) != 3 || tags[1] != "FSBP IAM.9" {
				t.Errorf("tags %v", tags)
			}
			undescribed := run.Tool.Driver.Rules[*run.Results[1].RuleIndex]
			if undescribed.ID != "ec2-security-group-open" || undescribed.Properties["security-severity"] != "8.0" {
				t.Errorf("undescribed rule %+v", undescribed)
			}
			var notes []string
			for _, n := range run.Invocations[0].ToolExecutionNotifications {
				s := n.Level + ": " + *n.Message.Text
				if n.AssociatedRule != nil {
					s += " [" + *n.AssociatedRule.Id + "]"
				}
				notes = append(notes, s)
			}
			wantNotes := []string{
				"warning: credential report: AccessDenied",
				"warning: cloudtrail-enabled could not run: AccessDenied: cloudtrail:DescribeTrails [cloudtrail-enabled]",
				"warning: trusted-advisor could not run: SubscriptionRequiredException: support plan [trusted-advisor]",
			}
			if strings.Join(notes, "\n") != strings.Join(wantNotes, "\n") {
				t.Errorf("notifications\n%s\nwant\n%s", strings.Join(notes, "\n"), strings.Join(wantNotes, "\n"))
			}
			for _, rule := range run.Tool.Driver.Rules {
				if rule.ID == "cloudtrail-enabled" || rule.ID == "trusted-advisor" {
					t.Errorf("rule %s described though no result uses it", rule.ID)
				}
			}
		})
	}
	for _, bad := range []string{"arn:aws:iam::111122223333:root", "/etc/passwd", "https://example.com/x", `C:\repo`} {
		if _, err := Build(report(checks...), Options{AccountAnchor: bad}); err == nil {
			t.Errorf("anchor %q accepted", bad)
		}
	}
}

// TestNoZeroSecuritySeverity: an info rule is a recommendation, not a
// security alert scored 0.0.
func TestNoZeroSecuritySeverity(t *testing.T) {
	r := report(finding.CheckResult{RuleID: "trusted-advisor", Severity: finding.SeverityInfo, State: finding.CheckFail, Resource: "Low Utilization Amazon EC2 Instances", Message: "2 instances flagged"})
	run := build(t, r, Options{}).Runs[1]
	if len(run.Results) != 1 {
		t.Fatalf("%d results", len(run.Results))
	}
	rule := run.Tool.Driver.Rules[*run.Results[0].RuleIndex]
	if score, ok := rule.Properties["security-severity"]; ok {
		t.Errorf("info rule has security-severity %v", score)
	}
	if rule.Properties["problem.severity"] != "recommendation" || *run.Results[0].Level != "note" {
		t.Errorf("info rule %v, result level %s", rule.Properties, *run.Results[0].Level)
	}
}

// TestOneResultPerFingerprint: the same key at the same path twice (a
// report merged from two scans) is one result, as GitHub would fold it.
func TestOneResultPerFingerprint(t *testing.T) {
	r := report()
	r.Keys = append(r.Keys, r.Keys[0])
	run := build(t, r, Options{}).Runs[0]
	seen := map[string]bool{}
	for _, res := range run.Results {
		fp := res.PartialFingerprints["primaryLocationLineHash"].(string)
		if seen[fp] {
			t.Errorf("fingerprint %s twice", fp)
		}
		seen[fp] = true
	}
	if len(run.Results) != 5 {
		t.Errorf("%d results, want the 5 distinct keys", len(run.Results))
	}
}

func TestResultLimit(t *testing.T) {
	r := report()
	r.Skipped = []string{"blob 0a1b: missing"}
	run := build(t, r, Options{MaxResults: 2}).Runs[0]
	if len(run.Results) != 2 || run.Results[0].Properties["keyId"] != activeKey {
		t.Fatalf("%d results, first %v", len(run.Results), run.Results[0].Properties["keyId"])
	}
	var texts []string
	for _, n := range run.Invocations[0].ToolExecutionNotifications {
		texts = append(texts, n.Level+": "+*n.Message.Text)
	}
	want := []string{
		"error: not scanned, the scan is partial: blob 0a1b: missing",
		"warning: 3 of 5 results left out: GitHub accepts at most 2 results per run; the JSON report (--format json) lists all of them",
	}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("notifications\n%s\nwant\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
}

func TestEdgeCases(t *testing.T) {
	unreachable := leak(looseKey, "", false, "")
	unreachable.Unreachable, unreachable.Commit, unreachable.Blob, unreachable.Line, unreachable.Column = true, "", "9c1e0b7a", 0, 0
	r := &finding.Report{Keys: judge.JudgeAt([]finding.Leak{unreachable}, nil, now)}
	run := build(t, r, Options{}).Runs[0]
	loc := run.Results[0].Locations[0].PhysicalLocation
	if *loc.ArtifactLocation.URI != "unreachable/9c1e0b7a" || *loc.Region.StartLine != 1 || loc.Region.StartColumn != nil {
		t.Errorf("unreachable anchored at %s", *loc.ArtifactLocation.URI)
	}
	if d := run.Tool.Driver; *d.Version != "0.0.0-dev" || *d.SemanticVersion != "0.0.0-dev" {
		t.Errorf("version %q semantic %v", *d.Version, d.SemanticVersion)
	}
	build(t, &finding.Report{}, Options{}) // nothing at all still validates
}

func TestWriteFileTruncates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.sarif")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 1<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, report(), Options{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) {
		t.Fatalf("file is not JSON (old content left behind?): %d bytes", len(data))
	}
	validate(t, data)
	if err := WriteFile(filepath.Join(t.TempDir(), "missing", "out.sarif"), report(), Options{}); err == nil {
		t.Error("no error for an unwritable path")
	}
}

// One key, one alert: GitHub identifies an alert by rule, fingerprint and
// category, so none of them may change with what verification says (a
// fork's pull request has no AWS; the scheduled run does).
func TestAlertIdentityDoesNotFollowTheStatus(t *testing.T) {
	leaks := []finding.Leak{leak(inactiveKey, "ci/deploy.sh", true, ""), leak(activeKey, "config/.env", false, "")}
	live := &finding.Inventory{Source: "aws", Account: "111122223333", Complete: true, Keys: map[string]finding.AccessKey{
		activeKey: {ID: activeKey, Status: "Active"}, inactiveKey: {ID: inactiveKey, Status: "Active"},
	}}
	type identity struct{ rule, fingerprint, category, status string }
	ids := func(inv *finding.Inventory) map[string]identity {
		rep := &finding.Report{Tool: "keysweep", Version: "v1.4.0", Started: now, Keys: judge.JudgeAt(leaks, inv, now)}
		run := build(t, rep, Options{}).Runs[0]
		out := map[string]identity{}
		for _, res := range run.Results {
			out[res.Properties["keyId"].(string)] = identity{*res.RuleID, res.PartialFingerprints["primaryLocationLineHash"].(string), *run.AutomationDetails.ID, res.Properties["status"].(string)}
		}
		return out
	}
	fork, schedule := ids(nil), ids(live)
	for _, k := range []string{activeKey, inactiveKey} {
		f, s := fork[k], schedule[k]
		if f.status == s.status {
			t.Fatalf("%s: the status did not change (%s), the test proves nothing", k, f.status)
		}
		f.status, s.status = "", ""
		if f != s {
			t.Errorf("%s: alert identity %+v unverified, %+v active", k, f, s)
		}
	}
}
