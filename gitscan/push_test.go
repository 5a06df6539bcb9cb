package gitscan

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/repogen"
)

// quarantine is an object directory inside a repository that new objects
// are written to while the repository's own are an alternate, as git
// receive-pack sets it up for a pre-receive hook.
type quarantine struct {
	t         testing.TB
	repo, dir string
	index     string
}

func newQuarantine(t testing.TB, repoDir string) *quarantine {
	objects := filepath.Join(repoDir, "objects")
	if _, err := os.Stat(objects); err != nil {
		objects = filepath.Join(repoDir, ".git", "objects")
	}
	dir, err := os.MkdirTemp(objects, "tmp_objdir-incoming-")
	if err != nil {
		t.Fatal(err)
	}
	return &quarantine{t: t, repo: repoDir, dir: dir, index: filepath.Join(t.TempDir(), "index")}
}

// git runs git with the quarantine's environment: what it writes lands
// in the quarantine only.
func (q *quarantine) git(stdin string, args ...string) string {
	q.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = q.repo
	cmd.Env = append(os.Environ(), q.env()...)
	cmd.Env = append(cmd.Env, "GIT_INDEX_FILE="+q.index,
		"GIT_AUTHOR_NAME=Bob", "GIT_AUTHOR_EMAIL=bob@example.com", "GIT_COMMITTER_NAME=Bob", "GIT_COMMITTER_EMAIL=bob@example.com",
		"GIT_AUTHOR_DATE=2030-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2030-01-01T00:00:00Z")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		q.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (q *quarantine) env() []string {
	objects := filepath.Dir(q.dir)
	return []string{"GIT_OBJECT_DIRECTORY=" + q.dir, "GIT_ALTERNATE_OBJECT_DIRECTORIES=" + objects, "GIT_QUARANTINE_PATH=" + q.dir}
}

// commits writes n commits on top of parent, each changing one file, the
// last one writing extra (if any) to a file; it returns the new tip.
func (q *quarantine) commits(parent string, n int, extra string) string {
	q.git("", "read-tree", parent)
	tip := parent
	for i := range n {
		content := fmt.Sprintf("pushed change %d of %s\n", i, parent)
		if i == n-1 && extra != "" {
			content += extra
		}
		blob := q.git(content, "hash-object", "-w", "--stdin")
		q.git("", "update-index", "--add", "--cacheinfo", "100644,"+blob+",pushed/file"+fmt.Sprint(i%3)+".txt")
		tree := q.git("", "write-tree")
		tip = q.git("", "commit-tree", tree, "-p", tip, "-m", fmt.Sprintf("pushed %d", i))
	}
	return tip
}

// inQuarantine sets the process's environment to the quarantine's, as the
// hook's would be.
func (q *quarantine) enter(t *testing.T) {
	for _, kv := range q.env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func pushScan(t testing.TB, dir string, updates ...RefUpdate) *Result {
	t.Helper()
	res, err := ScanPush(context.Background(), dir, Push{Updates: updates}, Options{})
	if err != nil {
		t.Fatalf("ScanPush: %v", err)
	}
	return res
}

func update(t testing.TB, ref, old, new string) RefUpdate {
	u := RefUpdate{Ref: ref}
	var err error
	if old != "" {
		if u.Old, err = repo.ParseID(old); err != nil {
			t.Fatal(err)
		}
	}
	if u.New, err = repo.ParseID(new); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestScanPushQuarantine: in a quarantine, the commits only it holds are
// the push's; the walk stops at the old tip; a key in them is found and
// attributed to the commit that added it; outside the quarantine (no
// environment) the same push is decided by the painting walk, with the
// same answer.
func TestScanPushQuarantine(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) { scanPushQuarantine(t, format) })
	}
}

func scanPushQuarantine(t *testing.T, format string) {
	id, secret := gittest.FakeKey(601)
	g := gittest.New(t, "--object-format="+format)
	for i := range 5 {
		g.Write(fmt.Sprintf("f%d.txt", i), fmt.Sprintf("file %d\n", i))
		g.Commit(fmt.Sprintf("c%d", i))
	}
	g.Repack()
	old := g.Git("rev-parse", "HEAD")
	q := newQuarantine(t, g.Dir)
	tip := q.commits(old, 3, "id "+id+"\nsecret "+secret+"\n")
	q.enter(t)
	res := pushScan(t, g.Dir, update(t, "refs/heads/main", old, tip))
	if res.Stats.Commits != 3 || len(res.Leaks) != 1 || res.Leaks[0].KeyID != id || res.Leaks[0].Commit != tip || len(res.Skipped) > 0 {
		t.Fatalf("commits %d, leaks %+v, skipped %v; want 3 commits and the key in %s", res.Stats.Commits, res.Leaks, res.Skipped, tip)
	}
	// A new branch at an old commit brings nothing, in or out of quarantine.
	if res := pushScan(t, g.Dir, update(t, "refs/heads/old", "", g.Git("rev-parse", "HEAD~2"))); res.Stats.Commits != 0 || len(res.Leaks) != 0 {
		t.Fatalf("a branch of old commits: %d commits, %v", res.Stats.Commits, res.Leaks)
	}
	// A deletion brings nothing.
	if res := pushScan(t, g.Dir, RefUpdate{Ref: "refs/heads/main", Old: update(t, "", "", old).New}); res.Stats.Commits != 0 {
		t.Fatalf("a deletion: %d commits", res.Stats.Commits)
	}
}

