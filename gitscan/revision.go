package gitscan

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Resolve turns a revision (--since, the action's since) into the commit
// it names in the repository at path, the same way the scan does.
func Resolve(path, rev string) (plumbing.Hash, error) {
	repo, err := open(path)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	h := &history{repo: repo, skipped: newSkipList()}
	return h.resolve(rev)
}

// reflogSelector is REF@{N}: the value REF had N changes ago. Every other
// @{…} form (dates, @{-N}, @{upstream}) and a suffix after the brace are
// refused rather than guessed.
var reflogSelector = regexp.MustCompile(`^([^@{}~^:\s]*)@\{([0-9]+)\}$`)

// resolveRevision resolves rev in repo. go-git reads no reflogs and quietly
// drops an @{…} suffix, so HEAD@{4} would become HEAD and a range scan
// would scan nothing; reflog selectors are resolved here or refused.
func resolveRevision(repo *git.Repository, rev string) (plumbing.Hash, error) {
	if !strings.Contains(rev, "@{") {
		hash, err := repo.ResolveRevision(plumbing.Revision(rev))
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("no such commit in this repository")
		}
		return *hash, nil
	}
	m := reflogSelector.FindStringSubmatch(rev)
	if m == nil {
		return plumbing.ZeroHash, fmt.Errorf("only the reflog selector REF@{N} is supported; pass the commit instead: --since $(git rev-parse '%s')", rev)
	}
	n, err := strconv.Atoi(m[2])
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reflog index %s is out of range", m[2])
	}
	ref, err := reflogRef(repo, m[1])
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries, err := reflog(repo, ref)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if n >= len(entries) {
		return plumbing.ZeroHash, fmt.Errorf("the reflog of %s only has %d entries", ref, len(entries))
	}
	return entries[len(entries)-1-n], nil
}

// reflogRef finds the ref whose reflog REF@{N} reads: the current branch
// for an empty REF, as git does, and git's usual order of prefixes
// otherwise.
func reflogRef(repo *git.Repository, name string) (string, error) {
	if name == "" || name == "@" {
		head, err := repo.Storer.Reference(plumbing.HEAD)
		if err != nil || head.Type() != plumbing.SymbolicReference {
			return "", fmt.Errorf("@{N} reads the current branch's reflog, and HEAD is not on a branch")
		}
		return head.Target().String(), nil
	}
	if name == "HEAD" {
		return name, nil
	}
	for _, p := range []string{"", "refs/", "refs/tags/", "refs/heads/", "refs/remotes/"} {
		if _, err := repo.Storer.Reference(plumbing.ReferenceName(p + name)); err == nil {
			return p + name, nil
		}
	}
	return "", fmt.Errorf("no ref named %s", name)
}

// reflog reads the new values of ref's reflog, oldest first; the format
// is one line per entry: "<old> <new> <who> <when>\t<message>".
func reflog(repo *git.Repository, ref string) ([]plumbing.Hash, error) {
	fs, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return nil, fmt.Errorf("the repository has no reflog to read")
	}
	f, err := fs.Filesystem().Open("logs/" + ref)
	if err != nil {
		return nil, fmt.Errorf("%s has no reflog in this repository (a fresh clone has none)", ref)
	}
	defer f.Close()
	var out []plumbing.Hash
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && plumbing.IsHash(fields[1]) {
			out = append(out, plumbing.NewHash(fields[1]))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the reflog of %s: %w", ref, err)
	}
	return out, nil
}
