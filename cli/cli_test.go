package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/leakshapes"
)

// run invokes the CLI in-process and returns exit code, stdout, stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// leakyRepo has a key with its secret, a session key with token, and a
// key ID alone, so every redaction path is exercised.
type leakyRepo struct {
	dir                          string
	key, secret                  string
	sessKey, sessSecret, sessTok string
	lonely                       string
}

func newLeakyRepo(t *testing.T) leakyRepo {
	t.Helper()
	r := gittest.New(t)
	var l leakyRepo
	l.dir = r.Dir
	l.key, l.secret = gittest.FakeKey(100)
	l.sessKey, l.sessSecret, l.sessTok = gittest.FakeSessionKey(101)
	l.lonely, _ = gittest.FakeKey(102)
	r.Write("README.md", "demo\n")
	r.Commit("init")
	r.Write("config/.env", "AWS_ACCESS_KEY_ID="+l.key+"\nAWS_SECRET_ACCESS_KEY="+l.secret+"\n")
	r.Write("creds/session.ini", "[tmp]\naws_access_key_id = "+l.sessKey+"\naws_secret_access_key = "+l.sessSecret+"\naws_session_token = "+l.sessTok+"\n")
	r.Write("NOTES.md", "old key "+l.lonely+" was rotated\n")
	r.Commit("oops")
	return l
}

func TestExitCodes(t *testing.T) {
	l := newLeakyRepo(t)
	clean := gittest.New(t)
	clean.Write("a.txt", "nothing here\n")
	clean.Commit("init")

	tests := []struct {
		name string
		args []string
		code int
		// stderr must contain this; for exit 2 it must be one line.
		stderr string
	}{
		{"leak fails at high", []string{"scan", l.dir, "--no-progress"}, ExitFindings, ""},
		{"fail-on critical passes unverified", []string{"scan", "--fail-on", "critical", l.dir}, ExitClean, ""},
		{"fail-on none", []string{"scan", l.dir, "--fail-on=none"}, ExitClean, ""},
		{"fail-on low counts id-only", []string{"scan", l.dir, "--fail-on", "low", "--format", "json"}, ExitFindings, ""},
		{"clean repo", []string{"scan", clean.Dir}, ExitClean, ""},
		{"not a repo", []string{"scan", t.TempDir()}, ExitError, "not a git repository"},
		{"missing path", []string{"scan", "/nonexistent/keysweep"}, ExitError, "/nonexistent/keysweep does not exist"},
		// A mistyped path inside a repository is not the repository.
		{"missing path in a repo", []string{"scan", filepath.Join(l.dir, "confg")}, ExitError, "confg does not exist"},
		{"file as path", []string{"scan", filepath.Join(l.dir, "NOTES.md")}, ExitError, "NOTES.md is not a directory"},
		{"bad flag", []string{"scan", "--bogus", l.dir}, ExitError, "-bogus"},
		{"bad format", []string{"scan", "--format", "xml", l.dir}, ExitError, "--format"},
		{"bad fail-on", []string{"scan", "--fail-on", "urgent", l.dir}, ExitError, "--fail-on"},
		{"two paths", []string{"scan", l.dir, clean.Dir}, ExitError, "one PATH"},
		{"bad since", []string{"scan", "--since", "nope", l.dir}, ExitError, "--since nope"},
		{"unreachable with a range", []string{"scan", "--since", "HEAD~1", "--include-unreachable", l.dir}, ExitError, "--include-unreachable"},
		{"checks without aws", []string{"scan", "--no-checks", l.dir}, ExitError, "--aws"},
		{"unknown command", []string{"sweep"}, ExitError, "unknown command"},
		{"no command", nil, ExitError, "keysweep scan"},
		{"missing known-keys", []string{"scan", "--known-keys", "/nonexistent/keys.txt", l.dir}, ExitError, "keys.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.stderr)
			}
			if tc.code == ExitError {
				if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 {
					t.Errorf("error is %d lines, want one: %q", n+1, stderr)
				}
				if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
					t.Errorf("stack trace on stderr: %s", stderr)
				}
			}
		})
	}
}

