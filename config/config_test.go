package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		miss    []string
	}{
		{"testdata/**", []string{"testdata/a.env", "testdata/x/y/z.txt"}, []string{"src/testdata.go", "a/testdata/b"}},
		{"**/fixtures/*.env", []string{"fixtures/a.env", "a/b/fixtures/c.env"}, []string{"fixtures/a.txt", "fixtures/x/a.env"}},
		{"*.md", []string{"README.md", "docs/a/b.md"}, []string{"README.md.txt", "md"}},
		{"docs/", []string{"docs/setup.md", "docs/a/b", "src/docs/x"}, []string{"docsx/a"}},
		{"/config/dev.env", []string{"config/dev.env"}, []string{"x/config/dev.env", "config/dev.env.bak"}},
		{"vendor", []string{"vendor/a.go", "lib/vendor/b.go"}, []string{"vendors/a.go"}},
		{"a/**/b", []string{"a/b", "a/x/y/b", "a/b/c"}, []string{"b", "x/a/b"}},
	}
	for _, tt := range tests {
		g, err := ParseGlob(tt.pattern)
		if err != nil {
			t.Fatalf("ParseGlob(%q): %v", tt.pattern, err)
		}
		for _, p := range tt.match {
			if !g.Match(p) {
				t.Errorf("%q does not match %q", tt.pattern, p)
			}
		}
		for _, p := range tt.miss {
			if g.Match(p) {
				t.Errorf("%q matches %q", tt.pattern, p)
			}
		}
	}
	for _, bad := range []string{"", "/", "a//b", "[abc", "x/[/y"} {
		if _, err := ParseGlob(bad); err == nil {
			t.Errorf("ParseGlob(%q) accepted a bad pattern", bad)
		}
	}
}

const full = `# keysweep settings
version: 1
fail-on: medium
exclude-paths:
  - testdata/**
  - "*.md"
allowed-accounts:
  - "012345678901"
  - 111122223333
verify-deny-accounts: ["444455556666"]
canary-accounts:
  - "777788889999"
checks:
  enable: [iam-*, ec2-security-group-open]
  disable:
    - iam-unused-services
  password-min-length: 16
  key-max-age-days: 30
  unused-days: 60
  ami-max-age-days: 365
  service-unused-days: 120
  delivery-max-age-hours: 6
  public-security-groups: ["web-*", "*_everywhere"]
  trusted-advisor-categories: [security, fault_tolerance]
`

