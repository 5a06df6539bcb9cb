package pack

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	"math/bits"
)

// inflate decodes the zlib stream src into dst, which must be exactly the
// inflated size. It is a plain RFC 1950/1951 decoder that writes straight
// into dst and uses dst itself as the window, where compress/flate goes
// through a ring buffer, an io.ByteReader and a copy; the pack's objects
// are inflated about twice as fast. Any failure, including a checksum
// mismatch, is reported without detail: the caller then inflates with
// compress/zlib, which names the error.
func inflate(src, dst []byte) error {
	if len(src) < 6 || src[0]&0x0f != 8 || src[1]&0x20 != 0 || (uint(src[0])<<8|uint(src[1]))%31 != 0 {
		return errBadStream
	}
	d := decoder{src: src, i: 2, dst: dst}
	if err := d.run(); err != nil {
		return err
	}
	// The Adler-32 sum follows the last block, byte aligned.
	d.i -= int(d.nb / 8)
	if d.i < 0 || d.i+4 > len(d.src) || binary.BigEndian.Uint32(d.src[d.i:]) != adler32.Checksum(dst) {
		return errBadStream
	}
	return nil
}

var errBadStream = errors.New("inflate: corrupt stream")

// fastBits is how many bits the first-level Huffman table resolves;
// longer codes are rare and decoded one bit at a time.
const fastBits = 10

type huffman struct {
	fast [1 << fastBits]uint16 // symbol<<4 | length; 0 for longer codes
	// mask selects the used part of fast: 1<<min(fastBits, longest code)-1.
	// Most objects are small, their codes short, and filling the whole
	// table for each of their blocks was a tenth of a full scan's CPU.
	mask   uint64
	count  [16]uint16
	symbol [288]uint16 // symbols in canonical code order
}

func (h *huffman) init(lengths []uint8) bool {
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	var offs [16]uint16
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - int(h.count[l])
		if left < 0 {
			return false // over-subscribed
		}
		offs[l] = offs[l-1] + h.count[l-1]
	}
	for s, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	tb := 1
	for l := 1; l < 16; l++ {
		if h.count[l] != 0 {
			tb = l
		}
	}
	tb = min(tb, fastBits)
	h.mask = 1<<tb - 1
	clear(h.fast[:1<<tb])
	code, idx := 0, 0
	for l := 1; l <= tb; l++ {
		for range h.count[l] {
			// Codes are sent most significant bit first into an LSB-first
			// stream: index the table by the reversed code.
			rev := int(bits.Reverse16(uint16(code)) >> (16 - l))
			e := h.symbol[idx]<<4 | uint16(l)
			for j := rev; j < 1<<tb; j += 1 << l {
				h.fast[j] = e
			}
			code++
			idx++
		}
		code <<= 1
	}
	return true
}

type decoder struct {
	src       []byte
	i         int
	bits      uint64
	nb        uint
	dst       []byte
	o         int
	lit, dist huffman
}

// refill tops the bit buffer up to at least 56 bits, with zeros past the
// end of the input (which the checksum then rejects).
func (d *decoder) refill() {
	if d.i+8 <= len(d.src) {
		d.bits |= binary.LittleEndian.Uint64(d.src[d.i:]) << d.nb
		n := (63 - d.nb) >> 3
		d.i += int(n)
		d.nb |= 56
		return
	}
	for d.nb <= 56 {
		if d.i < len(d.src) {
			d.bits |= uint64(d.src[d.i]) << d.nb
		}
		d.i++
		d.nb += 8
	}
}

func (d *decoder) take(n uint) uint64 {
	v := d.bits & (1<<n - 1)
	d.bits >>= n
	d.nb -= n
	return v
}