func TestKnownKeysSeverity(t *testing.T) {
	l := newLeakyRepo(t)
	inv := filepath.Join(t.TempDir(), "keys.json")
	doc := `{"AccessKeyMetadata":[{"UserName":"deploy-bot","AccessKeyId":"` + l.key + `","Status":"Active","CreateDate":"2024-01-01T00:00:00Z"}]}`
	if err := os.WriteFile(inv, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "scan", l.dir, "--known-keys", inv, "--fail-on", "critical", "--format", "json")
	if code != ExitFindings {
		t.Fatalf("active known key: exit %d, want 1; %s", code, stderr)
	}
	var rep struct {
		Keys []struct {
			KeyID, Status, Severity, User, RuleID string
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json report: %v", err)
	}
	found := false
	for _, k := range rep.Keys {
		if k.KeyID == l.key {
			found = true
			if k.Status != "active" || k.Severity != "critical" || k.User != "deploy-bot" || k.RuleID != "committed-access-key/active" {
				t.Errorf("known active key judged %+v", k)
			}
		}
	}
	if !found {
		t.Fatalf("key %s missing from report", l.key)
	}
}

// TestNoSecretInAnyOutput renders every format, to stdout and to files,
// and fails if a planted secret or token appears, whole or in part.
func TestNoSecretInAnyOutput(t *testing.T) {
	l := newLeakyRepo(t)
	dir := t.TempDir()
	var outputs []string
	for _, args := range [][]string{
		{"--format", "text", "--color", "always"},
		{"--format", "text"},
		{"--format", "json"},
		{"--format", "sarif"},
		{"--format", "json", "--output", filepath.Join(dir, "report.json"), "--sarif", filepath.Join(dir, "report.sarif")},
		{"--format", "text", "--output", filepath.Join(dir, "report.txt")},
	} {
		code, out, stderr := run(t, append([]string{"scan", l.dir, "--fail-on", "none"}, args...)...)
		if code != ExitClean {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		outputs = append(outputs, out, stderr)
	}
	for _, f := range []string{"report.json", "report.sarif", "report.txt"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s not written: %v", f, err)
		}
		outputs = append(outputs, string(b))
	}
	all := strings.Join(outputs, "\n")
	if !strings.Contains(all, l.key) || !strings.Contains(all, l.sessKey) {
		t.Fatal("reports do not name the planted key IDs: the test would prove nothing")
	}
	for _, secret := range []string{l.secret, l.sessSecret, l.sessTok} {
		for i := 0; i+12 <= len(secret); i++ {
			if part := secret[i : i+12]; strings.Contains(all, part) {
				t.Fatalf("output contains 12 characters of a planted secret (at offset %d)", i)
			}
		}
	}
}

func TestPartialScan(t *testing.T) {
	r := gittest.New(t)
	k, s := gittest.FakeKey(110)
	r.Write("a.env", "AWS_ACCESS_KEY_ID="+k+"\nAWS_SECRET_ACCESS_KEY="+s+"\n")
	r.Write("b.txt", "bbb\n")
	r.Commit("init")
	b := r.Git("rev-parse", "HEAD:b.txt")
	if err := os.Remove(filepath.Join(r.Dir, ".git", "objects", b[:2], b[2:])); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "scan", r.Dir)
	if code != ExitError || !strings.Contains(stderr, "partial scan") || !strings.Contains(stderr, "--allow-partial") {
		t.Fatalf("missing object: exit %d, stderr %q; want 2 and the partial-scan line", code, stderr)
	}
	if !strings.Contains(out, b) {
		t.Errorf("report does not name the skipped blob %s:\n%s", b, out)
	}
	if !strings.Contains(out, k) {
		t.Errorf("the readable blob's key is missing from a partial report")
	}
	if code, _, stderr := run(t, "scan", r.Dir, "--allow-partial"); code != ExitFindings {
		t.Fatalf("--allow-partial: exit %d, want 1 (the leak); %s", code, stderr)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		code, out, _ := run(t, arg)
		// A test binary has no stamp and no VCS data: "dev".
		if code != 0 || out != "keysweep dev\n" {
			t.Errorf("%s: %d %q", arg, code, out)
		}
	}
}

