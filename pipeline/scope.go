package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/escape"
)

// Locate finds what a scan of path reads: the repository's top directory
// (root: its work tree, or its git directory when it has none) and, when
// path is a directory inside the work tree rather than its top, that
// directory relative to the top in slash form (scope). The whole history
// is scanned either way; a scope keeps only the findings under it, so a
// monorepo can scan, gate and upload (each with its own category) one
// directory at a time.
//
// A path that does not exist, or is not a directory, is an error: scanning
// the repository that happens to enclose a mistyped path would report on
// something the user did not ask for. A path in no repository is left to
// the history scan, which says so.
func Locate(path string) (root, scope string, err error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", "", fmt.Errorf("%s does not exist: give the path of a git repository or of a directory in one", escape.Text(path))
	case err != nil:
		return "", "", fmt.Errorf("%s: %w", escape.Text(path), err)
	case !fi.IsDir():
		return "", "", fmt.Errorf("%s is not a directory: give the path of a git repository or of a directory in one", escape.Text(path))
	}
	r, err := repo.Open(path)
	if err != nil {
		return "", "", nil
	}
	if r.WorkTree == "" {
		return r.GitDir, "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return r.WorkTree, "", nil
	}
	// repo.Open walks up the lexical path, so the work tree is a prefix
	// of it.
	rel, err := filepath.Rel(r.WorkTree, abs)
	if err != nil || rel == "." || !filepath.IsLocal(rel) {
		return r.WorkTree, "", nil
	}
	rel = filepath.ToSlash(rel)
	if rel == ".git" || strings.HasPrefix(rel, ".git/") {
		return r.WorkTree, "", nil // the git directory is the repository
	}
	return r.WorkTree, rel, nil
}

// InScope reports whether a finding's path is in scope ("" is the whole
// repository): the directory itself or anything under it, an archive's
// members included ("dir/a.zip!inner").
func InScope(path, scope string) bool {
	return scope == "" || path == scope || strings.HasPrefix(path, scope+"/")
}

// scoped drops the leaks outside the configured scope and counts them in
// the report, which names the scope.
func scoped(rep *finding.Report, cfg Config, leaks []finding.Leak) []finding.Leak {
	if cfg.Scope == "" {
		return leaks
	}
	n := len(leaks)
	leaks = slices.DeleteFunc(leaks, func(l finding.Leak) bool { return !InScope(l.Path, cfg.Scope) })
	rep.OutOfScope = n - len(leaks)
	return leaks
}
