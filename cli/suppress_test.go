package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"go.yaml.in/yaml/v3"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/internal/gittest"
)

// jsonReport is the part of a JSON report the tests read.
type jsonReport struct {
	Keys []struct {
		KeyID, Path, Commit, RuleID, Status, Fingerprint, KeyFingerprint, SuppressionNote string
		Suppressed                                                                        *struct{ Kind, Justification, Expires string }
	}
	BaselineHidden int
	Summary        struct{ Suppressed, High, Critical, Low int }
}

func scanJSON(t *testing.T, wantCode int, args ...string) jsonReport {
	t.Helper()
	code, out, stderr := run(t, append([]string{"scan", "--format", "json", "--no-progress"}, args...)...)
	if code != wantCode {
		t.Fatalf("scan %v: exit %d, want %d; stderr: %s", args, code, wantCode, stderr)
	}
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json report: %v\n%s", err, out)
	}
	return rep
}

// noSecrets fails if any planted secret appears in any output.
func noSecrets(t *testing.T, secrets []string, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Fatalf("output holds a planted secret:\n%s", out)
			}
		}
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIgnoreSurvivesRenameAndRebase ignores a key by its key fingerprint
// and checks the ignore still holds when the file is renamed (a new path:
// a new per-path fingerprint) and when a rebase rewrites every commit.
func TestIgnoreSurvivesRenameAndRebase(t *testing.T) {
	r := gittest.New(t)
	key, secret := gittest.FakeKey(300)
	r.Write("README.md", "app\n")
	r.Commit("init")
	r.Git("branch", "upstream")
	r.Write("config/dev.env", "AWS_ACCESS_KEY_ID="+key+"\nAWS_SECRET_ACCESS_KEY="+secret+"\n")
	r.Commit("dev settings")

	rep := scanJSON(t, ExitFindings, r.Dir)
	if len(rep.Keys) != 1 || rep.Keys[0].KeyFingerprint != finding.KeyFingerprint(key) {
		t.Fatalf("before the ignore: %+v", rep.Keys)
	}
	fp := rep.Keys[0].KeyFingerprint
	code, out, stderr := run(t, "ignore", fp, "--reason", "revoked 2024-05-01, kept in history", r.Dir)
	if code != ExitClean || !strings.Contains(out, ".keysweepignore: "+fp+" # revoked 2024-05-01, kept in history") {
		t.Fatalf("ignore: exit %d\n%s%s", code, out, stderr)
	}
	suppressed := func(rep jsonReport, paths ...string) {
		t.Helper()
		if len(rep.Keys) != len(paths) {
			t.Fatalf("findings %+v, want one at each of %v", rep.Keys, paths)
		}
		for i, k := range rep.Keys {
			if k.Path != paths[i] || k.Suppressed == nil || k.Suppressed.Kind != "fingerprint" || k.Suppressed.Justification != "revoked 2024-05-01, kept in history" {
				t.Errorf("%s: suppressed %+v", k.Path, k.Suppressed)
			}
		}
	}
	before := scanJSON(t, ExitClean, r.Dir)
	suppressed(before, "config/dev.env")
	if before.Summary.Suppressed != 1 || before.Summary.High != 0 {
		t.Errorf("JSON summary %+v", before.Summary)
	}
	code, sarifOut, _ := run(t, "scan", "--format", "sarif", r.Dir)
	if code != ExitClean || !strings.Contains(sarifOut, `"suppressions"`) || !strings.Contains(sarifOut, `"justification": "revoked 2024-05-01, kept in history"`) {
		t.Errorf("SARIF lacks the suppression: exit %d\n%s", code, sarifOut)
	}

	r.Move("config/dev.env", "settings/dev.env")
	r.Commit("move settings")
	suppressed(scanJSON(t, ExitClean, r.Dir), "config/dev.env", "settings/dev.env")

	r.Git("checkout", "-q", "upstream")
	r.Write("LICENSE", "MIT\n")
	r.Commit("license upstream")
	r.Git("checkout", "-q", "main")
	r.Git("rebase", "-q", "upstream")
	r.Git("branch", "-D", "upstream")
	after := scanJSON(t, ExitClean, r.Dir)
	suppressed(after, "config/dev.env", "settings/dev.env")
	if after.Keys[0].Commit == before.Keys[0].Commit {
		t.Errorf("the rebase did not rewrite the commit %s", before.Keys[0].Commit)
	}

	code, text, stderr := run(t, "scan", r.Dir, "--no-progress")
	if code != ExitClean || !strings.Contains(text, "suppressed (fingerprint: revoked 2024-05-01, kept in history)") ||
		!strings.Contains(text, "; 2 suppressed\n") || !strings.Contains(text, "SUPPRESSED") {
		t.Errorf("text report: exit %d\n%s%s", code, text, stderr)
	}
	noSecrets(t, []string{secret}, text, out, stderr, sarifOut)
}

