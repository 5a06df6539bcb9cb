package gitscan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/gittest"
)

// wantLeak asserts that key was found at path, introduced by commit, and
// whether HEAD still holds it.
func wantLeak(t testing.TB, res *Result, key, path, commit string, inHead bool) finding.Leak {
	t.Helper()
	for _, l := range res.Leaks {
		if l.KeyID == key && l.Path == path {
			if l.Commit != commit || l.InHead != inHead {
				t.Fatalf("%s at %s: commit %s inHead %v, want commit %s inHead %v", key, path, l.Commit, l.InHead, commit, inHead)
			}
			return l
		}
	}
	t.Fatalf("%s at %s not found; leaks: %s; skipped: %q", key, path, summarize(res.Leaks), res.Skipped)
	return finding.Leak{}
}

func complete(t *testing.T, res *Result) {
	t.Helper()
	if len(res.Skipped) > 0 {
		t.Fatalf("scan is partial: %q", res.Skipped)
	}
}

func TestSHA256Repository(t *testing.T) {
	r := gittest.New(t, "--object-format=sha256")
	k1, s1 := gittest.FakeKey(301)
	k2, s2 := gittest.FakeKey(302)
	r.Write("README", "hello\n")
	r.Commit("init")
	r.Write("config/app.env", envFile(k1, s1))
	c1 := r.Commit("add k1")
	r.Write("old.env", envFile(k2, s2))
	c2 := r.Commit("add k2")
	r.Remove("old.env")
	r.Commit("remove k2")
	if len(c1) != 64 {
		t.Fatalf("not a SHA-256 repository: commit %s", c1)
	}
	check := func(name string) {
		res := scanOK(t, r.Dir, Options{})
		complete(t, res)
		wantLeak(t, res, k1, "config/app.env", c1, true)
		l := wantLeak(t, res, k2, "old.env", c2, false)
		if len(l.Blob) != 64 {
			t.Fatalf("%s: blob %q is not a SHA-256 name", name, l.Blob)
		}
		// The range scan reads commits and trees one by one.
		rs := scanOK(t, r.Dir, Options{Since: c1})
		complete(t, rs)
		wantLeak(t, rs, k2, "old.env", c2, false)
		if len(rs.Leaks) != 1 {
			t.Fatalf("%s: range scan found %s, want only k2", name, summarize(rs.Leaks))
		}
	}
	check("loose")
	r.Repack()
	if m, _ := filepath.Glob(filepath.Join(r.Dir, ".git", "objects", "pack", "*.pack")); len(m) == 0 {
		t.Fatal("repack wrote no pack")
	}
	check("packed")
}

