package pack

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// Object types, as Store.Read returns them.
const (
	TypeCommit = typeCommit
	TypeTree   = typeTree
	TypeBlob   = typeBlob
	TypeTag    = typeTag
)

// ErrMissing is the error, wrapped, for an object the store does not have.
var ErrMissing = errors.New("missing")

// Store is every object of a repository: the packs (cruft packs included:
// an object in one can be reachable again) and loose objects of its
// object directory and of every alternate, each object numbered once.
// Scans build their own state on it; Read is safe for concurrent use.
type Store struct {
	hs       int
	table    *objectTable
	packs    []*packFile
	loose    []looseObject
	looseAt  map[int32]string // object number -> path, for Read
	dup      []bool           // by object number: stored earlier too
	problems []Problem        // found while opening
	readers  sync.Pool        // of *reader, for Read and Stream
	cache    baseCache        // delta bases Read resolved
	inflated atomic.Int64     // entries Read and Stream inflated: their work
	// Cruft counts the objects in cruft packs (those with a .mtimes file):
	// unreachable when gc wrote them, unless a ref was made since.
	Cruft int
	// lazy, for a store opened by OpenReader, finds objects by name in
	// the indexes instead of the table, which is then nil.
	lazy *lazyIndex
}

// packFile is one opened pack and its index, in index order.
type packFile struct {
	order    []int32 // index positions by offset, for Read; see place
	orderOne sync.Once
	name     string
	f        *os.File
	hs       int
	size     int64
	first    int32
	offs     []int64
	crcs     []uint32 // nil for a version 1 index
	m        *mapping // nil where the pack is read with pread
}

type looseObject struct {
	num  int32
	path string
}

// Open lists every pack and loose object of the repository and numbers
// them. Unreadable pack indexes are problems, not errors: the rest is
// read.
func Open(r *repo.Repo) (*Store, error) {
	st := &Store{hs: r.HashSize, looseAt: map[int32]string{}}
	for _, msg := range r.Problems {
		st.problems = append(st.problems, Problem{What: msg})
	}
	var hashes []repo.ID
	stems, err := packStems(r)
	if err != nil {
		return nil, err
	}
	for _, stem := range stems {
		hs, offs, crcs, err := readIdx(stem+".idx", st.hs)
		if err != nil {
			st.problems = append(st.problems, unreadableIndex(stem, err))
			continue
		}
		f, size, err := openFile(stem + ".pack")
		if err != nil {
			st.problems = append(st.problems, Problem{What: "unreadable pack " + stem + ".pack", Err: err})
			continue
		}
		if _, err := os.Stat(stem + ".mtimes"); err == nil {
			st.Cruft += len(hs)
		}
		st.packs = append(st.packs, &packFile{name: stem + ".pack", f: f, hs: st.hs, size: size, first: int32(len(hashes)), offs: offs, crcs: crcs, m: newMapping(f.Fd(), size)})
		hashes = append(hashes, hs...)
	}
	var loose []looseObject
	for _, dir := range r.ObjectDirs {
		var err error
		if loose, hashes, err = listLoose(dir, st.hs, loose, hashes); err != nil {
			st.Close()
			return nil, err
		}
	}
	if len(hashes) >= 1<<31-1 {
		st.Close()
		return nil, errors.New("too many objects")
	}
	st.table = newObjectTable(hashes)
	st.dup = make([]bool, len(hashes))
	for _, pf := range st.packs {
		for num := pf.first; num < pf.first+int32(len(pf.offs)); num++ {
			_, inserted := st.table.insert(num)
			st.dup[num] = !inserted
		}
	}
	for _, l := range loose {
		if _, ok := st.table.insert(l.num); ok {
			st.loose = append(st.loose, l)
			st.looseAt[l.num] = l.path
		}
	}
	return st, nil
}

