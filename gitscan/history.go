package gitscan

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// commitInfo is the part of a commit the scan needs: a full-history
// scan holds one per commit, where the pack pass left it.
type commitInfo = pack.Commit

// history is the commit graph of one scan.
type history struct {
	repo    *repo.Repo
	store   *pack.Store
	refs    *repo.Refs
	shallow map[repo.ID]bool
	skipped *skipList
	// commits in scope: every commit reachable from a ref, or the range.
	commits []*commitInfo
	// packed holds every stored commit, read by the pack engine in a full
	// scan, so the commit graph is walked without decoding objects again;
	// tags every stored tag's target.
	packed map[repo.ID]*commitInfo
	tags   map[repo.ID]repo.ID
	// extraBlobs are blobs tags point at directly, with the tag's name.
	extraBlobs map[repo.ID]string
	// extraTrees are trees tags point at directly.
	extraTrees map[repo.ID]string
	// tagNames names the annotated tag objects refs point at; msgTags are
	// those whose message may hold a credential (full scans only).
	tagNames, msgTags map[repo.ID]string
	// keyNames: some tree entry's name holds a key ID (see nameMatches).
	keyNames bool
	// blobDirs are blobs a tree entry names with a directory's mode:
	// scanned, and attributed, as files at that path (see notATree).
	blobDirs map[repo.ID]bool
	// treeCache holds the trees read lately (tree).
	treeCache treeCache
}

func (h *history) commit(hash repo.ID) (*commitInfo, error) {
	if c, ok := h.packed[hash]; ok {
		return c, nil
	}
	if h.packed != nil && !h.store.Has(hash) {
		// The pack pass read every stored commit.
		return nil, fmt.Errorf("commit %s: %w", hash, pack.ErrMissing)
	}
	typ, b, err := h.store.Read(hash)
	if err != nil {
		return nil, err
	}
	if typ != pack.TypeCommit {
		return nil, fmt.Errorf("%s is not a commit", hash)
	}
	c, err := pack.ParseCommit(hash, b)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// resolve turns --since into a commit, or says in one line why it cannot.
func (h *history) resolve(rev string) (repo.ID, error) {
	// Only a shallow clone is helped by --unshallow; a full clone needs
	// the revision fetched, or spelt right.
	if err := checkRevision(rev); err != nil {
		return repo.ID{}, err
	}
	fix := h.fetchFix(rev)
	if strings.Contains(rev, "@{") {
		hash, err := h.reflogRevision(rev)
		if err != nil {
			return repo.ID{}, &Error{Msg: fmt.Sprintf("--since %s: %s", rev, err)}
		}
		if _, err := h.commit(hash); err != nil {
			return repo.ID{}, &Error{Msg: fmt.Sprintf("--since %s: commit %s is not in this repository; %s", rev, hash, fix)}
		}
		return hash, nil
	}
	hash, ok := h.revision(rev)
	if !ok {
		return repo.ID{}, &Error{Msg: fmt.Sprintf("--since %s: no such commit in this repository; %s", rev, fix)}
	}
	if _, err := h.commit(hash); err != nil {
		return repo.ID{}, &Error{Msg: fmt.Sprintf("--since %s: commit %s is not in this repository; %s", rev, hash, fix)}
	}
	return hash, nil
}

// revision resolves the revisions a pull request's base is given as: a
// ref name as git abbreviates it (main, origin/main, v1.0, HEAD), a full
// or abbreviated object name, each optionally followed by ~n, ^ and ^n.
func (h *history) revision(rev string) (repo.ID, bool) {
	base := rev
	cut := strings.IndexAny(rev, "~^")
	if cut >= 0 {
		base = rev[:cut]
	}
	id, ok := h.named(base)
	if !ok {
		return id, false
	}
	for rest := rev[len(base):]; rest != ""; {
		op := rest[0]
		rest = rest[1:]
		n := 1
		digits := 0
		for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
			digits++
		}
		if digits > 0 {
			var err error
			if n, err = strconv.Atoi(rest[:digits]); err != nil || n > 1<<20 {
				return id, false
			}
			rest = rest[digits:]
		}
		if id, ok = h.peelCommit(id); !ok {
			return id, false
		}
		switch op {
		case '~':
			for range n {
				c, err := h.commit(id)
				if err != nil || len(c.Parents) == 0 {
					return id, false
				}
				id = c.Parents[0]
			}
		case '^':
			if n == 0 {
				continue
			}
			c, err := h.commit(id)
			if err != nil || len(c.Parents) < n {
				return id, false
			}
			id = c.Parents[n-1]
		default:
			return id, false
		}
	}
	return h.peelCommit(id)
}