func TestAlternates(t *testing.T) {
	src := gittest.New(t)
	k, s := gittest.FakeKey(311)
	src.Write("a.env", envFile(k, s))
	c := src.Commit("add key")
	src.Repack()

	for _, layout := range []string{"absolute", "relative", "environment"} {
		t.Run(layout, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "dst")
			src.Git("clone", "-q", "--shared", src.Dir, dst)
			alt := filepath.Join(dst, ".git", "objects", "info", "alternates")
			switch layout {
			case "relative":
				rel, err := filepath.Rel(filepath.Join(dst, ".git", "objects"), filepath.Join(src.Dir, ".git", "objects"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(alt, []byte(rel+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			case "environment":
				if err := os.Remove(alt); err != nil {
					t.Fatal(err)
				}
				t.Setenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", filepath.Join(src.Dir, ".git", "objects"))
			}
			// The clone holds no objects of its own.
			if m, _ := filepath.Glob(filepath.Join(dst, ".git", "objects", "pack", "*.pack")); len(m) > 0 {
				t.Fatalf("clone --shared copied packs: %v", m)
			}
			res := scanOK(t, dst, Options{})
			complete(t, res)
			wantLeak(t, res, k, "a.env", c, true)
		})
	}
}

// cruftRepo commits a key on a branch, deletes the branch and its reflog,
// and has git move the now unreachable objects into a cruft pack.
func cruftRepo(t *testing.T) (r *gittest.Repo, key, commit string) {
	r = gittest.New(t)
	k, s := gittest.FakeKey(321)
	r.Write("README", "hello\n")
	r.Commit("init")
	r.Git("checkout", "-q", "-b", "tmp")
	r.Write("tmp.env", envFile(k, s))
	commit = r.Commit("add key on tmp")
	r.Git("checkout", "-q", "main")
	r.Git("branch", "-q", "-D", "tmp")
	r.Git("reflog", "expire", "--expire=now", "--all")
	r.Git("repack", "-q", "--cruft", "-d")
	if m, _ := filepath.Glob(filepath.Join(r.Dir, ".git", "objects", "pack", "*.mtimes")); len(m) != 1 {
		t.Fatalf("no cruft pack written: %v", m)
	}
	return r, k, commit
}

func TestCruftPackReachable(t *testing.T) {
	r, k, c := cruftRepo(t)
	r.Git("branch", "again", c) // the cruft-packed commit is reachable again
	res := scanOK(t, r.Dir, Options{})
	complete(t, res)
	wantLeak(t, res, k, "tmp.env", c, false)
}

func TestCruftPackUnreachable(t *testing.T) {
	r, k, _ := cruftRepo(t)
	res := scanOK(t, r.Dir, Options{})
	complete(t, res)
	if len(res.Leaks) != 0 {
		t.Fatalf("unreachable key reported without --include-unreachable: %s", summarize(res.Leaks))
	}
	if len(res.Unreached) != 1 || !strings.Contains(res.Unreached[0], k) || !strings.Contains(res.Unreached[0], "--include-unreachable") {
		t.Fatalf("unreached = %q, want the blob holding %s named", res.Unreached, k)
	}
	res = scanOK(t, r.Dir, Options{IncludeUnreachable: true})
	if len(res.Leaks) != 1 || res.Leaks[0].KeyID != k || !res.Leaks[0].Unreachable || res.Leaks[0].Commit != "" {
		t.Fatalf("--include-unreachable found %s, want %s as unreachable", summarize(res.Leaks), k)
	}
}

func TestLinkedWorktrees(t *testing.T) {
	r := gittest.New(t)
	k1, s1 := gittest.FakeKey(331)
	k2, s2 := gittest.FakeKey(332)
	r.Write("README", "hello\n")
	r.Commit("init")
	wtDir := filepath.Join(t.TempDir(), "wt")
	r.Git("worktree", "add", "-q", "--detach", wtDir, "HEAD")
	wt := gittest.At(t, wtDir)
	// k2 is reachable only from the work tree's per-worktree bisect ref.
	wt.Write("bisect.env", envFile(k2, s2))
	c2 := wt.Commit("bisect only")
	wt.Git("update-ref", "refs/bisect/bad", c2)
	wt.Git("checkout", "-q", "--detach", "HEAD~1")
	// k1 is on the detached HEAD of the work tree, no branch.
	wt.Write("wt.env", envFile(k1, s1))
	c1 := wt.Commit("detached")

	res := scanOK(t, r.Dir, Options{})
	complete(t, res)
	wantLeak(t, res, k1, "wt.env", c1, false)
	wantLeak(t, res, k2, "bisect.env", c2, false)
	// From the work tree, its HEAD is HEAD.
	res = scanOK(t, wtDir, Options{})
	complete(t, res)
	wantLeak(t, res, k1, "wt.env", c1, true)
	wantLeak(t, res, k2, "bisect.env", c2, false)
}

func TestSparseCheckoutWorktreeConfig(t *testing.T) {
	r := gittest.New(t)
	k, s := gittest.FakeKey(341)
	r.Write("app/main.go", "package main\n")
	r.Write("secrets/prod.env", envFile(k, s))
	c := r.Commit("init")
	r.Git("config", "extensions.worktreeConfig", "true")
	r.Git("sparse-checkout", "set", "--cone", "app")
	if cfg := r.Git("config", "--get", "extensions.worktreeConfig"); cfg != "true" {
		t.Fatalf("extensions.worktreeConfig = %q", cfg)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, "secrets")); err == nil {
		t.Fatal("sparse checkout left secrets/ in the work tree")
	}
	res := scanOK(t, r.Dir, Options{})
	complete(t, res)
	wantLeak(t, res, k, "secrets/prod.env", c, true)
}

func TestPartialClone(t *testing.T) {
	src := gittest.New(t)
	src.Git("config", "uploadpack.allowFilter", "true")
	k, s := gittest.FakeKey(351)
	src.Write("README", "hello\n")
	src.Commit("init")
	src.Write("old.env", envFile(k, s))
	c := src.Commit("add key")
	src.Remove("old.env")
	src.Commit("remove key") // the key's blob is not in HEAD: not fetched
	dstDir := filepath.Join(t.TempDir(), "dst")
	src.Git("-c", "gc.auto=0", "-c", "maintenance.auto=false", "clone", "-q", "--filter=blob:none", "file://"+src.Dir, dstDir)

	res := scanOK(t, dstDir, Options{})
	if res.Remedy == "" || !strings.Contains(res.Remedy, "partial clone") || !strings.Contains(res.Remedy, "git fetch --refetch") {
		t.Fatalf("remedy = %q, want one naming the partial clone and how to fetch", res.Remedy)
	}
	if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], "partial clone: 1 object") {
		t.Fatalf("skipped = %q, want one line counting the object not downloaded", res.Skipped)
	}
	if strings.Contains(res.Remedy, "fsck") {
		t.Fatalf("a partial clone is not broken: %q", res.Remedy)
	}
	// A range scan reads the blobs one by one: the same one line.
	rs := scanOK(t, dstDir, Options{Since: "HEAD~2"})
	if rs.Remedy != res.Remedy || len(rs.Skipped) != 1 || !strings.Contains(rs.Skipped[0], "partial clone: 1 object") {
		t.Fatalf("range scan of a partial clone: skipped %q, remedy %q", rs.Skipped, rs.Remedy)
	}
	// The remedy works.
	dst := gittest.At(t, dstDir)
	dst.Git("config", "--unset", "remote.origin.partialclonefilter")
	dst.Git("-c", "gc.auto=0", "-c", "maintenance.auto=false", "fetch", "-q", "--refetch", "origin")
	res = scanOK(t, dstDir, Options{})
	complete(t, res)
	wantLeak(t, res, k, "old.env", c, false)
}

