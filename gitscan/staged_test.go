package gitscan

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/gittest"
)

func scanStagedOK(t *testing.T, dir string) *Result {
	t.Helper()
	res, err := ScanStaged(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("ScanStaged: %v", err)
	}
	return res
}

func stagedKeyIDs(ls []finding.Leak) []string {
	var ids []string
	for _, l := range ls {
		ids = append(ids, l.KeyID+"@"+l.Path)
	}
	slices.Sort(ids)
	return ids
}

func TestScanStagedSeesOnlyTheIndex(t *testing.T) {
	r := gittest.New(t)
	old, oldSecret := gittest.FakeKey(201)
	added, addedSecret := gittest.FakeKey(202)
	unstaged, _ := gittest.FakeKey(203)
	untracked, _ := gittest.FakeKey(204)
	restaged, _ := gittest.FakeKey(205)

	r.Write("config/.env", "AWS_ACCESS_KEY_ID="+old+"\nAWS_SECRET_ACCESS_KEY="+oldSecret+"\n")
	r.Write("notes.txt", "nothing\n")
	r.Write("app.py", "print('hi')\n")
	head := r.Commit("history already holds a key")

	// A staged new file with a key and its secret: the commit would add it.
	r.Write("deploy/creds.ini", "# ops\naws_access_key_id = "+added+"\naws_secret_access_key = "+addedSecret+"\n")
	r.Git("add", "deploy/creds.ini")
	// A staged edit of a file whose key HEAD already holds: not new.
	r.Write("config/.env", "# comment\nAWS_ACCESS_KEY_ID="+old+"\nAWS_SECRET_ACCESS_KEY="+oldSecret+"\n")
	r.Git("add", "config/.env")
	// Work-tree changes that are not staged are not in the commit.
	r.Write("notes.txt", "key "+unstaged+"\n")
	r.Write("scratch.txt", untracked+"\n")
	// Staged, then changed again: the index version is what counts.
	r.Write("app.py", "KEY = '"+restaged+"'\n")
	r.Git("add", "app.py")
	r.Write("app.py", "print('hi')\n")

	res := scanStagedOK(t, r.Dir)
	want := []string{added + "@deploy/creds.ini", restaged + "@app.py"}
	slices.Sort(want)
	if got := stagedKeyIDs(res.Leaks); !slices.Equal(got, want) {
		t.Fatalf("staged scan found %v, want %v", got, want)
	}
	if res.Head != head || res.Stats.Blobs != 3 {
		t.Errorf("head %s (want %s), %d blobs scanned (want the 3 staged changes)", res.Head, head, res.Stats.Blobs)
	}
	for _, l := range res.Leaks {
		if l.Commit != StagedCommit || l.InHead {
			t.Errorf("%s: commit %q, in HEAD %v", l.KeyID, l.Commit, l.InHead)
		}
		if l.KeyID == added {
			if l.Line != 2 || l.Column != 21 || l.Secret.Reveal() != addedSecret {
				t.Errorf("attribution %s:%d:%d, secret paired %v", l.Path, l.Line, l.Column, !l.Secret.IsZero())
			}
		}
	}
}

func TestScanStagedFirstCommitAndAllow(t *testing.T) {
	r := gittest.New(t)
	k1, _ := gittest.FakeKey(211)
	k2, _ := gittest.FakeKey(212)
	r.Write("a.txt", "x = "+k1+" # keysweep:allow fixture\n")
	r.Write("sub/b.txt", "y = "+k2+"\nagain "+k1+"\n")
	r.Git("add", "-A")
	res := scanStagedOK(t, r.Dir)
	if res.Head != "" {
		t.Errorf("unborn branch has head %q", res.Head)
	}
	got := stagedKeyIDs(res.Leaks)
	want := []string{k1 + "@a.txt", k1 + "@sub/b.txt", k2 + "@sub/b.txt"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("found %v, want %v", got, want)
	}
	for _, l := range res.Leaks {
		if allow := l.KeyID == k1 && l.Path == "a.txt"; l.InlineAllow != allow {
			t.Errorf("%s@%s: InlineAllow %v", l.KeyID, l.Path, l.InlineAllow)
		}
		if l.KeyID == k1 && l.OtherPaths != 1 {
			t.Errorf("%s@%s: other paths %v", l.KeyID, l.Path, l.OtherPaths)
		}
	}
}

func TestScanStagedNothingStaged(t *testing.T) {
	r := gittest.New(t)
	k, _ := gittest.FakeKey(221)
	r.Write("a.txt", k+"\n")
	r.Commit("key in history")
	if res := scanStagedOK(t, r.Dir); len(res.Leaks) != 0 || res.Stats.Blobs != 0 {
		t.Errorf("clean index: %d leaks, %d blobs", len(res.Leaks), res.Stats.Blobs)
	}
	bare := t.TempDir()
	r.Git("clone", "-q", "--bare", r.Dir, bare)
	if _, err := ScanStaged(context.Background(), bare, Options{}); err == nil || !strings.Contains(err.Error(), "work tree") {
		t.Errorf("bare repository: %v", err)
	}
}

// TestScanStagedNames checks that keys in the names the commit would add,
// a file's and a directory's, are found as a full scan finds them, and
// names HEAD already has are not.
func TestScanStagedNames(t *testing.T) {
	r := gittest.New(t)
	inHead, _ := gittest.FakeKey(211)
	file, _ := gittest.FakeKey(212)
	dir, _ := gittest.FakeKey(213)
	r.Write("keys/"+inHead+"/old.txt", "rotated\n")
	r.Commit("history already holds a key in a name")

	r.Write("keys/"+inHead+"/new.txt", "another file under the old directory\n")
	r.Write("keys/"+file+".csv", "rotated\n")
	r.Write("vault/"+dir+"/a.txt", "a\n")
	r.Write("vault/"+dir+"/b.txt", "b\n")
	r.Git("add", "-A")

	res := scanStagedOK(t, r.Dir)
	want := []string{file + "@keys/" + file + ".csv", dir + "@vault/" + dir}
	slices.Sort(want)
	if got := stagedKeyIDs(res.Leaks); !slices.Equal(got, want) {
		t.Fatalf("staged names %q, want %q", got, want)
	}
	for _, l := range res.Leaks {
		if l.Decoded != "file name" || l.Line != 1 || l.Column < 1 {
			t.Errorf("%s: decoded %q at %d:%d, want a file name at line 1", l.Path, l.Decoded, l.Line, l.Column)
		}
	}
}
