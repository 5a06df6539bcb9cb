package pack

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	"math/bits"
)

// A decoder inflates zlib streams. It is a plain RFC 1950/1951 decoder
// that writes straight into the destination and uses it as the window,
// where compress/flate goes through a ring buffer, an io.ByteReader and a
// copy. A pack's objects are small (git/git's average a kilobyte), so
// what counts is the cost per symbol and per block header: the bit buffer
// lives in registers through a block, each table entry carries a length's
// or distance's base and extra-bit count, and short matches are copied a
// word at a time. A worker keeps one decoder, so its tables are not
// cleared for every object.
type decoder struct {
	src  []byte
	i    int
	bits uint64
	nb   uint
	dst  []byte
	o    int

	lit, dist *huffman // the current block's tables
	dynLit    huffman
	dynDist   huffman
	codes     huffman // the code-length code of a dynamic block
}

var errBadStream = errors.New("inflate: corrupt stream")

// inflate decodes the zlib stream src into dst, which must be exactly the
// inflated size, and verifies its Adler-32 sum if adler is set. Any
// failure, including a checksum mismatch, is reported without detail: the
// caller then inflates with compress/zlib, which names the error.
func (d *decoder) inflate(src, dst []byte, adler bool) error {
	// CMF: deflate with a window of at most 32 KiB (CINFO 0-7), as zlib
	// and compress/zlib require; no preset dictionary.
	if len(src) < 6 || src[0]&0x0f != 8 || src[0]>>4 > 7 || src[1]&0x20 != 0 || (uint(src[0])<<8|uint(src[1]))%31 != 0 {
		return errBadStream
	}
	d.src, d.i, d.bits, d.nb, d.dst, d.o = src, 2, 0, 0, dst, 0
	if err := d.run(); err != nil {
		return err
	}
	// The Adler-32 sum follows the last block, byte aligned.
	d.i -= int(d.nb / 8)
	if d.i < 0 || d.i+4 > len(d.src) || adler && binary.BigEndian.Uint32(d.src[d.i:]) != adler32.Checksum(dst) {
		return errBadStream
	}
	return nil
}

const (
	// fastBits is how many bits the first-level Huffman table resolves;
	// longer codes are rare and decoded one bit at a time.
	fastBits = 11
	fastMask = 1<<fastBits - 1
)

// A table entry is value<<16 | extra<<12 | flags | code length, and zero
// for a code longer than fastBits (or an unused one). The value is a
// literal byte, a length's or distance's base (extra bits follow the
// code), or, in the code-length code, the symbol itself.
const (
	flagLit = 1 << 8 // a literal, or any symbol of the code-length code
	flagLen = 2 << 8 // a match length; in the distance code, a distance
	flagEnd = 4 << 8 // end of block
	// Symbols the format reserves (literal/length 286 and 287, distances
	// 30 and 31) carry no flag and are rejected where they are decoded.
)

// Kinds of table: what a symbol means.
const (
	kindCodes = iota
	kindLit
	kindDist
)

type huffman struct {
	fast [1 << fastBits]uint32
	// mask selects the used part of fast: 1<<min(fastBits, longest code)-1.
	// Most objects are small, their codes short, and filling the whole
	// table for each of their blocks was a tenth of a full scan's CPU.
	mask   uint64
	kind   uint8
	count  [16]uint16
	symbol [288]uint16 // symbols in canonical code order
}

// entry is the table entry of symbol s, whose code is l bits long.
func (h *huffman) entry(s uint16, l int) uint32 {
	e := uint32(l)
	switch {
	case h.kind == kindCodes:
		return e | uint32(s)<<16 | flagLit
	case h.kind == kindDist:
		if s < 30 {
			e |= uint32(distBase[s])<<16 | uint32(distExtra[s])<<12 | flagLen
		}
		return e
	case s < 256:
		return e | uint32(s)<<16 | flagLit
	case s == 256:
		return e | flagEnd
	case s < 286:
		return e | uint32(lenBase[s-257])<<16 | uint32(lenExtra[s-257])<<12 | flagLen
	}
	return e
}