func TestIgnoreExpires(t *testing.T) {
	r := gittest.New(t)
	key, secret := gittest.FakeKey(310)
	r.Write("ci.sh", "export AWS_ACCESS_KEY_ID="+key+"\nexport AWS_SECRET_ACCESS_KEY="+secret+"\n")
	r.Commit("ci")
	ignore := filepath.Join(r.Dir, ".keysweepignore")

	writeFile(t, ignore, "# accepted until the account is closed\n"+finding.KeyFingerprint(key)+" until=2999-12-31 # test account, closing\n")
	rep := scanJSON(t, ExitClean, r.Dir)
	if s := rep.Keys[0].Suppressed; s == nil || !strings.HasPrefix(s.Expires, "2999-12-31") {
		t.Fatalf("unexpired ignore: %+v", s)
	}

	writeFile(t, ignore, finding.KeyFingerprint(key)+" until=2020-01-31 # test account, closing\n")
	rep = scanJSON(t, ExitFindings, r.Dir)
	k := rep.Keys[0]
	if k.Suppressed != nil || k.SuppressionNote != "ignore expired on 2020-01-31 (.keysweepignore:1: test account, closing)" {
		t.Fatalf("expired ignore: %+v, note %q", k.Suppressed, k.SuppressionNote)
	}
	code, text, _ := run(t, "scan", r.Dir)
	if code != ExitFindings || !strings.Contains(text, "ignore expired on 2020-01-31") || !strings.Contains(text, "ignores:   "+ignore) {
		t.Errorf("text: exit %d\n%s", code, text)
	}
	noSecrets(t, []string{secret}, text)
}

// TestInlineAllow: a keysweep:allow comment suppresses a pattern hit, but
// not a key the inventory says is active; that one needs an ignore entry.
func TestInlineAllow(t *testing.T) {
	r := gittest.New(t)
	key, secret := gittest.FakeKey(320)
	r.Write("tests/fixture.py", "KEY = '"+key+"'  # keysweep:allow fixture\nSECRET = '"+secret+"'  # keysweep:allow\n")
	r.Commit("fixture")

	rep := scanJSON(t, ExitClean, r.Dir, "--fail-on", "low")
	if s := rep.Keys[0].Suppressed; s == nil || s.Kind != "inline" || s.Justification != "keysweep:allow on tests/fixture.py:1" {
		t.Fatalf("inline allow, no inventory: %+v", rep.Keys[0])
	}

	inv := filepath.Join(t.TempDir(), "keys.json")
	writeFile(t, inv, `{"AccessKeyMetadata":[{"UserName":"ci","AccessKeyId":"`+key+`","Status":"Active","CreateDate":"2023-01-01T00:00:00Z"}]}`)
	rep = scanJSON(t, ExitFindings, r.Dir, "--known-keys", inv)
	k := rep.Keys[0]
	if k.Status != "active" || k.Suppressed != nil || !strings.HasPrefix(k.SuppressionNote, "inline keysweep:allow ignored: the key is active") {
		t.Fatalf("inline allow on an active key: %+v", k)
	}
	code, text, stderr := run(t, "scan", r.Dir, "--known-keys", inv)
	if code != ExitFindings || !strings.Contains(text, "inline keysweep:allow ignored: the key is active, so only a .keysweepignore entry with a reason can suppress it") {
		t.Errorf("text: exit %d\n%s%s", code, text, stderr)
	}

	if code, _, stderr := run(t, "ignore", k.KeyFingerprint, "--reason", "canary key, alerts on use", r.Dir); code != ExitClean {
		t.Fatalf("ignore: %s", stderr)
	}
	rep = scanJSON(t, ExitClean, r.Dir, "--known-keys", inv)
	if s := rep.Keys[0].Suppressed; s == nil || s.Kind != "fingerprint" {
		t.Errorf("active key ignored by fingerprint: %+v", rep.Keys[0])
	}
	noSecrets(t, []string{secret}, text, stderr)
}

