package pack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// OpenReader opens a repository's objects for reading a few of them by
// name (Read, Stream, Has), without listing them: each name is looked up
// in the pack indexes as it is asked for (a binary search of the mapped
// .idx) and then among the loose objects by path. Opening costs a file
// per pack, not a read of every index; memory does not grow with the
// repository. A push hook and a settings read reach a handful of objects
// of a repository that may hold millions, which is what this is for.
//
// Scan and Trees need every object numbered and refuse such a store.
func OpenReader(r *repo.Repo) (*Store, error) {
	st := &Store{hs: r.HashSize, looseAt: map[int32]string{}, lazy: &lazyIndex{dirs: r.ObjectDirs}}
	for _, msg := range r.Problems {
		st.problems = append(st.problems, Problem{What: msg})
	}
	stems, err := packStems(r)
	if err != nil {
		st.Close()
		return nil, err
	}
	for _, stem := range stems {
		ix, err := openIndex(stem+".idx", st.hs)
		if err != nil {
			st.problems = append(st.problems, unreadableIndex(stem, err))
			continue
		}
		f, size, err := openFile(stem + ".pack")
		if err != nil {
			ix.close()
			st.problems = append(st.problems, Problem{What: "unreadable pack " + stem + ".pack", Err: err})
			continue
		}
		st.packs = append(st.packs, &packFile{name: stem + ".pack", f: f, hs: st.hs, size: size})
		st.lazy.idx = append(st.lazy.idx, ix)
	}
	return st, nil
}

// lazyIndex finds objects in the pack indexes and loose object
// directories of a store opened by OpenReader; idx[i] indexes packs[i].
type lazyIndex struct {
	idx  []*packIndex
	dirs []string
}

// packIndex is one .idx file, mapped (or read whole where mapping is not
// available), searched by name.
type packIndex struct {
	b      []byte
	mapped bool
	v2     bool
	hs, n  int
	fanout [256]uint32
}

func openIndex(path string, hs int) (*packIndex, error) {
	f, fi, err := repo.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ix := &packIndex{hs: hs}
	if ix.b = mapFile(f.Fd(), fi.Size()); ix.b != nil {
		ix.mapped = true
	} else if ix.b, err = repo.ReadFile(path, 1<<40); err != nil {
		return nil, err
	}
	if err := ix.parse(); err != nil {
		ix.close()
		return nil, err
	}
	return ix, nil
}

// parse checks the header and the sizes the fan-out table implies, so
// that every later lookup stays inside the file.
func (ix *packIndex) parse() error {
	b, be := ix.b, binary.BigEndian
	fan := 0
	if len(b) >= 8 && bytes.Equal(b[:4], []byte{0xff, 't', 'O', 'c'}) {
		if v := be.Uint32(b[4:]); v != 2 {
			return fmt.Errorf("unsupported pack index version %d", v)
		}
		ix.v2, fan = true, 8
	} else if ix.hs != 20 {
		return errors.New("a version 1 pack index in a SHA-256 repository")
	}
	if len(b) < fan+1024 {
		return errors.New("truncated pack index")
	}
	prev := uint32(0)
	for i := range ix.fanout {
		v := be.Uint32(b[fan+4*i:])
		if v < prev {
			return errors.New("pack index: fan-out table out of order")
		}
		ix.fanout[i], prev = v, v
	}
	ix.n = int(prev)
	need := 1024 + (ix.hs+4)*ix.n + 2*ix.hs
	if ix.v2 {
		need = 8 + 1024 + (ix.hs+8)*ix.n + 2*ix.hs
	}
	if ix.n < 0 || len(b) < need {
		return errors.New("truncated pack index")
	}
	return nil
}

// name returns the i-th object name of the index.
func (ix *packIndex) name(i int) []byte {
	if ix.v2 {
		at := 8 + 1024 + ix.hs*i
		return ix.b[at : at+ix.hs]
	}
	at := 1024 + (ix.hs+4)*i + 4
	return ix.b[at : at+ix.hs]
}

// find returns the pack offset of the object named id.
func (ix *packIndex) find(id *repo.ID) (int64, bool, error) {
	if id.Size() != ix.hs {
		return 0, false, nil
	}
	want := id.Bytes()
	lo, hi := 0, int(ix.fanout[want[0]])
	if want[0] > 0 {
		lo = int(ix.fanout[want[0]-1])
	}
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(ix.name(mid), want); {
		case c == 0:
			off, err := ix.offset(mid)
			return off, err == nil, err
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false, nil
}

// offset returns the pack offset of the i-th object of the index.
func (ix *packIndex) offset(i int) (int64, error) {
	be := binary.BigEndian
	if !ix.v2 {
		return int64(be.Uint32(ix.b[1024+(ix.hs+4)*i:])), nil
	}
	off32 := 8 + 1024 + (ix.hs+4)*ix.n
	o := be.Uint32(ix.b[off32+4*i:])
	if o&0x80000000 == 0 {
		return int64(o), nil
	}
	large := off32 + 4*ix.n
	j := int(o & 0x7fffffff)
	if nlarge := (len(ix.b) - 2*ix.hs - large) / 8; j >= nlarge {
		return 0, errors.New("pack index: bad large offset")
	}
	return int64(be.Uint64(ix.b[large+8*j:])), nil
}

func (ix *packIndex) close() {
	if ix.mapped {
		unmap(ix.b)
	}
	ix.b = nil
}

// locate finds id in the packs, then among the loose objects.
func (l *lazyIndex) locate(st *Store, id *repo.ID) (*packFile, int64, string, bool) {
	for i, ix := range l.idx {
		if off, ok, _ := ix.find(id); ok {
			return st.packs[i], off, "", true
		}
	}
	hexID := id.String()
	if len(hexID) < 3 {
		return nil, 0, "", false
	}
	for _, dir := range l.dirs {
		p := filepath.Join(dir, hexID[:2], hexID[2:])
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return nil, 0, p, true
		}
	}
	return nil, 0, "", false
}

// count is the number of index entries, duplicates and loose objects
// aside: what Objects can tell without listing.
func (l *lazyIndex) count() int {
	n := 0
	for _, ix := range l.idx {
		n += ix.n
	}
	return n
}

// withPrefix lists the names in the indexes and loose directories that
// start with prefix, at most two.
func (l *lazyIndex) withPrefix(prefix string) []repo.ID {
	var out []repo.ID
	add := func(id repo.ID) bool {
		if strings.HasPrefix(id.String(), prefix) && !slices.Contains(out, id) {
			out = append(out, id)
		}
		return len(out) < 2
	}
	for _, ix := range l.idx {
		for i := range ix.n {
			if !add(repo.IDFromBytes(ix.name(i))) {
				return out
			}
		}
	}
	if len(prefix) < 2 {
		return out
	}
	for _, dir := range l.dirs {
		ents, _ := os.ReadDir(filepath.Join(dir, prefix[:2]))
		for _, e := range ents {
			var id repo.ID
			if id.SetHex([]byte(prefix[:2]+e.Name())) && !add(id) {
				return out
			}
		}
	}
	return out
}

// Problems are the parts of the object store that could not be opened (an
// unreadable pack index, an alternate that does not exist): the objects
// they hold read as missing.
func (st *Store) Problems() []Problem { return slices.Clone(st.problems) }
