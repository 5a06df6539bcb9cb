package gitscan

import (
	"context"
	"fmt"
	"path"
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

// hitIndex finds the hit blobs under a tree, and the directories whose
// name holds a key ID. Results are memoized by tree
// hash, so every unique tree is read at most once however many commits
// share it, and a subtree without hits costs one map lookup afterwards.
//
// The lists are bounded (memoBudget entries in all): a tree that changes
// in every commit (one key copied into N files of a directory that C
// commits touch) would otherwise keep C lists of N paths, memory in
// C×N from a history whose packs hold C small deltas. Past the budget a
// tree's list is built each time it is asked for (the time the walk
// takes anyway) and not kept; trees without hits are always remembered,
// at the cost of a map entry.
type hitIndex struct {
	entries treeEntries
	memo    map[repo.ID][]pathBlob
	// blobDirs: blobs named with a directory's mode (history.blobDirs).
	blobDirs map[repo.ID]bool
	// stored counts the entries of the lists in memo.
	stored int
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
	recordMatches := func(c *commitInfo, p, blob string, ms []located, unreachable bool) {
		for _, m := range firstPerKey(ms) {
			k := key{m.KeyID, m.pathIn(p)}
			if l, ok := byKey[k]; ok {
				l.Commits++
				fillSecrets(l, m.Match)
				// Commits come oldest first: the newest version of the
				// line decides, so a keysweep:allow added after the key
				// was committed takes effect.
				l.InlineAllow = m.allow
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
				l.Commits = 1
				if !c.Hash.IsZero() { // a tag of a tree has no commit
					l.Commit = c.Hash.String()
				}
			}
			fillSecrets(l, m.Match)
			byKey[k] = l
			order = append(order, k)
		}
	}

	// record records what is in the blob at p and, when under a tree, in
	// its file name.
	record := func(c *commitInfo, p string, blob repo.ID, unreachable bool) {
		if hit, ok := hits[blob]; ok {
			attributed[blob] = true
			recordMatches(c, p, blob.String(), hit.matches, unreachable)
		}
		if !unreachable {
			if ms := nameMatches(p); len(ms) > 0 {
				recordMatches(c, p, blob.String(), ms, false)
			}
		}
	}
	for _, mh := range msgs {
		recordMatches(mh.commit, mh.path, "", mh.matches, false)
	}
	if h.blobDirs == nil {
		h.blobDirs = map[repo.ID]bool{} // shared with idx, filled as it reads
	}
	idx := &hitIndex{entries: entries, memo: map[repo.ID][]pathBlob{}, blobDirs: h.blobDirs}
	sortCommits(h.commits)
	for _, c := range h.commits {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		for _, pb := range idx.under(c.Tree, "commit "+short(c.Hash)) {
			record(c, pb.path, pb.blob, false)
		}
	}
	// Tags that point at trees or blobs directly have no commit.
	for t, name := range h.extraTrees {
		for _, pb := range idx.under(t, name) {
			record(nil, name+":"+pb.path, pb.blob, false)
		}
	}
	for b, name := range h.extraBlobs {
		if _, ok := hits[b]; ok {
			record(nil, name, b, false)
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
		record(nil, p, b, set.unreachable[b])
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
