package gitscan

import (
	"bufio"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// commitInfo is the part of a commit the scan needs, kept small because a
// full-history scan holds one per commit.
type commitInfo struct {
	hash    plumbing.Hash
	tree    plumbing.Hash
	parents []plumbing.Hash
	when    time.Time
	author  string
	email   string
	// msgHit: the message may hold a credential (mayHoldMessage).
	msgHit bool
}

// history is the commit graph of one scan.
type history struct {
	repo    *git.Repository
	shallow map[plumbing.Hash]bool
	skipped *skipList
	// commits in scope: every commit reachable from a ref, or the range.
	commits []*commitInfo
	// packed holds every stored commit, read by the pack engine in a full
	// scan, so the commit graph is walked without decoding objects again.
	packed map[plumbing.Hash]*commitInfo
	// extraBlobs are blobs tags point at directly, with the tag's name.
	extraBlobs map[plumbing.Hash]string
	// extraTrees are trees tags point at directly.
	extraTrees map[plumbing.Hash]string
	// tagNames names the annotated tag objects refs point at; msgTags are
	// those whose message may hold a credential (full scans only).
	tagNames, msgTags map[plumbing.Hash]string
	// keyNames: some tree entry's name holds a key ID (see nameMatches).
	keyNames bool
}

func shallowSet(repo *git.Repository) (map[plumbing.Hash]bool, error) {
	hs, err := repo.Storer.Shallow()
	if err != nil {
		return nil, err
	}
	m := make(map[plumbing.Hash]bool, len(hs))
	for _, h := range hs {
		m[h] = true
	}
	return m, nil
}

func (h *history) commit(hash plumbing.Hash) (*commitInfo, error) {
	if c, ok := h.packed[hash]; ok {
		return c, nil
	}
	c, err := object.GetCommit(h.repo.Storer, hash)
	if err != nil {
		return nil, err
	}
	return &commitInfo{
		hash:    c.Hash,
		tree:    c.TreeHash,
		parents: c.ParentHashes,
		when:    c.Committer.When,
		author:  c.Author.Name,
		email:   c.Author.Email,
		msgHit:  mayHoldMessage(c.Message),
	}, nil
}

// resolve turns --since into a commit, or says in one line why it cannot.
func (h *history) resolve(rev string) (plumbing.Hash, error) {
	hash, err := h.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return plumbing.ZeroHash, &Error{Msg: fmt.Sprintf("--since %s: no such commit in this repository; fetch it (git fetch origin %s) or %s", rev, rev, shallowFix)}
	}
	if _, err := h.commit(*hash); err != nil {
		return plumbing.ZeroHash, &Error{Msg: fmt.Sprintf("--since %s: commit %s is not in this repository; %s", rev, hash, shallowFix)}
	}
	return *hash, nil
}

// roots returns the commits every ref points at (tags peeled), plus the
// older stash entries that only the stash reflog remembers.
func (h *history) roots() ([]plumbing.Hash, int, error) {
	h.extraBlobs = map[plumbing.Hash]string{}
	h.extraTrees = map[plumbing.Hash]string{}
	h.tagNames = map[plumbing.Hash]string{}
	iter, err := h.repo.Storer.IterReferences()
	if err != nil {
		return nil, 0, &Error{Msg: "list refs", Err: err}
	}
	var roots []plumbing.Hash
	nrefs := 0
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() != plumbing.HashReference {
			return nil // symbolic refs (HEAD) point at a ref listed anyway
		}
		nrefs++
		h.peel(ref.Name().String(), ref.Hash(), &roots)
		return nil
	})
	if err != nil {
		return nil, 0, &Error{Msg: "list refs", Err: err}
	}
	// A detached HEAD is a ref of its own.
	if head, err := h.repo.Head(); err == nil {
		roots = append(roots, head.Hash())
	}
	roots = append(roots, h.stashReflog()...)
	return roots, nrefs, nil
}

// peel follows annotated tags to what they point at.
func (h *history) peel(name string, hash plumbing.Hash, roots *[]plumbing.Hash) {
	for depth := 0; depth < 10; depth++ {
		obj, err := h.repo.Storer.EncodedObject(plumbing.AnyObject, hash)
		if err != nil {
			h.skipped.add(hash, "object "+name+" points at", err)
			return
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			*roots = append(*roots, hash)
			return
		case plumbing.TreeObject:
			h.extraTrees[hash] = name
			return
		case plumbing.BlobObject:
			h.extraBlobs[hash] = name
			return
		case plumbing.TagObject:
			if _, ok := h.tagNames[hash]; !ok {
				h.tagNames[hash] = name
			}
			tag, err := object.DecodeTag(h.repo.Storer, obj)
			if err != nil {
				h.skipped.add(hash, "tag "+name, err)
				return
			}
			hash = tag.Target
		default:
			return
		}
	}
}

// stashReflog reads the commits of stash@{1} and older, which no ref
// points at; go-git does not read reflogs, and the format is one line per
// entry: "<old> <new> <who> <when>\t<message>".
func (h *history) stashReflog() []plumbing.Hash {
	fs, ok := h.repo.Storer.(*filesystem.Storage)
	if !ok {
		return nil
	}
	f, err := fs.Filesystem().Open("logs/refs/stash")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []plumbing.Hash
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && plumbing.IsHash(fields[1]) {
			out = append(out, plumbing.NewHash(fields[1]))
		}
	}
	return out
}

