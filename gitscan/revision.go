package gitscan

import (
	"bufio"
	"cmp"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/escape"
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

// checkRevision refuses the revision forms --since cannot mean: a range
// (git's A..B or A...B) names two commits, and guessing which one is the
// base would scan the wrong commits.
func checkRevision(rev string) error {
	if a, b, ok := strings.Cut(rev, ".."); ok {
		b = strings.TrimPrefix(b, ".")
		return &Error{Msg: fmt.Sprintf("--since %s is a range; --since takes the base alone and scans base..HEAD: check out %s and pass --since %s",
			revText(rev), revText(cmp.Or(b, "HEAD")), revText(cmp.Or(a, "HEAD")))}
	}
	return nil
}

// revText is a revision as the user typed it, escaped for the terminal;
// a long one (hostile, or pasted wrong) is quoted as an excerpt.
func revText(rev string) string {
	if len(rev) <= 100 {
		return escape.Text(rev)
	}
	return escape.Excerpt(rev)
}

// fetchFix is the advice for a revision this repository does not have:
// the git fetch that brings it, spelt for the kind of name it is. A
// remote-tracking name (origin/main) is fetched as its branch into that
// very ref (git fetch origin origin/main asks the remote for a ref it
// does not have), a name with ~N or ^ is fetched by its base, and a
// shallow clone (actions/checkout's default) needs its history deepened
// whatever is fetched.
func (h *history) fetchFix(rev string) string {
	base := rev
	if cut := strings.IndexAny(base, "~^"); cut >= 0 {
		base = base[:cut]
	}
	fetch := ""
	switch {
	case base == "" || base == "HEAD" || base == "@":
		fetch = ""
	case isHex(base) && len(base) >= 7:
		fetch = "git fetch origin " + base
	default:
		name := strings.TrimPrefix(base, "refs/")
		remote, branch := "origin", ""
		if r, b, ok := strings.Cut(strings.TrimPrefix(name, "remotes/"), "/"); ok && h.isRemote(r) {
			remote, branch = r, b
		}
		switch {
		case branch != "":
			fetch = fmt.Sprintf("git fetch %s +refs/heads/%s:refs/remotes/%s/%s", remote, branch, remote, branch)
		case strings.HasPrefix(name, "tags/"):
			fetch = "git fetch origin tag " + strings.TrimPrefix(name, "tags/")
		default:
			name = strings.TrimPrefix(name, "heads/")
			fetch = fmt.Sprintf("git fetch origin +refs/heads/%s:refs/remotes/origin/%s, then pass --since origin/%s", name, name, name)
		}
	}
	switch {
	case len(h.shallow) > 0 && fetch != "":
		return "this is a shallow clone: " + shallowFix + ", or fetch it (" + escape.Text(fetch) + ")"
	case len(h.shallow) > 0:
		return "this is a shallow clone: " + shallowFix
	case fetch != "":
		return "check the name, or fetch it (" + escape.Text(fetch) + ")"
	}
	return "check the name"
}

// isRemote reports whether name is a remote of this repository: it has
// remote-tracking refs, or it is origin, the name every clone and
// actions/checkout give the remote.
func (h *history) isRemote(name string) bool {
	if name == "origin" {
		return true
	}
	prefix := "refs/remotes/" + name + "/"
	for _, r := range h.refs.List {
		if strings.HasPrefix(r.Name, prefix) {
			return true
		}
	}
	return false
}