func TestBaseline(t *testing.T) {
	r := gittest.New(t)
	oldKey, oldSecret := gittest.FakeKey(330)
	newKey, newSecret := gittest.FakeKey(331)
	r.Write("legacy/settings.ini", "key="+oldKey+"\nsecret="+oldSecret+"\n")
	r.Commit("legacy")
	base := filepath.Join(t.TempDir(), "baseline.json")
	if code, _, stderr := run(t, "scan", r.Dir, "--format", "json", "--output", base); code != ExitFindings {
		t.Fatalf("baseline scan: exit %d %s", code, stderr)
	}

	// Nothing new, and the old key moved: still nothing new.
	r.Move("legacy/settings.ini", "old/settings.ini")
	r.Commit("move")
	rep := scanJSON(t, ExitClean, r.Dir, "--baseline", base)
	if len(rep.Keys) != 0 || rep.BaselineHidden != 2 {
		t.Fatalf("old findings not hidden: %+v, hidden %d", rep.Keys, rep.BaselineHidden)
	}

	r.Write("app/config.py", "AWS_ACCESS_KEY_ID = '"+newKey+"'\nAWS_SECRET_ACCESS_KEY = '"+newSecret+"'\n")
	r.Commit("new leak")
	rep = scanJSON(t, ExitFindings, r.Dir, "--baseline", base)
	if len(rep.Keys) != 1 || rep.Keys[0].KeyID != newKey || rep.BaselineHidden != 2 {
		t.Fatalf("with a new leak: %+v, hidden %d", rep.Keys, rep.BaselineHidden)
	}
	code, text, _ := run(t, "scan", r.Dir, "--baseline", base)
	if code != ExitFindings || !strings.Contains(text, "baseline:  "+base+": 2 findings already in it are hidden, only new findings are reported\n") ||
		strings.Contains(text, oldKey) || !strings.Contains(text, "; 2 hidden by the baseline") {
		t.Errorf("text: exit %d\n%s", code, text)
	}
	noSecrets(t, []string{oldSecret, newSecret}, text)

	bad := filepath.Join(t.TempDir(), "bad.json")
	writeFile(t, bad, "{\n  \"tool\": \"keysweep\",\n  \"keys\": [\n")
	code, _, stderr := run(t, "scan", r.Dir, "--baseline", bad)
	if want := bad + ":4: invalid JSON (the file ends early), expected a report written by keysweep scan --format json\n"; code != ExitError || stderr != want {
		t.Errorf("malformed baseline: exit %d\n got %q\nwant %q", code, stderr, want)
	}
	code, _, stderr = run(t, "scan", r.Dir, "--baseline", filepath.Join(t.TempDir(), "none.json"))
	if code != ExitError || !strings.HasPrefix(stderr, "keysweep: read baseline: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("missing baseline: exit %d %q", code, stderr)
	}
}

