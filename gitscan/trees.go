package gitscan

import (
	"context"
	"path"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// blobSet is the unique blobs to scan, in the order they were found.
type blobSet struct {
	order []plumbing.Hash
	// where is a path each blob was seen at, for messages about it.
	where map[plumbing.Hash]string
	// unreachable marks blobs no ref reaches (--include-unreachable).
	unreachable map[plumbing.Hash]bool
}

func newBlobSet() *blobSet {
	return &blobSet{where: map[plumbing.Hash]string{}, unreachable: map[plumbing.Hash]bool{}}
}

func (s *blobSet) add(h plumbing.Hash, p string) {
	if _, ok := s.where[h]; ok {
		return
	}
	s.where[h] = p
	s.order = append(s.order, h)
}

// isBlob reports whether a tree entry holds file content. Submodule
// entries name a commit of another repository, not an object of this one.
func isBlob(m filemode.FileMode) bool {
	return m != filemode.Dir && m != filemode.Submodule
}

func (h *history) tree(hash plumbing.Hash, where string) *object.Tree {
	t, err := object.GetTree(h.repo.Storer, hash)
	if err != nil {
		h.skipped.add(hash, "tree "+where, err)
		return nil
	}
	return t
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
		where := "commit " + short(c.hash)
		var parents []*object.Tree
		for _, p := range c.parents {
			pc, err := h.commit(p)
			if err != nil {
				continue // already reported when the range was walked
			}
			if t := h.tree(pc.tree, "commit "+short(p)); t != nil {
				parents = append(parents, t)
			}
		}
		if t := h.tree(c.tree, where); t != nil {
			h.diff(set, t, parents, "", where)
		}
	}
	return set, nil
}

func (h *history) diff(set *blobSet, t *object.Tree, parents []*object.Tree, dir, where string) {
	for _, e := range t.Entries {
		p := path.Join(dir, e.Name)
		var sub []*object.Tree
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
			if pe.Mode == filemode.Dir && e.Mode == filemode.Dir {
				if st := h.tree(pe.Hash, p+"/ in parent of "+where); st != nil {
					sub = append(sub, st)
				}
			}
		}
		if same {
			continue
		}
		switch {
		case e.Mode == filemode.Dir:
			if st := h.tree(e.Hash, p+"/ in "+where); st != nil {
				h.diff(set, st, sub, p, where)
			}
		case isBlob(e.Mode):
			set.add(e.Hash, p)
			h.keyNames = h.keyNames || keyName(e.Name)
		}
	}
}

// entry finds a name in a tree; git sorts entries, but by a rule that
// differs for directories, so a linear scan is the simple correct choice.
func entry(t *object.Tree, name string) *object.TreeEntry {
	for i := range t.Entries {
		if t.Entries[i].Name == name {
			return &t.Entries[i]
		}
	}
	return nil
}