func TestMissingHeadCommit(t *testing.T) {
	for _, damage := range []string{"deleted", "corrupt"} {
		t.Run(damage, func(t *testing.T) { missingHead(t, damage) })
	}
}

func missingHead(t *testing.T, damage string) {
	r := gittest.New(t)
	k1, s1 := gittest.FakeKey(361)
	k2, s2 := gittest.FakeKey(362)
	r.Write("README", "hello\n")
	r.Commit("init")
	r.Git("checkout", "-q", "-b", "side")
	r.Write("side.env", envFile(k1, s1))
	side := r.Commit("side key")
	r.Git("checkout", "-q", "main")
	r.Write("main.env", envFile(k2, s2))
	head := r.Commit("head key")
	if damage == "deleted" {
		r.Repack()
		r.DropObject(head)
	} else {
		r.CorruptLoose(head)
	}

	res := scanOK(t, r.Dir, Options{})
	wantLeak(t, res, k1, "side.env", side, false)
	named := false
	for _, s := range res.Skipped {
		named = named || strings.Contains(s, "HEAD commit "+head)
	}
	if !named || res.Head != head {
		t.Fatalf("skipped = %q, head %s: want the missing HEAD commit %s named", res.Skipped, res.Head, head)
	}
}

func TestTruncatedPackIndex(t *testing.T) {
	r := gittest.New(t)
	k1, s1 := gittest.FakeKey(371)
	r.Write("README", "hello\n")
	r.Commit("init")
	r.Git("checkout", "-q", "-b", "side")
	r.Write("side.env", envFile(k1, s1))
	side := r.Commit("side key")
	r.Git("checkout", "-q", "main")
	r.Repack()
	old, _ := filepath.Glob(filepath.Join(r.Dir, ".git", "objects", "pack", "*.idx"))
	r.Write("main.txt", "more\n")
	head := r.Commit("head")
	r.Git("repack", "-q", "-d") // the new objects only, in a second pack
	idxs, _ := filepath.Glob(filepath.Join(r.Dir, ".git", "objects", "pack", "*.idx"))
	var newIdx string
	for _, i := range idxs {
		if len(old) != 1 || i != old[0] {
			newIdx = i
		}
	}
	if len(idxs) != 2 || newIdx == "" {
		t.Fatalf("want two packs, have %v", idxs)
	}
	if err := os.Truncate(newIdx, 1100); err != nil {
		t.Fatal(err)
	}

	res := scanOK(t, r.Dir, Options{})
	wantLeak(t, res, k1, "side.env", side, false)
	text := strings.Join(res.Skipped, "\n")
	if !strings.Contains(text, "pack index") || !strings.Contains(text, head) {
		t.Fatalf("skipped = %q, want the truncated index and the HEAD commit %s named", res.Skipped, head)
	}
}

