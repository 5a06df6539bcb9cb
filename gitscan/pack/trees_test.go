package pack

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/gitscan/repo"

	"github.com/keysweep/keysweep/internal/gittest"
)

// treeRepo builds a history with nested directories, renames, a
// submodule, names with spaces and non-ASCII, keys planted in some files,
// and the same content under two names. It returns the repository and the
// blobs to want: every version of the files holding keys, and the
// submodule's commit, which must never be taken for a blob.
func treeRepo(t *testing.T, initArgs ...string) (*gittest.Repo, map[repo.ID]bool) {
	r := gittest.New(t, initArgs...)
	rng := rand.New(rand.NewPCG(3, 4))
	paths := []string{
		"README.md", "src/main.go", "src/lib/util.go", "docs/guide/intro.md",
		"dir with space/file name.txt", "ünïcödé/файл.txt", "a/b/c/d/e/deep.txt",
	}
	content := map[string][]string{}
	for _, p := range paths {
		content[p] = lines(rng, 30)
	}
	keyed := map[string]bool{"src/lib/util.go": true, "ünïcödé/файл.txt": true}
	write := func() {
		for _, p := range paths {
			r.Write(p, join(content[p]))
		}
	}
	for i := range 30 {
		for _, p := range paths {
			if rng.IntN(3) == 0 {
				ls := content[p]
				ls[rng.IntN(len(ls))] = fmt.Sprintf("edit %d %d", i, rng.Int())
			}
		}
		for p := range keyed {
			id, _ := gittest.FakeKey(100 + i)
			content[p] = append(content[p], "key = "+id)
		}
		write()
		switch i {
		case 10:
			r.Move("docs/guide/intro.md", "docs/guide 2/intro.md")
			content["docs/guide 2/intro.md"] = content["docs/guide/intro.md"]
			delete(content, "docs/guide/intro.md")
			paths[3] = "docs/guide 2/intro.md"
		case 15:
			// Same bytes under another name and in another directory.
			r.Write("copy/ключ.go", join(content["src/lib/util.go"]))
		case 20:
			r.Move("src/lib/util.go", "src/lib2/util.go")
			content["src/lib2/util.go"] = content["src/lib/util.go"]
			delete(content, "src/lib/util.go")
			paths[2] = "src/lib2/util.go"
			keyed = map[string]bool{"src/lib2/util.go": true, "ünïcödé/файл.txt": true}
		}
		r.Commit(fmt.Sprintf("commit %d", i))
	}
	// A submodule: a gitlink entry whose commit is not in this repository.
	sub := "1234567890abcdef1234567890abcdef12345678"
	if r.Git("rev-parse", "--show-object-format") == "sha256" {
		sub += "1234567890abcdef12345678"
	}
	r.Git("update-index", "--add", "--cacheinfo", "160000,"+sub+",sub")
	r.Git("update-index", "--add", "--cacheinfo", "160000,"+sub+",src/sub mod")
	r.Git("commit", "-q", "-m", "submodule")

	want := map[repo.ID]bool{hexID(sub): true}
	for _, line := range strings.Split(r.Git("rev-list", "--objects", "--all"), "\n") {
		h, p, ok := strings.Cut(line, " ")
		if ok && (strings.HasSuffix(p, "util.go") || strings.HasSuffix(p, "файл.txt")) {
			want[hexID(h)] = true
		}
	}
	return r, want
}

// treeTruth lists, with git ls-tree, every tree object's subtree entries
// and entries naming wanted blobs.
func treeTruth(t *testing.T, r *gittest.Repo, want map[repo.ID]bool) map[repo.ID][]TreeEntry {
	out := map[repo.ID][]TreeEntry{}
	for _, line := range strings.Split(r.Git("cat-file", "--batch-all-objects", "--batch-check"), "\n") {
		f := strings.Fields(line)
		if f[1] != "tree" {
			continue
		}
		ents := []TreeEntry{}
		for _, rec := range strings.Split(r.Git("ls-tree", "-z", f[0]), "\x00") {
			meta, name, ok := strings.Cut(rec, "\t")
			if !ok {
				continue
			}
			m := strings.Fields(meta)
			h := hexID(m[2])
			if m[1] == "tree" || m[1] == "blob" && want[h] {
				ents = append(ents, TreeEntry{Name: name, Hash: h, Dir: m[1] == "tree"})
			}
		}
		out[hexID(f[0])] = ents
	}
	return out
}

