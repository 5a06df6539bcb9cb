package gitscan

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// pathBlob is a hit blob at a path relative to some tree.
type pathBlob struct {
	path string
	blob repo.ID
}

// treeEntries calls fn for a tree's subtree entries and its entries that
// name hit blobs, and reports whether the tree could be read.
type treeEntries func(tree repo.ID, where string, fn func(name string, hash repo.ID, dir bool)) bool

// storeTrees reads trees one by one from the store: the range scan's
// source, whose cost follows the few commits of the range.
func (h *history) storeTrees(hits map[repo.ID]*blobHit) treeEntries {
	return func(tree repo.ID, where string, fn func(string, repo.ID, bool)) bool {
		t := h.tree(tree, where)
		if t == nil {
			return false
		}
		for i := range t {
			e := &t[i]
			switch {
			case e.Dir():
				fn(e.Name, e.Hash, true)
			case isBlob(e):
				if _, ok := hits[e.Hash]; ok || keyName(e.Name) {
					fn(e.Name, e.Hash, false)
				}
			}
		}
		return true
	}
}

// packTrees reads trees from the pack engine's index of every stored tree:
// the full scan's source, which would otherwise decode every tree of the
// history through go-git.
func (h *history) packTrees(idx *pack.TreeIndex) treeEntries {
	return func(tree repo.ID, where string, fn func(string, repo.ID, bool)) bool {
		if !idx.Has(tree) {
			if !h.notATree(tree, where) {
				h.skipped.add(tree, "tree "+where, pack.ErrMissing)
			}
			return false
		}
		for e := range idx.Entries(tree) {
			fn(e.Name, e.Hash, e.Dir)
		}
		return true
	}
}

// hitIndex finds the places under trees: hit blobs, and entries whose
// name holds a key ID. The commits are walked by places, which counts
// each distinct tree at each path once; under lists one tree's places
// (HEAD's, a tag's), memoized by tree hash, so a subtree without hits
// costs one map lookup afterwards.
//
// The lists are bounded (memoBudget entries in all): past the budget a
// tree's list is built each time it is asked for and not kept; trees
// without hits are always remembered, at the cost of a map entry.
type hitIndex struct {
	entries treeEntries
	memo    map[repo.ID][]pathBlob
	// blobDirs: blobs named with a directory's mode (history.blobDirs).
	blobDirs map[repo.ID]bool
	// stored counts the entries of the lists in memo.
	stored int
	// hasHits: whether a tree holds a place at any depth; kids: the
	// entries of such a tree that lead to one (see has).
	hasHits map[repo.ID]bool
	kids    map[repo.ID][]child
}

// memoBudget bounds hitIndex's stored paths: about 64 MB.
const memoBudget = 1 << 20

func (x *hitIndex) under(tree repo.ID, where string) []pathBlob {
	if r, ok := x.memo[tree]; ok {
		return r
	}
	var out []pathBlob
	x.entries(tree, where, func(name string, hash repo.ID, dir bool) {
		if !dir {
			out = append(out, pathBlob{name, hash})
			return
		}
		if keyName(name) {
			// A key in a directory's name is reported at the directory
			// (see nameMatches); the tree is the object that holds it.
			out = append(out, pathBlob{name, hash})
		}
		for _, pb := range x.under(hash, where) {
			out = append(out, pathBlob{path.Join(name, pb.path), pb.blob})
		}
		if x.blobDirs[hash] {
			// Not a directory but a blob: what it holds is at this path.
			out = append(out, pathBlob{name, hash})
		}
	})
	if len(out) == 0 || x.stored+len(out) <= memoBudget {
		x.memo[tree] = out
		x.stored += len(out)
	}
	return out
}

// child is an entry of a tree that leads to a place: a blob (a hit, or
// named with a key ID), or a directory (named with a key ID, holding a
// place, or a blob under a directory's mode).
type child struct {
	name string
	hash repo.ID
	dir  bool
}

