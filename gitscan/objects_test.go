package gitscan

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/internal/gittest"
)

// A tree entry of a directory's mode that names a blob is a gap saying
// so, and the key in the blob is attributed at that path, in a full scan
// and in a range: not a "missing tree" and an "unreached" key.
func TestDirectoryEntryNamingABlob(t *testing.T) {
	r := gittest.New(t)
	k, s := gittest.FakeKey(61)
	r.Write("README", "hello\n")
	base := r.Commit("base")
	blob := strings.TrimSpace(r.GitInput(envFile(k, s), "hash-object", "-w", "--stdin"))
	readme := r.Git("rev-parse", "HEAD:README")
	raw := func(h string) string {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// git mktree refuses a blob under a directory's mode; the tree is
	// written literally, as a crafted repository would hold it.
	tree := "100644 README\x00" + raw(readme) + "40000 config\x00" + raw(blob)
	treeID := strings.TrimSpace(r.GitInput(tree, "hash-object", "-t", "tree", "--literally", "-w", "--stdin"))
	commit := strings.TrimSpace(r.Git("commit-tree", treeID, "-p", base, "-m", "crafted"))
	r.Git("update-ref", "refs/heads/main", commit)

	for _, tc := range []struct {
		name   string
		opts   Options
		repack bool
	}{
		{"full, loose", Options{}, false},
		{"range, loose", Options{Since: base}, false},
		{"full, packed", Options{}, true},
		{"range, packed", Options{Since: base}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.repack {
				// git repack refuses the crafted tree: every object is
				// packed by name.
				all := r.Git("cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
				r.GitInput(all+"\n", "pack-objects", "-q", ".git/objects/pack/pack")
				r.Git("prune-packed")
			}
			res := scanOK(t, r.Dir, tc.opts)
			found := false
			for _, l := range res.Leaks {
				if l.KeyID == k && l.Path == "config" && l.Commit == commit {
					found = true
				}
			}
			if !found {
				t.Errorf("key not attributed at config in the crafted commit: %+v", res.Leaks)
			}
			if len(res.Unreached) > 0 {
				t.Errorf("unreached: %v", res.Unreached)
			}
			if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], "blob "+blob+" is named with a directory's mode") {
				t.Errorf("gaps %q, want one naming blob %s as named with a directory's mode", res.Skipped, blob)
			}
		})
	}
}

// One byte changed in a stored commit (a broken disk) is a gap naming
// the commit: never a key ID differing from the committed one by one
// character reported in place of the real one, whichever path reads it.
func TestChangedCommitIsAGapNotAKey(t *testing.T) {
	r := gittest.New(t)
	r.Git("config", "core.compression", "0")
	r.Git("config", "pack.compression", "0")
	k, _ := gittest.FakeKey(62)
	r.Write("README", "hello\n")
	base := r.Commit("base")
	r.Write("b.txt", "more\n")
	commit := r.Commit("rotate " + k)
	r.Write("c.txt", "later\n")
	r.Commit("later")
	r.Git("repack", "-adq")
	packs, _ := filepath.Glob(filepath.Join(r.Dir, ".git", "objects", "pack", "*.pack"))
	data, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(k))
	if i < 0 || bytes.Count(data, []byte(k)) != 1 {
		t.Fatalf("the key is not stored once as is")
	}
	data[i+len(k)-1] ^= 1
	changed := string(data[i : i+len(k)])
	os.Chmod(packs[0], 0o644)
	if err := os.WriteFile(packs[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {Since: base}} {
		res := scanOK(t, r.Dir, opts)
		for _, l := range res.Leaks {
			if l.KeyID == changed {
				t.Errorf("%+v: reported %s, a key never committed", opts, changed)
			}
		}
		gap := false
		for _, s := range res.Skipped {
			gap = gap || strings.Contains(s, commit)
		}
		if !gap {
			t.Errorf("%+v: no gap names commit %s: %q", opts, commit, res.Skipped)
		}
	}
}
