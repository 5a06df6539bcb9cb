package gitscan

import (
	"strings"
	"testing"

	"github.com/keysweep/keysweep/internal/gittest"
)

// TestResolveAdvice checks that a revision the repository lacks gets the
// git fetch that brings it, spelt for its kind of name, and that a range
// is refused with the base it should have been.
func TestResolveAdvice(t *testing.T) {
	up := gittest.New(t)
	up.Write("a.txt", "a\n")
	up.Commit("one")
	up.Write("a.txt", "b\n")
	up.Commit("two")
	full := gittest.At(t, t.TempDir())
	full.Git("clone", "-q", up.Dir, ".")
	full.Git("remote", "add", "upstream", up.Dir)
	full.Git("fetch", "-q", "upstream")
	shallow := gittest.At(t, t.TempDir())
	shallow.Git("clone", "-q", "--depth=1", "file://"+up.Dir, ".")

	tests := []struct {
		name, dir, rev string
		want, not      []string
	}{
		{"range", full.Dir, "main..HEAD", []string{"is a range", "--since main"}, []string{"git fetch"}},
		{"symmetric range", full.Dir, "origin/main...feature", []string{"is a range", "check out feature", "--since origin/main"}, nil},
		{"remote-tracking name", full.Dir, "origin/release", []string{"git fetch origin +refs/heads/release:refs/remotes/origin/release"}, []string{"git fetch origin origin/"}},
		{"other remote", full.Dir, "upstream/dev~2", []string{"git fetch upstream +refs/heads/dev:refs/remotes/upstream/dev"}, []string{"dev~2)"}},
		{"full remote ref", full.Dir, "refs/remotes/origin/dev", []string{"git fetch origin +refs/heads/dev:refs/remotes/origin/dev"}, nil},
		{"branch name", full.Dir, "release", []string{"git fetch origin +refs/heads/release:refs/remotes/origin/release", "--since origin/release"}, nil},
		{"tag", full.Dir, "tags/v9", []string{"git fetch origin tag v9"}, nil},
		{"commit", full.Dir, "0123456789abcdef0123", []string{"git fetch origin 0123456789abcdef0123"}, nil},
		{"not a remote", full.Dir, "feature/x", []string{"+refs/heads/feature/x:refs/remotes/origin/feature/x"}, nil},
		{"shallow", shallow.Dir, "HEAD~1", []string{"shallow clone", "--unshallow"}, []string{"git fetch origin HEAD"}},
		{"shallow branch", shallow.Dir, "origin/dev", []string{"shallow clone", "--unshallow", "git fetch origin +refs/heads/dev:refs/remotes/origin/dev"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(tc.dir, tc.rev)
			if err == nil {
				t.Fatalf("Resolve(%q) succeeded", tc.rev)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(msg, n) {
					t.Errorf("error %q has %q", msg, n)
				}
			}
		})
	}
}