// allCommits collects every commit reachable from roots. Reaching a
// shallow boundary is an error: the history asked for is not all here.
func (h *history) allCommits(ctx context.Context, roots []plumbing.Hash) error {
	seen := make(map[plumbing.Hash]bool, len(roots))
	stack := append([]plumbing.Hash(nil), roots...)
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		hash := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[hash] {
			continue
		}
		seen[hash] = true
		if h.shallow[hash] {
			return &Error{Msg: fmt.Sprintf("shallow clone: history before commit %s is missing, so a full-history scan would be incomplete; %s", short(hash), shallowFix)}
		}
		c, err := h.commit(hash)
		if err != nil {
			h.skipped.add(hash, "commit", err)
			continue
		}
		h.commits = append(h.commits, c)
		for _, p := range c.parents {
			if !seen[p] {
				stack = append(stack, p)
			}
		}
	}
	return nil
}

// Flags painted on commits while computing a range.
const (
	fromHead = 1 << iota
	fromBase
	expanded
)

type rangeNode struct {
	c     *commitInfo
	flags int
	index int
}

type byDate []*rangeNode

func (q byDate) Len() int { return len(q) }
func (q byDate) Less(i, j int) bool {
	return q[i].c.when.After(q[j].c.when)
}
func (q byDate) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *byDate) Push(x any) { n := x.(*rangeNode); n.index = len(*q); *q = append(*q, n) }
func (q *byDate) Pop() any {
	old := *q
	n := old[len(old)-1]
	*q = old[:len(old)-1]
	return n
}

// rangeCommits collects the commits reachable from head and not from base
// the way git rev-list does: walk both sides newest first, painting, and
// stop once every commit still queued is reachable from base. Its cost
// follows the size of the range, not of the history.
func (h *history) rangeCommits(ctx context.Context, head, base plumbing.Hash, since string) error {
	nodes := map[plumbing.Hash]*rangeNode{}
	q := &byDate{}
	interesting := 0 // queued nodes not (yet) known to be reachable from base

	get := func(hash plumbing.Hash) (*rangeNode, error) {
		if n, ok := nodes[hash]; ok {
			return n, nil
		}
		c, err := h.commit(hash)
		if err != nil {
			return nil, err
		}
		n := &rangeNode{c: c, index: -1}
		nodes[hash] = n
		return n, nil
	}
	var markBase func(n *rangeNode)
	markBase = func(n *rangeNode) {
		if n.flags&fromBase != 0 {
			return
		}
		if n.index >= 0 && n.flags&fromHead != 0 {
			interesting--
		}
		n.flags |= fromBase
		if n.flags&expanded == 0 {
			return
		}
		// Already walked as part of the range: its known ancestors are
		// reachable from base too.
		for _, p := range n.c.parents {
			if pn, ok := nodes[p]; ok {
				markBase(pn)
			}
		}
	}
	push := func(n *rangeNode, flag int) {
		if flag == fromBase {
			markBase(n)
		} else {
			n.flags |= flag
		}
		if n.index < 0 && n.flags&expanded == 0 {
			heap.Push(q, n)
			if n.flags&fromBase == 0 {
				interesting++
			}
		}
	}

	hn, err := get(head)
	if err != nil {
		return &Error{Msg: "read HEAD commit", Err: err}
	}
	bn, err := get(base)
	if err != nil {
		return &Error{Msg: "read --since commit", Err: err}
	}
	push(hn, fromHead)
	push(bn, fromBase)

	for q.Len() > 0 && interesting > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := heap.Pop(q).(*rangeNode)
		n.index = -1
		n.flags |= expanded
		inRange := n.flags&fromBase == 0
		if inRange {
			interesting--
			if h.shallow[n.c.hash] {
				return &Error{Msg: fmt.Sprintf("shallow clone: the range %s..HEAD needs history before commit %s that is not here; %s", since, short(n.c.hash), shallowFix)}
			}
		}
		flag := n.flags & (fromHead | fromBase)
		if flag&fromBase != 0 {
			flag = fromBase
		}
		for _, p := range n.c.parents {
			pn, err := get(p)
			if err != nil {
				if !inRange {
					continue // the base side may be incomplete; that costs nothing
				}
				h.skipped.add(p, "commit (parent of "+short(n.c.hash)+")", err)
				continue
			}
			push(pn, flag)
		}
	}
	for _, n := range nodes {
		if n.flags&fromHead != 0 && n.flags&fromBase == 0 && n.flags&expanded != 0 {
			h.commits = append(h.commits, n.c)
		}
	}
	sortCommits(h.commits)
	return nil
}

// sortCommits orders oldest first, so the first commit holding a key is
// the one that introduced it.
func sortCommits(cs []*commitInfo) {
	sort.SliceStable(cs, func(i, j int) bool {
		if !cs[i].when.Equal(cs[j].when) {
			return cs[i].when.Before(cs[j].when)
		}
		return cs[i].hash.String() < cs[j].hash.String()
	})
}

func short(h plumbing.Hash) string { return h.String()[:12] }

// skipList records unreadable objects once each, in order.
type skipList struct {
	seen  map[plumbing.Hash]bool
	items []string
}

func newSkipList() *skipList { return &skipList{seen: map[plumbing.Hash]bool{}} }

func (s *skipList) add(hash plumbing.Hash, what string, err error) {
	if s.seen[hash] {
		return
	}
	s.seen[hash] = true
	reason := "unreadable"
	switch {
	case errors.Is(err, plumbing.ErrObjectNotFound):
		reason = "missing"
	case errors.Is(err, io.ErrUnexpectedEOF):
		reason = "truncated"
	case err != nil:
		reason = "unreadable (" + err.Error() + ")"
	}
	s.items = append(s.items, fmt.Sprintf("%s %s: %s", what, hash, reason))
}

// addLine records an already-worded problem with the object it is about.
func (s *skipList) addLine(hash plumbing.Hash, line string) {
	if s.seen[hash] {
		return
	}
	s.seen[hash] = true
	s.items = append(s.items, line)
}

func (s *skipList) list() []string { return s.items }
