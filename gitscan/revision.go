package gitscan

import (
	"bufio"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// Resolve turns a revision (--since, the action's since) into the commit
// it names in the repository at path, the same way the scan does: a
// SHA-1 or a SHA-256 object name, as the repository stores them.
func Resolve(path, rev string) (repo.ID, error) {
	r, err := openRepo(path)
	if err != nil {
		return repo.ID{}, err
	}
	h, err := newHistory(r, pack.OpenReader)
	if err != nil {
		return repo.ID{}, err
	}
	defer h.store.Close()
	if h.shallow, err = r.Shallow(); err != nil {
		return repo.ID{}, &Error{Msg: "read shallow list of " + path, Err: err}
	}
	return h.resolve(rev)
}

// reflogSelector is REF@{N}: the value REF had N changes ago. Every other
// @{…} form (dates, @{-N}, @{upstream}) and a suffix after the brace are
// refused rather than guessed.
var reflogSelector = regexp.MustCompile(`^([^@{}~^:\s]*)@\{([0-9]+)\}$`)

// reflogRevision resolves REF@{N} from the reflog. A selector silently
// dropped would turn HEAD@{4} into HEAD and a range scan into an empty
// one, so anything but REF@{N} is refused in one line.
func (h *history) reflogRevision(rev string) (repo.ID, error) {
	m := reflogSelector.FindStringSubmatch(rev)
	if m == nil {
		return repo.ID{}, fmt.Errorf("only the reflog selector REF@{N} is supported; pass the commit instead: --since $(git rev-parse '%s')", rev)
	}
	n, err := strconv.Atoi(m[2])
	if err != nil {
		return repo.ID{}, fmt.Errorf("reflog index %s is out of range", m[2])
	}
	ref, dir, err := h.reflogRef(m[1])
	if err != nil {
		return repo.ID{}, err
	}
	entries, err := readReflog(filepath.Join(dir, "logs", filepath.FromSlash(ref)), ref)
	if err != nil {
		return repo.ID{}, err
	}
	if n >= len(entries) {
		return repo.ID{}, fmt.Errorf("the reflog of %s only has %d entries", ref, len(entries))
	}
	return entries[len(entries)-1-n], nil
}

// reflogRef finds the ref whose reflog REF@{N} reads, and the git
// directory holding that log: HEAD's is the work tree's own, a branch's
// the common one. An empty REF is the current branch, as in git.
func (h *history) reflogRef(name string) (string, string, error) {
	if name == "" || name == "@" {
		b, err := repo.ReadFile(filepath.Join(h.repo.GitDir, "HEAD"), 64<<10)
		target, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "ref:")
		if err != nil || !ok {
			return "", "", fmt.Errorf("@{N} reads the current branch's reflog, and HEAD is not on a branch")
		}
		return strings.TrimSpace(target), h.repo.CommonDir, nil
	}
	if name == "HEAD" {
		return name, h.repo.GitDir, nil
	}
	for _, p := range []string{"", "refs/", "refs/tags/", "refs/heads/", "refs/remotes/"} {
		if _, ok := h.refs.Lookup(p + name); ok {
			return p + name, h.repo.CommonDir, nil
		}
	}
	return "", "", fmt.Errorf("no ref named %s", name)
}

// readReflog reads the new values of a reflog, oldest first; the format
// is one line per entry: "<old> <new> <who> <when>\t<message>".
func readReflog(path, ref string) ([]repo.ID, error) {
	f, _, err := repo.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s has no reflog in this repository (a fresh clone has none)", ref)
	}
	defer f.Close()
	var out []repo.ID
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		var id repo.ID
		if len(fields) >= 2 && id.SetHex([]byte(fields[1])) {
			out = append(out, id)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the reflog of %s: %w", ref, err)
	}
	return out, nil
}