func TestParseFull(t *testing.T) {
	c, err := Parse("k.yml", []byte(full))
	if err != nil {
		t.Fatal(err)
	}
	if c.FailOn == nil || *c.FailOn != finding.SeverityMedium {
		t.Errorf("fail-on %v", c.FailOn)
	}
	if !c.Excluded("testdata/keys.env") || !c.Excluded("docs/x.md") || c.Excluded("src/main.go") {
		t.Errorf("exclude-paths %v", c.ExcludePaths)
	}
	// Written unquoted, 012345678901 would be a number to YAML; the
	// value is kept as written, leading zero and all.
	if !slices.Equal(c.AllowedAccounts, []string{"012345678901", "111122223333"}) {
		t.Errorf("allowed-accounts %v", c.AllowedAccounts)
	}
	if !slices.Equal(c.VerifyDenyAccounts, []string{"444455556666"}) || !slices.Equal(c.CanaryAccounts, []string{"777788889999"}) {
		t.Errorf("verify-deny-accounts %v canary-accounts %v", c.VerifyDenyAccounts, c.CanaryAccounts)
	}
	th := c.Thresholds
	if th.PasswordMinLength != 16 || th.KeyMaxAgeDays != 30 || th.UnusedDays != 60 || th.AMIMaxAgeDays != 365 ||
		th.ServiceUnusedDays != 120 || th.DeliveryMaxAgeHours != 6 {
		t.Errorf("thresholds %+v", th)
	}
	if !slices.Equal(th.PublicGroupPatterns, []string{"web-*", "*_everywhere"}) || !slices.Equal(th.AdvisorCategories, []string{"security", "fault_tolerance"}) {
		t.Errorf("patterns %+v", th)
	}
	sel, err := c.Selection()
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Includes("iam-root-mfa") || sel.Includes("iam-unused-services") || sel.Includes("cloudtrail-enabled") || !sel.Includes("ec2-security-group-open") {
		t.Errorf("selection wrong: %+v", sel)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "\n# only a comment\n", "---\n"} {
		c, err := Parse("k.yml", []byte(in))
		if err != nil || c.FailOn != nil || len(c.ExcludePaths) != 0 {
			t.Errorf("Parse(%q) = %+v, %v", in, c, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"fail_on: high\n", `k.yml:1: unknown key "fail_on" in the file, expected one of allowed-accounts, canary-accounts, checks, exclude-paths, fail-on, verify-deny-accounts, version`},
		{"fail-on: urgent\n", `k.yml:1: fail-on "urgent", expected one of critical, high, medium, low, none`},
		{"fail-on: info\n", `k.yml:1: fail-on "info", expected one of critical, high, medium, low, none`},
		{"version: 2\n", `k.yml:1: version 2 is not supported, expected 1`},
		{"allowed-accounts:\n  - \"123456789012\"\n  - 12345\n", `k.yml:3: allowed-accounts: "12345" is not an AWS account ID, expected 12 digits (quote it: "012345678901")`},
		{"verify-deny-accounts: [abc]\n", `k.yml:1: verify-deny-accounts: "abc" is not an AWS account ID, expected 12 digits (quote it: "012345678901")`},
		{"canary-accounts:\n  - [1]\n", `k.yml:2: a canary-accounts entry must be a single value, got a list`},
		{"exclude-paths:\n  - \"[abc\"\n", `k.yml:2: exclude-paths: pattern "[abc": bad segment "[abc", expected a path glob such as testdata/** or *.md`},
		{"exclude-paths: {a: b}\n", `k.yml:1: exclude-paths must be a list, got a mapping`},
		{"checks:\n  key-max-age-days: -3\n", `k.yml:2: checks.key-max-age-days: "-3", expected a positive whole number`},
		{"checks:\n  unused-days: soon\n", `k.yml:2: checks.unused-days: "soon", expected a positive whole number`},
		{"checks:\n  thresholds: {}\n", `k.yml:2: unknown key "thresholds" in checks, expected one of ami-max-age-days, delivery-max-age-hours, disable, enable, key-max-age-days, password-min-length, public-security-groups, service-unused-days, trusted-advisor-categories, unused-days`},
		{"checks:\n  disable: [committed-access-key/id-only]\n", `k.yml:2: checks.disable: "committed-access-key/id-only": committed keys cannot be disabled, expected an account check rule ID (ignore a reviewed key by fingerprint in .keysweepignore)`},
		{"checks:\n  trusted-advisor-categories: [cost]\n", `k.yml:2: checks.trusted-advisor-categories: unknown category "cost", expected one of cost_optimizing, security, fault_tolerance, performance, service_limits`},
		{"fail-on: high\nfail-on: low\n", `k.yml:2: key "fail-on" repeats line 1, expected each key once`},
		{"- a\n- b\n", `k.yml:1: the file must be a mapping of keys to values, got a list`},
		{"fail-on: [high\n", `k.yml:1: invalid YAML: did not find expected ',' or ']', expected a mapping such as ` + "`fail-on: high`"},
	}
	for _, tt := range tests {
		_, err := Parse("k.yml", []byte(tt.in))
		if err == nil {
			t.Errorf("Parse(%q) accepted it", tt.in)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tt.in, err, tt.want)
		}
	}
	_, err := Parse("k.yml", []byte("checks:\n  enable: [iam-nope]\n"))
	if err == nil || !strings.HasPrefix(err.Error(), `k.yml:2: checks.enable: unknown rule "iam-nope", expected one of iam-password-policy, `) {
		t.Errorf("unknown rule: %v", err)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	c, err := Find(dir)
	if err != nil || c.Path != "" {
		t.Fatalf("no file: %+v, %v", c, err)
	}
	name := filepath.Join(dir, FileName)
	if err := os.WriteFile(name, []byte("fail-on: low\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err = Find(dir); err != nil || c.Path != name || *c.FailOn != finding.SeverityLow {
		t.Fatalf("Find: %+v, %v", c, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yml")); err == nil {
		t.Error("Load of a missing file named on the command line succeeded")
	}
}
