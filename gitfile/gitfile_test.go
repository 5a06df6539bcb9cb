package gitfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/keysweep/keysweep/internal/gittest"
)

func TestRead(t *testing.T) {
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
	head := plumbing.NewHash(r.Git("rev-parse", "HEAD"))
	repo, err := git.PlainOpen(r.Dir)
	if err != nil {
		t.Fatal(err)
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
		{path: "sub", limit: MaxSettings, wantErr: name + "sub is not a regular file"},
		{path: "dir", limit: MaxSettings, wantErr: name + "dir is not a regular file"},
		{path: "nope", limit: MaxSettings, missing: true},
		{path: "nope/deeper", limit: MaxSettings, missing: true},
		{path: ".keysweep.yml/x", limit: MaxSettings, missing: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			f, err := Read(repo, head, tt.path, tt.limit)
			switch {
			case tt.missing:
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("err = %v, want not exist", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "root:") {
					t.Fatal("the error quotes the link's target")
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if string(f.Data) != tt.want || f.Name != name+tt.path || f.Blob.IsZero() {
					t.Fatalf("got %q %s %s", f.Data, f.Name, f.Blob)
				}
			}
		})
	}
	if b, err := BlobAt(repo, head, "nope"); err != nil || !b.IsZero() {
		t.Errorf("BlobAt(nope) = %s, %v", b, err)
	}
	if _, err := Read(repo, plumbing.NewHash(strings.Repeat("2", 40)), ".keysweepignore", MaxSettings); err == nil {
		t.Error("a missing commit was read")
	}
}