// has reports whether tree holds a place (what under lists) at any depth,
// and keeps the entries that lead to one (within memoBudget), so that
// places reads each distinct tree once. Every tree's answer is kept: one
// bit per distinct tree.
func (x *hitIndex) has(tree repo.ID, where string) bool {
	if v, ok := x.hasHits[tree]; ok {
		return v
	}
	kids := x.readKids(tree, where)
	x.hasHits[tree] = len(kids) > 0
	if len(kids) > 0 && x.stored+len(kids) <= memoBudget {
		x.kids[tree] = kids
		x.stored += len(kids)
	}
	return len(kids) > 0
}

// readKids reads tree's entries that lead to a place.
func (x *hitIndex) readKids(tree repo.ID, where string) []child {
	var kids []child
	x.entries(tree, where, func(name string, hash repo.ID, dir bool) {
		if !dir || keyName(name) || x.has(hash, where) || x.blobDirs[hash] {
			kids = append(kids, child{name, hash, dir})
		}
	})
	return kids
}

// children returns tree's entries that lead to a place.
func (x *hitIndex) children(tree repo.ID, where string) []child {
	if !x.has(tree, where) {
		return nil
	}
	if kids, ok := x.kids[tree]; ok {
		return kids
	}
	return x.readKids(tree, where) // past the budget: read again
}

// occurrence is a place and the commits whose trees hold it: how many,
// and the first and latest by index in history order.
type occurrence struct {
	pathBlob
	n           int
	first, last int32
}

// places returns every place under the root trees of commits (in history
// order), each with the commits that hold it, ordered by its first commit.
// It walks each distinct tree at each path once, level by level from the
// roots, giving it the commits of the trees that hold it there (summed):
// the cost follows the distinct trees, where listing every commit's places
// cost commits × places (one key in N files of a directory that C commits
// leave as it is: C×N).
func (x *hitIndex) places(ctx context.Context, commits []*commitInfo) ([]occurrence, error) {
	type node struct {
		prefix string
		tree   repo.ID
	}
	add := func(o *occurrence, n int, first, last int32) {
		if o.n == 0 || first < o.first {
			o.first = first
		}
		o.last = max(o.last, last)
		o.n += n
	}
	level := map[node]*occurrence{}
	for i, c := range commits {
		k := node{"", c.Tree}
		if level[k] == nil {
			level[k] = &occurrence{}
		}
		add(level[k], 1, int32(i), int32(i))
	}
	leaves := map[pathBlob]*occurrence{}
	leaf := func(pb pathBlob, from *occurrence) {
		o := leaves[pb]
		if o == nil {
			o = &occurrence{pathBlob: pb}
			leaves[pb] = o
		}
		add(o, from.n, from.first, from.last)
	}
	for len(level) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// In a fixed order, so that which commit names an unreadable
		// tree does not depend on map order.
		keys := make([]node, 0, len(level))
		for k := range level {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b node) int {
			return cmp.Or(cmp.Compare(level[a].first, level[b].first), strings.Compare(a.prefix, b.prefix), repo.Compare(a.tree, b.tree))
		})
		next := map[node]*occurrence{}
		for _, k := range keys {
			from := level[k]
			where := "commit " + short(commits[from.first].Hash)
			for _, e := range x.children(k.tree, where) {
				p := path.Join(k.prefix, e.name)
				if !e.dir {
					leaf(pathBlob{p, e.hash}, from)
					continue
				}
				if keyName(e.name) {
					// A key in a directory's name is reported at the
					// directory (see nameMatches).
					leaf(pathBlob{p, e.hash}, from)
				}
				if x.hasHits[e.hash] {
					sub := node{p, e.hash}
					if next[sub] == nil {
						next[sub] = &occurrence{}
					}
					add(next[sub], from.n, from.first, from.last)
				}
				if x.blobDirs[e.hash] {
					// Not a directory but a blob: what it holds is at
					// this path.
					leaf(pathBlob{p, e.hash}, from)
				}
			}
		}
		level = next
	}
	out := make([]occurrence, 0, len(leaves))
	for _, o := range leaves {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b occurrence) int {
		return cmp.Or(cmp.Compare(a.first, b.first), strings.Compare(a.path, b.path), repo.Compare(a.blob, b.blob))
	})
	return out, nil
}

