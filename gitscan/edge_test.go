package gitscan

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/gittest"
)

func scanOK(t *testing.T, dir string, opts Options) *Result {
	t.Helper()
	res, err := Scan(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Scan(%+v): %v", opts, err)
	}
	return res
}

func keys(ls []finding.Leak) map[string]bool {
	m := map[string]bool{}
	for _, l := range ls {
		m[l.KeyID] = true
	}
	return m
}

func TestStashEntriesAreScanned(t *testing.T) {
	r := gittest.New(t)
	k1, s1 := gittest.FakeKey(21)
	k2, s2 := gittest.FakeKey(22)
	r.Write("app.env", "X=1\n")
	r.Commit("init")
	r.Write("app.env", envFile(k1, s1))
	r.Git("stash", "-q")
	r.Write("app.env", envFile(k2, s2))
	r.Git("stash", "-q") // k1 is now stash@{1}: only the reflog names it
	got := keys(scanOK(t, r.Dir, Options{}).Leaks)
	if !got[k1] || !got[k2] {
		t.Fatalf("stash scan found %v, want both stashed keys", got)
	}
}

func TestSinceLimitsToRange(t *testing.T) {
	r := gittest.New(t)
	old, oldSecret := gittest.FakeKey(31)
	k1, s1 := gittest.FakeKey(32)
	k2, s2 := gittest.FakeKey(33)
	r.Write("old.env", envFile(old, oldSecret))
	base := r.Commit("base")
	r.Write("a.env", envFile(k1, s1))
	add := r.Commit("add k1")
	r.Write("b.env", envFile(k2, s2))
	r.Commit("add k2")
	r.Remove("b.env")
	r.Commit("remove k2") // added and removed inside the range: still found

	res := scanOK(t, r.Dir, Options{Since: base})
	got := keys(res.Leaks)
	if got[old] || !got[k1] || !got[k2] {
		t.Fatalf("range scan found %v; want %s and %s, not %s", got, k1, k2, old)
	}
	if res.Stats.Commits != 3 {
		t.Errorf("range has %d commits, want 3", res.Stats.Commits)
	}
	for _, l := range res.Leaks {
		if l.KeyID == k1 && l.Commit != add {
			t.Errorf("k1 attributed to %s, want %s", l.Commit, add)
		}
	}
	// A merge of the base branch into the range adds nothing new.
	r.Git("checkout", "-q", "-b", "other", base)
	r.Write("other.txt", "x\n")
	r.Commit("other")
	r.Git("checkout", "-q", "main")
	r.Git("merge", "-q", "--no-edit", "other")
	res = scanOK(t, r.Dir, Options{Since: "HEAD~1"})
	if len(res.Leaks) != 0 {
		t.Errorf("merging a clean branch reported %s", summarize(res.Leaks))
	}
	if _, err := Scan(context.Background(), r.Dir, Options{Since: "no-such-ref"}); err == nil || !strings.Contains(err.Error(), "no-such-ref") {
		t.Errorf("unknown --since: %v", err)
	}
}

func TestShallowClone(t *testing.T) {
	src := gittest.New(t)
	k, s := gittest.FakeKey(41)
	src.Write("a.env", envFile(k, s))
	src.Commit("one")
	for i := 0; i < 4; i++ {
		src.Write("n.txt", strings.Repeat("x", i+1))
		src.Commit("more")
	}
	dst := filepath.Join(t.TempDir(), "shallow")
	src.Git("clone", "-q", "--depth", "2", "file://"+src.Dir, dst)

	_, err := Scan(context.Background(), dst, Options{})
	if err == nil || !strings.Contains(err.Error(), "shallow") || !strings.Contains(err.Error(), "fetch-depth: 0") {
		t.Fatalf("full scan of a shallow clone: want the shallow error with its fix, got %v", err)
	}
	if _, err := Scan(context.Background(), dst, Options{Since: "HEAD~3"}); err == nil || !strings.Contains(err.Error(), "fetch") {
		t.Fatalf("range beyond the shallow boundary: want an error naming the fix, got %v", err)
	}
	// A range that the clone holds entirely is fine.
	res := scanOK(t, dst, Options{Since: "HEAD~1"})
	if res.Stats.Commits != 1 {
		t.Errorf("range HEAD~1..HEAD has %d commits, want 1", res.Stats.Commits)
	}
}

func TestDeletedPackObject(t *testing.T) {
	r := gittest.New(t)
	k1, s1 := gittest.FakeKey(51)
	k2, s2 := gittest.FakeKey(52)
	r.Write("keep.env", envFile(k1, s1))
	r.Write("lost.env", envFile(k2, s2))
	r.Commit("two keys")
	r.Repack()
	lost := r.Git("rev-parse", "HEAD:lost.env")
	r.DropObject(lost)

	res := scanOK(t, r.Dir, Options{})
	if !keys(res.Leaks)[k1] {
		t.Errorf("the readable blob was not scanned: %s", summarize(res.Leaks))
	}
	if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], lost) || !strings.Contains(res.Skipped[0], "lost.env") || !strings.Contains(res.Skipped[0], "missing") {
		t.Fatalf("skipped = %q, want one entry naming blob %s at lost.env as missing", res.Skipped, lost)
	}
}

