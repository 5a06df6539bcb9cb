package pack

import (
	"context"
	"iter"
	"sync"

	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// TreeEntry is one entry of a stored tree that attribution needs.
type TreeEntry struct {
	Name string // interned: equal names share their bytes
	Hash repo.ID
	Dir  bool // a subtree (mode 040000); otherwise a wanted blob
}

// TreeIndex holds, for every tree object stored, its subtree entries and
// its entries naming wanted blobs.
type TreeIndex struct {
	table  *objectTable
	spans  []treeRange // by tree object number
	chunks [][]entry
	names  []string
	// missing are targets the repository lacks, which entries number ^i.
	missing []repo.ID
}

// entry is a tree entry as Trees keeps it. name is an interned name with
// dirBit set for a subtree, or skipName for an entry Trees does not keep
// (carried down delta chains only so that it is not parsed again); obj is
// the target's object number, or ^i for the i-th target the repository
// lacks.
type entry struct {
	name uint32
	obj  int32
}

const (
	dirBit   = 1 << 31
	skipName = ^uint32(0)
)

// treeRange places a tree's entries in TreeIndex.chunks. n is the number
// of entries plus one, so that the zero range is a tree not read.
type treeRange struct{ chunk, start, n uint32 }

// treeSpan is a tree's entries in a worker's chunks.
type treeSpan struct {
	num             int32
	chunk, start, n uint32
}

// listing is what Trees wants, and the names and absent targets the kept
// entries refer to, which the workers share.
type listing struct {
	want map[repo.ID]bool

	mu      sync.Mutex
	ids     map[string]uint32
	names   []string
	missing []repo.ID
}

// Trees reads every tree object of the store (packs and loose, each
// once) and keeps its subtree entries and its entries naming one of the
// wanted blobs. Only trees are read: in a pack, only the delta forests
// whose root is a tree, since a delta has its base's type.
//
// The problems are those Scan reports for unreadable trees (and pack
// entries of unknown type), with the deltas that depend on them; trees
// naming absent objects are left to Scan. Options.Progress and
// Options.Total are not used.
func (st *Store) Trees(ctx context.Context, want map[repo.ID]bool, opts Options) (*TreeIndex, []Problem, error) {
	if st.lazy != nil {
		return nil, nil, errLazy
	}
	opts.Progress, opts.Total = nil, nil
	s := st.scanner(opts)
	s.list = &listing{want: want, ids: map[string]uint32{}}
	if err := s.run(ctx); err != nil {
		return nil, nil, err
	}
	return s.treeIndex(), s.allProblems(), nil
}

// Len returns the number of trees read.
func (x *TreeIndex) Len() int {
	n := 0
	for _, sp := range x.spans {
		if sp.n > 0 {
			n++
		}
	}
	return n
}

// Has reports whether tree was read.
func (x *TreeIndex) Has(tree repo.ID) bool {
	num, ok := x.table.lookup(&tree)
	return ok && x.spans[num].n > 0
}

// Entries returns tree's subtree entries and its entries naming wanted
// blobs, in tree order; nothing if the tree was not read.
func (x *TreeIndex) Entries(tree repo.ID) iter.Seq[TreeEntry] {
	return func(yield func(TreeEntry) bool) {
		num, ok := x.table.lookup(&tree)
		if !ok || x.spans[num].n == 0 {
			return
		}
		sp := x.spans[num]
		for _, e := range x.chunks[sp.chunk][sp.start : sp.start+sp.n-1] {
			te := TreeEntry{Name: x.names[e.name&^dirBit], Dir: e.name&dirBit != 0}
			if e.obj >= 0 {
				te.Hash = x.table.hashes[e.obj]
			} else {
				te.Hash = x.missing[^e.obj]
			}
			if !yield(te) {
				return
			}
		}
	}
}

// keep returns what Trees keeps of a tree entry.
//
// Entries naming wanted blobs are kept, and so are those whose name holds
// a key ID: a key in a file name is a finding of its own.
func (w *worker) keep(mode, name []byte, hash *repo.ID) entry {
	l := w.s.list
	// Git writes "40000"; some old tools wrote "040000".
	dir := string(mode) == "40000" || string(mode) == "040000"
	if !dir && (string(mode) == "160000" || !l.want[*hash] && !(len(name) >= keyLen && detect.MayContain(name))) {
		return entry{name: skipName}
	}
	num, found := w.s.table.lookup(hash)
	id, cached := w.names[string(name)]
	if !found || !cached {
		l.mu.Lock()
		if !found {
			num = ^int32(len(l.missing))
			l.missing = append(l.missing, *hash)
		}
		if !cached {
			id, cached = l.ids[string(name)]
			if !cached {
				id = uint32(len(l.names))
				l.names = append(l.names, string(name))
				l.ids[l.names[id]] = id
			}
			if w.names == nil {
				w.names = map[string]uint32{}
			}
			w.names[l.names[id]] = id
		}
		l.mu.Unlock()
	}
	if dir {
		id |= dirBit
	}
	return entry{name: id, obj: num}
}

// entryChunk is how many entries a worker stores per allocation: growing
// one slice would copy (and fault in) them over and over.
const entryChunk = 1 << 16

// listTree keeps the entries of tree num that Trees returns. A tree's
// entries never straddle two chunks.
func (w *worker) listTree(num int32, ents []entry) {
	if len(w.tents) == 0 || cap(w.tents[len(w.tents)-1])-len(w.tents[len(w.tents)-1]) < len(ents) {
		w.tents = append(w.tents, make([]entry, 0, max(entryChunk, len(ents))))
	}
	c := len(w.tents) - 1
	chunk := w.tents[c]
	start := len(chunk)
	for _, e := range ents {
		if e.name != skipName {
			chunk = append(chunk, e)
		}
	}
	w.tents[c] = chunk
	w.tspans = append(w.tspans, treeSpan{num: num, chunk: uint32(c), start: uint32(start), n: uint32(len(chunk) - start)})
}

// treeIndex gathers what the workers kept.
func (s *scanner) treeIndex() *TreeIndex {
	x := &TreeIndex{table: s.table, spans: make([]treeRange, len(s.table.hashes)), names: s.list.names, missing: s.list.missing}
	for _, w := range s.workers {
		base := uint32(len(x.chunks))
		x.chunks = append(x.chunks, w.tents...)
		for _, sp := range w.tspans {
			x.spans[sp.num] = treeRange{chunk: base + sp.chunk, start: sp.start, n: sp.n + 1}
		}
		w.tents, w.tspans, w.names = nil, nil, nil
	}
	return x
}