// sym decodes one symbol; the bit buffer must hold 15 bits.
func (d *decoder) sym(h *huffman) (int, bool) {
	if e := h.fast[d.bits&h.mask]; e != 0 {
		d.take(uint(e & 15))
		return int(e >> 4), true
	}
	code, first, idx := 0, 0, 0
	for l := 1; l < 16; l++ {
		code |= int(d.take(1))
		count := int(h.count[l])
		if code-first < count {
			return int(h.symbol[idx+code-first]), true
		}
		idx += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, false
}

var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtr = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder  = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

func (d *decoder) run() error {
	for {
		d.refill()
		final := d.take(1)
		switch d.take(2) {
		case 0:
			// Stored: drop to a byte boundary and give back whole bytes.
			d.take(d.nb & 7)
			d.i -= int(d.nb / 8)
			d.bits, d.nb = 0, 0
			if d.i < 0 || d.i+4 > len(d.src) {
				return errBadStream
			}
			n := int(binary.LittleEndian.Uint16(d.src[d.i:]))
			if uint16(n) != ^binary.LittleEndian.Uint16(d.src[d.i+2:]) || d.i+4+n > len(d.src) || d.o+n > len(d.dst) {
				return errBadStream
			}
			copy(d.dst[d.o:], d.src[d.i+4:d.i+4+n])
			d.i += 4 + n
			d.o += n
		case 1:
			d.lit, d.dist = fixedLit, fixedDist
			if err := d.block(); err != nil {
				return err
			}
		case 2:
			if err := d.dynamic(); err != nil {
				return err
			}
			if err := d.block(); err != nil {
				return err
			}
		default:
			return errBadStream
		}
		if final == 1 {
			if d.o != len(d.dst) {
				return errBadStream
			}
			return nil
		}
	}
}

var fixedLit, fixedDist = func() (lit, dist huffman) {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	lit.init(l[:])
	var dl [30]uint8
	for i := range dl {
		dl[i] = 5
	}
	dist.init(dl[:])
	return lit, dist
}()

func (d *decoder) dynamic() error {
	d.refill()
	nlit := int(d.take(5)) + 257
	ndist := int(d.take(5)) + 1
	ncl := int(d.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return errBadStream
	}
	var cl [19]uint8
	for i := range ncl {
		d.refill()
		cl[clOrder[i]] = uint8(d.take(3))
	}
	var clh huffman
	if !clh.init(cl[:]) {
		return errBadStream
	}
	var lengths [286 + 30]uint8
	for i := 0; i < nlit+ndist; {
		d.refill()
		s, ok := d.sym(&clh)
		if !ok {
			return errBadStream
		}
		if s < 16 {
			lengths[i] = uint8(s)
			i++
			continue
		}
		var rep int
		var v uint8
		switch s {
		case 16:
			if i == 0 {
				return errBadStream
			}
			v, rep = lengths[i-1], 3+int(d.take(2))
		case 17:
			rep = 3 + int(d.take(3))
		default:
			rep = 11 + int(d.take(7))
		}
		if i+rep > nlit+ndist {
			return errBadStream
		}
		for range rep {
			lengths[i] = v
			i++
		}
	}
	if lengths[256] == 0 || !d.lit.init(lengths[:nlit]) || !d.dist.init(lengths[nlit:nlit+ndist]) {
		return errBadStream
	}
	return nil
}

// block decodes one Huffman-coded block with d.lit and d.dist.
func (d *decoder) block() error {
	dst, o := d.dst, d.o
	for {
		if d.nb < 48 {
			d.refill()
		}
		s, ok := d.sym(&d.lit)
		if !ok {
			return errBadStream
		}
		if s < 256 {
			if o >= len(dst) {
				return errBadStream
			}
			dst[o] = byte(s)
			o++
			continue
		}
		if s == 256 {
			d.o = o
			return nil
		}
		s -= 257
		if s >= 29 {
			return errBadStream
		}
		n := int(lenBase[s]) + int(d.take(uint(lenExtra[s])))
		if d.nb < 30 {
			d.refill()
		}
		ds, ok := d.sym(&d.dist)
		if !ok || ds >= 30 {
			return errBadStream
		}
		dist := int(distBase[ds]) + int(d.take(uint(distExtr[ds])))
		if dist > o || o+n > len(dst) {
			return errBadStream
		}
		if dist >= n {
			copy(dst[o:o+n], dst[o-dist:])
			o += n
			continue
		}
		for end := o + n; o < end; o++ {
			dst[o] = dst[o-dist]
		}
	}
}