// TestScanPushCost: a push of 10 commits onto a large repository costs
// what it costs onto a small one, in time and in memory: nothing is read
// per object of the repository. Also the 1- and 10-commit pushes are
// timed, for docs/pre-receive.md.
func TestScanPushCost(t *testing.T) {
	if testing.Short() {
		t.Skip("generates two repositories") // not a required test: the cost is also asserted by the push benchmark in cmd/keysweep
	}
	run := func(commits int) (one, ten measure) {
		t.Run(fmt.Sprint(commits), func(t *testing.T) { one, ten = pushCost(t, commits) })
		return one, ten
	}
	_, small := run(2000)
	if t.Failed() {
		return
	}
	one, large := run(10000)
	if large.alloc > 2*small.alloc+(1<<20) {
		t.Errorf("a 10-commit push allocates %d KiB onto 10000 commits, %d KiB onto 2000: it should not grow with the repository", large.alloc>>10, small.alloc>>10)
	}
	if large.took > 4*small.took+50*time.Millisecond {
		t.Errorf("a 10-commit push takes %v onto 10000 commits, %v onto 2000: it should not grow with the repository", large.took, small.took)
	}
	// The budget is 0.3 s on git/git; a loaded shared machine gets 3x.
	if one.took > 900*time.Millisecond || large.took > 900*time.Millisecond {
		t.Errorf("pushes took %v (1 commit) and %v (10 commits): over the budget", one.took, large.took)
	}
}

type measure struct {
	alloc uint64
	took  time.Duration
}

// pushCost generates a repository of commits commits and measures pushes
// of 1 and 10 commits onto it (best of 3), in a quarantine.
func pushCost(t *testing.T, commits int) (one, ten measure) {
	dir := filepath.Join(t.TempDir(), "repo")
	start := time.Now()
	if _, err := repogen.Generate(context.Background(), dir, repogen.Options{Commits: commits, Bare: true, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d commits in %v", commits, time.Since(start).Round(time.Millisecond))
	oldOut, err := exec.Command("git", "-C", dir, "rev-parse", "refs/heads/main").Output()
	if err != nil {
		t.Fatal(err)
	}
	old := strings.TrimSpace(string(oldOut))
	q := newQuarantine(t, dir)
	tips := map[int]string{1: q.commits(old, 1, ""), 10: q.commits(old, 10, "")}
	q.enter(t)
	out := map[int]measure{}
	for _, n := range []int{1, 10} {
		best := measure{took: time.Hour}
		for range 3 {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			res := pushScan(t, dir, update(t, "refs/heads/main", old, tips[n]))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if res.Stats.Commits != n || len(res.Skipped) > 0 {
				t.Fatalf("%d-commit push: %d commits read, skipped %v", n, res.Stats.Commits, res.Skipped)
			}
			best.took = min(best.took, took)
			best.alloc = after.TotalAlloc - before.TotalAlloc
		}
		out[n] = best
		t.Logf("%d commits of history, push of %d: %v, %d KiB allocated", commits, n, best.took.Round(time.Microsecond), best.alloc>>10)
	}
	if commits <= 2000 {
		initialPush(t, dir, old, false)
	}
	return out[1], out[10]
}

// initialPush pushes the whole history of dir (its packs) into an empty
// repository's quarantine: every commit is new. With a deadline the scan
// ends at it with the context's error, which the hook turns into its
// --on-deadline policy; without one it finishes.
func initialPush(t *testing.T, dir, tip string, finish bool) *Result {
	emptyDir := filepath.Join(t.TempDir(), "empty.git")
	cmd := exec.Command("git", "init", "-q", "--bare", emptyDir)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	q := newQuarantine(t, emptyDir)
	if err := os.MkdirAll(filepath.Join(q.dir, "pack"), 0o755); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "pack-*"))
	for _, p := range packs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(q.dir, "pack", filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	q.enter(t)
	all := update(t, "refs/heads/main", "", tip)
	all.Old = repo.ID{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := ScanPush(ctx, emptyDir, Push{Updates: []RefUpdate{all}}, Options{}); err == nil || ctx.Err() == nil {
		t.Errorf("initial push with a 20ms deadline: %v after %v, want the deadline's error", err, time.Since(start))
	} else if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the deadline of 20ms ended the scan after %v", took)
	}
	if !finish {
		return nil
	}
	start = time.Now()
	res := pushScan(t, emptyDir, all)
	t.Logf("initial push of %d commits, %d blobs: %v", res.Stats.Commits, res.Stats.Blobs, time.Since(start).Round(time.Millisecond))
	return res
}

// TestScanPushInitial: the initial push of a whole generated history into
// an empty repository's quarantine reads every commit and finds the
// planted keys that are on the pushed branch: each key once at least (a
// key moved by a later commit is the push's at the path it came in at).
func TestScanPushInitial(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	m, err := repogen.Generate(context.Background(), dir, repogen.Options{Commits: 150, Bare: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	res := initialPush(t, dir, m.Refs["refs/heads/main"], true)
	found := map[string]bool{}
	for _, l := range res.Leaks {
		found[l.KeyID] = true
	}
	want := 0
	for _, k := range m.Keys {
		if k.Ref != "refs/heads/main" {
			continue
		}
		want++
		if !found[k.KeyID] {
			t.Errorf("planted %s key %s at %s (%s) not found in %v", k.Kind, k.KeyID, k.Path, k.Commit, res.Leaks)
		}
	}
	if want == 0 || res.Stats.Commits < 100 || len(res.Skipped) > 0 {
		t.Fatalf("%d planted keys on main, %d commits read, skipped %v", want, res.Stats.Commits, res.Skipped)
	}
}
