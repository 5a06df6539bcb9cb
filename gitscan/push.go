package gitscan

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// Push is what a push asks the receiving repository to take: the ref
// updates of a pre-receive hook (or of a client's pre-push hook), and which
// refs the receiver already has.
type Push struct {
	Updates []RefUpdate
	// Existing selects the refs whose history the receiver has; nil means
	// every ref of the repository (a server's pre-receive hook, which runs
	// before any ref moves). A pre-push hook passes the remote's
	// tracking refs (refs/remotes/<remote>/).
	Existing func(ref string) bool
	// Have are more commits the receiver is known to have: a pre-push
	// hook's remote values. Those this repository lacks are ignored.
	Have []repo.ID
}

// RefUpdate is one ref a push changes: Old is zero for a ref it creates,
// New zero for one it deletes.
type RefUpdate struct {
	Ref      string
	Old, New repo.ID
}

// maxTagChain bounds the annotated tags followed from a pushed ref, as
// peelCommit does.
const maxTagChain = 10

// ScanPush scans what a push makes reachable that no existing ref
// reaches, which is what `git rev-list --objects <new>... --not --all`
// selects: the new commits, their messages, the blobs and file names they
// add, and the annotated tags pushed (notes are commits of refs/notes/ and
// are scanned as such). A deletion brings nothing; a new ref to commits the
// repository has brings nothing; a force push brings only its own commits.
//
// A commit is new by this rule, whose cost follows the push and not the
// repository:
//
//   - a commit an existing ref points at is old, and ends the walk: the
//     usual push builds on the old value of the ref it moves;
//   - in git's quarantine (GIT_QUARANTINE_PATH, a pre-receive hook of git
//     2.11 or later), a commit the repository's own object directories
//     lack is new by definition, since what existing refs reach is stored
//     there; its parents are walked;
//   - any other commit (stored, but no ref's target; every commit outside a
//     quarantine) is decided by git's own painting walk, from those commits
//     and every existing ref's commit, newest first, until each is known
//     reachable from a ref or not. That walk reads one commit per existing
//     ref and those between them and the push, so it runs only when the
//     first two rules leave something undecided: a new branch made from a
//     commit that is no ref's tip, or a client's pre-push hook.
//
// Blobs are those the new commits add against their parents, read and
// scanned as a range scan reads them. A key found in one is the push's
// unless a boundary commit (an existing commit a new one is built on)
// holds the same blob anywhere, or the same key at the same path: those are
// objects and keys the repository already had, which rev-list leaves out,
// and which moving or editing a file around them does not bring in again.
// That check reads the boundary commits' trees only when a key was found.
func ScanPush(ctx context.Context, path string, push Push, opts Options) (*Result, error) {
	start := time.Now()
	r, err := openRepo(path)
	if err != nil {
		return nil, err
	}
	h, err := newHistory(r, pack.OpenReader)
	if err != nil {
		return nil, err
	}
	defer h.store.Close()
	for _, p := range h.store.Problems() {
		h.skipped.addLine(repo.ID{}, p.String())
	}
	// What existing refs reach is stored outside the quarantine.
	var old *pack.Store
	if r.Quarantine != "" && len(r.ObjectDirs) > 1 {
		outside := *r
		outside.ObjectDirs, outside.Problems = r.ObjectDirs[1:], nil
		if old, err = pack.OpenReader(&outside); err != nil {
			return nil, &Error{Msg: "read the objects of " + r.CommonDir, Err: err}
		}
		defer old.Close()
	}
	stored := func(id repo.ID) bool { return old == nil || old.Has(id) }

	tips := map[repo.ID]bool{}
	var bases []repo.ID
	for _, ref := range h.refs.List {
		if push.Existing == nil || push.Existing(ref.Name) {
			if !tips[ref.Target] {
				tips[ref.Target] = true
				bases = append(bases, ref.Target)
			}
		}
	}
	for _, id := range push.Have {
		if !id.IsZero() && !tips[id] && h.store.Has(id) {
			tips[id] = true
			bases = append(bases, id)
		}
	}

	h.msgTags, h.extraBlobs, h.extraTrees = map[repo.ID]string{}, map[repo.ID]string{}, map[repo.ID]string{}
	heads := h.pushedCommits(push.Updates, tips, func(id repo.ID) bool { return old == nil || !old.Has(id) })
	if err := h.newCommits(ctx, heads, bases, tips, stored); err != nil {
		return nil, err
	}

	set, err := h.addedBlobs(ctx)
	if err != nil {
		return nil, err
	}
	for t, name := range h.extraTrees {
		if ents := h.tree(t, name); ents != nil {
			h.diff(set, ents, nil, "", name)
		}
	}
	for b, name := range h.extraBlobs {
		set.add(b, name)
	}
	hits, bytes, err := scanBlobs(ctx, h.store, set, opts, h.skipped)
	if err != nil {
		return nil, err
	}
	msgs, err := h.messages(ctx, h.msgTags)
	if err != nil {
		return nil, err
	}
	res := &Result{Stats: finding.ScanStats{Refs: len(push.Updates), Commits: len(h.commits), Blobs: len(set.order), Bytes: bytes}}
	if len(hits) > 0 || len(msgs) > 0 || h.keyNames {
		if res.Leaks, res.Unreached, err = h.attribute(ctx, h.storeTrees(hits), hits, msgs, set, repo.ID{}, false); err != nil {
			return nil, err
		}
		res.Leaks = h.introduced(res.Leaks, opts, stored, old != nil)
	}
	res.Skipped = h.skipped.list()
	if r.Promisor != "" && h.skipped.promised > 0 {
		res.Remedy = partialCloneFix(r.Promisor)
	}
	res.Stats.Duration = time.Since(start)
	return res, nil
}