// named resolves a ref name by git's rules, or an object name.
func (h *history) named(name string) (repo.ID, bool) {
	for _, full := range []string{name, "refs/" + name, "refs/tags/" + name, "refs/heads/" + name, "refs/remotes/" + name, "refs/remotes/" + name + "/HEAD"} {
		if id, ok := h.refs.Lookup(full); ok {
			return id, true
		}
	}
	if id, err := repo.ParseID(name); err == nil && id.Size() == h.store.HashSize() {
		return id, true
	}
	if len(name) >= 4 && len(name) < 2*h.store.HashSize() && isHex(name) {
		if ids := h.store.WithPrefix(name); len(ids) == 1 {
			return ids[0], true
		}
	}
	return repo.ID{}, false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return false
		}
	}
	return true
}

// peelCommit follows annotated tags to a commit.
func (h *history) peelCommit(id repo.ID) (repo.ID, bool) {
	for range 10 {
		typ, b, err := h.store.Read(id)
		if err != nil {
			return id, false
		}
		switch typ {
		case pack.TypeCommit:
			return id, true
		case pack.TypeTag:
			t, err := pack.ParseTag(id, b)
			if err != nil {
				return id, false
			}
			id = t.Target
		default:
			return id, false
		}
	}
	return id, false
}

// roots returns the commits every ref points at (tags peeled), every
// work tree's HEAD, and the older stash entries that only the stash
// reflog remembers. Tags are peeled with the tag objects the pack pass
// read.
func (h *history) roots() []repo.ID {
	h.extraBlobs = map[repo.ID]string{}
	h.extraTrees = map[repo.ID]string{}
	h.tagNames = map[repo.ID]string{}
	var roots []repo.ID
	for _, ref := range h.refs.List {
		h.peel(ref.Name, ref.Target, &roots)
	}
	return roots
}

// peel follows annotated tags to what they point at.
func (h *history) peel(name string, hash repo.ID, roots *[]repo.ID) {
	for range 10 {
		if _, ok := h.packed[hash]; ok {
			*roots = append(*roots, hash)
			return
		}
		if target, ok := h.tags[hash]; ok {
			if _, ok := h.tagNames[hash]; !ok {
				h.tagNames[hash] = name
			}
			hash = target
			continue
		}
		typ, _, err := h.store.Read(hash)
		if err != nil {
			h.skipped.add(hash, "object "+name+" points at", err)
			return
		}
		switch typ {
		case pack.TypeTree:
			h.extraTrees[hash] = name
		case pack.TypeBlob:
			h.extraBlobs[hash] = name
		case pack.TypeCommit:
			*roots = append(*roots, hash) // a range scan
		}
		return
	}
}