func TestConfigFile(t *testing.T) {
	r := gittest.New(t)
	fixture, _ := gittest.FakeKey(340)
	idOnly, _ := gittest.FakeKey(342)
	// The canary is a fake key whose ID encodes an account.
	var canary, canarySecret, account string
	for seed := 343; account == ""; seed++ {
		canary, canarySecret = gittest.FakeKey(seed)
		account, _ = detect.DecodeAccount(canary)
	}
	r.Write("testdata/keys/a.env", "AWS_ACCESS_KEY_ID="+fixture+"\n")
	r.Write("canary.cfg", "aws_access_key_id="+canary+"\naws_secret_access_key="+canarySecret+"\n")
	r.Write("docs/NOTES.md", "rotated "+idOnly+"\n")
	r.Commit("keys")
	cfgFile := filepath.Join(r.Dir, ".keysweep.yml")
	writeFile(t, cfgFile, "fail-on: low\nexclude-paths:\n  - testdata/**\nallowed-accounts:\n  - \""+account+"\"\n")

	rep := scanJSON(t, ExitFindings, r.Dir) // fail-on low from the file: the id-only key fails
	if len(rep.Keys) != 2 {
		t.Fatalf("exclude-paths: %+v", rep.Keys)
	}
	for _, k := range rep.Keys {
		switch k.KeyID {
		case canary:
			if k.Suppressed == nil || k.Suppressed.Justification != "allowed account "+account+" (.keysweep.yml)" {
				t.Errorf("allowed account: %+v", k.Suppressed)
			}
		case idOnly:
			if k.Suppressed != nil {
				t.Errorf("id-only key suppressed: %+v", k.Suppressed)
			}
		default:
			t.Errorf("unexpected finding %s at %s", k.KeyID, k.Path)
		}
	}
	// An explicit --fail-on beats the file's.
	scanJSON(t, ExitClean, r.Dir, "--fail-on", "medium")
	code, text, _ := run(t, "scan", r.Dir)
	if code != ExitFindings || !strings.Contains(text, "config:    "+cfgFile+" (1 key finding in excluded paths not reported)\n") {
		t.Errorf("text: exit %d\n%s", code, text)
	}

	// --config names another file, which then must exist.
	other := filepath.Join(t.TempDir(), "strict.yml")
	writeFile(t, other, "fail-on: none\n")
	scanJSON(t, ExitClean, r.Dir, "--config", other)
	code, _, stderr := run(t, "scan", r.Dir, "--config", filepath.Join(t.TempDir(), "missing.yml"))
	if code != ExitError || !strings.HasPrefix(stderr, "keysweep: read config: ") {
		t.Errorf("missing --config: exit %d %q", code, stderr)
	}
	noSecrets(t, []string{canarySecret}, text)
}

func TestInvalidInputFilesGiveFileAndLine(t *testing.T) {
	r := gittest.New(t)
	r.Write("a.txt", "clean\n")
	r.Commit("init")
	cfg := filepath.Join(r.Dir, ".keysweep.yml")
	ign := filepath.Join(r.Dir, ".keysweepignore")
	tests := []struct {
		name, file, content, want string
	}{
		{"unknown key", cfg, "fail-on: high\nexclude_paths: [a]\n",
			cfg + `:2: unknown key "exclude_paths" in the file, expected one of allowed-accounts, canary-accounts, checks, exclude-paths, fail-on, verify-deny-accounts, version`},
		{"bad account", cfg, "allowed-accounts:\n  - \"12345678901a\"\n",
			cfg + `:2: allowed-accounts: "12345678901a" is not an AWS account ID, expected 12 digits (quote it: "012345678901")`},
		{"bad threshold", cfg, "checks:\n  # rotation\n  key-max-age-days: 0\n",
			cfg + `:3: checks.key-max-age-days: "0", expected a positive whole number`},
		{"bad glob", cfg, "exclude-paths: \"src/[a\"\n",
			cfg + `:1: exclude-paths: pattern "src/[a": bad segment "[a", expected a path glob such as testdata/** or *.md`},
		{"unknown rule", cfg, "checks:\n  disable: [iam-root-mfaa]\n",
			cfg + `:2: checks.disable: unknown rule "iam-root-mfaa", expected one of `},
		{"ignore without reason", ign, "# ok\n0123456789abcdef0123456789abcdef\n",
			ign + ":2: ignore without a reason, expected `FINGERPRINT [until=YYYY-MM-DD] # reason`"},
		{"ignore bad date", ign, "0123456789abcdef0123456789abcdef until=2025-02-30 # r\n",
			ign + ":1: until=2025-02-30 is not a date, expected until=YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeFile(t, tt.file, tt.content)
			defer os.Remove(tt.file)
			code, _, stderr := run(t, "scan", r.Dir)
			if code != ExitError || !strings.HasPrefix(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d\n got %q\nwant %q", code, stderr, tt.want)
			}
		})
	}
}