func (h *huffman) init(kind uint8, lengths []uint8) bool {
	h.kind = kind
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l&15]++
	}
	h.count[0] = 0
	var offs [16]uint16
	left := 1
	longest := 0
	for l := 1; l < 16; l++ {
		left = left<<1 - int(h.count[l])
		if left < 0 {
			return false // over-subscribed
		}
		offs[l] = offs[l-1] + h.count[l-1]
		if h.count[l] != 0 {
			longest = l
		}
	}
	// An incomplete code is rejected as zlib rejects it: only a literal or
	// distance code of a single one-bit code may leave codes unused, and
	// an empty code fails when a symbol is decoded from it.
	if left > 0 && longest > 0 && (kind == kindCodes || longest != 1) {
		return false
	}
	for s, l := range lengths {
		if l != 0 {
			h.symbol[offs[l&15]] = uint16(s)
			offs[l&15]++
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
	// The table for codes of up to l bits is the one for l-1 bits twice
	// over, plus each l-bit code in one slot: filling it by doubling is a
	// few copies, where writing every slot of every short code was a
	// strided loop over the whole table for each block.
	h.fast[0], h.fast[1] = 0, 0
	code, idx := 0, 0
	for l := 1; l <= tb; l++ {
		if l > 1 {
			copy(h.fast[1<<(l-1):1<<l], h.fast[:1<<(l-1)])
		}
		for range h.count[l] {
			// Codes are sent most significant bit first into an LSB-first
			// stream: index the table by the reversed code.
			rev := int(bits.Reverse16(uint16(code)) >> (16 - l))
			h.fast[rev&fastMask] = h.entry(h.symbol[idx], l)
			code++
			idx++
		}
		code <<= 1
	}
	return true
}

// slow decodes a code longer than the fast table resolves, from the low
// 15 bits of b, and returns its entry, or zero.
func (h *huffman) slow(b uint64) uint32 {
	code, first, idx := 0, 0, 0
	for l := 1; l < 16; l++ {
		code |= int(b & 1)
		b >>= 1
		count := int(h.count[l])
		if code-first < count {
			return h.entry(h.symbol[idx+code-first], l)
		}
		idx += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0
}

// refill tops the bit buffer up to at least 56 bits, with zeros past the
// end of the input (which the checksum then rejects).
func (d *decoder) refill() {
	d.bits, d.nb, d.i = refill(d.src, d.i, d.bits, d.nb)
}

// refill is the decoder's refill on values, so that block can keep the
// bit buffer in registers. Bits above nb may already hold the bytes that
// follow; or-ing them in again changes nothing.
func refill(src []byte, i int, b uint64, nb uint) (uint64, uint, int) {
	if i+8 <= len(src) {
		b |= binary.LittleEndian.Uint64(src[i:]) << nb
		return b, nb | 56, i + int((63-nb)>>3)
	}
	for nb <= 56 {
		if i < len(src) {
			b |= uint64(src[i]) << nb
		}
		i++
		nb += 8
	}
	return b, nb, i
}

func (d *decoder) take(n uint) uint64 {
	v := d.bits & (1<<n - 1)
	d.bits >>= n
	d.nb -= n
	return v
}

// sym decodes one symbol of the code-length code; the bit buffer must
// hold 15 bits.
func (d *decoder) sym(h *huffman) (int, bool) {
	e := h.fast[d.bits&h.mask&fastMask]
	if e == 0 {
		if e = h.slow(d.bits); e == 0 {
			return 0, false
		}
	}
	d.take(uint(e & 63))
	return int(e >> 16), true
}

var (
	lenBase   = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra  = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase  = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder   = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
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
			d.lit, d.dist = &fixed.lit, &fixed.dist
			if err := d.block(); err != nil {
				return err
			}
		case 2:
			if err := d.dynamic(); err != nil {
				return err
			}
			d.lit, d.dist = &d.dynLit, &d.dynDist
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

// fixed holds the tables of RFC 1951's fixed Huffman codes; they are only
// read.
var fixed = func() (f struct{ lit, dist huffman }) {
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
	f.lit.init(kindLit, l[:])
	// 32 codes, the two reserved ones included, as RFC 1951 defines the
	// fixed distance code: complete, as init requires.
	var dl [32]uint8
	for i := range dl {
		dl[i] = 5
	}
	f.dist.init(kindDist, dl[:])
	return f
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
	if !d.codes.init(kindCodes, cl[:]) {
		return errBadStream
	}
	var lengths [286 + 30]uint8
	for i := 0; i < nlit+ndist; {
		d.refill()
		s, ok := d.sym(&d.codes)
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
	if lengths[256] == 0 || !d.dynLit.init(kindLit, lengths[:nlit]) || !d.dynDist.init(kindDist, lengths[nlit:nlit+ndist]) {
		return errBadStream
	}
	return nil
}

// block decodes one Huffman-coded block with d.lit and d.dist. The bit
// buffer is held in locals, which the compiler keeps in registers where
// it would reload and store the decoder's fields around every write to
// dst. An entry's low six bits are its code length and nothing else, so
// that the shift by it is one instruction on the chain from one symbol to
// the next.
func (d *decoder) block() error {
	src, i, b, nb := d.src, d.i, d.bits, d.nb
	dst, o := d.dst, d.o
	lit, dist := d.lit, d.dist
	lfast, dfast := lit.fast[:lit.mask+1], dist.fast[:dist.mask+1]
	lmask, dmask := lit.mask, dist.mask
	for {
		// 48 bits cover the longest length code and its extra bits (15+5)
		// and the longest distance code and its extra bits (15+13).
		if nb < 48 {
			b, nb, i = refill(src, i, b, nb)
		}
		e := lfast[b&lmask]
		if e == 0 {
			if e = lit.slow(b); e == 0 {
				return errBadStream
			}
		}
		b >>= e & 63
		nb -= uint(e & 63)
		if e&flagLit != 0 {
			if o >= len(dst) {
				return errBadStream
			}
			dst[o] = byte(e >> 16)
			o++
			continue
		}
		if e&flagLen == 0 {
			if e&flagEnd == 0 {
				return errBadStream
			}
			d.i, d.bits, d.nb, d.o = i, b, nb, o
			return nil
		}
		x := (e >> 12) & 15
		n := int(e>>16) + int(b&(1<<x-1))
		b >>= x
		nb -= uint(x)

		e = dfast[b&dmask]
		if e == 0 {
			if e = dist.slow(b); e == 0 {
				return errBadStream
			}
		}
		if e&flagLen == 0 {
			return errBadStream
		}
		b >>= e & 63
		nb -= uint(e & 63)
		x = (e >> 12) & 15
		dd := int(e>>16) + int(b&(1<<x-1))
		b >>= x
		nb -= uint(x)
		if dd > o || n > len(dst)-o {
			return errBadStream
		}
		o = match(dst, o, dd, n)
	}
}

// match copies the n bytes that start dd bytes back to dst[o:] and
// returns the new end. Most matches are short: away from the end of dst
// they are copied a word at a time, which may write past o+n; those bytes
// are written again before the stream ends.
func match(dst []byte, o, dd, n int) int {
	if dd >= 8 && n+8 <= len(dst)-o {
		for k := 0; k < n; k += 8 {
			binary.LittleEndian.PutUint64(dst[o+k:], binary.LittleEndian.Uint64(dst[o-dd+k:]))
		}
		return o + n
	}
	end := o + n
	if n <= 16 {
		for ; o < end; o++ {
			dst[o] = dst[o-dd]
		}
		return end
	}
	// A long run of a short pattern: copy what is already there, doubling.
	start := o - dd
	for o < end {
		o += copy(dst[o:end], dst[start:o])
	}
	return end
}
