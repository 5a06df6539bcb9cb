package action

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/safefile"
)

// event is the part of GITHUB_EVENT_PATH's payload that decides what to scan.
type event struct {
	// push
	Ref     string `json:"ref"`
	Before  string `json:"before"`
	After   string `json:"after"`
	Forced  bool   `json:"forced"`
	Deleted bool   `json:"deleted"`

	PullRequest *pullRequest `json:"pull_request"`
	MergeGroup  *struct {
		BaseSHA string `json:"base_sha"`
		HeadSHA string `json:"head_sha"`
	} `json:"merge_group"`

	Repository struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

type pullRequest struct {
	Number int    `json:"number"`
	Base   prSide `json:"base"`
	Head   prSide `json:"head"`
}

type prSide struct {
	SHA  string `json:"sha"`
	Ref  string `json:"ref"`
	Repo struct {
		FullName string `json:"full_name"`
		Fork     bool   `json:"fork"`
	} `json:"repo"`
}

// fork reports whether the pull request comes from another repository,
// whose runs get a read-only token and no OIDC ID token.
func (pr *pullRequest) fork() bool {
	return pr.Head.Repo.FullName != "" && pr.Head.Repo.FullName != pr.Base.Repo.FullName
}

func readEvent(path string) (*event, error) {
	ev := &event{}
	if path == "" {
		return ev, nil
	}
	b, err := safefile.Read(path, safefile.EventLimit)
	if err != nil {
		return nil, fmt.Errorf("read the event payload (GITHUB_EVENT_PATH): %w", err)
	}
	return parseEvent(path, b)
}

// parseEvent decodes the payload b read from path.
func parseEvent(path string, b []byte) (*event, error) {
	ev := &event{}
	if err := json.Unmarshal(b, ev); err != nil {
		return nil, fmt.Errorf("parse the event payload %s: %w", path, err)
	}
	return ev, nil
}

// isZeroSHA reports whether s is the all-zeros object ID GitHub sends for
// a ref that does not exist (before a creation, after a deletion). An
// empty or missing value is not one: it is a payload that says nothing.
func isZeroSHA(s string) bool { return isSHA(s) && strings.Trim(s, "0") == "" }

// isSHA reports whether s is a full object ID (SHA-1 or SHA-256).
func isSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	return strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// checkPush refuses a push payload that does not say what was pushed:
// GITHUB_EVENT_PATH empty, `{}`, another event's payload. Taking a
// missing after for a deletion would pass the job without scanning.
func (ev *event) checkPush() error {
	if ev.Deleted {
		return nil
	}
	for _, f := range []struct{ name, v string }{{"after", ev.After}, {"before", ev.Before}} {
		switch {
		case f.v == "":
			return fmt.Errorf("push event without %s in GITHUB_EVENT_PATH (an empty or non-push payload): cannot tell what the push added, so nothing was scanned; set since, or run on the push event's own payload", f.name)
		case !isSHA(f.v):
			return fmt.Errorf("push event: %s is not a commit ID in GITHUB_EVENT_PATH, so nothing was scanned", f.name)
		}
	}
	return nil
}

// scope is what one run scans and how its results reach code scanning.
type scope struct {
	// Since is the --since revision; "" scans the whole history.
	Since string
	// Describe says in one line what is scanned, for the log and summary.
	Describe string
	// Checks runs the account checks (full audits: schedule, dispatch).
	Checks bool
	// Nothing is set when there is nothing to scan (a deleted branch).
	Nothing bool
	// SettingsRev is the commit whose settings and suppressions decide
	// the verdict: the base for pull requests and merge queues (the
	// reviewed state), the pushed commit otherwise; SettingsWhy says so.
	SettingsRev string
	SettingsWhy string
	// Notices are said once, before the scan.
	Notices []string

	// PR is the pull request number, 0 for other events.
	PR      int
	Fork    bool
	PRHead  string
	BaseSHA string
	// Ref is the ref the analysis belongs to (GITHUB_REF, or the pull
	// request's merge ref). Whatever the gate judges, the analysis
	// uploaded for it is always the full history's.
	Ref string
}

// repoFacts answers what planScope needs to know about the checkout. The
// repository is opened by package repo and read by package pack, as the
// scan reads it, so every layout the scan reads (a sparse checkout's
// extensions.worktreeConfig, SHA-256, alternates) can be planned too.
type repoFacts struct {
	store   *pack.Store
	refs    *repo.Refs
	shallow bool
	head    *pack.Commit
}

func openFacts(path string) (*repoFacts, error) {
	r, err := repo.Open(path)
	if err != nil {
		if errors.Is(err, repo.ErrNotRepository) {
			return nil, fmt.Errorf("%s is not a git repository: check out the repository first (actions/checkout with fetch-depth: 0)", path)
		}
		return nil, fmt.Errorf("open git repository %s: %w", path, err)
	}
	refs, err := r.Refs()
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", path, err)
	}
	// The store stays open for planScope; its pack files are os.Files,
	// closed when the facts are collected.
	store, err := pack.Open(r)
	if err != nil {
		return nil, fmt.Errorf("read the objects of %s: %w", r.CommonDir, err)
	}
	f := &repoFacts{store: store, refs: refs}
	if sh, err := r.Shallow(); err == nil && len(sh) > 0 {
		f.shallow = true
	}
	if !refs.Head.IsZero() {
		f.head = f.commit(refs.Head)
	}
	return f, nil
}