func TestIgnoreCommandRefuses(t *testing.T) {
	r := gittest.New(t)
	r.Write("a.txt", "clean\n")
	r.Commit("init")
	fp := "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no reason", []string{fp, r.Dir}, "keysweep: an ignore needs a reason"},
		{"blank reason", []string{fp, "--reason", "  ", r.Dir}, "keysweep: an ignore needs a reason"},
		{"not a fingerprint", []string{"AKIAIOSFODNN7EXAMPL", "--reason", "x", r.Dir}, "is not a fingerprint"},
		{"bad date", []string{fp, "--reason", "x", "--until", "soon", r.Dir}, `keysweep: --until "soon": expected a date YYYY-MM-DD`},
		{"past date", []string{fp, "--reason", "x", "--until", "2001-01-01", r.Dir}, "keysweep: --until 2001-01-01 is in the past"},
		{"not a repo", []string{fp, "--reason", "x", t.TempDir()}, "is not inside a git work tree"},
		{"no fingerprint", []string{"--reason", "x"}, "keysweep: usage: keysweep ignore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, append([]string{"ignore"}, tt.args...)...)
			if code != ExitError || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q, want %q", code, stderr, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(r.Dir, ".keysweepignore")); err == nil {
		t.Error("a refused ignore created the file")
	}
	if code, _, _ := run(t, "ignore", strings.ToUpper(fp), "--until", "2999-01-01", "--reason", "ok", filepath.Join(r.Dir, "a.txt")); code != ExitClean {
		t.Fatal("valid ignore refused")
	}
	code, _, stderr := run(t, "ignore", fp, "--reason", "again", r.Dir)
	if want := filepath.Join(r.Dir, ".keysweepignore") + ":1: fingerprint " + fp + " is already ignored here\n"; code != ExitError || stderr != want {
		t.Errorf("duplicate: exit %d %q", code, stderr)
	}
}

// TestStagedScan is the pre-commit hook: only what the commit would add.
func TestStagedScan(t *testing.T) {
	r := gittest.New(t)
	committed, committedSecret := gittest.FakeKey(350)
	stagedKey, stagedSecret := gittest.FakeKey(351)
	unstaged, unstagedSecret := gittest.FakeKey(352)
	r.Write("old.env", "AWS_ACCESS_KEY_ID="+committed+"\nAWS_SECRET_ACCESS_KEY="+committedSecret+"\n")
	r.Write("app.py", "print('hi')\n")
	r.Commit("init")

	// Nothing staged: the key in HEAD is history, not this commit's.
	code, text, stderr := run(t, "scan", "--staged", "--fail-on", "low", r.Dir)
	if code != ExitClean || strings.Contains(text, committed) || !strings.Contains(text, "range:     staged changes: the index against HEAD") {
		t.Fatalf("nothing staged: exit %d\n%s%s", code, text, stderr)
	}

	r.Write("app.py", "AWS_ACCESS_KEY_ID = '"+unstaged+"'\nAWS_SECRET_ACCESS_KEY = '"+unstagedSecret+"'\n")
	code, _, _ = run(t, "scan", "--staged", "--fail-on", "low", r.Dir)
	if code != ExitClean {
		t.Fatalf("unstaged work-tree change reported: exit %d", code)
	}

	r.Write("deploy/prod.env", "AWS_ACCESS_KEY_ID="+stagedKey+"\nAWS_SECRET_ACCESS_KEY="+stagedSecret+"\n")
	r.Git("add", "deploy/prod.env")
	rep := scanJSON(t, ExitFindings, "--staged", "--fail-on", "low", r.Dir)
	if len(rep.Keys) != 1 || rep.Keys[0].KeyID != stagedKey || rep.Keys[0].Path != "deploy/prod.env" || rep.Keys[0].Commit != "staged" {
		t.Fatalf("staged key: %+v", rep.Keys)
	}
	// The commit does not exist yet: no "committed in staged", no year 1.
	code, text, _ = run(t, "scan", "--staged", "--fail-on", "low", r.Dir)
	if code != ExitFindings || !strings.Contains(text, "staged in deploy/prod.env, not yet committed") || strings.Contains(text, "committed in") || strings.Contains(text, "no longer in HEAD") {
		t.Errorf("staged text report:\n%s", text)
	}
	code, js, _ := run(t, "scan", "--staged", "--fail-on", "low", "--format", "json", r.Dir)
	if code != ExitFindings || strings.Contains(js, "0001-01-01") || strings.Contains(js, `"date"`) {
		t.Errorf("staged JSON carries a date:\n%s", js)
	}
	code, text, stderr = run(t, "scan", "--staged", "--since", "HEAD", r.Dir)
	if code != ExitError || !strings.Contains(stderr, "--staged scans the index") {
		t.Errorf("--staged with --since: exit %d %q", code, stderr)
	}
	noSecrets(t, []string{committedSecret, stagedSecret, unstagedSecret}, text, stderr)
}