func TestBlameByHistoryOrder(t *testing.T) {
	t.Run("five commits in one second", func(t *testing.T) {
		r := gittest.New(t)
		r.Date = "2024-03-01T12:00:00Z"
		k, s := gittest.FakeKey(381)
		var commits []string
		for i := range 5 {
			if i == 1 {
				r.Write("a.env", envFile(k, s))
			}
			r.Write("n.txt", strings.Repeat("x", i+1))
			commits = append(commits, r.Commit("step"))
		}
		res := scanOK(t, r.Dir, Options{})
		l := wantLeak(t, res, k, "a.env", commits[1], true)
		if l.Commits != 4 {
			t.Fatalf("commits = %d, want 4", l.Commits)
		}
	})
	t.Run("child dated before its parent", func(t *testing.T) {
		r := gittest.New(t)
		k, s := gittest.FakeKey(382)
		r.Date = "2024-03-02T12:00:00Z"
		r.Write("README", "hello\n")
		r.Commit("init")
		r.Write("a.env", envFile(k, s))
		parent := r.Commit("add key")
		r.Date = "2024-03-01T12:00:00Z" // a clock a day behind
		r.Write("README", "hello again\n")
		r.Commit("child")
		res := scanOK(t, r.Dir, Options{})
		wantLeak(t, res, k, "a.env", parent, true)
		rs := scanOK(t, r.Dir, Options{Since: "HEAD~2"})
		wantLeak(t, rs, k, "a.env", parent, true)
	})
}

func TestMultiPackIndex(t *testing.T) {
	r := gittest.New(t)
	k, s := gittest.FakeKey(391)
	r.Write("a.env", envFile(k, s))
	c := r.Commit("key")
	r.Git("repack", "-q", "-d")
	r.Write("b.txt", "b\n")
	r.Commit("more")
	r.Git("repack", "-q", "-d", "--write-midx", "--write-bitmap-index")
	if _, err := os.Stat(filepath.Join(r.Dir, ".git", "objects", "pack", "multi-pack-index")); err != nil {
		t.Fatal(err)
	}
	res := scanOK(t, r.Dir, Options{})
	complete(t, res)
	wantLeak(t, res, k, "a.env", c, true)
}

func TestExtensionRefused(t *testing.T) {
	for _, tc := range []struct{ key, val, want string }{
		{"extensions.refStorage", "reftable", "reftable"},
		{"extensions.frobnicate", "true", "extensions.frobnicate"},
		{"extensions.objectFormat", "sha3", "sha3"},
	} {
		r := gittest.New(t)
		r.Commit("init")
		r.Git("config", "core.repositoryformatversion", "1")
		r.Git("config", tc.key, tc.val)
		_, err := Scan(context.Background(), r.Dir, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=%s: err %v, want one line naming %q", tc.key, tc.val, err, tc.want)
		}
	}
	// Harmless ones are read through.
	r := gittest.New(t)
	k, s := gittest.FakeKey(392)
	r.Write("a.env", envFile(k, s))
	c := r.Commit("init")
	r.Git("config", "core.repositoryformatversion", "1")
	for _, e := range []string{"preciousObjects", "noop", "worktreeConfig"} {
		r.Git("config", "extensions."+e, "true")
	}
	res := scanOK(t, r.Dir, Options{})
	complete(t, res)
	wantLeak(t, res, k, "a.env", c, true)
}

// --staged reads a sparse checkout with extensions.worktreeConfig (what
// actions/checkout writes), which go-git's repository open refuses, and
// says in one line that it cannot yet read a SHA-256 index.
func TestStagedLayouts(t *testing.T) {
	r := gittest.New(t)
	k, s := gittest.FakeKey(393)
	r.Write("app/main.go", "package main\n")
	r.Write("docs/a.md", "a\n")
	r.Commit("init")
	r.Git("config", "extensions.worktreeConfig", "true")
	r.Git("sparse-checkout", "set", "--cone", "app")
	r.Write("app/.env", envFile(k, s))
	r.Git("add", "app/.env")
	res := scanStagedOK(t, r.Dir)
	if got := stagedKeyIDs(res.Leaks); len(got) != 1 || got[0] != k+"@app/.env" {
		t.Fatalf("staged in a sparse checkout: %v", got)
	}

	sha := gittest.New(t, "--object-format=sha256")
	sha.Write("a.env", envFile(k, s))
	sha.Git("add", "a.env")
	_, err := ScanStaged(context.Background(), sha.Dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("--staged on SHA-256: %v, want a one-line refusal naming SHA-256", err)
	}
}
