package gitscan

import (
	"context"
	"fmt"
	"path"

	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// blobSet is the unique blobs to scan, in the order they were found.
type blobSet struct {
	order []repo.ID
	// where is a path each blob was seen at, for messages about it.
	where map[repo.ID]string
	// unreachable marks blobs no ref reaches (--include-unreachable).
	unreachable map[repo.ID]bool
}

func newBlobSet() *blobSet {
	return &blobSet{where: map[repo.ID]string{}, unreachable: map[repo.ID]bool{}}
}

func (s *blobSet) add(h repo.ID, p string) {
	if _, ok := s.where[h]; ok {
		return
	}
	s.where[h] = p
	s.order = append(s.order, h)
}

// isBlob reports whether a tree entry holds file content. Submodule
// entries name a commit of another repository, not an object of this one.
func isBlob(e *pack.Entry) bool {
	return !e.Dir() && !e.Submodule()
}

// tree reads a tree object's entries, or records why it cannot.
func (h *history) tree(hash repo.ID, where string) []pack.Entry {
	if ents, ok := h.treeCache.get(hash); ok {
		return ents
	}
	typ, b, err := h.store.Read(hash)
	if err == nil && typ != pack.TypeTree {
		if h.notATree(hash, where) {
			return nil
		}
		err = fmt.Errorf("a %s, not a tree", pack.TypeName(typ))
	}
	var ents []pack.Entry
	if err == nil {
		ents, err = pack.ParseTree(b, h.store.HashSize())
	}
	if err != nil {
		h.skipped.add(hash, "tree "+where, err)
		return nil
	}
	if ents == nil {
		ents = []pack.Entry{} // the empty tree was read
	}
	h.treeCache.put(hash, ents)
	return ents
}

// maxCachedEntries bounds the tree entries a scan keeps parsed (about
// 100 bytes each): a range or a push reads each commit's tree twice, as
// the commit's and as its child's parent's, and attribution again.
const maxCachedEntries = 1 << 17

// treeCache keeps parsed trees by name until it holds maxCachedEntries
// entries, then starts over: the trees read again are those of nearby
// commits.
type treeCache struct {
	m       map[repo.ID][]pack.Entry
	entries int
}

func (c *treeCache) get(h repo.ID) ([]pack.Entry, bool) {
	ents, ok := c.m[h]
	return ents, ok
}

func (c *treeCache) put(h repo.ID, ents []pack.Entry) {
	if c.m == nil || c.entries+len(ents) > maxCachedEntries {
		c.m, c.entries = map[repo.ID][]pack.Entry{}, 0
	}
	c.m[h] = ents
	c.entries += len(ents)
}

// addedBlobs collects the blobs each range commit adds: present in its
// tree and at that path in none of its parents. Unchanged subtrees are
// skipped by hash, so the cost follows the size of the change.
func (h *history) addedBlobs(ctx context.Context) (*blobSet, error) {
	set := newBlobSet()
	for _, c := range h.commits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		where := "commit " + short(c.Hash)
		var parents [][]pack.Entry
		for _, p := range c.Parents {
			pc, err := h.commit(p)
			if err != nil {
				continue // already reported when the range was walked
			}
			if t := h.tree(pc.Tree, "commit "+short(p)); t != nil {
				parents = append(parents, t)
			}
		}
		if t := h.tree(c.Tree, where); t != nil {
			h.diff(set, t, parents, "", where)
		}
	}
	return set, nil
}

func (h *history) diff(set *blobSet, t []pack.Entry, parents [][]pack.Entry, dir, where string) {
	for i := range t {
		e := &t[i]
		p := path.Join(dir, e.Name)
		var sub [][]pack.Entry
		same := false
		for _, pt := range parents {
			pe := entry(pt, e.Name)
			if pe == nil {
				continue
			}
			if pe.Hash == e.Hash {
				same = true
				break
			}
			if pe.Dir() && e.Dir() {
				if st := h.tree(pe.Hash, p+"/ in parent of "+where); st != nil {
					sub = append(sub, st)
				}
			}
		}
		if same {
			continue
		}
		switch {
		case e.Dir():
			h.keyNames = h.keyNames || keyName(e.Name)
			if st := h.tree(e.Hash, p+"/ in "+where); st != nil {
				h.diff(set, st, sub, p, where)
			} else if h.blobDirs[e.Hash] {
				set.add(e.Hash, p)
			}
		case isBlob(e):
			set.add(e.Hash, p)
			h.keyNames = h.keyNames || keyName(e.Name)
		}
	}
}

// entry finds a name in a tree; git sorts entries, but by a rule that
// differs for directories, so a linear scan is the simple correct choice.
func entry(t []pack.Entry, name string) *pack.Entry {
	for i := range t {
		if t[i].Name == name {
			return &t[i]
		}
	}
	return nil
}

// notATree reports whether tree, which a tree entry names with a
// directory's mode, is a blob, and if so names it as a gap (once) and
// marks it to be scanned and attributed as a file at that path: git
// checks such a tree out as nothing, but the blob is committed all the
// same.
func (h *history) notATree(tree repo.ID, where string) bool {
	if h.blobDirs[tree] {
		return true
	}
	if !h.store.Has(tree) {
		return false
	}
	typ, err := h.store.Type(tree)
	if err != nil || typ != pack.TypeBlob {
		return false
	}
	if h.blobDirs == nil {
		h.blobDirs = map[repo.ID]bool{}
	}
	h.blobDirs[tree] = true
	h.skipped.addLine(tree, fmt.Sprintf("blob %s is named with a directory's mode (040000) by a tree of %s; scanned as a file at that path", tree, where))
	return true
}
