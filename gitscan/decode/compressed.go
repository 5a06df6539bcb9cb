package decode

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// maxWindow bounds the history a decompressor may declare it needs (an
// xz or LZMA dictionary, a zstd window): each is allocated before a byte
// is decoded, so a small hostile stream could otherwise ask for GiBs.
// xz -9 and zstd -19 use 64 MiB and 8 MiB.
const maxWindow = 64 << 20

// errWindow is a stream whose declared window is beyond maxWindow.
var errWindow = errors.New("declares a window beyond the bound")

// errNotWhole is xz data that is not whole streams (truncated, or its
// index damaged): its blocks cannot be found from the end, so what each
// declares as its dictionary, which the reader allocates, cannot be
// checked before it is read.
var errNotWhole = errors.New("is not whole xz streams (truncated or damaged), so the dictionaries its blocks declare cannot be checked before they are allocated")

func windowError(size int64) error {
	return fmt.Errorf("%w: %d MiB, more than %d MiB", errWindow, size>>20, maxWindow>>20)
}

// decompress reads the compressed stream b of kind k ("gzip", "bzip2",
// "xz", "zstd") within MaxBytes. A stream that is malformed from its
// start yields nothing and no gap (see Expand); one whose window is
// beyond maxWindow is a gap.
func (x *expander) decompress(path, k string, b []byte) ([]byte, bool) {
	r, closer, err := newDecompressor(k, bytes.NewReader(b))
	if errors.Is(err, errWindow) || errors.Is(err, errNotWhole) {
		x.gap(path, "%s stream not decompressed: it %v", k, err)
		return nil, false
	}
	if err != nil {
		return nil, false
	}
	defer closer()
	return x.readAll(path, r)
}

// newDecompressor returns a reader of the stream r of kind k and what
// releases it.
func newDecompressor(k string, r io.Reader) (io.Reader, func(), error) {
	nop := func() {}
	switch k {
	case "gzip":
		zr, err := gzip.NewReader(r)
		return zr, nop, err
	case "bzip2":
		return bzip2.NewReader(r), nop, nil
	case "xz":
		if br, ok := r.(*bytes.Reader); ok {
			dict, whole := xzDict(br)
			if !whole {
				return nil, nop, errNotWhole
			}
			if dict > maxWindow {
				return nil, nop, windowError(dict)
			}
			r = fitXZDict(br)
		}
		// DictCap is the least dictionary the xz reader allocates (the
		// block's own is checked above); the classic LZMA reader below
		// takes it as the most.
		zr, err := xz.ReaderConfig{DictCap: lzma.MinDictCap}.NewReader(r)
		return zr, nop, err
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(maxWindow), zstd.WithDecoderMaxMemory(uint64(DefaultLimits.MaxBytes)))
		if err != nil {
			return nil, nop, err
		}
		return zr, zr.Close, nil
	case "zlib":
		zr, err := zlib.NewReader(r)
		return zr, nop, err
	}
	return nil, nop, fmt.Errorf("unknown compression %q", k)
}

// xzDict returns the largest dictionary any block of the xz data in r
// declares, without consuming r, and whether r is whole xz streams. The
// reader allocates each block's own (ulikunitz/xz takes the larger of
// its configuration and the header's), so every block of every
// concatenated stream is found from the end, through each stream's
// footer and index, as xz --list finds them. Data that cannot be walked
// so is not read at all (errNotWhole): judging it by its first block let
// a later block declare 4 GiB.
func xzDict(r *bytes.Reader) (int64, bool) {
	b := make([]byte, r.Len())
	r.ReadAt(b, 0)
	return xzWalk(b)
}

