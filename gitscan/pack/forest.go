package pack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// Object types as pack entry headers spell them.
const (
	typeCommit   = 1
	typeTree     = 2
	typeBlob     = 3
	typeTag      = 4
	typeOfsDelta = 6
	typeRefDelta = 7
)

// Values of pack.base for entries that are not deltas against another
// entry of the same pack.
const (
	noBase       = -1 // a full object (or an entry whose header is unreadable)
	externalBase = -2 // a REF_DELTA against an object stored elsewhere
)

// pack is one packfile, its entries in offset order. Entry e's data runs
// from offs[e]+hlen[e] to offs[e+1].
type pack struct {
	name  string // the .pack path
	hs    int    // object name size
	f     *os.File
	m     *mapping // nil where the pack is read with pread
	first int32    // object number of the entry at index position 0

	offs []int64 // n+1: the last is where the trailing checksum starts
	num  []int32 // object number of each entry
	// crc is the CRC-32 of each entry's bytes, header included, from a
	// version 2 index; nil for version 1.
	crc []uint32

	// Filled by readHeaders.
	typ     []uint8 // 1-4 for full objects, 6-7 for deltas, 0 if unreadable
	hlen    []uint8
	size    []int64 // inflated size: the object, or the delta stream
	base    []int32 // base entry, or noBase, or externalBase
	ext     map[int32]repo.ID
	bad     map[int32]error // entries whose header cannot be parsed
	kidFrom []int32         // n+1: entry e's delta children are kids[kidFrom[e]:kidFrom[e+1]]
	kids    []int32
	roots   []int32
	dup     []bool // stored earlier (an earlier pack); resolved for its children, not counted
	done    []bool // handled or reported; each is written by one worker only
}

func (p *pack) n() int { return len(p.num) }

func (p *pack) children(e int32) []int32 { return p.kids[p.kidFrom[e]:p.kidFrom[e+1]] }

// newPack orders an opened pack's entries by offset, for one scan.
func newPack(pf *packFile) (*pack, error) {
	offs, first := pf.offs, pf.first
	n := len(offs)
	order := byOffset(offs)
	p := &pack{name: pf.name, hs: pf.hs, f: pf.f, m: pf.m, first: first, offs: make([]int64, n+1), num: make([]int32, n), dup: make([]bool, n)}
	if pf.crcs != nil {
		p.crc = make([]uint32, n)
	}
	for e, i := range order {
		p.offs[e] = offs[i]
		p.num[e] = first + i
		if p.crc != nil {
			p.crc[e] = pf.crcs[i]
		}
	}
	p.offs[n] = pf.size - int64(pf.hs)
	for e := range n {
		if p.offs[e] < 12 || p.offs[e] >= p.offs[e+1] {
			return nil, fmt.Errorf("pack index offsets do not fit the pack (entry at %d)", p.offs[e])
		}
	}
	return p, nil
}

// byOffset returns the positions of offs in increasing order of offset.
// It is a radix sort, 11 bits a pass, of (offset, position) pairs: the
// comparison sort it replaced was a sixth of the time before a scan's
// workers start, on one core.
func byOffset(offs []int64) []int32 {
	type placed struct {
		off int64
		i   int32
	}
	a := make([]placed, len(offs))
	var top int64
	for i, off := range offs {
		a[i] = placed{off, int32(i)}
		top = max(top, off)
	}
	b := make([]placed, len(offs))
	const radix = 11
	for shift := 0; shift < 64 && top>>shift > 0; shift += radix {
		var count [1<<radix + 1]int
		for _, x := range a {
			count[(x.off>>shift)&(1<<radix-1)+1]++
		}
		for d := 1; d <= 1<<radix; d++ {
			count[d] += count[d-1]
		}
		for _, x := range a {
			d := (x.off >> shift) & (1<<radix - 1)
			b[count[d]] = x
			count[d]++
		}
		a, b = b, a
	}
	order := make([]int32, len(a))
	for e, x := range a {
		order[e] = x.i
	}
	return order
}

// chunkReader reads a file sequentially in large chunks, for the header
// pass, which touches every entry in offset order.
type chunkReader struct {
	f          *os.File
	buf        []byte
	start, end int64 // file range held in buf
}

