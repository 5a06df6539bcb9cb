package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
)

func TestMerge(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	key := func(repo, id, path string) finding.KeyFinding {
		return finding.KeyFinding{Leak: finding.Leak{Repository: repo, KeyID: id, Path: path}, Fingerprint: finding.Fingerprint(finding.Family, id, path)}
	}
	check := finding.CheckResult{RuleID: "iam-root-mfa", State: finding.CheckFail, Fingerprint: "c1"}
	a := &finding.Report{Tool: "keysweep", Repo: "github.com/acme", Started: t0.Add(time.Minute), Account: "111122223333", InventorySource: "aws",
		Stats:        finding.ScanStats{Commits: 3, Blobs: 4},
		Repositories: []finding.RepoScan{{Name: "acme/a"}, {Name: "acme/c", Error: "could not clone: timeout"}},
		Skipped:      []string{"repository acme/c: could not clone: timeout"},
		Keys:         []finding.KeyFinding{key("acme/a", "AKIA2", "x.env"), key("acme/a", "AKIA1", "x.env")},
		Checks:       []finding.CheckResult{check}, Gaps: []string{"g1"}}
	b := &finding.Report{Tool: "keysweep", Repo: "github.com/acme", Started: t0, Account: "111122223333", InventorySource: "aws",
		Stats:        finding.ScanStats{Commits: 5, Blobs: 6},
		Repositories: []finding.RepoScan{{Name: "acme/b"}, {Name: "acme/c"}},
		// The same key at the same path of another repository is another place.
		Keys:   []finding.KeyFinding{key("acme/b", "AKIA1", "x.env")},
		Checks: []finding.CheckResult{check}, Gaps: []string{"g1", "g2"}}
	m, err := Merge([]*finding.Report{a, b})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range m.Keys {
		got = append(got, k.KeyID+"@"+k.Repository)
	}
	if strings.Join(got, " ") != "AKIA1@acme/a AKIA1@acme/b AKIA2@acme/a" {
		t.Errorf("keys %v", got)
	}
	if len(m.Checks) != 1 || strings.Join(m.Gaps, ",") != "g1,g2" || m.Stats.Commits != 8 || !m.Started.Equal(t0) {
		t.Errorf("checks %d, gaps %v, commits %d, started %v", len(m.Checks), m.Gaps, m.Stats.Commits, m.Started)
	}
	if m.Account != "111122223333" || m.InventorySource != "aws" || m.Repo != "github.com/acme" {
		t.Errorf("account %q source %q repo %q", m.Account, m.InventorySource, m.Repo)
	}
	// acme/c failed in one report and was scanned in the other.
	if len(m.Repositories) != 3 || m.Repositories[2].Name != "acme/c" || m.Repositories[2].Error != "" {
		t.Errorf("repositories %+v", m.Repositories)
	}
	if len(m.Rules) == 0 {
		t.Error("no rules: a merged report could not render as SARIF")
	}

	// Reports judged against different inventories say so.
	b.Account, b.InventorySource = "", ""
	m, _ = Merge([]*finding.Report{a, b})
	if m.Account != "" || !strings.Contains(strings.Join(m.Gaps, "\n"), "different inventories (aws, none; accounts 111122223333, none)") {
		t.Errorf("account %q, gaps %v", m.Account, m.Gaps)
	}
	if _, err := Merge(nil); err == nil {
		t.Error("merge of nothing succeeded")
	}
}

func TestParseReport(t *testing.T) {
	for in, want := range map[string]string{
		"{\n\"tool\": \"keysweep\",\n\"keys\": [}": "r.json:3: invalid JSON",
		`{"tool": "gitleaks", "keys": []}`:         "not a keysweep report",
		`{"tool": "keysweep"}`:                     "not a keysweep report",
		`{"tool": "keysweep", "keys": {}}`:         "invalid JSON",
		`[]`:                                       "invalid JSON",
	} {
		if _, err := ParseReport("r.json", []byte(in)); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseReport(%q) = %v, want one line with %q", in, err, want)
		}
	}
	r, err := ParseReport("r.json", []byte(`{"tool":"keysweep","keys":[{"repository":"acme/a","keyId":"AKIA1","severity":"high"}]}`))
	if err != nil || r.Keys[0].Repository != "acme/a" || r.Keys[0].Severity != finding.SeverityHigh {
		t.Errorf("%+v, %v", r, err)
	}
}

// TestParseReportOfEarlierVersions: a report written before a finding's
// other paths were a count (otherPaths, a list per finding) still reads.
func TestParseReportOfEarlierVersions(t *testing.T) {
	old := `{"tool":"keysweep","repo":".","keys":[{"keyId":"AKIAQ3TESTOLDREPORT1","path":"a.env","otherPaths":["b.env"],"remediation":"1. rotate"}]}`
	r, err := ParseReport("old.json", []byte(old))
	if err != nil || len(r.Keys) != 1 || r.Keys[0].Path != "a.env" {
		t.Fatalf("ParseReport = %+v, %v", r, err)
	}
}