// xzWalk walks the streams of b from its end and returns the largest
// dictionary their blocks declare; false if b is not whole xz streams.
func xzWalk(b []byte) (int64, bool) {
	var most int64
	streams := 0
	for len(b) > 0 {
		for len(b) >= 4 && string(b[len(b)-4:]) == "\x00\x00\x00\x00" {
			b = b[:len(b)-4] // stream padding
		}
		if len(b) < 24 || string(b[len(b)-2:]) != "YZ" || string(b[:6]) != "\xfd7zXZ\x00" {
			return 0, false
		}
		indexSize := (int64(binary.LittleEndian.Uint32(b[len(b)-8:len(b)-4])) + 1) * 4
		idx := int64(len(b)) - 12 - indexSize
		if idx < 12 || b[idx] != 0 {
			return 0, false
		}
		at := idx + 1
		count, n := binary.Uvarint(b[at:])
		if n <= 0 || count > uint64(idx) { // each block takes bytes
			return 0, false
		}
		at += int64(n)
		var blocks int64
		for range count {
			unpadded, n := binary.Uvarint(b[at:])
			if n <= 0 {
				return 0, false
			}
			at += int64(n)
			if _, n = binary.Uvarint(b[at:]); n <= 0 {
				return 0, false
			}
			at += int64(n)
			if unpadded > uint64(idx) {
				return 0, false
			}
			blocks += (int64(unpadded) + 3) &^ 3
		}
		start := idx - blocks - 12
		if start < 0 || string(b[start:start+6]) != "\xfd7zXZ\x00" {
			return 0, false
		}
		// Each block, first to last: its header is where the index's
		// unpadded sizes of the blocks before it end.
		off := start + 12
		at = idx + 1 + int64(n)
		for range count {
			unpadded, n1 := binary.Uvarint(b[at:])
			at += int64(n1)
			_, n2 := binary.Uvarint(b[at:])
			at += int64(n2)
			if off >= idx || b[off] == 0 {
				return 0, false
			}
			hdrLen := 4 * (int64(b[off]) + 1)
			if off+hdrLen > idx {
				return 0, false
			}
			d, ok := blockDict(b[off : off+hdrLen])
			if !ok {
				return 0, false
			}
			most = max(most, d)
			off += (int64(unpadded) + 3) &^ 3
		}
		b = b[:start]
		streams++
	}
	return most, streams > 0
}

// blockDict returns the dictionary an xz block header h declares (its
// LZMA2 filter's property).
func blockDict(h []byte) (int64, bool) {
	flags := h[1]
	i := 2
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(h[i:])
		if n <= 0 {
			return 0, false
		}
		i += n
		return v, true
	}
	if flags&0x40 != 0 {
		if _, ok := uvarint(); !ok {
			return 0, false
		}
	}
	if flags&0x80 != 0 {
		if _, ok := uvarint(); !ok {
			return 0, false
		}
	}
	for range int(flags&3) + 1 {
		id, ok := uvarint()
		if !ok {
			return 0, false
		}
		psize, ok := uvarint()
		if !ok || uint64(len(h)-i) < psize {
			return 0, false
		}
		if id == 0x21 && psize == 1 {
			p := h[i]
			if p > 40 {
				return 0, false
			}
			if p == 40 {
				return 1<<32 - 1, true
			}
			return int64(2|p&1) << (p/2 + 11), true
		}
		i += int(psize)
	}
	return 0, false
}