func TestCorruptLooseObject(t *testing.T) {
	r := gittest.New(t)
	k1, s1 := gittest.FakeKey(53)
	r.Write("a.env", envFile(k1, s1))
	r.Write("b.txt", strings.Repeat("some text\n", 100))
	r.Commit("one")
	b := r.Git("rev-parse", "HEAD:b.txt")
	r.CorruptLoose(b)
	res := scanOK(t, r.Dir, Options{})
	if !keys(res.Leaks)[k1] {
		t.Errorf("intact blob not scanned")
	}
	if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], b) {
		t.Fatalf("skipped = %q, want the corrupt blob %s", res.Skipped, b)
	}
}

func TestIncludeUnreachable(t *testing.T) {
	r := gittest.New(t)
	k, s := gittest.FakeKey(61)
	r.Write("a.txt", "a\n")
	r.Commit("init")
	dangling := r.GitInput(envFile(k, s), "hash-object", "-w", "--stdin")
	if got := keys(scanOK(t, r.Dir, Options{}).Leaks); got[k] {
		t.Fatal("dangling blob reported without --include-unreachable")
	}
	res := scanOK(t, r.Dir, Options{IncludeUnreachable: true})
	if len(res.Leaks) != 1 || !res.Leaks[0].Unreachable || res.Leaks[0].Blob != dangling {
		t.Fatalf("want one unreachable leak in blob %s, got %+v", dangling, res.Leaks)
	}
	if strings.Contains(res.Leaks[0].Path, ":") {
		t.Errorf("path %q would read as a URI scheme in SARIF", res.Leaks[0].Path)
	}
}

func TestCommitCountsAndHead(t *testing.T) {
	r := gittest.New(t)
	k, s := gittest.FakeKey(71)
	r.Write("c.env", envFile(k, s))
	first := r.Commit("add")
	for i := 0; i < 3; i++ {
		r.Write("other.txt", strings.Repeat("y", i+1))
		r.Commit("unrelated")
	}
	res := scanOK(t, r.Dir, Options{})
	if len(res.Leaks) != 1 {
		t.Fatalf("want 1 leak, got %s", summarize(res.Leaks))
	}
	l := res.Leaks[0]
	if l.Commits != 4 || !l.InHead || l.Commit != first {
		t.Errorf("commits=%d inHead=%v commit=%s; want 4, true, %s", l.Commits, l.InHead, l.Commit, first)
	}
	if res.Stats.Commits != 4 || res.Stats.Blobs < 4 || res.Stats.Bytes == 0 {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestBareAndSubdirectory(t *testing.T) {
	r := gittest.New(t)
	k, s := gittest.FakeKey(81)
	r.Write("sub/dir/a.env", envFile(k, s))
	r.Commit("add")
	bare := filepath.Join(t.TempDir(), "mirror.git")
	r.Git("clone", "-q", "--bare", r.Dir, bare)
	for _, dir := range []string{bare, filepath.Join(r.Dir, "sub", "dir")} {
		if got := keys(scanOK(t, dir, Options{}).Leaks); !got[k] {
			t.Errorf("scan of %s found %v, want %s", dir, got, k)
		}
	}
}

func TestInlineAllowMarker(t *testing.T) {
	r := gittest.New(t)
	k1, _ := gittest.FakeKey(91)
	k2, _ := gittest.FakeKey(92)
	r.Write("fixtures.py", "A = '"+k1+"'  # keysweep:allow test fixture\nB = '"+k2+"'\n")
	r.Commit("fixtures")
	for _, l := range scanOK(t, r.Dir, Options{}).Leaks {
		if want := l.KeyID == k1; l.InlineAllow != want {
			t.Errorf("%s: InlineAllow %v, want %v", l.KeyID, l.InlineAllow, want)
		}
	}
	// A marker added after the key was committed counts: the newest
	// version of the line decides.
	r.Write("fixtures.py", "A = '"+k1+"'  # keysweep:allow test fixture\nB = '"+k2+"'  # keysweep:allow reviewed\n")
	r.Commit("allow B")
	for _, l := range scanOK(t, r.Dir, Options{}).Leaks {
		if !l.InlineAllow {
			t.Errorf("%s: marker added later was not honoured", l.KeyID)
		}
	}
}

func TestRemoteBranchesAndNotes(t *testing.T) {
	r := gittest.New(t)
	kRemote, sRemote := gittest.FakeKey(95)
	kNote, sNote := gittest.FakeKey(96)
	r.Write("a.txt", "a\n")
	r.Commit("init")
	r.Git("checkout", "-q", "-b", "tmp")
	r.Write("remote.env", envFile(kRemote, sRemote))
	c := r.Commit("only on a remote-tracking branch")
	r.Git("checkout", "-q", "main")
	r.Git("branch", "-D", "tmp")
	r.Git("update-ref", "refs/remotes/origin/feature", c)
	r.Git("notes", "add", "-m", envFile(kNote, sNote), "HEAD")
	for _, packed := range []bool{false, true} {
		if packed {
			r.Repack()
		}
		got := keys(scanOK(t, r.Dir, Options{}).Leaks)
		if !got[kRemote] || !got[kNote] {
			t.Fatalf("packed=%v: found %v; want the remote branch's key and the note's key", packed, got)
		}
	}
}

func TestMissingRootTree(t *testing.T) {
	r := gittest.New(t)
	r.Write("a.txt", "a\n")
	r.Commit("one")
	r.Write("b.txt", "b\n")
	r.Commit("two")
	r.Repack()
	tree := r.Git("rev-parse", "HEAD^{tree}")
	r.DropObject(tree)
	res := scanOK(t, r.Dir, Options{})
	if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], tree) {
		t.Fatalf("skipped = %q, want the missing root tree %s", res.Skipped, tree)
	}
}