// attribute turns blob hits into one Leak per distinct (key ID, path),
// naming the first commit in history order that holds the key at that
// path. Hits in objects no ref reaches are leaks only with
// includeUnreachable; otherwise each is named in unreached.
//
// Credentials in commit and tag messages (msgs) are attributed to their
// commit, at the message's pseudo-path (see messagePath).
func (h *history) attribute(ctx context.Context, entries treeEntries, hits map[repo.ID]*blobHit, msgs []messageHit, set *blobSet, headTree repo.ID, includeUnreachable bool) (leaks []finding.Leak, unreached []string, err error) {
	type key struct{ id, path string }
	byKey := map[key]*finding.Leak{}
	var order []key
	attributed := map[repo.ID]bool{}
	// lastAt is the latest record of each leak, in history order (the
	// index of its commit; records after the commits come later still).
	lastAt := map[key]int32{}
	// recordMatches records matches at p held by n commits, the first of
	// them c and the latest at index last.
	recordMatches := func(c *commitInfo, n int, last int32, p, blob string, ms []located, unreachable bool) {
		for _, m := range firstPerKey(ms) {
			k := key{m.KeyID, m.pathIn(p)}
			if l, ok := byKey[k]; ok {
				l.Commits += n
				fillSecrets(l, m.Match)
				// The newest version of the line decides, so a
				// keysweep:allow added after the key was committed takes
				// effect.
				if last >= lastAt[k] {
					l.InlineAllow, lastAt[k] = m.allow, last
				}
				continue
			}
			l := &finding.Leak{
				KeyID:       m.KeyID,
				Path:        k.path,
				Decoded:     m.how,
				Line:        m.line,
				Column:      m.col,
				Blob:        blob,
				Unreachable: unreachable,
				InlineAllow: m.allow,
			}
			if acct, ok := detect.DecodeAccount(m.KeyID); ok {
				l.Account = acct
			}
			if c != nil {
				l.Author, l.AuthorEmail, l.Date = c.Author, c.Email, c.When.UTC()
				l.Commits = n
				if !c.Hash.IsZero() { // a tag of a tree has no commit
					l.Commit = c.Hash.String()
				}
			}
			fillSecrets(l, m.Match)
			byKey[k] = l
			lastAt[k] = last
			order = append(order, k)
		}
	}

	// record records what is in the blob at p and, when under a tree, in
	// its file name.
	record := func(c *commitInfo, n int, last int32, p string, blob repo.ID, unreachable bool) {
		if hit, ok := hits[blob]; ok {
			attributed[blob] = true
			recordMatches(c, n, last, p, blob.String(), hit.matches, unreachable)
		}
		if !unreachable {
			if ms := nameMatches(p); len(ms) > 0 {
				recordMatches(c, n, last, p, blob.String(), ms, false)
			}
		}
	}
	for _, mh := range msgs {
		recordMatches(mh.commit, 1, -1, mh.path, "", mh.matches, false)
	}
	if h.blobDirs == nil {
		h.blobDirs = map[repo.ID]bool{} // shared with idx, filled as it reads
	}
	idx := &hitIndex{entries: entries, memo: map[repo.ID][]pathBlob{}, blobDirs: h.blobDirs, hasHits: map[repo.ID]bool{}, kids: map[repo.ID][]child{}}
	sortCommits(h.commits)
	places, err := idx.places(ctx, h.commits)
	if err != nil {
		return nil, nil, err
	}
	for _, o := range places {
		record(h.commits[o.first], o.n, o.last, o.path, o.blob, false)
	}
	// What follows is not in a commit: recorded after every commit.
	const after = math.MaxInt32
	// Tags that point at trees or blobs directly have no commit.
	for t, name := range h.extraTrees {
		for _, pb := range idx.under(t, name) {
			record(nil, 1, after, name+":"+pb.path, pb.blob, false)
		}
	}
	for b, name := range h.extraBlobs {
		if _, ok := hits[b]; ok {
			record(nil, 1, after, name, b, false)
		}
	}
	// A hit no commit reached is in a dangling object, reported only with
	// --include-unreachable; in a range scan every blob came from a range
	// commit, so one left over was reached through a tree the walk could
	// not read (already listed as skipped) and must not vanish either.
	for _, b := range set.order {
		if _, ok := hits[b]; !ok || attributed[b] {
			continue
		}
		if set.unreachable[b] && !includeUnreachable {
			var ids []string
			for _, m := range firstPerKey(hits[b].matches) {
				ids = append(ids, m.KeyID)
			}
			unreached = append(unreached, fmt.Sprintf("blob %s: key ID %s found in an object no ref reaches; use --include-unreachable to report it", b, strings.Join(ids, ", ")))
			continue
		}
		p := set.where[b]
		if set.unreachable[b] {
			p = ".git/objects/" + b.String()[:2] + "/" + b.String()[2:]
		}
		record(nil, 1, after, p, b, set.unreachable[b])
	}
	if !headTree.IsZero() {
		for _, pb := range idx.under(headTree, "HEAD") {
			var ms []located
			if hit, ok := hits[pb.blob]; ok {
				ms = hit.matches
			}
			for _, m := range append(ms, nameMatches(pb.path)...) {
				if l, ok := byKey[key{m.KeyID, m.pathIn(pb.path)}]; ok {
					l.InHead = true
				}
			}
		}
	}

	paths := map[string]int{}
	for _, k := range order {
		paths[k.id]++
	}
	out := make([]finding.Leak, 0, len(order))
	for _, k := range order {
		l := byKey[k]
		l.OtherPaths = paths[k.id] - 1
		out = append(out, *l)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].KeyID != out[j].KeyID {
			return out[i].KeyID < out[j].KeyID
		}
		return out[i].Path < out[j].Path
	})
	return out, unreached, nil
}

