package pack

import (
	"bufio"
	"cmp"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// maxDeltaSteps bounds the deltas one Read resolves that no cached base
// shortens; git's own limit when writing is 4095. A deeper chain is read
// in order (ReadOrder), each read then starting from a base the previous
// one cached.
const maxDeltaSteps = 10000

// baseCacheBytes bounds the delta bases Read keeps for the reads that
// follow (git's delta_base_cache_limit is 96 MiB).
const baseCacheBytes = 32 << 20

// reader is one Read's scratch space, pooled by the store.
type reader struct {
	inflater
	raw   []byte
	ops   []op
	chain []link
	seen  map[placeKey]bool
}

// link is a delta of the chain Read resolves.
type link struct {
	pf   *packFile
	off  int64
	hlen int
	size int64 // of the delta stream
}

type placeKey struct {
	pf  *packFile
	off int64
}

// Read returns an object's type and content, which the caller owns. It is
// the one read of single objects (commit walk, attribution, settings):
// every pack entry and loose object it inflates is verified as the pack
// pass verifies it (CRC-32 from a version 2 index, Adler-32 otherwise),
// every declared size is checked against its bound before anything is
// allocated, and delta chains are followed in a loop that stops at a
// cycle or after maxDeltaSteps uncached deltas, with one short error.
func (st *Store) Read(id repo.ID) (uint8, []byte, error) {
	r := st.reader()
	defer st.putReader(r)
	typ, b, _, _, _, err := st.load(r, id, false)
	return typ, b, err
}

func (st *Store) reader() *reader {
	if r, ok := st.readers.Get().(*reader); ok {
		return r
	}
	return &reader{}
}

// putReader pools r for the next read; a buffer one large object grew is
// not kept for the many small ones after it.
func (st *Store) putReader(r *reader) {
	if cap(r.raw) > maxKeep {
		r.raw = nil
	}
	st.readers.Put(r)
}

// load reads object id. Unless lastOps, it returns its content in base,
// caller-owned. If lastOps and the object is a delta, it returns instead
// its base's content, its delta stream and the stream's operations, and
// n the size of the result, so that a blob's result need not be built.
func (st *Store) load(r *reader, id repo.ID, lastOps bool) (typ uint8, base, delta []byte, ops []op, n int, err error) {
	chain := r.chain[:0]
	defer func() { r.chain = chain[:0] }()
	clear(r.seen)
	cur := id
	var pf *packFile
	var off int64
	byName := true
	cached := false
walk:
	for {
		if byName {
			var path string
			var ok bool
			if pf, off, path, ok = st.locate(&cur); !ok {
				if len(chain) > 0 {
					return 0, nil, nil, nil, 0, fmt.Errorf("object %s: delta base %s: %w", id, cur, ErrMissing)
				}
				return 0, nil, nil, nil, 0, fmt.Errorf("object %s: %w", id, ErrMissing)
			}
			if path != "" {
				if typ, base, err = st.readLoose(r, path); err != nil {
					return 0, nil, nil, nil, 0, fmt.Errorf("loose object %s: %w", cur, err)
				}
				cached = true // not cached: loose bases are rare
				break walk
			}
		}
		if len(chain) > 0 {
			if typ, base, cached = st.cache.get(pf, off); cached {
				break walk
			}
		}
		key := placeKey{pf, off}
		if r.seen[key] {
			return 0, nil, nil, nil, 0, fmt.Errorf("object %s: its delta bases form a cycle (at offset %d in %s)", id, off, filepath.Base(pf.name))
		}
		if len(chain) >= maxDeltaSteps {
			return 0, nil, nil, nil, 0, fmt.Errorf("object %s: delta chain longer than %d entries", id, maxDeltaSteps)
		}
		if len(chain) > 0 {
			if r.seen == nil {
				r.seen = map[placeKey]bool{}
			}
			r.seen[key] = true
		}
		var hdr [64]byte
		m, rerr := pf.f.ReadAt(hdr[:], off)
		if m == 0 {
			return 0, nil, nil, nil, 0, fmt.Errorf("object %s: read %s at %d: %w", id, filepath.Base(pf.name), off, rerr)
		}
		etyp, size, hlen, herr := entryHeader(hdr[:m])
		if herr != nil {
			return 0, nil, nil, nil, 0, st.entryErr(id, pf, off, herr)
		}
		switch etyp {
		case typeCommit, typeTree, typeBlob, typeTag:
			if base, err = st.entry(r, pf, off, hlen, etyp, size); err != nil {
				return 0, nil, nil, nil, 0, st.entryErr(id, pf, off, err)
			}
			typ = etyp
			break walk
		case typeOfsDelta:
			rel, j, ok := ofsVarint(hdr[:m], hlen)
			if !ok || rel <= 0 || rel > off {
				return 0, nil, nil, nil, 0, st.entryErr(id, pf, off, errors.New("bad OFS_DELTA base offset"))
			}
			chain = append(chain, link{pf: pf, off: off, hlen: j, size: size})
			off -= rel
			byName = false
		case typeRefDelta:
			if m < hlen+st.hs {
				return 0, nil, nil, nil, 0, st.entryErr(id, pf, off, errors.New("truncated REF_DELTA header"))
			}
			cur = repo.IDFromBytes(hdr[hlen : hlen+st.hs])
			chain = append(chain, link{pf: pf, off: off, hlen: hlen + st.hs, size: size})
			byName = true
		default:
			return 0, nil, nil, nil, 0, st.entryErr(id, pf, off, fmt.Errorf("unknown object type %d", etyp))
		}
	}
	if len(chain) == 0 {
		return typ, base, nil, nil, 0, nil
	}
	if !cached {
		st.cache.put(pf, off, typ, base)
	}
	for k := len(chain) - 1; k >= 0; k-- {
		l := chain[k]
		if delta, err = st.entry(r, l.pf, l.off, l.hlen, 0, l.size); err != nil {
			return 0, nil, nil, nil, 0, st.entryErr(id, l.pf, l.off, err)
		}
		if err = checkSize(typeName(typ)+" delta result", typ, deltaResult(delta)); err == nil {
			r.ops, n, err = parseDelta(delta, len(base), r.ops[:0])
		}
		if err != nil {
			return 0, nil, nil, nil, 0, st.entryErr(id, l.pf, l.off, err)
		}
		if k == 0 && lastOps {
			return typ, base, delta, r.ops, n, nil
		}
		out := make([]byte, n)
		apply(r.ops, base, delta, out)
		base = out
		if k > 0 {
			// The result is the next delta's base: kept for the reads
			// that follow (the next version of a file is read next).
			st.cache.put(l.pf, l.off, typ, base)
		}
	}
	return typ, base, nil, nil, 0, nil
}

// entryErr names the pack entry a read failed at.
func (st *Store) entryErr(id repo.ID, pf *packFile, off int64, err error) error {
	return fmt.Errorf("object %s: pack entry at offset %d in %s: %w", id, off, filepath.Base(pf.name), err)
}

// entry reads, verifies and inflates the data of the pack entry at off:
// an object of type typ, or for typ 0 a delta stream, of the declared
// size, which is checked first.
func (st *Store) entry(r *reader, pf *packFile, off int64, hlen int, typ uint8, size int64) ([]byte, error) {
	what := typeName(typ)
	if typ == 0 {
		what, typ = "delta stream", typeBlob
	}
	if err := checkSize(what, typ, size); err != nil {
		return nil, err
	}
	pos, end := st.extent(pf, off)
	if pos < 0 {
		return st.entryStream(r, pf, off+int64(hlen), size)
	}
	if !fitsCompressed(size, end-off-int64(hlen)) {
		return nil, fmt.Errorf("entry size %d does not fit its %d compressed bytes", size, end-off-int64(hlen))
	}
	st.inflated.Add(1)
	r.raw = grow(r.raw, int(end-off))
	if _, err := pf.f.ReadAt(r.raw, off); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var crc uint32
	if pf.crcs != nil {
		crc = pf.crcs[pos]
	}
	return r.inflateEntry(r.raw, hlen, pf.crcs != nil, crc, make([]byte, size))
}

// extent returns the index position of the pack entry at off and where
// it ends, or -1 and the end of the pack's entries where the store does
// not know (OpenReader's, which reads no index whole).
func (st *Store) extent(pf *packFile, off int64) (int, int64) {
	if st.lazy == nil {
		if pos, end := pf.place(off); pos >= 0 {
			return pos, end
		}
	}
	return -1, pf.size - int64(pf.hs)
}

// entryStream inflates size bytes of the zlib stream at start, and checks
// its Adler-32: the verification where the entry's extent, and so its
// CRC-32, is not known. A zlib stream ends itself, so for a small object
// what is read is as many bytes as size can take compressed
// (maxCompressed), into r's buffer, inflated by r's decoder: it costs a
// read of about its size, where a zlib reader with 64 KiB of buffers,
// made for each object, was 20 times the pack's bytes read and a quarter
// of a push's CPU in allocation and GC. A large one is streamed, so that
// its compressed bytes are not held beside it.
func (st *Store) entryStream(r *reader, pf *packFile, start, size int64) ([]byte, error) {
	if size > 1100*(pf.size-start)+64 {
		return nil, fmt.Errorf("entry size %d does not fit the pack", size)
	}
	st.inflated.Add(1)
	if n := min(pf.size-start, maxCompressed(size)); n <= streamEntry {
		r.raw = grow(r.raw, int(n))
		if _, err := pf.f.ReadAt(r.raw, start); err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		return r.inflateInto(r.raw, make([]byte, size), true)
	}
	zr, err := zlib.NewReader(bufio.NewReaderSize(io.NewSectionReader(pf.f, start, pf.size-start), 64<<10))
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	er := exactly(zr, size)
	defer er.Close()
	out := make([]byte, size)
	if _, err := io.ReadFull(er, out); err != nil {
		return nil, err
	}
	var one [1]byte
	if _, err := er.Read(one[:]); err != io.EOF {
		return nil, err
	}
	return out, nil
}

// streamEntry is the most compressed bytes entryStream reads whole.
const streamEntry = 1 << 20

// place returns the index position of the entry at off and where the
// entry ends (the next entry's offset, or the pack's trailing checksum),
// or -1 if no entry starts at off.
func (pf *packFile) place(off int64) (int, int64) {
	pf.orderOne.Do(func() { pf.order = byOffset(pf.offs) })
	k := sort.Search(len(pf.order), func(k int) bool { return pf.offs[pf.order[k]] >= off })
	if k == len(pf.order) || pf.offs[pf.order[k]] != off {
		return -1, 0
	}
	end := pf.size - int64(pf.hs)
	if k+1 < len(pf.order) {
		end = pf.offs[pf.order[k+1]]
	}
	return int(pf.order[k]), end
}

// readLoose reads and verifies a whole loose object.
func (st *Store) readLoose(r *reader, path string) (uint8, []byte, error) {
	f, fi, err := repo.OpenFile(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	if fi.Size() > maxCompressed(MaxObject) {
		return 0, nil, &BoundError{What: "loose object file", Size: fi.Size(), Bound: MaxObject}
	}
	r.raw = grow(r.raw, int(fi.Size()))
	if _, err := f.ReadAt(r.raw, 0); err != nil {
		return 0, nil, fmt.Errorf("read: %w", err)
	}
	typ, size, rest, err := r.looseHeader(r.raw)
	if err != nil {
		return 0, nil, err
	}
	if err := checkSize(typeName(typ), typ, size); err != nil {
		return 0, nil, err
	}
	out, err := r.looseContent(make([]byte, size), rest)
	return typ, out, err
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

// baseCache keeps delta bases Read built, up to baseCacheBytes, dropping
// the oldest first: reading a chain's objects in order (ReadOrder) then
// costs one delta each, where each read from the chain's root cost the
// chain (a chain of 2,000 versions that each hold a key took 100 s).
// Cached contents are only read, never handed to a caller.
type baseCache struct {
	mu    sync.Mutex
	m     map[placeKey]cachedBase
	fifo  []placeKey
	bytes int64
}

type cachedBase struct {
	typ uint8
	b   []byte
}

func (c *baseCache) get(pf *packFile, off int64) (uint8, []byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[placeKey{pf, off}]
	return e.typ, e.b, ok
}

// put keeps b, the content at (pf, off), which no caller is given.
func (c *baseCache) put(pf *packFile, off int64, typ uint8, b []byte) {
	if int64(len(b)) > baseCacheBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := placeKey{pf, off}
	if _, ok := c.m[key]; ok {
		return
	}
	if c.m == nil {
		c.m = map[placeKey]cachedBase{}
	}
	for c.bytes+int64(len(b)) > baseCacheBytes && len(c.fifo) > 0 {
		old := c.fifo[0]
		c.fifo = c.fifo[1:]
		c.bytes -= int64(len(c.m[old].b))
		delete(c.m, old)
	}
	c.m[key] = cachedBase{typ, b}
	c.fifo = append(c.fifo, key)
	c.bytes += int64(len(b))
}

// Order sorts ids as the store holds them: by pack, then by offset in the
// pack, loose objects and absent ones last. git writes a delta after its
// base, so reading in this order, each read finds its base in the cache
// Read keeps: reading every version of a file costs one delta each.
func (st *Store) Order(ids []repo.ID) {
	type placed struct {
		pack int
		off  int64
		id   repo.ID
	}
	packNum := make(map[*packFile]int, len(st.packs))
	for k, pf := range st.packs {
		packNum[pf] = k
	}
	ps := make([]placed, len(ids))
	for i, id := range ids {
		ps[i] = placed{len(st.packs), 0, id}
		if pf, off, path, ok := st.locate(&id); ok && path == "" {
			ps[i].pack, ps[i].off = packNum[pf], off
		}
	}
	slices.SortStableFunc(ps, func(a, b placed) int {
		return cmp.Or(cmp.Compare(a.pack, b.pack), cmp.Compare(a.off, b.off))
	})
	for i := range ps {
		ids[i] = ps[i].id
	}
}

// Type returns an object's type from its headers alone: a delta's is its
// chain's root's, followed as Read follows it (cycle-safe, bounded).
func (st *Store) Type(id repo.ID) (uint8, error) {
	cur := id
	seen := map[placeKey]bool{}
	var pf *packFile
	var off int64
	byName := true
	for range maxDeltaSteps {
		if byName {
			var path string
			var ok bool
			if pf, off, path, ok = st.locate(&cur); !ok {
				return 0, fmt.Errorf("object %s: %w", cur, ErrMissing)
			}
			if path != "" {
				f, _, err := repo.OpenFile(path)
				if err != nil {
					return 0, err
				}
				defer f.Close()
				var head [looseProbe]byte
				n, _ := f.ReadAt(head[:], 0)
				var inf inflater
				typ, _, _, err := inf.looseHeader(head[:n])
				return typ, err
			}
		}
		if seen[placeKey{pf, off}] {
			return 0, fmt.Errorf("object %s: its delta bases form a cycle", id)
		}
		seen[placeKey{pf, off}] = true
		var hdr [64]byte
		m, err := pf.f.ReadAt(hdr[:], off)
		if m == 0 {
			return 0, err
		}
		typ, _, hlen, err := entryHeader(hdr[:m])
		if err != nil {
			return 0, st.entryErr(id, pf, off, err)
		}
		switch typ {
		case typeCommit, typeTree, typeBlob, typeTag:
			return typ, nil
		case typeOfsDelta:
			rel, _, ok := ofsVarint(hdr[:m], hlen)
			if !ok || rel <= 0 || rel > off {
				return 0, st.entryErr(id, pf, off, errors.New("bad OFS_DELTA base offset"))
			}
			off -= rel
			byName = false
		case typeRefDelta:
			if m < hlen+st.hs {
				return 0, st.entryErr(id, pf, off, errors.New("truncated REF_DELTA header"))
			}
			cur = repo.IDFromBytes(hdr[hlen : hlen+st.hs])
			byName = true
		default:
			return 0, st.entryErr(id, pf, off, fmt.Errorf("unknown object type %d", typ))
		}
	}
	return 0, fmt.Errorf("object %s: delta chain longer than %d entries", id, maxDeltaSteps)
}

// TypeName is the name git gives an object type Read or Type returns.
func TypeName(typ uint8) string { return typeName(typ) }