func openFile(name string) (*os.File, int64, error) {
	f, fi, err := repo.OpenFile(name)
	if err != nil {
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// Close closes the pack files.
func (st *Store) Close() {
	if st.lazy != nil {
		for _, ix := range st.lazy.idx {
			ix.close()
		}
	}
	for _, pf := range st.packs {
		pf.m.close()
		pf.f.Close()
	}
}

// Objects is the number of distinct objects stored.
func (st *Store) Objects() int {
	if st.lazy != nil {
		return st.lazy.count()
	}
	return st.table.count
}

// Has reports whether the store holds id.
func (st *Store) Has(id repo.ID) bool {
	_, _, _, ok := st.locate(&id)
	return ok
}

// locate finds where id is stored: a pack and the entry's offset, or a
// loose object's path.
func (st *Store) locate(id *repo.ID) (pf *packFile, off int64, loose string, ok bool) {
	if st.lazy != nil {
		return st.lazy.locate(st, id)
	}
	num, ok := st.table.lookup(id)
	if !ok {
		return nil, 0, "", false
	}
	if path, ok := st.looseAt[num]; ok {
		return nil, 0, path, true
	}
	i := sort.Search(len(st.packs), func(i int) bool { return st.packs[i].first > num }) - 1
	if i < 0 {
		return nil, 0, "", false
	}
	pf = st.packs[i]
	return pf, pf.offs[num-pf.first], "", true
}

// listLoose numbers the loose objects of an object directory.
func listLoose(dir string, hs int, loose []looseObject, hashes []repo.ID) ([]looseObject, []repo.ID, error) {
	const hexDigits = "0123456789abcdef"
	for i := range 256 {
		sub := filepath.Join(dir, string([]byte{hexDigits[i>>4], hexDigits[i&15]}))
		ents, err := os.ReadDir(sub)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return loose, hashes, err
		}
		for _, e := range ents {
			var h repo.ID
			if len(e.Name()) != 2*hs-2 || !parseHex(&h, []byte(filepath.Base(sub)+e.Name()), hs) {
				continue // temporary files
			}
			loose = append(loose, looseObject{int32(len(hashes)), filepath.Join(sub, e.Name())})
			hashes = append(hashes, h)
		}
	}
	return loose, hashes, nil
}

func typeByName(name string) uint8 {
	switch name {
	case "commit":
		return typeCommit
	case "tree":
		return typeTree
	case "blob":
		return typeBlob
	case "tag":
		return typeTag
	}
	return 0
}

// HashSize is the length of the store's raw object names.
func (st *Store) HashSize() int { return st.hs }

// WithPrefix returns the objects whose hexadecimal name starts with
// prefix, at most two: enough to tell a unique abbreviation.
func (st *Store) WithPrefix(prefix string) []repo.ID {
	var out []repo.ID
	prefix = strings.ToLower(prefix)
	if st.lazy != nil {
		return st.lazy.withPrefix(prefix)
	}
	for _, h := range st.table.hashes {
		if strings.HasPrefix(h.String(), prefix) && !slices.Contains(out, h) {
			if out = append(out, h); len(out) == 2 {
				break
			}
		}
	}
	return out
}

// packStems returns the path without ".idx" of every pack index in r's
// object directories whose pack is beside it, in name order within each
// directory: the packs Open and OpenReader open.
func packStems(r *repo.Repo) ([]string, error) {
	var stems []string
	for _, dir := range r.ObjectDirs {
		names, err := filepath.Glob(filepath.Join(dir, "pack", "*.idx"))
		if err != nil {
			return nil, err
		}
		slices.Sort(names)
		for _, idx := range names {
			stem := strings.TrimSuffix(idx, ".idx")
			if _, err := os.Stat(stem + ".pack"); err != nil {
				continue // an index being written, or left behind
			}
			stems = append(stems, stem)
		}
	}
	return stems, nil
}

// unreadableIndex is the problem of a pack index that cannot be read.
func unreadableIndex(stem string, err error) Problem {
	return Problem{What: "unreadable pack index " + stem + ".idx (its objects are missing; rebuild it: delete it, then `git index-pack " + stem + ".pack`)", Err: err}
}
