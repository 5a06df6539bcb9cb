package pack

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
)

// Bounds on what is held whole in memory. A pack entry declares its size
// and a delta its result's; both are checked against these before
// anything is allocated, so a crafted or damaged object store costs a
// named problem, never the process's memory. git never deltifies a blob
// above core.bigFileThreshold (512 MiB by default), so no pack git wrote
// builds a larger object from a delta.
const (
	// MaxObject bounds any object built whole: a blob some delta is built
	// on, a delta's result, a delta stream. A larger blob that nothing is
	// built on is streamed in windows instead.
	MaxObject = 512 << 20
	// MaxTree bounds a tree: a directory of a million entries is 40 MB.
	MaxTree = 64 << 20
	// MaxCommit bounds a commit or a tag: their messages are text.
	MaxCommit = 16 << 20
)

// limitOf is the largest object of type typ held whole.
func limitOf(typ uint8) int64 {
	switch typ {
	case typeTree:
		return MaxTree
	case typeCommit, typeTag:
		return MaxCommit
	}
	return MaxObject
}

// BoundError is an object not read because it is larger than a bound.
type BoundError struct {
	What  string // "tree", "delta result", ...
	Size  int64
	Bound int64
}

func (e *BoundError) Error() string {
	return fmt.Sprintf("%s of %d bytes is above the %s bound: not read", e.What, e.Size, humanBytes(e.Bound))
}

func humanBytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + "-byte"
}

// checkSize checks an object's declared size against its type's bound.
func checkSize(what string, typ uint8, size int64) error {
	if size < 0 || size > limitOf(typ) {
		return &BoundError{What: what, Size: size, Bound: limitOf(typ)}
	}
	return nil
}

// typeName is the name git gives object type typ.
func typeName(typ uint8) string {
	switch typ {
	case typeCommit:
		return "commit"
	case typeTree:
		return "tree"
	case typeBlob:
		return "blob"
	case typeTag:
		return "tag"
	}
	return "object"
}

// fitsCompressed reports whether n compressed bytes can inflate to size
// bytes, both ways: deflate expands by at most about 1032 times, and
// stores incompressible data with 5 bytes per 64 KiB block plus zlib's 6.
// An entry outside these is a corrupt header or a crafted pack; reading
// or allocating for it could exhaust memory.
func fitsCompressed(size, n int64) bool {
	return size <= 1100*n+64 && n <= maxCompressed(size)
}

// maxCompressed is the most compressed bytes size bytes take.
func maxCompressed(size int64) int64 { return size + size/1024 + 1024 }

var errCRC = errors.New("entry bytes do not match the CRC-32 the pack index gives")

// inflater is the one verified way object bytes are inflated: the pack
// pass's workers and Store's reads both use it. A pack entry is checked
// by inflateEntry against the CRC-32 a version 2 index gives (what git
// index-pack --verify checks); otherwise, and for loose objects, by
// zlib's Adler-32.
type inflater struct {
	dec decoder
	zr  io.ReadCloser
	br  bytes.Reader
	one [1]byte
	hdr [32]byte // a loose object's header
}

// inflateEntry verifies raw, a pack entry's bytes header included, and
// inflates its data (from hlen on) into dst, which has the declared size.
// hasCRC says whether crc is the index's CRC-32 of raw.
//
// Where the index gives the CRC-32, zlib's Adler-32 of the inflated bytes
// is not computed: CRC-32 of the smaller compressed bytes runs on the
// processor's carry-less multiply, Adler-32 a byte at a time, and it was a
// twentieth of a full scan's CPU.
func (f *inflater) inflateEntry(raw []byte, hlen int, hasCRC bool, crc uint32, dst []byte) ([]byte, error) {
	if hasCRC && crc32.ChecksumIEEE(raw) != crc {
		return dst, errCRC
	}
	return f.inflateInto(raw[hlen:], dst, !hasCRC)
}

// inflateInto inflates the zlib stream src into dst, which must be
// exactly the inflated size; adler says whether to verify the stream's
// checksum (the fallback to compress/zlib always does).
func (f *inflater) inflateInto(src, dst []byte, adler bool) ([]byte, error) {
	if f.dec.inflate(src, dst, adler) == nil {
		return dst, nil
	}
	if err := f.reset(src); err != nil {
		return dst, err
	}
	if _, err := io.ReadFull(f.zr, dst); err != nil {
		return dst, fmt.Errorf("inflate: %w", err)
	}
	// Reading on to the end also verifies the Adler-32 checksum.
	switch n, err := f.zr.Read(f.one[:]); {
	case n > 0:
		return dst, fmt.Errorf("inflate: more than the %d bytes the header gives", len(dst))
	case err != io.EOF:
		return dst, fmt.Errorf("inflate: %w", err)
	}
	return dst, nil
}

func (f *inflater) reset(src []byte) error {
	f.br.Reset(src)
	if f.zr == nil {
		zr, err := zlib.NewReader(&f.br)
		if err != nil {
			return fmt.Errorf("inflate: %w", err)
		}
		f.zr = zr
		return nil
	}
	if err := f.zr.(zlib.Resetter).Reset(&f.br, nil); err != nil {
		return fmt.Errorf("inflate: %w", err)
	}
	return nil
}

// looseHeader parses the header of the loose object file and leaves f.zr
// just past the header; rest is what it inflated beyond it. The declared
// size is checked against the file's size and the type's bound.
func (f *inflater) looseHeader(file []byte) (typ uint8, size int64, rest []byte, err error) {
	if err := f.reset(file); err != nil {
		return 0, 0, nil, err
	}
	n, err := io.ReadFull(f.zr, f.hdr[:])
	i := bytes.IndexByte(f.hdr[:n], 0)
	if i < 0 {
		if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
			err = errors.New("no object header")
		}
		return 0, 0, nil, fmt.Errorf("inflate: %w", err)
	}
	if err != nil && err != io.ErrUnexpectedEOF {
		return 0, 0, nil, fmt.Errorf("inflate: %w", err)
	}
	name, sizeText, _ := bytes.Cut(f.hdr[:i], []byte{' '})
	size, perr := strconv.ParseInt(string(sizeText), 10, 64)
	if perr != nil || size < 0 || size > 1100*int64(len(file))+64 {
		return 0, 0, nil, fmt.Errorf("bad object header %q", f.hdr[:i])
	}
	if typ = typeByName(string(name)); typ == 0 {
		return 0, 0, nil, fmt.Errorf("bad object type %q", name)
	}
	if int64(n-i-1) > size {
		return 0, 0, nil, errors.New("object longer than its header says")
	}
	return typ, size, f.hdr[i+1 : n], nil
}

// looseContent inflates the rest of a loose object whose header
// looseHeader read into buf, which has the object's size, and verifies
// its end and Adler-32.
func (f *inflater) looseContent(buf, rest []byte) ([]byte, error) {
	got := copy(buf, rest)
	if _, err := io.ReadFull(f.zr, buf[got:]); err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	switch m, err := f.zr.Read(f.one[:]); {
	case m > 0:
		return nil, errors.New("object longer than its header says")
	case err != io.EOF:
		return nil, fmt.Errorf("inflate: %w", err)
	}
	return buf, nil
}
