package pack

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// DefaultStreamThreshold is the blob size above which blobs are streamed
// through the detectors instead of being held whole.
const DefaultStreamThreshold = 32 << 20

// streamChunk is how much new content each window of a streamed blob
// holds; windows overlap by the detector's context on both sides.
const streamChunk = 8 << 20

// Stream returns a reader of a blob's content and its size. Loose objects
// and whole pack entries are inflated as they are read, so a large blob
// costs a window, not its size; a delta is built in memory, since its base
// must be.
func (st *Store) Stream(id repo.ID) (io.ReadCloser, int64, error) {
	pf, off, path, ok := st.locate(&id)
	switch {
	case !ok:
		return nil, 0, fmt.Errorf("object %s: %w", id, ErrMissing)
	case path != "":
		return streamLoose(path)
	}
	var hdr [64]byte
	n, err := pf.f.ReadAt(hdr[:], off)
	if n == 0 {
		return nil, 0, fmt.Errorf("read %s at %d: %w", filepath.Base(pf.name), off, err)
	}
	typ, size, hlen, err := entryHeader(hdr[:n])
	if err != nil {
		return nil, 0, st.entryErr(id, pf, off, err)
	}
	if typ == typeBlob {
		// Streamed, never held: the size needs no bound, and zlib checks
		// the Adler-32 at the end, before the reader reports EOF.
		pos, end := st.extent(pf, off)
		if n := end - off - int64(hlen); size > 1100*n+64 || pos >= 0 && !fitsCompressed(size, n) {
			return nil, 0, st.entryErr(id, pf, off, fmt.Errorf("entry size %d does not fit its %d compressed bytes", size, end-off-int64(hlen)))
		}
		zr, err := zlib.NewReader(bufio.NewReaderSize(io.NewSectionReader(pf.f, off+int64(hlen), end-off-int64(hlen)), 64<<10))
		if err != nil {
			return nil, 0, st.entryErr(id, pf, off, fmt.Errorf("inflate: %w", err))
		}
		return exactly(zr, size), size, nil
	}
	// A delta: its base must be whole, the result need not be.
	r := st.reader()
	defer st.putReader(r)
	typ, base, delta, ops, res, err := st.load(r, id, true)
	if err != nil {
		return nil, 0, err
	}
	if typ != typeBlob {
		return nil, 0, errors.New("not a blob")
	}
	if delta == nil {
		return io.NopCloser(bytes.NewReader(base)), int64(len(base)), nil
	}
	return io.NopCloser(&opsReader{ops: slices.Clone(ops), base: base, delta: delta}), int64(res), nil
}

// opsReader reads a delta's result by applying its operations as it goes.
type opsReader struct {
	ops         []op
	base, delta []byte
	i, done     int // current op, bytes of it already read
}

func (r *opsReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.i < len(r.ops) {
		o := r.ops[r.i]
		src := r.base
		if o.insert {
			src = r.delta
		}
		c := copy(p[n:], src[o.src+r.done:o.src+o.n])
		n += c
		if r.done += c; r.done == o.n {
			r.i, r.done = r.i+1, 0
		}
	}
	if n == 0 && r.i == len(r.ops) {
		return 0, io.EOF
	}
	return n, nil
}

// streamLoose opens a loose blob for reading as it inflates.
func streamLoose(path string) (io.ReadCloser, int64, error) {
	f, fileSize, err := openFile(path)
	if err != nil {
		return nil, 0, err
	}
	zr, err := zlib.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("inflate: %w", err)
	}
	br := bufio.NewReaderSize(zr, 64<<10)
	typ, size, err := looseHeaderFrom(br, fileSize)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if typ != typeBlob {
		f.Close()
		return nil, 0, errors.New("not a blob")
	}
	return &closer{exactly(io.NopCloser(br), size), f}, size, nil
}

type closer struct {
	io.ReadCloser
	f *os.File
}

func (c *closer) Close() error {
	c.ReadCloser.Close()
	return c.f.Close()
}

// exactly reads size bytes from r and fails if r has fewer or more: the
// object's header is what a corrupt stream is checked against.
func exactly(r io.ReadCloser, size int64) io.ReadCloser {
	return &exactReader{r: r, left: size}
}

type exactReader struct {
	r    io.ReadCloser
	left int64
	one  [1]byte
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left == 0 {
		// Reading on to the end also verifies the zlib checksum.
		if n, err := e.r.Read(e.one[:]); n > 0 {
			return 0, errors.New("object longer than its header says")
		} else if err != nil && err != io.EOF {
			return 0, fmt.Errorf("inflate: %w", err)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		return n, fmt.Errorf("inflate: %w", io.ErrUnexpectedEOF)
	}
	if err == io.EOF {
		err = nil
	}
	if err != nil {
		err = fmt.Errorf("inflate: %w", err)
	}
	return n, err
}

func (e *exactReader) Close() error { return e.r.Close() }

// Windows reads r in windows of chunk new bytes, each preceded by up to
// 2*detect.MaxContext bytes of the one before, and calls fn with each
// window, the stream offset of its first byte, and the range [lo, hi) of
// it whose matches fn should take. The ranges of consecutive windows
// meet, and a match in one has MaxContext bytes on either side inside the
// window (unless the stream ends first), so each match is taken once,
// decided on the bytes a scan of the whole stream would look at.
func Windows(r io.Reader, chunk int, buf []byte, fn func(win []byte, base int64, lo, hi int) error) ([]byte, error) {
	const ctx = detect.MaxContext
	if chunk < 1 {
		chunk = streamChunk
	}
	if cap(buf) < chunk+2*ctx {
		buf = make([]byte, 0, chunk+2*ctx)
	}
	buf = buf[:0]
	var base int64 // stream offset of buf[0]
	first := true
	for {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		last := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !last {
			return buf, err
		}
		lo, hi := ctx, len(buf)-ctx
		if first {
			lo = 0
		}
		if last {
			hi = len(buf)
		}
		if err := fn(buf, base, lo, hi); err != nil {
			return buf, err
		}
		if last {
			return buf, nil
		}
		first = false
		cut := len(buf) - 2*ctx
		copy(buf, buf[cut:])
		buf = buf[:2*ctx]
		base += int64(cut)
	}
}