// TestHelp: every command is listed, and `action --help` explains the
// action instead of running it (main routes only a bare `action` there).
func TestHelp(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{[]string{"--help"}, ExitClean, []string{"keysweep scan", "keysweep ignore", "keysweep action", "keysweep version", "NO_COLOR"}, ""},
		{[]string{"help"}, ExitClean, []string{"  action ", "  version ", "  ignore "}, ""},
		{[]string{"scan", "--help"}, ExitClean, []string{"--staged"}, ""},
		{[]string{"action", "--help"}, ExitClean, []string{"usage: keysweep action", "INPUT_*", "docs/github-action.md"}, ""},
		{[]string{"action", "-h"}, ExitClean, []string{"usage: keysweep action"}, ""},
		{[]string{"action", "."}, ExitError, nil, `action takes no arguments, got "."`},
		{[]string{"action"}, ExitError, nil, "entry point"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, stderr := run(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tt.stderr != "" && (!strings.Contains(stderr, tt.stderr) || strings.Count(stderr, "\n") != 1) {
				t.Errorf("stderr %q, want one line with %q", stderr, tt.stderr)
			}
		})
	}
}

func TestColorFor(t *testing.T) {
	tests := []struct {
		mode     string
		terminal bool
		noColor  string
		want     bool
	}{
		{"auto", true, "", true},
		{"auto", true, "1", false},
		{"auto", true, "0", false}, // any non-empty value, per no-color.org
		{"auto", false, "", false},
		{"always", false, "1", true}, // an explicit flag beats the environment
		{"never", true, "", false},
	}
	for _, tt := range tests {
		got, err := colorFor(tt.mode, tt.terminal, tt.noColor)
		if err != nil || got != tt.want {
			t.Errorf("colorFor(%q, %v, %q) = %v, %v; want %v", tt.mode, tt.terminal, tt.noColor, got, err, tt.want)
		}
	}
	if _, err := colorFor("sometimes", true, ""); err == nil {
		t.Error("--color sometimes accepted")
	}
}

// A partial clone is not a broken repository: the exit says what it is
// and how to get the blobs, and --allow-partial accepts it.
func TestPartialClone(t *testing.T) {
	src := gittest.New(t)
	src.Git("config", "uploadpack.allowFilter", "true")
	k, s := gittest.FakeKey(111)
	src.Write("old.env", "AWS_ACCESS_KEY_ID="+k+"\nAWS_SECRET_ACCESS_KEY="+s+"\n")
	src.Commit("key")
	src.Remove("old.env")
	src.Write("b.txt", "bbb\n")
	src.Commit("rotate")
	dst := filepath.Join(t.TempDir(), "dst")
	src.Git("-c", "gc.auto=0", "-c", "maintenance.auto=false", "clone", "-q", "--filter=blob:none", "file://"+src.Dir, dst)
	code, out, stderr := run(t, "scan", dst)
	if code != ExitError || !strings.Contains(stderr, "partial clone") || !strings.Contains(stderr, "git fetch --refetch") || strings.Contains(stderr, "fsck") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("partial clone: exit %d, stderr %q; want 2 and one line naming the partial clone and the fetch", code, stderr)
	}
	if !strings.Contains(out, "partial clone") {
		t.Errorf("report does not say the clone is partial:\n%s", out)
	}
	if code, _, stderr := run(t, "scan", dst, "--allow-partial"); code != ExitClean {
		t.Fatalf("--allow-partial: exit %d, want 0 (nothing readable leaks); %s", code, stderr)
	}
}