// keyName reports whether a tree entry's name may hold a key ID.
func keyName(name string) bool {
	return len(name) >= 20 && detect.MayContain([]byte(name))
}

// nameMatches finds the key IDs in the file name at the end of path p
// (that of a file or of a directory), located at line 1 and their column
// in the name.
func nameMatches(p string) []located {
	name := path.Base(p)
	if !keyName(name) {
		return nil
	}
	var out []located
	for _, m := range detect.Find([]byte(name)) {
		out = append(out, located{Match: m, line: 1, col: 1 + utf8.RuneCountInString(name[:m.Start]), how: "file name"})
	}
	return out
}

// firstPerKey keeps each key ID's first match in a blob (in each archive
// member), preferring one that has its secret paired.
func firstPerKey(ms []located) []located {
	var out []located
	type key struct{ id, inner string }
	index := map[key]int{}
	for _, m := range ms {
		i, ok := index[key{m.KeyID, m.inner}]
		if !ok {
			index[key{m.KeyID, m.inner}] = len(out)
			out = append(out, m)
			continue
		}
		if out[i].Secret == "" && m.Secret != "" {
			out[i].Secret, out[i].SessionToken = m.Secret, m.SessionToken
		}
	}
	return out
}

func fillSecrets(l *finding.Leak, m detect.Match) {
	if l.Secret.IsZero() && m.Secret != "" {
		l.Secret = finding.NewSecret(m.Secret)
	}
	if l.SessionToken.IsZero() && m.SessionToken != "" {
		l.SessionToken = finding.NewSecret(m.SessionToken)
	}
}