// pushedCommits follows each pushed value through the annotated tags the
// push brings (whose messages are then scanned) to the commits to walk
// from; a pushed tree or blob the repository did not have is scanned
// whole. A value an existing ref already names brings nothing.
//
// fresh says whether a pushed tree or blob may be new to the repository:
// outside a quarantine (pre-push) nothing tells, so every one is scanned.
func (h *history) pushedCommits(updates []RefUpdate, tips map[repo.ID]bool, fresh func(repo.ID) bool) []repo.ID {
	var heads []repo.ID
	for _, u := range updates {
		id := u.New
	peel:
		for depth := 0; ; depth++ {
			if id.IsZero() || tips[id] {
				break
			}
			if depth == maxTagChain {
				// What the chain ends at is not looked at: the push is
				// judged partial, never passed.
				h.skipped.add(id, "tag chain of "+u.Ref, fmt.Errorf("more than %d annotated tags deep", maxTagChain))
				break
			}
			typ, b, err := h.store.Read(id)
			if err != nil {
				h.skipped.add(id, "object "+u.Ref+" points at", err)
				break
			}
			switch typ {
			case pack.TypeTag:
				tag, err := pack.ParseTag(id, b)
				if err != nil {
					h.skipped.add(id, "tag "+u.Ref, err)
					break peel
				}
				if _, ok := h.msgTags[id]; !ok {
					h.msgTags[id] = u.Ref
				}
				id = tag.Target
				continue
			case pack.TypeCommit:
				heads = append(heads, id)
			case pack.TypeTree:
				if fresh(id) {
					h.extraTrees[id] = u.Ref
				}
			case pack.TypeBlob:
				if fresh(id) {
					h.extraBlobs[id] = u.Ref
				}
			}
			break
		}
	}
	return heads
}

// newCommits puts in h.commits the commits reachable from heads that no
// existing ref reaches, by the rule ScanPush documents.
func (h *history) newCommits(ctx context.Context, heads, bases []repo.ID, tips map[repo.ID]bool, stored func(repo.ID) bool) error {
	seen := map[repo.ID]bool{}
	var undecided []*rangeNode
	stack := append([]repo.ID(nil), heads...)
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] || tips[id] {
			continue
		}
		seen[id] = true
		c, err := h.commit(id)
		if err != nil {
			h.skipped.add(id, "commit", err)
			continue
		}
		if stored(id) {
			undecided = append(undecided, &rangeNode{c: c, index: -1})
			continue
		}
		h.commits = append(h.commits, c)
		stack = append(stack, c.Parents...)
	}
	if len(undecided) == 0 {
		return nil
	}
	var from []*rangeNode
	for _, id := range bases {
		if c, ok := h.peelCommit(id); ok {
			if n, err := h.startNode(c); err == nil {
				from = append(from, n)
			}
		}
	}
	return h.paint(ctx, undecided, from, func(c repo.ID) error {
		return &Error{Msg: "shallow repository: the history the push builds on is cut at commit " + short(c) + ", so what it brings cannot be told; " + shallowFix}
	})
}