// at returns up to n bytes at off: fewer only at the end of the file.
func (c *chunkReader) at(off int64, n int) ([]byte, error) {
	if off >= c.start && off+int64(n) <= c.end {
		return c.buf[off-c.start : off-c.start+int64(n)], nil
	}
	m, err := c.f.ReadAt(c.buf[:cap(c.buf)], off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	c.buf = c.buf[:m]
	c.start, c.end = off, off+int64(m)
	return c.buf[:min(n, m)], nil
}

// readHeaders parses every entry header, without inflating anything, and
// builds the delta forest. table resolves REF_DELTA bases.
func (p *pack) readHeaders(table *objectTable) error {
	n := p.n()
	p.typ = make([]uint8, n)
	p.hlen = make([]uint8, n)
	p.size = make([]int64, n)
	p.base = make([]int32, n)
	p.done = make([]bool, n)

	// at returns up to 64 bytes at an offset: from the mapping, or read
	// sequentially in large chunks.
	at := func(off int64, k int) ([]byte, error) {
		return p.m.bytes(off, min(off+int64(k), p.offs[n]+int64(p.hs))), nil
	}
	if p.m == nil {
		c := &chunkReader{f: p.f, buf: make([]byte, 0, 1<<20)}
		at = c.at
	}
	hdr, err := at(0, 12)
	if err != nil {
		return err
	}
	if len(hdr) < 12 || string(hdr[:4]) != "PACK" {
		return errors.New("not a packfile")
	}
	if v := binary.BigEndian.Uint32(hdr[4:]); v != 2 && v != 3 {
		return fmt.Errorf("unsupported pack version %d", v)
	}
	if cnt := binary.BigEndian.Uint32(hdr[8:]); int(cnt) != n {
		return fmt.Errorf("pack holds %d objects, its index %d", cnt, n)
	}

	var entryOf []int32 // index position -> entry, for REF_DELTA bases
	find := p.entryAt()
	for e := range int32(n) {
		off := p.offs[e]
		b, err := at(off, 64)
		if err != nil {
			return err
		}
		b = b[:min(int64(len(b)), p.offs[e+1]-off)]
		p.base[e] = noBase
		typ, size, i, err := entryHeader(b)
		if err != nil {
			p.setBad(e, err)
			continue
		}
		switch typ {
		case typeCommit, typeTree, typeBlob, typeTag:
		case typeOfsDelta:
			rel, j, ok := ofsVarint(b, i)
			if !ok || rel <= 0 || rel > off {
				p.setBad(e, errors.New("bad OFS_DELTA base offset"))
				continue
			}
			i = j
			bo := off - rel
			be, found := find(bo)
			if !found {
				p.setBad(e, fmt.Errorf("OFS_DELTA base offset %d is no entry", bo))
				continue
			}
			p.base[e] = int32(be)
		case typeRefDelta:
			if len(b) < i+p.hs {
				p.setBad(e, errors.New("truncated REF_DELTA header"))
				continue
			}
			h := repo.IDFromBytes(b[i : i+p.hs])
			i += p.hs
			num, ok := table.lookup(&h)
			if ok && num >= p.first && num < p.first+int32(n) {
				if entryOf == nil {
					entryOf = make([]int32, n)
					for e, num := range p.num {
						entryOf[num-p.first] = int32(e)
					}
				}
				p.base[e] = entryOf[num-p.first]
			} else {
				if p.ext == nil {
					p.ext = map[int32]repo.ID{}
				}
				p.ext[e] = h
				p.base[e] = externalBase
			}
		default:
			p.setBad(e, fmt.Errorf("unknown object type %d", typ))
			continue
		}
		p.typ[e], p.size[e], p.hlen[e] = typ, size, uint8(i)
	}

	p.kidFrom = make([]int32, n+1)
	for _, b := range p.base {
		if b >= 0 {
			p.kidFrom[b+1]++
		}
	}
	for e := range n {
		p.kidFrom[e+1] += p.kidFrom[e]
	}
	p.kids = make([]int32, p.kidFrom[n])
	fill := slices.Clone(p.kidFrom[:n])
	for e, b := range p.base {
		switch {
		case b >= 0:
			p.kids[fill[b]] = int32(e)
			fill[b]++
		case b == noBase:
			p.roots = append(p.roots, int32(e))
		}
	}
	p.orderChildren()
	return nil
}

// orderChildren moves the child with the largest subtree to the end of
// each entry's children, so that the resolution (worker.descend), which
// lets an entry's last child take its place, holds at most log2(n) levels
// at once (as a heavy-path decomposition). Subtree sizes are summed in
// reverse breadth-first order: one pass, no recursion. Entries on a cycle
// of REF_DELTA bases are reached from no root and keep their order.
func (p *pack) orderChildren() {
	if len(p.kids) < 2 {
		return
	}
	n := p.n()
	order := make([]int32, 0, n)
	for e, b := range p.base {
		if b < 0 {
			order = append(order, int32(e))
		}
	}
	for i := 0; i < len(order); i++ {
		order = append(order, p.children(order[i])...)
	}
	size := make([]int32, n)
	for i := len(order) - 1; i >= 0; i-- {
		e := order[i]
		size[e]++
		if b := p.base[e]; b >= 0 {
			size[b] += size[e]
		}
	}
	for e := range n {
		kids := p.children(int32(e))
		if len(kids) < 2 {
			continue
		}
		heavy := len(kids) - 1
		for k := range kids {
			if size[kids[k]] > size[kids[heavy]] {
				heavy = k
			}
		}
		kids[heavy], kids[len(kids)-1] = kids[len(kids)-1], kids[heavy]
	}
}

// entryAt returns a function giving the entry at a pack offset. Entries
// are bucketed by offset, about one per bucket, so a lookup reads a
// bucket and an entry or two, where a binary search of every offset read
// twenty.
func (p *pack) entryAt() func(off int64) (int, bool) {
	n := p.n()
	end := p.offs[n]
	shift := 0
	for shift < 40 && end>>shift > int64(n) {
		shift++
	}
	first := make([]int32, end>>shift+2) // first[k]: the first entry at or past k<<shift
	e := 0
	for k := range first {
		for e < n && p.offs[e] < int64(k)<<shift {
			e++
		}
		first[k] = int32(e)
	}
	return func(off int64) (int, bool) {
		if off < 0 || off >= end {
			return 0, false
		}
		for e := int(first[off>>shift]); e < n && p.offs[e] <= off; e++ {
			if p.offs[e] == off {
				return e, true
			}
		}
		return 0, false
	}
}

// skip marks entry e and its delta descendants done without reading
// them, using stack as scratch space.
func (p *pack) skip(e int32, stack []int32) []int32 {
	stack = append(stack[:0], e)
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !p.done[c] {
			stack = append(stack, p.children(c)...)
			p.done[c] = true
		}
	}
	return stack
}

func (p *pack) setBad(e int32, err error) {
	if p.bad == nil {
		p.bad = map[int32]error{}
	}
	p.bad[e] = err
}

// entryHeader parses a pack entry's type and size.
func entryHeader(b []byte) (typ uint8, size int64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, 0, errors.New("truncated entry header")
	}
	c := b[0]
	typ = c >> 4 & 7
	size = int64(c & 15)
	shift := 4
	for n = 1; c&0x80 != 0; n++ {
		if n >= len(b) || shift > 56 {
			return 0, 0, 0, errors.New("bad entry size")
		}
		c = b[n]
		size |= int64(c&0x7f) << shift
		shift += 7
	}
	return typ, size, n, nil
}

// ofsVarint parses an OFS_DELTA base distance, git's big-endian varint
// with an offset added at each continuation.
func ofsVarint(b []byte, i int) (int64, int, bool) {
	if i >= len(b) {
		return 0, i, false
	}
	c := b[i]
	i++
	v := int64(c & 0x7f)
	for c&0x80 != 0 {
		if i >= len(b) || v > 1<<55 {
			return 0, i, false
		}
		c = b[i]
		i++
		v = (v+1)<<7 | int64(c&0x7f)
	}
	return v, i, true
}