func TestPreCommitHooksFile(t *testing.T) {
	b, err := os.ReadFile("../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID           string   `yaml:"id"`
		Name         string   `yaml:"name"`
		Description  string   `yaml:"description"`
		MinVersion   string   `yaml:"minimum_pre_commit_version"`
		Entry        string   `yaml:"entry"`
		Language     string   `yaml:"language"`
		PassFilename *bool    `yaml:"pass_filenames"`
		AlwaysRun    *bool    `yaml:"always_run"`
		Stages       []string `yaml:"stages"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 1 {
		t.Fatalf("%d hooks", len(hooks))
	}
	h := hooks[0]
	if h.ID != "keysweep" || h.Name == "" || h.Description == "" || h.Entry != "keysweep scan --staged --fail-on low" || h.Language != "golang" ||
		h.PassFilename == nil || *h.PassFilename || h.AlwaysRun == nil || !*h.AlwaysRun {
		t.Errorf("hook %+v", h)
	}
	// Debian 12's pre-commit 3.0 rejects the stage name "pre-commit" and
	// pre-commit 4 warns on "commit": no stages, and the oldest version
	// tested (3.0.4 ran this hook and blocked a commit) as the minimum.
	if h.Stages != nil || h.MinVersion != "3.0.0" {
		t.Errorf("stages %v, minimum_pre_commit_version %q", h.Stages, h.MinVersion)
	}
	// The entry must be a command line this CLI accepts.
	args := strings.Fields(h.Entry)[1:]
	if _, err := parseScanFlags(args[1:], nil); err != nil {
		t.Errorf("entry %q: %v", h.Entry, err)
	}
}

// TestConfigDrivesAccountChecks runs the account checks against moto with
// .keysweep.yml choosing the checks and a threshold, and a failing check
// accepted by its fingerprint in .keysweepignore.
func TestConfigDrivesAccountChecks(t *testing.T) {
	c, ctx := weakMotoAccount(t)
	if _, err := c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(12), RequireUppercaseCharacters: true, RequireLowercaseCharacters: true,
		RequireNumbers: true, RequireSymbols: true, AllowUsersToChangePassword: true,
	}); err != nil {
		t.Fatal(err)
	}
	r := gittest.New(t)
	r.Write("a.txt", "clean\n")
	r.Commit("init")
	type checksReport struct {
		Checks []struct {
			RuleID, State, Message, Fingerprint string
			Suppressed                          *struct{ Kind, Justification string }
		}
	}
	scanChecks := func(wantCode int, args ...string) checksReport {
		t.Helper()
		code, out, stderr := run(t, append([]string{"scan", r.Dir, "--aws", "--format", "json", "--fail-on", "medium"}, args...)...)
		if code != wantCode {
			t.Fatalf("exit %d, want %d; stderr %s", code, wantCode, stderr)
		}
		var rep checksReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}

	writeFile(t, filepath.Join(r.Dir, ".keysweep.yml"), "checks:\n  enable: [iam-password-policy, iam-user-mfa]\n  disable: [iam-user-mfa]\n  password-min-length: 12\n")
	rep := scanChecks(ExitClean)
	if len(rep.Checks) == 0 {
		t.Fatal("no checks ran")
	}
	for _, ch := range rep.Checks {
		if ch.RuleID != "iam-password-policy" || ch.State != "pass" {
			t.Errorf("%s %s: %s (want only iam-password-policy, passing at 12 characters)", ch.RuleID, ch.State, ch.Message)
		}
	}

	// --checks on the command line replaces the file's selection.
	rep = scanChecks(ExitFindings, "--checks", "iam-user-mfa")
	var fp string
	for _, ch := range rep.Checks {
		if ch.RuleID == "iam-user-mfa" && ch.State == "fail" {
			fp = ch.Fingerprint
		}
	}
	if fp == "" {
		t.Fatalf("iam-user-mfa did not fail: %+v", rep.Checks)
	}
	if code, _, stderr := run(t, "ignore", fp, "--reason", "console-user is the break-glass account", r.Dir); code != ExitClean {
		t.Fatal(stderr)
	}
	rep = scanChecks(ExitClean, "--checks", "iam-user-mfa")
	for _, ch := range rep.Checks {
		if ch.Fingerprint == fp && (ch.Suppressed == nil || ch.Suppressed.Justification != "console-user is the break-glass account") {
			t.Errorf("ignored check: %+v", ch)
		}
	}
}