// fitXZDict returns the xz stream in r with its block's dictionary cut to
// the block's size, which its index records: the decoder allocates the
// dictionary the header declares (xz -6 declares 8 MiB for a file of a
// few bytes), and no match reaches back further than the block's start.
// A stream of more than one block or stream is returned as it is.
func fitXZDict(r *bytes.Reader) io.Reader {
	b := make([]byte, r.Len())
	r.ReadAt(b, 0)
	for len(b) >= 4 && string(b[len(b)-4:]) == "\x00\x00\x00\x00" {
		b = b[:len(b)-4] // stream padding
	}
	if len(b) < 12+12+8 || string(b[len(b)-2:]) != "YZ" {
		return bytes.NewReader(b)
	}
	indexSize := (int(binary.LittleEndian.Uint32(b[len(b)-8:len(b)-4])) + 1) * 4
	idx := len(b) - 12 - indexSize
	if idx < 12 || b[idx] != 0 {
		return bytes.NewReader(b)
	}
	count, n := binary.Uvarint(b[idx+1:])
	if n <= 0 || count != 1 {
		return bytes.NewReader(b)
	}
	_, m := binary.Uvarint(b[idx+1+n:]) // unpadded size
	if m <= 0 {
		return bytes.NewReader(b)
	}
	size, k := binary.Uvarint(b[idx+1+n+m:])
	if k <= 0 {
		return bytes.NewReader(b)
	}
	hdrLen := 4 * (int(b[12]) + 1)
	if b[12] == 0 || 12+hdrLen > idx {
		return bytes.NewReader(b)
	}
	hdr := b[12 : 12+hdrLen]
	at := bytes.Index(hdr[:hdrLen-4], []byte{0x21, 0x01})
	if at < 0 || at+2 >= hdrLen-4 {
		return bytes.NewReader(b)
	}
	// The smallest LZMA2 dictionary property holding size bytes.
	var p byte
	for p < 40 && int64(2|p&1)<<(p/2+11) < int64(size) {
		p++
	}
	if p >= hdr[at+2] {
		return bytes.NewReader(b)
	}
	hdr[at+2] = p
	binary.LittleEndian.PutUint32(hdr[hdrLen-4:], crc32.ChecksumIEEE(hdr[:hdrLen-4]))
	return bytes.NewReader(b)
}

// lzmaReader reads the LZMA data of a zip member (method 14): a version,
// the properties' size, the properties (5 bytes, as in a .lzma file), and
// the compressed stream, which ends with an end marker or where the data
// ends.
//
// The dictionary is cut to the member's size (size, from the zip): the
// reader allocates what the header declares, so a thousand members of a
// few bytes declaring 64 MiB each would cost 64 GiB of allocation. No
// match reaches back further than the member's start; a member whose size
// lies decodes as far as it can.
func lzmaReader(r io.Reader, size uint64) (io.Reader, error) {
	var h [9]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint16(h[2:4]) != 5 {
		return nil, errors.New("lzma: properties are not 5 bytes")
	}
	if dict := binary.LittleEndian.Uint32(h[5:9]); int64(dict) > maxWindow {
		return nil, windowError(int64(dict))
	}
	// The classic .lzma header: properties, dictionary, size (unknown:
	// the zip's size is the hostile archive's word; the end marker or the
	// data's end ends the stream).
	var classic [13]byte
	copy(classic[:5], h[4:9])
	if dict := binary.LittleEndian.Uint32(h[5:9]); uint64(dict) > max(size, lzma.MinDictCap) {
		binary.LittleEndian.PutUint32(classic[1:5], uint32(max(size, lzma.MinDictCap)))
	}
	binary.LittleEndian.PutUint64(classic[5:], ^uint64(0))
	return lzma.ReaderConfig{DictCap: maxWindow}.NewReader(io.MultiReader(bytes.NewReader(classic[:]), r))
}

// inflate decompresses a zlib stream (a PDF's FlateDecode) within
// MaxBytes.
func (x *expander) inflate(path string, b []byte) ([]byte, bool) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, false
	}
	return x.readAll(path, zr)
}

// readAll reads r up to what is left of MaxBytes; at the bound it says so
// and reports false. A read error ends the data (a truncated stream is
// read as far as it goes) and reports false.
func (x *expander) readAll(path string, r io.Reader) ([]byte, bool) {
	left := x.lim.MaxBytes - x.read
	if left <= 0 || x.stopped {
		x.spend(path, 1) // says so once, if it has not
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(r, left+1))
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		// zstd says its frame's window is too large only once it reads.
		x.gap(path, "zstd stream not decompressed: it declares a window beyond the %d MiB bound", maxWindow>>20)
		return data, false
	}
	if int64(len(data)) > left {
		data = data[:left]
		x.read += left
		x.gap(path, "stopped at %d MiB decompressed; the rest is not scanned", x.lim.MaxBytes>>20)
		x.stopped = true
		return data, false
	}
	x.read += int64(len(data))
	return data, err == nil
}
