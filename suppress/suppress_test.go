package suppress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const fp1, fp2 = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"

func TestParseIgnores(t *testing.T) {
	in := "# reviewed ignores\n\n" +
		fp1 + "  # docs sample key, never issued\n" +
		fp2 + " until=2025-06-01 # test account, until the migration\n"
	igs, err := ParseIgnores(".keysweepignore", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(igs.Entries) != 2 {
		t.Fatalf("entries %+v", igs.Entries)
	}
	a, b := igs.Entries[0], igs.Entries[1]
	if a.Fingerprint != fp1 || a.Reason != "docs sample key, never issued" || a.Line != 3 || !a.Until.IsZero() {
		t.Errorf("first %+v", a)
	}
	if b.Reason != "test account, until the migration" || b.Line != 4 || b.Until.Format(time.DateOnly) != "2025-06-01" {
		t.Errorf("second %+v", b)
	}
	// until= holds through the whole day it names.
	if b.Expired(now) || !b.Expired(time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)) {
		t.Error("expiry is not the end of the until day")
	}
	if b.String() != fp2+" until=2025-06-01 # test account, until the migration" {
		t.Errorf("String %q", b.String())
	}
}

func TestParseIgnoresErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{fp1 + "\n", "f:1: ignore without a reason, expected `FINGERPRINT [until=YYYY-MM-DD] # reason`"},
		{"# c\n" + fp1 + " #   \n", "f:2: ignore without a reason, expected `FINGERPRINT [until=YYYY-MM-DD] # reason`"},
		{"AKIAXXXX # a key, not a fingerprint\n", `f:1: "AKIAXXXX" is not a fingerprint, expected the 32 hex digits of a report's fingerprint`},
		{strings.ToUpper(fp1) + " # upper\n", `f:1: "` + strings.ToUpper(fp1) + `" is not a fingerprint, expected the 32 hex digits of a report's fingerprint in lower case`},
		{fp1 + " until=31/12/2025 # r\n", "f:1: until=31/12/2025 is not a date, expected until=YYYY-MM-DD"},
		{fp1 + " forever # r\n", "f:1: unexpected \"forever\", expected `FINGERPRINT [until=YYYY-MM-DD] # reason`"},
		{fp1 + " # a\n" + fp1 + " # b\n", "f:2: fingerprint " + fp1 + " is already ignored at line 1, expected each fingerprint once"},
	}
	for _, tt := range tests {
		_, err := ParseIgnores("f", strings.NewReader(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseIgnores(%q):\n got %v\nwant %s", tt.in, err, tt.want)
		}
	}
}

