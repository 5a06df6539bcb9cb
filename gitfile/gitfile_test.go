package gitfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/gittest"
)

func open(t *testing.T, dir string) *Repo {
	t.Helper()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func id(t *testing.T, hex string) repo.ID {
	t.Helper()
	h, err := repo.ParseID(hex)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRead(t *testing.T) {
	for _, packed := range []bool{false, true} {
		t.Run(map[bool]string{false: "loose", true: "packed"}[packed], func(t *testing.T) {
			testRead(t, packed)
		})
	}
}

func testRead(t *testing.T, packed bool) {
	r := gittest.New(t)
	r.Write(".keysweepignore", "abc # why\n")
	r.Write("dir/nested.yml", "fail-on: none\n")
	r.Write("big", strings.Repeat("x", 100))
	r.Write("run.sh", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(r.Dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(r.Dir, ".keysweep.yml")); err != nil {
		t.Fatal(err)
	}
	r.Git("add", "-A")
	// A submodule entry, as `git submodule add` leaves it.
	r.Git("update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("1", 40)+",sub")
	r.Git("commit", "-q", "-m", "settings") // not Commit: add -A would drop the gitlink
	if packed {
		r.Repack()
	}
	head := id(t, r.Git("rev-parse", "HEAD"))
	g := open(t, r.Dir)
	if h, ok := g.Head(); !ok || h != head {
		t.Fatalf("Head() = %s %v, want %s", h, ok, head)
	}
	name := head.String()[:12] + ":"
	tests := []struct {
		path    string
		limit   int64
		want    string
		wantErr string
		missing bool
	}{
		{path: ".keysweepignore", limit: MaxSettings, want: "abc # why\n"},
		{path: "dir/nested.yml", limit: MaxSettings, want: "fail-on: none\n"},
		{path: "run.sh", limit: MaxSettings, want: "#!/bin/sh\n"},
		{path: "big", limit: 100, want: strings.Repeat("x", 100)},
		{path: "big", limit: 99, wantErr: name + "big is 100 bytes, over the limit of 99"},
		{path: ".keysweep.yml", limit: MaxSettings, wantErr: name + ".keysweep.yml is a symbolic link, not a regular file"},
		{path: "sub", limit: MaxSettings, wantErr: name + "sub is not a regular file (mode 0160000)"},
		{path: "dir", limit: MaxSettings, wantErr: name + "dir is not a regular file (mode 0040000)"},
		{path: "nope", limit: MaxSettings, missing: true},
		{path: "nope/deeper", limit: MaxSettings, missing: true},
		{path: ".keysweep.yml/x", limit: MaxSettings, missing: true},
		{path: "run.sh/x", limit: MaxSettings, missing: true},
		{path: "sub/x", limit: MaxSettings, missing: true},
		{path: "dir/", limit: MaxSettings, missing: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			f, err := g.Read(head, tt.path, tt.limit)
			switch {
			case tt.missing:
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("err = %v, want not exist", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "passwd") || strings.Contains(err.Error(), "root:") {
					t.Fatal("the error quotes the link's target")
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if string(f.Data) != tt.want || f.Name != name+tt.path || f.Blob.IsZero() {
					t.Fatalf("got %q %s %s", f.Data, f.Name, f.Blob)
				}
				if want := r.Git("rev-parse", "HEAD:"+tt.path); f.Blob.String() != want {
					t.Fatalf("blob %s, git says %s", f.Blob, want)
				}
				if b, err := g.BlobAt(head, tt.path); err != nil || b != f.Blob {
					t.Fatalf("BlobAt = %s, %v; Read's blob %s", b, err, f.Blob)
				}
			}
		})
	}
	if b, err := g.BlobAt(head, "nope"); err != nil || !b.IsZero() {
		t.Errorf("BlobAt(nope) = %s, %v", b, err)
	}
	if _, err := g.Read(id(t, strings.Repeat("2", 40)), ".keysweepignore", MaxSettings); err == nil {
		t.Error("a missing commit was read")
	}
	tree := id(t, r.Git("rev-parse", "HEAD^{tree}"))
	if _, err := g.Read(tree, ".keysweepignore", MaxSettings); err == nil || !strings.Contains(err.Error(), "is not a commit") {
		t.Errorf("a tree read as a commit: %v", err)
	}
}

// settingsHistory commits a settings file at a base commit and changes it
// afterwards, so a read that took HEAD or the working tree is told apart
// from one at the base. It returns the base commit.
func settingsHistory(r *gittest.Repo) string {
	r.Write(".keysweep.yml", "fail-on: none\n")
	r.Write("app/main.go", "package main\n")
	r.Write("docs/a.md", "a\n")
	base := r.Commit("settings")
	r.Write(".keysweep.yml", "fail-on: low\n")
	r.Commit("weaker settings")
	return base
}

// wantBase checks that the base commit's settings file is read in the
// repository at dir, and HEAD's differs.
func wantBase(t *testing.T, dir, base string) {
	t.Helper()
	g := open(t, dir)
	f, err := g.Read(id(t, base), ".keysweep.yml", MaxSettings)
	if err != nil {
		t.Fatal(err)
	}
	if string(f.Data) != "fail-on: none\n" || f.Name != base[:12]+":.keysweep.yml" {
		t.Fatalf("read %q as %s", f.Data, f.Name)
	}
	head, ok := g.Head()
	if !ok {
		t.Fatal("no HEAD")
	}
	now, err := g.BlobAt(head, ".keysweep.yml")
	if err != nil || now.IsZero() || now == f.Blob {
		t.Fatalf("HEAD's blob %s (%v), the base's %s: want another blob", now, err, f.Blob)
	}
}

func TestSHA256(t *testing.T) {
	r := gittest.New(t, "--object-format=sha256")
	base := settingsHistory(r)
	if len(base) != 64 {
		t.Fatalf("not a SHA-256 repository: %s", base)
	}
	wantBase(t, r.Dir, base)
	r.Repack()
	wantBase(t, r.Dir, base)
}

// A sparse checkout as actions/checkout leaves it: repository format 1
// with extensions.worktreeConfig, which go-git refused to open. (git 2.39
// leaves the format version at 0; newer git and actions/checkout set 1.)
func TestWorktreeConfig(t *testing.T) {
	r := gittest.New(t)
	base := settingsHistory(r)
	r.Git("config", "core.repositoryformatversion", "1")
	r.Git("sparse-checkout", "init", "--cone")
	r.Git("sparse-checkout", "set", "app")
	if v := r.Git("config", "extensions.worktreeConfig"); v != "true" {
		t.Fatalf("extensions.worktreeConfig = %q", v)
	}
	if v := r.Git("config", "core.repositoryformatversion"); v != "1" {
		t.Fatalf("core.repositoryformatversion = %q", v)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, "docs")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("docs/ is checked out: %v", err)
	}
	wantBase(t, r.Dir, base)
	wantBase(t, filepath.Join(r.Dir, "app"), base) // from a directory inside
}

// A clone whose objects are all in another repository (alternates).
func TestAlternates(t *testing.T) {
	src := gittest.New(t)
	base := settingsHistory(src)
	src.Repack()
	dst := filepath.Join(t.TempDir(), "clone")
	src.Git("clone", "-q", "--shared", src.Dir, dst)
	alt, err := os.ReadFile(filepath.Join(dst, ".git", "objects", "info", "alternates"))
	if err != nil || !strings.Contains(string(alt), src.Dir) {
		t.Fatalf("no alternates: %q %v", alt, err)
	}
	if packs, _ := filepath.Glob(filepath.Join(dst, ".git", "objects", "pack", "*.pack")); len(packs) != 0 {
		t.Fatalf("the clone has packs of its own: %v", packs)
	}
	wantBase(t, dst, base)
}

// A linked work tree reads the shared objects; its HEAD is its own.
func TestLinkedWorktree(t *testing.T) {
	r := gittest.New(t)
	base := settingsHistory(r)
	wt := filepath.Join(t.TempDir(), "wt")
	r.Git("worktree", "add", "-q", "--detach", wt, base)
	g := open(t, wt)
	if h, ok := g.Head(); !ok || h.String() != base {
		t.Fatalf("linked work tree's HEAD = %s, want %s", h, base)
	}
	f, err := g.Read(id(t, base), ".keysweep.yml", MaxSettings)
	if err != nil || string(f.Data) != "fail-on: none\n" {
		t.Fatalf("read %v %v", f, err)
	}
}

func TestOpenNotRepository(t *testing.T) {
	if _, err := Open(t.TempDir()); !errors.Is(err, repo.ErrNotRepository) {
		t.Fatalf("Open(empty dir) = %v, want not a repository", err)
	}
}
