package pack

import (
	"bufio"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

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
	// Cruft counts the objects in cruft packs (those with a .mtimes file):
	// unreachable when gc wrote them, unless a ref was made since.
	Cruft int
	// lazy, for a store opened by OpenReader, finds objects by name in
	// the indexes instead of the table, which is then nil.
	lazy *lazyIndex
}

// packFile is one opened pack and its index, in index order.
type packFile struct {
	name  string
	f     *os.File
	hs    int
	size  int64
	first int32
	offs  []int64
	crcs  []uint32 // nil for a version 1 index
	m     *mapping // nil where the pack is read with pread
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
			hs, offs, crcs, err := readIdx(idx, st.hs)
			if err != nil {
				st.problems = append(st.problems, Problem{What: "unreadable pack index " + idx + " (its objects are missing; rebuild it: delete it, then `git index-pack " + stem + ".pack`)", Err: err})
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

// maxDeltaDepth bounds a delta chain read by Read; git's own limit when
// writing is 4095.
const maxDeltaDepth = 10000

// Read returns an object's type and content. It resolves delta chains
// entry by entry, for the few objects a scan reads again.
func (st *Store) Read(id repo.ID) (uint8, []byte, error) {
	return st.read(id, 0)
}

func (st *Store) read(id repo.ID, depth int) (uint8, []byte, error) {
	pf, off, path, ok := st.locate(&id)
	switch {
	case !ok:
		return 0, nil, fmt.Errorf("object %s: %w", id, ErrMissing)
	case path != "":
		return readLooseFile(path)
	}
	return st.readPacked(pf, off, depth)
}

// readPacked reads the pack entry at off, resolving its delta chain.
func (st *Store) readPacked(pf *packFile, off int64, depth int) (uint8, []byte, error) {
	typ, base, data, ops, n, err := st.entryParts(pf, off, depth)
	if err != nil || base == nil {
		return typ, data, err
	}
	out := make([]byte, n)
	apply(ops, base, data, out)
	return typ, out, nil
}

// entryParts reads the pack entry at off: a whole object's type and
// content in data, or for a delta its base's type and content, the delta
// stream in data, its operations and the size of the result.
func (st *Store) entryParts(pf *packFile, off int64, depth int) (typ uint8, base, data []byte, ops []op, n int, err error) {
	if depth > maxDeltaDepth {
		return 0, nil, nil, nil, 0, errors.New("delta chain too deep")
	}
	var hdr [64]byte
	m, err := pf.f.ReadAt(hdr[:], off)
	if m == 0 {
		return 0, nil, nil, nil, 0, fmt.Errorf("read %s at %d: %w", filepath.Base(pf.name), off, err)
	}
	typ, size, i, err := entryHeader(hdr[:m])
	if err != nil {
		return 0, nil, nil, nil, 0, err
	}
	switch typ {
	case typeCommit, typeTree, typeBlob, typeTag:
	case typeOfsDelta:
		rel, j, ok := ofsVarint(hdr[:m], i)
		if !ok || rel <= 0 || rel > off {
			return 0, nil, nil, nil, 0, errors.New("bad OFS_DELTA base offset")
		}
		i = j
		if typ, base, err = st.readPacked(pf, off-rel, depth+1); err != nil {
			return 0, nil, nil, nil, 0, err
		}
	case typeRefDelta:
		if m < i+st.hs {
			return 0, nil, nil, nil, 0, errors.New("truncated REF_DELTA header")
		}
		baseID := repo.IDFromBytes(hdr[i : i+st.hs])
		i += st.hs
		if typ, base, err = st.read(baseID, depth+1); err != nil {
			return 0, nil, nil, nil, 0, fmt.Errorf("delta base %s: %w", baseID, err)
		}
	default:
		return 0, nil, nil, nil, 0, fmt.Errorf("unknown object type %d", typ)
	}
	start := off + int64(i)
	if size > 1100*(pf.size-start)+64 {
		return 0, nil, nil, nil, 0, fmt.Errorf("entry size %d does not fit the pack", size)
	}
	if data, err = inflateAt(pf.f, start, size); err != nil {
		return 0, nil, nil, nil, 0, err
	}
	if base == nil {
		return typ, nil, data, nil, len(data), nil
	}
	if ops, n, err = parseDelta(data, len(base), nil); err != nil {
		return 0, nil, nil, nil, 0, err
	}
	return typ, base, data, ops, n, nil
}

// inflateAt inflates size bytes of the zlib stream at off.
func inflateAt(f *os.File, off, size int64) ([]byte, error) {
	zr, err := zlib.NewReader(bufio.NewReaderSize(io.NewSectionReader(f, off, 1<<62), 64<<10))
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	defer zr.Close()
	out := make([]byte, size)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	return out, nil
}

// readLooseFile reads a whole loose object.
func readLooseFile(path string) (uint8, []byte, error) {
	f, fi, err := repo.OpenFile(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	zr, err := zlib.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return 0, nil, fmt.Errorf("inflate: %w", err)
	}
	defer zr.Close()
	br := bufio.NewReaderSize(zr, 64<<10)
	typ, size, err := looseHeaderFrom(br, fi.Size())
	if err != nil {
		return 0, nil, err
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(br, out); err != nil {
		return 0, nil, fmt.Errorf("inflate: %w", err)
	}
	return typ, out, nil
}

// looseHeaderFrom parses "<type> <size>\x00" from an inflating reader.
func looseHeaderFrom(br *bufio.Reader, fileSize int64) (uint8, int64, error) {
	hdr, err := br.ReadSlice(0)
	if err != nil || len(hdr) > 32 {
		return 0, 0, errors.New("no object header")
	}
	name, sizeText, _ := strings.Cut(string(hdr[:len(hdr)-1]), " ")
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 0 || size > 1100*fileSize+64 {
		return 0, 0, fmt.Errorf("bad object header %q", hdr[:len(hdr)-1])
	}
	typ := typeByName(name)
	if typ == 0 {
		return 0, 0, fmt.Errorf("bad object type %q", name)
	}
	return typ, size, nil
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
