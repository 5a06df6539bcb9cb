package repogen_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/cli"
	"github.com/keysweep/keysweep/internal/repogen"
)

func generate(t testing.TB, opts repogen.Options) (string, *repogen.Manifest) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git not installed: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "repo")
	m, err := repogen.Generate(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

func scan(t testing.TB, dir string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	start := time.Now()
	code := cli.Main(context.Background(), []string{"scan", dir, "--format", "json", "--fail-on", "none", "--no-progress"}, &out, &errb)
	if code != cli.ExitClean {
		t.Fatalf("keysweep scan: exit %d: %s", code, errb.String())
	}
	t.Logf("keysweep scan took %v", time.Since(start).Round(time.Millisecond))
	return out.Bytes()
}

func TestDeterministic(t *testing.T) {
	opts := repogen.Options{Commits: 300, Seed: 7, Bare: true}
	_, a := generate(t, opts)
	_, b := generate(t, opts)
	if a.Head == "" || a.Head != b.Head {
		t.Fatalf("HEAD differs between runs: %s and %s", a.Head, b.Head)
	}
	for i := range a.Keys {
		if a.Keys[i] != b.Keys[i] {
			t.Errorf("key %d differs: %+v and %+v", i, a.Keys[i], b.Keys[i])
		}
	}
	opts.Seed = 8
	if _, c := generate(t, opts); c.Head == a.Head {
		t.Errorf("seeds 7 and 8 gave the same HEAD %s", a.Head)
	}
}

func TestShape(t *testing.T) {
	dir, m := generate(t, repogen.Options{Commits: 300, Seed: 1, Repack: true})
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if out := git("fsck", "--strict", "--no-dangling"); out != "" {
		t.Errorf("git fsck: %s", out)
	}
	if st := git("status", "--porcelain"); st != "" {
		t.Errorf("work tree not checked out cleanly:\n%s", st)
	}
	n, _ := strconv.Atoi(git("rev-list", "--all", "--count"))
	if n < 300 || n != m.Commits {
		t.Errorf("%d commits reachable, manifest says %d, asked for 300", n, m.Commits)
	}
	if merges, _ := strconv.Atoi(git("rev-list", "--all", "--merges", "--count")); merges < 2 {
		t.Errorf("%d merge commits, want at least 2", merges)
	}
	refs := git("for-each-ref", "--format=%(refname) %(objecttype)")
	for _, want := range []string{"refs/heads/main commit", "refs/heads/wip/", "refs/tags/v1.0.0 tag", "refs/tags/v1.1.0 commit"} {
		if !strings.Contains(refs, want) {
			t.Errorf("no ref like %q in\n%s", want, refs)
		}
	}
	if strings.Contains(refs, "refs/heads/tmp/") {
		t.Errorf("temporary branches left behind:\n%s", refs)
	}
	kinds := map[string]bool{}
	for _, k := range m.Keys {
		kinds[k.Kind] = true
	}
	for _, k := range repogen.Kinds() {
		if !kinds[k] {
			t.Errorf("no key planted of kind %s", k)
		}
	}
	// Renames must show up as renames to git, or the history is not
	// realistic.
	if log := git("log", "--all", "--diff-filter=R", "-M", "--name-status", "--format="); !strings.Contains(log, "R100") {
		t.Errorf("no renames in history")
	}
}

func TestRecall(t *testing.T) {
	dir, m := generate(t, repogen.Options{Commits: 300, Seed: 3, Bare: true, Repack: true})
	repogen.CheckRecall(t, m, scan(t, dir))
}

// BenchmarkRecallLarge is the recall check at scale, a measurement rather
// than a test: REPOGEN_COMMITS=50000 go test -run '^$' -bench RecallLarge
// -benchtime 1x -timeout 30m ./internal/repogen/
func BenchmarkRecallLarge(t *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("REPOGEN_COMMITS"))
	if n == 0 {
		t.Skip("set REPOGEN_COMMITS to run")
	}
	dir, m := generate(t, repogen.Options{Commits: n, Seed: 1, Bare: true, Repack: true})
	t.Logf("generated %d commits: import %.1fs, repack %.1fs", m.Commits, m.ImportSeconds, m.RepackSeconds)
	repogen.CheckRecall(t, m, scan(t, dir))
}

func TestCompare(t *testing.T) {
	m := &repogen.Manifest{
		Keys: []repogen.PlantedKey{
			{Kind: "a", KeyID: "AKIA1", Secret: "abcdefgh", PairedSecret: true, Path: "x", Commit: "c1", InHead: true},
			{Kind: "b", KeyID: "AKIA2", Path: "y", Commit: "c2"},
		},
		Negatives: []repogen.Negative{{Kind: "doc", KeyID: "AKIAIOSFODNN7EXAMPLE"}},
	}
	report := `{"keys": [
		{"keyId": "AKIA1", "secret": "abcd…[redacted 8 chars]", "path": "x", "commit": "c1", "inHead": false},
		{"keyId": "AKIAIOSFODNN7EXAMPLE", "path": "z", "commit": "c3"},
		{"keyId": "AKIA3", "path": "z", "commit": "c3"}
	]}`
	problems, err := repogen.Compare(m, []byte(report))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"wrong inHead: a AKIA1", "missed: b AKIA2", "false positive: doc", "unexpected: AKIA3"}
	if len(problems) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(problems[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, problems[i], w)
		}
	}
}
