// Package gittest builds real git repositories with the git CLI inside a
// test's temporary directory, with fixed identities and dates so hashes and
// attribution are deterministic.
package gittest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Repo is a repository under construction.
type Repo struct {
	t    testing.TB
	Dir  string
	tick int
	// Date, if set, is the author and committer date of every command
	// instead of the ticking clock: many commits in one second, or a
	// child dated before its parent.
	Date string
}

// New runs `git init` in a fresh temporary directory with main as the
// initial branch; initArgs are passed on (--object-format=sha256).
func New(t testing.TB, initArgs ...string) *Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git not installed: %v", err)
	}
	r := &Repo{t: t, Dir: t.TempDir()}
	r.Git(append([]string{"init", "-q", "-b", "main"}, initArgs...)...)
	r.Git("config", "core.autocrlf", "false")
	r.Git("config", "gc.auto", "0")
	return r
}

// At is a Repo for an existing directory, such as a clone or a linked
// work tree a test made with Git.
func At(t testing.TB, dir string) *Repo {
	return &Repo{t: t, Dir: dir}
}

// Git runs git in the repository and returns its trimmed stdout. Every
// commit gets the next tick of a fixed clock, so "first introduced" has a
// definite answer.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	out, err := r.run(nil, args...)
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// TryGit runs git and returns its output and error instead of failing the
// test, for commands expected to fail (a conflicting merge).
func (r *Repo) TryGit(args ...string) (string, error) {
	return r.run(nil, args...)
}

// GitInput is Git with stdin.
func (r *Repo) GitInput(stdin string, args ...string) string {
	r.t.Helper()
	out, err := r.run(strings.NewReader(stdin), args...)
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

func (r *Repo) run(stdin *strings.Reader, args ...string) (string, error) {
	r.tick++
	date := fmt.Sprintf("2024-01-01T00:%02d:%02dZ", (r.tick/60)%60, r.tick%60)
	if r.Date != "" {
		date = r.Date
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Alice Example", "GIT_AUTHOR_EMAIL=alice@example.com",
		"GIT_COMMITTER_NAME=Alice Example", "GIT_COMMITTER_EMAIL=alice@example.com",
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date,
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+r.Dir, "GIT_TERMINAL_PROMPT=0",
	)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// Write creates or replaces a file in the work tree.
func (r *Repo) Write(path, content string) {
	r.t.Helper()
	full := filepath.Join(r.Dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// Remove deletes a file from the work tree and the index.
func (r *Repo) Remove(path string) {
	r.t.Helper()
	r.Git("rm", "-q", "--", path)
}

// Move renames a file with git mv, creating the target directory.
func (r *Repo) Move(from, to string) {
	r.t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(r.Dir, filepath.FromSlash(to))), 0o755); err != nil {
		r.t.Fatal(err)
	}
	r.Git("mv", from, to)
}

// Commit stages everything and commits, returning the new commit's hash.
func (r *Repo) Commit(msg string) string {
	r.t.Helper()
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}

// Repack packs every object with deep delta chains, so a test can check
// that what is found in loose objects is also found through deltas.
func (r *Repo) Repack() {
	r.t.Helper()
	r.Git("repack", "-adfq", "--depth=50", "--window=50")
	r.Git("prune", "--expire=now") // leftovers of conflicted merges
	r.Git("prune-packed")
}

// DropObject rewrites the repository's packs without one object, as a
// broken mirror or a bad gc would leave it. Call Repack first.
func (r *Repo) DropObject(hash string) {
	r.t.Helper()
	var keep []string
	for _, line := range strings.Split(r.Git("rev-list", "--objects", "--all"), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] != hash {
			keep = append(keep, f[0])
		}
	}
	old, _ := filepath.Glob(filepath.Join(r.Dir, ".git", "objects", "pack", "pack-*"))
	r.GitInput(strings.Join(keep, "\n")+"\n", "pack-objects", "-q", ".git/objects/pack/pack")
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			r.t.Fatal(err)
		}
	}
}

// CorruptLoose flips the second half of a loose object's bytes, so its
// zlib stream fails while its header may still read.
func (r *Repo) CorruptLoose(hash string) {
	r.t.Helper()
	f := filepath.Join(r.Dir, ".git", "objects", hash[:2], hash[2:])
	data, err := os.ReadFile(f)
	if err != nil {
		r.t.Fatal(err)
	}
	for i := len(data) / 2; i < len(data); i++ {
		data[i] ^= 0x5a
	}
	_ = os.Chmod(f, 0o644) // git writes loose objects read-only
	if err := os.WriteFile(f, data, 0o644); err != nil {
		r.t.Fatal(err)
	}
}