func TestAppend(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, IgnoreFileName)
	if err := os.WriteFile(name, []byte("# ignores\n"+fp1+" # first"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Append(dir, Ignore{Fingerprint: fp2, Reason: " canary token ", Until: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(name)
	if want := "# ignores\n" + fp1 + " # first\n" + fp2 + " until=2030-01-02 # canary token\n"; string(b) != want {
		t.Errorf("file:\n%s\nwant:\n%s", b, want)
	}
	for _, bad := range []struct {
		ig   Ignore
		want string
	}{
		{Ignore{Fingerprint: fp2, Reason: "again"}, name + ":3: fingerprint " + fp2 + " is already ignored here"},
		{Ignore{Fingerprint: "abc", Reason: "r"}, `"abc" is not a fingerprint`},
		{Ignore{Fingerprint: fp1[:31] + "0", Reason: "  "}, "an ignore needs a reason"},
		{Ignore{Fingerprint: fp1[:31] + "0", Reason: "two\nlines"}, "one line"},
	} {
		if _, err := Append(dir, bad.ig); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Append(%+v) = %v, want %q", bad.ig, err, bad.want)
		}
	}
	if b2, _ := os.ReadFile(name); string(b2) != string(b) {
		t.Error("a refused entry changed the file")
	}
}

// keyReport has one key of each kind Apply treats differently.
func keyReport() *finding.Report {
	mk := func(id, path string, status finding.KeyStatus, account string, inline bool) finding.KeyFinding {
		return finding.KeyFinding{
			Leak:   finding.Leak{KeyID: id, Path: path, Line: 7, Account: account, InlineAllow: inline},
			RuleID: finding.Family + "/x", Severity: finding.SeverityHigh, Status: status,
			Fingerprint:    finding.Fingerprint(finding.Family, id, path),
			KeyFingerprint: finding.KeyFingerprint(id),
		}
	}
	return &finding.Report{
		Keys: []finding.KeyFinding{
			mk("AKIAAAAAAAAAAAAAAAAA", "a.env", finding.StatusUnverified, "", true),
			mk("AKIABBBBBBBBBBBBBBBB", "b.env", finding.StatusActive, "", true),
			mk("AKIACCCCCCCCCCCCCCCC", "c.env", finding.StatusNotInAccount, "999988887777", false),
			mk("AKIADDDDDDDDDDDDDDDD", "d.env", finding.StatusActive, "", false),
		},
		Checks: []finding.CheckResult{
			{RuleID: "iam-root-mfa", Severity: finding.SeverityCritical, State: finding.CheckFail, Fingerprint: fp1},
			{RuleID: "iam-user-mfa", Severity: finding.SeverityHigh, State: finding.CheckFail, Fingerprint: fp2},
		},
	}
}

func TestApply(t *testing.T) {
	r := keyReport()
	igs := &Ignores{Path: "/repo/.keysweepignore", Entries: []Ignore{
		{Fingerprint: finding.KeyFingerprint("AKIADDDDDDDDDDDDDDDD"), Reason: "canary key", Line: 1},
		{Fingerprint: fp1, Reason: "break-glass root", Until: time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC), Line: 2},
		{Fingerprint: fp2, Reason: "bob is leaving", Until: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), Line: 3},
	}}
	Apply(r, Options{Ignores: igs, AllowedAccounts: []string{"999988887777"}, ConfigPath: "/repo/.keysweep.yml", Now: now})

	a, b, c, d := r.Keys[0], r.Keys[1], r.Keys[2], r.Keys[3]
	if a.Suppressed == nil || a.Suppressed.Kind != "inline" || a.Suppressed.Justification != "keysweep:allow on a.env:7" {
		t.Errorf("inline allow on a pattern hit: %+v", a.Suppressed)
	}
	if b.Suppressed != nil || !strings.Contains(b.SuppressionNote, "inline keysweep:allow ignored: the key is active") {
		t.Errorf("inline allow on an active key: %+v %q", b.Suppressed, b.SuppressionNote)
	}
	if c.Suppressed == nil || c.Suppressed.Kind != "config" || c.Suppressed.Justification != "allowed account 999988887777 (.keysweep.yml)" {
		t.Errorf("allowed account: %+v", c.Suppressed)
	}
	if d.Suppressed == nil || d.Suppressed.Kind != "fingerprint" || d.Suppressed.Justification != "canary key" {
		t.Errorf("ignored active key: %+v", d.Suppressed)
	}
	root, user := r.Checks[0], r.Checks[1]
	if root.Suppressed != nil || root.SuppressionNote != "ignore expired on 2025-05-31 (.keysweepignore:2: break-glass root)" {
		t.Errorf("expired ignore: %+v %q", root.Suppressed, root.SuppressionNote)
	}
	if user.Suppressed == nil || user.Suppressed.Expires.Format(time.DateOnly) != "2025-06-30" {
		t.Errorf("ignore with expiry: %+v", user.Suppressed)
	}
	if r.IgnoreFile != igs.Path {
		t.Errorf("IgnoreFile %q", r.IgnoreFile)
	}
	if got := r.Count(finding.SeverityInfo); got != 2 {
		t.Errorf("%d findings count, want 2 (the active key and the root check)", got)
	}
}