// commit reads a commit, nil if the checkout does not have it.
func (f *repoFacts) commit(id repo.ID) *pack.Commit {
	typ, b, err := f.store.Read(id)
	if err != nil || typ != pack.TypeCommit {
		return nil
	}
	c, err := pack.ParseCommit(id, b)
	if err != nil {
		return nil
	}
	return &c
}

func (f *repoFacts) headSHA() string {
	if f.head == nil {
		return ""
	}
	return f.head.Hash.String()
}

// parents are the head's parents as hexadecimal names.
func (f *repoFacts) parents() []string {
	if f.head == nil {
		return nil
	}
	out := make([]string, len(f.head.Parents))
	for i, p := range f.head.Parents {
		out[i] = p.String()
	}
	return out
}

// refExists reports whether the checkout has ref, as a local ref or as
// origin's remote-tracking one.
func (f *repoFacts) refExists(ref string) bool {
	names := []string{ref}
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		names = append(names, "refs/remotes/origin/"+b)
	}
	for _, n := range names {
		if _, ok := f.refs.Lookup(n); ok {
			return true
		}
	}
	return false
}

// checkedOut refuses a checkout whose HEAD does not contain sha: the range
// base..HEAD would then leave the event's commits out (pull_request_target
// checks out the base by default) and pass them unseen.
func (f *repoFacts) checkedOut(what, sha, fix string) error {
	if sha == "" {
		return fmt.Errorf("the event payload does not name %s (GITHUB_EVENT_PATH), so what to judge is unknown", what)
	}
	if f.head == nil {
		return fmt.Errorf("the checkout has no HEAD commit; %s", fix)
	}
	if f.head.Hash.String() == sha {
		return nil
	}
	// The merge commit actions/checkout makes: the head is a parent. The
	// usual cases are answered without walking the history.
	if slices.Contains(f.parents(), sha) {
		return nil
	}
	if !f.hasCommit(sha) {
		return fmt.Errorf("%s %s is not in the checkout, so its commits cannot be judged; %s", what, short(sha), fix)
	}
	ok, complete := f.reaches(f.head.Hash, sha)
	if !complete && f.shallow {
		return nil // the walk hit the shallow boundary; the scan says how to fix that
	}
	if !ok {
		return fmt.Errorf("HEAD %s does not contain %s %s, so its commits would go unjudged; %s", short(f.head.Hash.String()), what, short(sha), fix)
	}
	return nil
}