// allCommits collects every commit reachable from roots. Reaching a
// shallow boundary is an error: the history asked for is not all here.
func (h *history) allCommits(ctx context.Context, roots []repo.ID) error {
	// Sized for every stored commit (a full scan's), so that neither
	// grows and copies itself a dozen times.
	seen := make(map[repo.ID]bool, len(roots)+len(h.packed))
	h.commits = slices.Grow(h.commits, len(h.packed))
	stack := append([]repo.ID(nil), roots...)
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
		for _, p := range c.Parents {
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
	return q[i].c.When.After(q[j].c.When)
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
func (h *history) rangeCommits(ctx context.Context, head, base repo.ID, since string) error {
	hn, err := h.startNode(head)
	if err != nil {
		return &Error{Msg: "read HEAD commit", Err: err}
	}
	bn, err := h.startNode(base)
	if err != nil {
		return &Error{Msg: "read --since commit", Err: err}
	}
	return h.paint(ctx, []*rangeNode{hn}, []*rangeNode{bn}, func(c repo.ID) error {
		return &Error{Msg: fmt.Sprintf("shallow clone: the range %s..HEAD needs history before commit %s that is not here; %s", since, short(c), shallowFix)}
	})
}

// startNode reads a commit the painting walk starts from.
func (h *history) startNode(hash repo.ID) (*rangeNode, error) {
	c, err := h.commit(hash)
	if err != nil {
		return nil, err
	}
	return &rangeNode{c: c, index: -1}, nil
}

// paint adds to h.commits the commits reachable from heads and not from
// bases (rev-list heads --not bases); shallow words the error for a walk
// that needs history a shallow clone lacks.
func (h *history) paint(ctx context.Context, heads, bases []*rangeNode, shallow func(repo.ID) error) error {
	nodes := map[repo.ID]*rangeNode{}
	q := &byDate{}
	interesting := 0 // queued nodes not (yet) known to be reachable from base

	get := func(hash repo.ID) (*rangeNode, error) {
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
		for _, p := range n.c.Parents {
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

	start := func(n *rangeNode) *rangeNode {
		if m, ok := nodes[n.c.Hash]; ok {
			return m
		}
		nodes[n.c.Hash] = n
		return n
	}
	for _, n := range heads {
		push(start(n), fromHead)
	}
	for _, n := range bases {
		push(start(n), fromBase)
	}

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
			if h.shallow[n.c.Hash] {
				return shallow(n.c.Hash)
			}
		}
		flag := n.flags & (fromHead | fromBase)
		if flag&fromBase != 0 {
			flag = fromBase
		}
		for _, p := range n.c.Parents {
			pn, err := get(p)
			if err != nil {
				if !inRange {
					continue // the base side may be incomplete; that costs nothing
				}
				h.skipped.add(p, "commit (parent of "+short(n.c.Hash)+")", err)
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

// sortCommits orders commits in the order history was made: every
// commit after its parents. The first commit holding a key is then the
// one that introduced it even when commits share a second (rebases,
// scripts, bots) or a child's clock is behind its parent's. Committer
// time and then the name only order commits neither of which is an
// ancestor of the other.
func sortCommits(cs []*commitInfo) {
	index := make(map[repo.ID]int32, len(cs))
	for i, c := range cs {
		index[c.Hash] = int32(i)
	}
	pending := make([]int32, len(cs)) // parents in cs not yet placed
	kidFrom := make([]int32, len(cs)+1)
	for i, c := range cs {
		for _, p := range c.Parents {
			if j, ok := index[p]; ok {
				pending[i]++
				kidFrom[j+1]++
			}
		}
	}
	for i := range cs {
		kidFrom[i+1] += kidFrom[i]
	}
	kids := make([]int32, kidFrom[len(cs)])
	fill := append([]int32(nil), kidFrom[:len(cs)]...)
	for i, c := range cs {
		for _, p := range c.Parents {
			if j, ok := index[p]; ok {
				kids[fill[j]] = int32(i)
				fill[j]++
			}
		}
	}
	ready := &readyQueue{cs: cs}
	for i := range cs {
		if pending[i] == 0 {
			ready.idx = append(ready.idx, int32(i))
		}
	}
	heap.Init(ready)
	out := make([]*commitInfo, 0, len(cs))
	placed := make([]bool, len(cs))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int32)
		placed[i] = true
		out = append(out, cs[i])
		for _, k := range kids[kidFrom[i]:kidFrom[i+1]] {
			if pending[k]--; pending[k] == 0 {
				heap.Push(ready, k)
			}
		}
	}
	// Only a cycle, which object names make impossible, is left over.
	for i, c := range cs {
		if !placed[i] {
			out = append(out, c)
		}
	}
	copy(cs, out)
}

// readyQueue holds commits whose parents are placed, oldest first.
type readyQueue struct {
	cs  []*commitInfo
	idx []int32
}

func (q *readyQueue) Len() int { return len(q.idx) }
func (q *readyQueue) Less(i, j int) bool {
	a, b := q.cs[q.idx[i]], q.cs[q.idx[j]]
	if !a.When.Equal(b.When) {
		return a.When.Before(b.When)
	}
	return repo.Compare(a.Hash, b.Hash) < 0
}
func (q *readyQueue) Swap(i, j int) { q.idx[i], q.idx[j] = q.idx[j], q.idx[i] }
func (q *readyQueue) Push(x any)    { q.idx = append(q.idx, x.(int32)) }
func (q *readyQueue) Pop() any {
	n := q.idx[len(q.idx)-1]
	q.idx = q.idx[:len(q.idx)-1]
	return n
}

func short(h repo.ID) string { return h.Short() }

// skipList records unreadable objects once each, in order. In a partial
// clone (promisor set), objects that are merely absent were left out on
// purpose: they are counted in one line rather than listed.
type skipList struct {
	seen     map[repo.ID]bool
	items    []string
	promisor bool
	promised int
}

func newSkipList(promisor bool) *skipList {
	return &skipList{seen: map[repo.ID]bool{}, promisor: promisor}
}

func (s *skipList) add(hash repo.ID, what string, err error) {
	if s.seen[hash] {
		return
	}
	if s.promisor && errors.Is(err, pack.ErrMissing) {
		s.absent(hash)
		return
	}
	s.seen[hash] = true
	reason := "unreadable"
	switch {
	case errors.Is(err, pack.ErrMissing):
		reason = "missing"
	case errors.Is(err, io.ErrUnexpectedEOF):
		reason = "truncated"
	case err != nil:
		reason = "unreadable (" + err.Error() + ")"
	}
	s.items = append(s.items, fmt.Sprintf("%s %s: %s", what, hash, reason))
}

// absent records an object the repository does not have.
func (s *skipList) absent(hash repo.ID) {
	if s.seen[hash] {
		return
	}
	s.seen[hash] = true
	if s.promisor {
		s.promised++
		return
	}
	s.items = append(s.items, fmt.Sprintf("object %s: missing", hash))
}

// addLine records an already-worded problem with the object it is about.
func (s *skipList) addLine(hash repo.ID, line string) {
	if !hash.IsZero() && s.seen[hash] {
		return
	}
	s.seen[hash] = true
	s.items = append(s.items, line)
}

func (s *skipList) list() []string {
	if s.promised == 0 {
		return s.items
	}
	return append(s.items, fmt.Sprintf("partial clone: %d object(s) were not downloaded from the promisor remote, so their content was not scanned", s.promised))
}