func TestBaseline(t *testing.T) {
	old := keyReport()
	doc := `{"tool": "keysweep", "keys": [
	  {"keyId": "AKIAAAAAAAAAAAAAAAAA", "fingerprint": "` + old.Keys[0].Fingerprint + `"},
	  {"keyId": "AKIACCCCCCCCCCCCCCCC", "fingerprint": "0000"}],
	  "checks": [{"fingerprint": "` + fp1 + `", "state": "fail"}, {"fingerprint": "` + fp2 + `", "state": "pass"}]}`
	bl, err := ParseBaseline("base.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	r := keyReport()
	r.Keys[2].Path, r.Keys[2].Fingerprint = "moved/c.env", finding.Fingerprint(finding.Family, "AKIACCCCCCCCCCCCCCCC", "moved/c.env")
	Apply(r, Options{Baseline: bl, Now: now})
	var left []string
	for _, k := range r.Keys {
		left = append(left, k.KeyID)
	}
	// A key of the baseline is old at any path; a check that passed then
	// and fails now is new.
	if strings.Join(left, ",") != "AKIABBBBBBBBBBBBBBBB,AKIADDDDDDDDDDDDDDDD" || len(r.Checks) != 1 || r.Checks[0].Fingerprint != fp2 {
		t.Errorf("left keys %v, checks %+v", left, r.Checks)
	}
	if r.BaselineHidden != 3 || r.Baseline != "base.json" {
		t.Errorf("hidden %d, baseline %q", r.BaselineHidden, r.Baseline)
	}
}

func TestBaselineErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "base.json: invalid JSON (EOF), expected a report written by keysweep scan --format json"},
		{"{\n  \"tool\": \"keysweep\",\n  \"keys\": [,]\n}", "base.json:3: invalid JSON (invalid character ',' looking for beginning of value), expected a report written by keysweep scan --format json"},
		{`{"runs": []}`, `base.json: not a keysweep report (no "tool": "keysweep" and "keys"), expected a report written by keysweep scan --format json`},
		{"{\"tool\": \"keysweep\",\n\"keys\": {}}", "base.json:2: keys has the wrong type, expected a report written by keysweep scan --format json"},
		{`{"tool": "keysweep", "keys": [{}]}`, "base.json: keys[0] has neither fingerprint nor keyId, expected a report written by keysweep scan --format json"},
	}
	for _, tt := range tests {
		_, err := ParseBaseline("base.json", []byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseBaseline(%q):\n got %v\nwant %s", tt.in, err, tt.want)
		}
	}
}

// InlineAllowed decides which inline allows count; the others say why.
func TestApplyInlineAllowed(t *testing.T) {
	for _, tt := range []struct {
		name     string
		allowed  func(path, keyID string) bool
		why      string
		suppress bool
		note     string
	}{
		{"every allow counts", nil, "", true, ""},
		{"allow the base has", func(p, _ string) bool { return p == "a.env" }, "", true, ""},
		{"allow the range added", func(string, string) bool { return false }, "", false, "inline keysweep:allow ignored: the reviewed commit's a.env does not carry it, so it applies after merge"},
		{"switched off", func(string, string) bool { return false }, "inline allows are switched off (--no-inline-allow)", false, "inline keysweep:allow ignored: inline allows are switched off (--no-inline-allow)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := keyReport()
			Apply(r, Options{InlineAllowed: tt.allowed, NoInline: tt.why, Now: now})
			a := r.Keys[0]
			if (a.Suppressed != nil) != tt.suppress || a.SuppressionNote != tt.note {
				t.Errorf("suppressed %+v note %q", a.Suppressed, a.SuppressionNote)
			}
		})
	}
}

func TestInlineAllowIn(t *testing.T) {
	id := "AKIAAAAAAAAAAAAAAAAA"
	for content, want := range map[string]bool{
		"x = " + id + " # keysweep:allow fixture\n":        true,
		"# keysweep:allow\nx = " + id + "\n":               false, // another line
		"x = " + id + "\n":                                 false,
		"y = AKIABBBBBBBBBBBBBBBB # keysweep:allow\n" + id: false,
		"x = " + id + " // keysweep:allow":                 true, // no final newline
	} {
		if got := InlineAllowIn([]byte(content), id); got != want {
			t.Errorf("%q: %v, want %v", content, got, want)
		}
	}
}