// reaches reports whether commit sha is from or an ancestor of from, and
// whether every commit on the way could be read.
func (f *repoFacts) reaches(from repo.ID, sha string) (found, complete bool) {
	complete = true
	seen := map[repo.ID]bool{from: true}
	queue := []repo.ID{from}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if id.String() == sha {
			return true, complete
		}
		c := f.commit(id)
		if c == nil {
			complete = false
			continue
		}
		for _, p := range c.Parents {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	return false, complete
}

// hasCommit reports whether the commit is in the repository.
func (f *repoFacts) hasCommit(sha string) bool {
	id, err := repo.ParseID(sha)
	if err != nil || id.Size() != f.store.HashSize() {
		return false
	}
	return f.commit(id) != nil
}

// defaultBranch returns the commit the default branch is at, looking at
// the remote-tracking branch first (what actions/checkout fetches), "" if
// the checkout does not have it.
func (f *repoFacts) defaultBranch(name string) string {
	if name == "" {
		return ""
	}
	for _, ref := range []string{"refs/remotes/origin/" + name, "refs/heads/" + name} {
		if id, ok := f.refs.Lookup(ref); ok {
			return id.String()
		}
	}
	return ""
}

// missing is the one-line error for a range end that is not checked out,
// with the fix: almost always a shallow checkout.
func (f *repoFacts) missing(what, sha string) error {
	if f.shallow {
		return fmt.Errorf("%s %s is not in this shallow clone, so the range cannot be scanned; check out the full history: actions/checkout with `fetch-depth: 0`", what, sha)
	}
	return fmt.Errorf("%s %s is not in the checkout; check out the full history (actions/checkout with `fetch-depth: 0`) or fetch it (git fetch origin %s)", what, sha, sha)
}

// planScope derives what to scan from the event. The contract
// (docs/github-action.md, "What each event scans"):
//
//	pull_request(_target)  base.sha..HEAD (HEAD = the merge commit or head.sha)
//	push                   before..after; before all zeros: the commits not on
//	                       the default branch (the whole history when the
//	                       default branch itself is created)
//	merge_group            base_sha..HEAD
//	schedule, dispatch     the whole history, and the account checks
//
// since, when given, wins over the event.
func planScope(eventName string, ev *event, since, githubRef string, f *repoFacts) (*scope, error) {
	s := &scope{Ref: githubRef}
	defaultBranch := ev.Repository.DefaultBranch
	full := func(why string) {
		s.Since = ""
		s.Describe = "the whole history of every ref" + why
	}
	switch eventName {
	case "pull_request", "pull_request_target":
		pr := ev.PullRequest
		if pr == nil || pr.Base.SHA == "" {
			return nil, fmt.Errorf("%s event without pull_request.base.sha in GITHUB_EVENT_PATH", eventName)
		}
		s.PR, s.Fork, s.PRHead, s.BaseSHA = pr.Number, pr.fork(), pr.Head.SHA, pr.Base.SHA
		s.Ref = fmt.Sprintf("refs/pull/%d/merge", pr.Number)
		s.Since = pr.Base.SHA
		head := f.headSHA()
		switch {
		case head == pr.Head.SHA:
			s.Ref = fmt.Sprintf("refs/pull/%d/head", pr.Number)
		case len(f.parents()) == 2 && f.parents()[1] == pr.Head.SHA:
			// The merge commit actions/checkout checks out: its first
			// parent is the base it merges into, which is base.sha unless
			// the base branch moved since the event; then the first parent
			// is the exact base, and base.sha would pull the base branch's
			// newer commits into the pull request.
			if p := f.parents()[0]; f.hasCommit(p) {
				s.Since = p
			}
		case head != "":
			s.Notices = append(s.Notices, fmt.Sprintf("HEAD %s is neither the pull request's head %s nor its merge commit; scanning the commits in %s..HEAD", short(head), short(pr.Head.SHA), short(pr.Base.SHA)))
		}
		if !f.hasCommit(s.Since) {
			return nil, f.missing("the pull request's base commit", s.Since)
		}
		if err := f.checkedOut("the pull request's head", pr.Head.SHA, "check out the pull request: actions/checkout's default for pull_request, or `ref: ${{ github.event.pull_request.head.sha }}` for pull_request_target"); err != nil {
			return nil, err
		}
		s.Describe = fmt.Sprintf("pull request #%d: the commits in %s..HEAD", pr.Number, short(s.Since))
		s.SettingsRev, s.SettingsWhy = s.Since, "the pull request's base"

	case "push":
		if err := ev.checkPush(); err != nil {
			return nil, err
		}
		// The pushed commit is the branch's state now; for a protected
		// branch, the reviewed one.
		s.SettingsRev, s.SettingsWhy = "HEAD", "the pushed commit"
		switch {
		case ev.Deleted:
			s.Nothing = true
			s.Describe = "nothing: the push deleted " + ev.Ref
			return s, nil
		case isZeroSHA(ev.After):
			if ev.Ref == "" || f.refExists(ev.Ref) {
				return nil, fmt.Errorf("push event with after all zeros (a deletion) but without deleted: true, and %s is in the checkout; refusing to skip the scan", cmp.Or(ev.Ref, "no ref"))
			}
			s.Nothing = true
			s.Describe = "nothing: the push deleted " + ev.Ref + " (after is all zeros and the ref is gone)"
			return s, nil
		case isZeroSHA(ev.Before):
			s.branchBase(f, ev.Ref, defaultBranch, "new "+refKind(ev.Ref))
		case f.hasCommit(ev.Before):
			s.Since = ev.Before
			s.Describe = fmt.Sprintf("push to %s: the commits in %s..%s", ev.Ref, short(ev.Before), short(ev.After))
			if ev.Forced {
				s.Describe += " (force push: the new commits only)"
			}
		case ev.Forced && !f.shallow:
			// A force push's old tip is on no ref any more, so a full
			// fetch does not bring it; the commits the default branch
			// lacks are the next best range.
			s.Notices = append(s.Notices, fmt.Sprintf("the commit before the force push (%s) is not in the checkout; scanning the commits that are not on the default branch instead", short(ev.Before)))
			s.branchBase(f, ev.Ref, defaultBranch, "force push")
		default:
			return nil, f.missing("the commit before the push", ev.Before)
		}
		if err := f.checkedOut("the pushed commit", ev.After, "check out the pushed commit (actions/checkout's default for push)"); err != nil {
			return nil, err
		}
		if head := f.headSHA(); head != "" && head != ev.After {
			s.Notices = append(s.Notices, fmt.Sprintf("HEAD %s is not the pushed commit %s; scanning what is reachable from HEAD", short(head), short(ev.After)))
		}

	case "merge_group":
		mg := ev.MergeGroup
		if mg == nil || mg.BaseSHA == "" {
			return nil, errors.New("merge_group event without merge_group.base_sha in GITHUB_EVENT_PATH")
		}
		if !f.hasCommit(mg.BaseSHA) {
			return nil, f.missing("the merge queue's base commit", mg.BaseSHA)
		}
		if err := f.checkedOut("the merge queue's head", mg.HeadSHA, "check out the merge group's head (actions/checkout's default for merge_group)"); err != nil {
			return nil, err
		}
		s.Since = mg.BaseSHA
		s.Describe = fmt.Sprintf("merge queue: the commits in %s..HEAD", short(mg.BaseSHA))
		s.SettingsRev, s.SettingsWhy = mg.BaseSHA, "the merge queue's base"

	case "schedule", "workflow_dispatch":
		full("")
		s.Checks = true
		s.SettingsRev, s.SettingsWhy = "HEAD", "the checked-out commit"

	default:
		full(" (" + cmp.Or(eventName, "no event") + ": no range to derive)")
		s.SettingsRev, s.SettingsWhy = "HEAD", "the checked-out commit"
	}

	if since != "" {
		s.Since = since
		s.Describe = fmt.Sprintf("the commits in %s..HEAD (since input)", since)
		s.SettingsRev, s.SettingsWhy = since, "the since input"
	}
	if s.Since == "" && f.shallow {
		return nil, errors.New("shallow clone: a full-history scan needs every commit; check out the full history: actions/checkout with `fetch-depth: 0`")
	}
	return s, nil
}

// branchBase scopes a new branch to the commits the default branch lacks,
// or to the whole history when the branch is the default branch or the
// default branch was not fetched.
func (s *scope) branchBase(f *repoFacts, ref, defaultBranch, what string) {
	if ref == "refs/heads/"+defaultBranch || defaultBranch == "" {
		s.Since = ""
		s.Describe = fmt.Sprintf("%s %s: the whole history", what, ref)
		return
	}
	if base := f.defaultBranch(defaultBranch); base != "" {
		s.Since = base
		s.Describe = fmt.Sprintf("%s %s: the commits not on %s (%s..HEAD)", what, ref, defaultBranch, short(base))
		return
	}
	s.Since = ""
	s.Describe = fmt.Sprintf("%s %s: the whole history (the default branch %s is not in the checkout)", what, ref, defaultBranch)
}

func refKind(ref string) string {
	if strings.HasPrefix(ref, "refs/tags/") {
		return "tag"
	}
	return "branch"
}

func short(sha string) string {
	if _, err := repo.ParseID(sha); err == nil {
		return sha[:12]
	}
	return sha
}