// introduced keeps the leaks the push brings in (see ScanPush): a key in
// a commit or tag message always, since those objects are new; a key in a
// file or a name unless the repository stores that blob already (known in
// a quarantine only), or a parent of the first commit that holds it had the
// key already: at the same path, or in a file that commit changed or
// removed (an edit around the key, a move).
func (h *history) introduced(leaks []finding.Leak, opts Options, stored func(repo.ID) bool, quarantine bool) []finding.Leak {
	if len(leaks) == 0 {
		return leaks
	}
	threshold := opts.StreamThreshold
	if threshold <= 0 {
		threshold = pack.DefaultStreamThreshold
	}
	byHash := make(map[string]*commitInfo, len(h.commits))
	for _, c := range h.commits {
		byHash[c.Hash.String()] = c
	}
	// What a blob holds: each key ID, and each key ID with the secret it
	// was paired with. A leak was held before only if its evidence was:
	// a secret added beside a key ID the repository already mentions is
	// the push's own.
	type held struct{ keyID, secret string }
	keys := map[repo.ID]map[held]bool{}
	keysIn := func(blob repo.ID) map[held]bool {
		k, ok := keys[blob]
		if !ok {
			k = map[held]bool{}
			if found, _, _, _, _, err := findBlob(h.store, blob, threshold, nil, nil); err == nil {
				for _, m := range found {
					k[held{m.KeyID, ""}] = true
					k[held{m.KeyID, m.Secret}] = true
				}
			}
			keys[blob] = k
		}
		return k
	}
	trees := map[repo.ID][]pack.Entry{}
	changed := map[[2]repo.ID][]pathBlob{}
	heldBefore := func(c *commitInfo, p string, ev held, name bool) bool {
		croot := h.tree(c.Tree, "commit "+short(c.Hash))
		for _, ph := range c.Parents {
			pc, err := h.commit(ph)
			if err != nil {
				continue
			}
			proot := h.tree(pc.Tree, "commit "+short(ph))
			if name {
				if h.lookup(proot, p, trees) != nil {
					return true
				}
				continue
			}
			if b := h.pathIn(proot, p, trees); !b.IsZero() && keysIn(b)[ev] {
				return true
			}
			k := [2]repo.ID{c.Hash, ph}
			if _, ok := changed[k]; !ok {
				changed[k] = h.changedFrom(proot, croot, "")
			}
			for _, pb := range changed[k] {
				if keysIn(pb.blob)[ev] {
					return true
				}
			}
		}
		return false
	}
	out := leaks[:0]
	for _, l := range leaks {
		if strings.HasPrefix(l.Path, ".git/") {
			out = append(out, l) // a commit or tag message: no file has this path
			continue
		}
		if blob, err := repo.ParseID(l.Blob); err == nil && quarantine && stored(blob) {
			continue
		}
		name := l.Decoded == "file name"
		file, _, _ := strings.Cut(l.Path, "!") // a member is in its archive's blob
		if c := byHash[l.Commit]; c != nil && heldBefore(c, file, held{l.KeyID, l.Secret.Reveal()}, name) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// changedFrom lists the blobs of a parent's tree at the paths where the
// child's tree differs: edited, removed or moved away. Subtrees with one
// hash are skipped, so the cost follows the change.
func (h *history) changedFrom(parent, child []pack.Entry, dir string) []pathBlob {
	var out []pathBlob
	for i := range parent {
		e := &parent[i]
		ce := entry(child, e.Name)
		if ce != nil && ce.Hash == e.Hash {
			continue
		}
		p := path.Join(dir, e.Name)
		switch {
		case e.Dir():
			var sub []pack.Entry
			if ce != nil && ce.Dir() {
				sub = h.tree(ce.Hash, p)
			}
			out = append(out, h.changedFrom(h.tree(e.Hash, p), sub, p)...)
		case isBlob(e):
			out = append(out, pathBlob{p, e.Hash})
		}
	}
	return out
}