// A HEAD commit that is gone costs only what it alone would tell: the
// other refs are scanned, and --allow-partial exits by their findings.
func TestMissingHeadAllowPartial(t *testing.T) {
	r := gittest.New(t)
	k, s := gittest.FakeKey(112)
	r.Write("README.md", "demo\n")
	r.Commit("init")
	r.Git("checkout", "-q", "-b", "side")
	r.Write("a.env", "AWS_ACCESS_KEY_ID="+k+"\nAWS_SECRET_ACCESS_KEY="+s+"\n")
	r.Commit("side key")
	r.Git("checkout", "-q", "main")
	r.Write("b.txt", "b\n")
	head := r.Commit("head")
	r.Repack()
	r.DropObject(head)
	code, out, stderr := run(t, "scan", r.Dir)
	if code != ExitError || !strings.Contains(stderr, "partial scan") {
		t.Fatalf("missing HEAD: exit %d, stderr %q; want 2", code, stderr)
	}
	if !strings.Contains(out, head) || !strings.Contains(out, k) {
		t.Fatalf("report must name the missing HEAD %s and still find %s:\n%s", head, k, out)
	}
	if code, _, stderr := run(t, "scan", r.Dir, "--allow-partial"); code != ExitFindings {
		t.Fatalf("--allow-partial: exit %d, want 1 (the side branch's key); %s", code, stderr)
	}
}

// TestNoDecodedSecretInAnyOutput checks redaction of the secrets found by
// decoding (base64, archives, UTF-16) and in commit messages, in every
// format.
func TestNoDecodedSecretInAnyOutput(t *testing.T) {
	r := gittest.New(t)
	var cases []leakshapes.Case
	for _, c := range leakshapes.Cases() {
		if c.Gap == "" { // the archive bomb makes the scan partial
			cases = append(cases, c)
		}
	}
	leakshapes.Build(r, cases)
	var outputs []string
	for _, f := range []string{"text", "json", "sarif"} {
		code, out, stderr := run(t, "scan", r.Dir, "--fail-on", "none", "--format", f)
		if code != ExitClean {
			t.Fatalf("%s: exit %d: %s", f, code, stderr)
		}
		outputs = append(outputs, out, stderr)
	}
	all := strings.Join(outputs, "\n")
	secrets := 0
	for _, c := range cases {
		for _, w := range c.Want {
			if !strings.Contains(all, w.KeyID) {
				t.Errorf("%s: %s not reported: the test would prove nothing", c.Name, w.KeyID)
			}
			if w.Secret == "" {
				continue
			}
			secrets++
			for i := 0; i+12 <= len(w.Secret); i++ {
				if strings.Contains(all, w.Secret[i:i+12]) {
					t.Fatalf("%s: output contains 12 characters of its secret (at offset %d)", c.Name, i)
				}
			}
		}
	}
	if secrets < 10 {
		t.Fatalf("only %d secrets planted", secrets)
	}
}

// TestSubdirectoryScopesFindings: a directory inside a repository scans
// the repository's history but reports only the findings under that
// directory, and every format names the repository root and the scope.
func TestSubdirectoryScopesFindings(t *testing.T) {
	l := newLeakyRepo(t)
	code, out, stderr := run(t, "scan", filepath.Join(l.dir, "config"), "--format", "json")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	var rep struct {
		Root, Scope string
		OutOfScope  int
		Keys        []struct{ KeyID, Path string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Root != l.dir || rep.Scope != "config" || rep.OutOfScope != 2 {
		t.Errorf("root %q scope %q out of scope %d; want %q, config, 2", rep.Root, rep.Scope, rep.OutOfScope, l.dir)
	}
	if len(rep.Keys) != 1 || rep.Keys[0].Path != "config/.env" || rep.Keys[0].KeyID != l.key {
		t.Errorf("keys %+v, want only config/.env's", rep.Keys)
	}

	_, text, _ := run(t, "scan", filepath.Join(l.dir, "config"), "--no-progress")
	for _, want := range []string{
		"  " + l.dir + "\n",
		"scope:     only config/ (the path given); 2 key findings elsewhere in the repository not reported\n",
		"  next: treat it as active until checked: run with --aws",
		"\nexit 1: 1 finding at or above fail-on high\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "NOTES.md") || strings.Contains(text, "creds/session.ini") {
		t.Errorf("text report lists findings outside the scope:\n%s", text)
	}

	// The repository's top directory is the whole repository.
	code, out, _ = run(t, "scan", l.dir, "--format", "json")
	rep.Keys = nil
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitFindings || strings.Contains(out, `"scope"`) || len(rep.Keys) != 3 {
		t.Errorf("whole repository: exit %d, scope %q, %d keys (err %v); want 1, \"\", 3", code, rep.Scope, len(rep.Keys), err)
	}
}