// checkTrees compares x with git's view of every tree, leaving out the
// trees in lost.
func checkTrees(t *testing.T, x *TreeIndex, truth map[repo.ID][]TreeEntry, lost map[repo.ID]bool) {
	t.Helper()
	kinds := map[bool]int{}
	for tree, want := range truth {
		if lost[tree] {
			if x.Has(tree) {
				t.Errorf("unreadable tree %s was read", tree)
			}
			continue
		}
		if !x.Has(tree) {
			t.Errorf("tree %s not read", tree)
		}
		got := slices.Collect(x.Entries(tree))
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("tree %s:\ngot  %v\nwant %v", tree, got, want)
		}
		for _, e := range want {
			kinds[e.Dir]++
		}
	}
	if x.Len() != len(truth)-len(lost) {
		t.Errorf("%d trees read, want %d", x.Len(), len(truth)-len(lost))
	}
	if kinds[true] == 0 || kinds[false] == 0 {
		t.Fatalf("the test repository has %d subtree and %d wanted entries", kinds[true], kinds[false])
	}
}

func trees(t *testing.T, r *gittest.Repo, want map[repo.ID]bool) (*TreeIndex, []Problem) {
	t.Helper()
	x, problems, err := treesDir(context.Background(), filepath.Join(r.Dir, ".git"), want, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return x, problems
}

func TestTrees(t *testing.T) {
	for _, tc := range []struct {
		name   string
		repack func(r *gittest.Repo)
		init   []string
	}{
		{"loose", func(r *gittest.Repo) {}, nil},
		{"ofs-delta", func(r *gittest.Repo) { r.Repack() }, nil},
		{"ref-delta", func(r *gittest.Repo) {
			r.Git("-c", "repack.useDeltaBaseOffset=false", "repack", "-adfq", "--depth=50", "--window=50")
		}, nil},
		{"packed and loose", func(r *gittest.Repo) {
			r.Repack()
			r.Write("later/new dir/x.txt", "later\n")
			r.Write("src/lib2/util.go", "changed\n")
			r.Commit("loose on top")
		}, nil},
		{"sha256", func(r *gittest.Repo) { r.Repack() }, []string{"--object-format=sha256"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, want := treeRepo(t, tc.init...)
			tc.repack(r)
			x, problems := trees(t, r, want)
			for _, p := range problems {
				t.Errorf("problem: %s", p)
			}
			checkTrees(t, x, treeTruth(t, r, want), nil)
			// Equal names share their bytes.
			for i, n := range x.names {
				for _, m := range x.names[:i] {
					if n == m {
						t.Errorf("name %q interned twice", n)
					}
				}
			}
		})
	}
}

func TestTreesCorruptPackEntry(t *testing.T) {
	r, want := treeRepo(t)
	r.Repack()
	truth := treeTruth(t, r, want)
	packFile, entries := verifyPack(t, r)

	victim, lost := mostDescendants(entries, "tree")
	if len(lost) < 3 {
		t.Fatalf("no tree with delta descendants")
	}
	// A corrupt blob too, which Trees must never read.
	var blob packEntry
	for _, e := range entries {
		if e.typ == "blob" && e.packed > 20 {
			blob = e
		}
	}
	data, err := os.ReadFile(packFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []packEntry{victim, blob} {
		for i := e.offset + e.packed/2; i < e.offset+e.packed/2+8 && i < e.offset+e.packed; i++ {
			data[i] ^= 0xa5
		}
	}
	_ = os.Chmod(packFile, 0o644)
	if err := os.WriteFile(packFile, data, 0o644); err != nil {
		t.Fatal(err)
	}

	x, problems := trees(t, r, want)
	bad := map[string]string{}
	for _, p := range problems {
		bad[p.Hash.String()] = p.String()
	}
	if !strings.Contains(bad[victim.hash], "corrupt") {
		t.Errorf("corrupt tree %s: problem %q", victim.hash, bad[victim.hash])
	}
	lostSet := map[repo.ID]bool{hexID(victim.hash): true}
	for _, h := range lost {
		lostSet[hexID(h)] = true
		if !strings.Contains(bad[h], victim.hash) {
			t.Errorf("delta %s of the corrupt tree: problem %q", h, bad[h])
		}
	}
	if len(problems) != 1+len(lost) {
		t.Errorf("%d problems, want %d: %v", len(problems), 1+len(lost), problems)
	}
	checkTrees(t, x, truth, lostSet)
}

func TestTreesMalformedAndLoose(t *testing.T) {
	r, want := treeRepo(t)
	r.Repack()
	truth := treeTruth(t, r, want)
	gitDir := filepath.Join(r.Dir, ".git")
	// A malformed tree, and a loose blob corrupt past its header, which
	// Trees must not read beyond the header.
	bad := writeLoose(t, gitDir, "tree", []byte("100644 no-hash\x00short"))
	big := make([]byte, 64<<10)
	for i := range big {
		big[i] = byte(rand.Uint32())
	}
	blob := writeLoose(t, gitDir, "blob", big)
	f := filepath.Join(gitDir, "objects", blob.String()[:2], blob.String()[2:])
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(data) - 100; i < len(data); i++ {
		data[i] ^= 0x5a
	}
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}

	x, problems := trees(t, r, want)
	if len(problems) != 1 || problems[0].Hash != bad || !strings.Contains(problems[0].What, "malformed tree") {
		t.Errorf("problems %v, want the malformed tree %s only", problems, bad)
	}
	truth[bad] = nil
	checkTrees(t, x, truth, map[repo.ID]bool{bad: true})
}

func TestTreesCanceled(t *testing.T) {
	r, want := treeRepo(t)
	r.Repack()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := treesDir(ctx, filepath.Join(r.Dir, ".git"), want, Options{}); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestTreesLongNames: names longer than the window treeStarts gathers of
// a tree delta it does not build (git itself writes names up to the file
// system's 255 bytes; a crafted tree may hold any length).
func TestTreesLongNames(t *testing.T) {
	r := gittest.New(t)
	id, _ := gittest.FakeKey(7)
	long := strings.Repeat("n", 700) + "-" + id + ".txt"
	blob := r.GitInput("long name\n", "hash-object", "-w", "--stdin")
	var parent string
	for i := range 25 {
		small := r.GitInput(fmt.Sprintf("version %d\n", i), "hash-object", "-w", "--stdin")
		var b strings.Builder
		for j := range 12 {
			fmt.Fprintf(&b, "100644 blob %s\tfile%02d.txt\n", blob, j)
		}
		fmt.Fprintf(&b, "100644 blob %s\t%s%d\n", small, long, i%3)
		fmt.Fprintf(&b, "100644 blob %s\tz-%d.txt\n", small, i)
		tree := r.GitInput(b.String(), "mktree")
		args := []string{"commit-tree", tree, "-m", fmt.Sprint(i)}
		if parent != "" {
			args = append(args, "-p", parent)
		}
		parent = r.Git(args...)
	}
	r.Git("update-ref", "refs/heads/main", parent)
	r.Git("repack", "-adfq", "--depth=50", "--window=50")
	// Every blob is wanted, so git's listing of each tree is all of it.
	want := map[repo.ID]bool{}
	for _, line := range strings.Split(r.Git("cat-file", "--batch-all-objects", "--batch-check"), "\n") {
		if f := strings.Fields(line); f[1] == "blob" {
			want[hexID(f[0])] = true
		}
	}
	x, problems := trees(t, r, want)
	for _, p := range problems {
		t.Errorf("problem: %s", p)
	}
	truth := treeTruth(t, r, want)
	for tree, ents := range truth {
		if got := slices.Collect(x.Entries(tree)); !slices.Equal(got, ents) {
			t.Errorf("tree %s:\ngot  %v\nwant %v", tree, got, ents)
		}
	}
	res := scan(t, r.Dir, Options{})
	if !res.KeyNames || len(res.Problems) > 0 {
		t.Errorf("scan: key in a name %v, problems %v", res.KeyNames, res.Problems)
	}
	if deltas := r.Git("verify-pack", "-v", mustGlob(t, filepath.Join(r.Dir, ".git/objects/pack/*.idx"))); !strings.Contains(deltas, "chain length = 2") {
		t.Fatalf("no tree deltas to test:\n%s", deltas)
	}
}

func mustGlob(t *testing.T, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(pattern)
	if len(m) != 1 {
		t.Fatalf("%s: %d matches", pattern, len(m))
	}
	return m[0]
}
