package pack

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/adler32"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// craft is a pack written byte by byte: entries of any type, declared
// size and base, whatever git would write or not.
type craft struct {
	entries []crafted
}

type crafted struct {
	id   repo.ID
	typ  uint8
	size int64   // declared: of the object, or of the delta stream
	base int     // OFS_DELTA: the entry (earlier) it is a delta against
	ref  repo.ID // REF_DELTA: the base's name
	z    []byte  // the compressed data as stored
}

// rawEntry is the type of a crafted entry whose z is all its bytes,
// header included.
const rawEntry = 0xff

// objID is a made-up object name: objects are not hashed.
func objID(s string) repo.ID {
	sum := sha1.Sum([]byte(s))
	return repo.IDFromBytes(sum[:])
}

// numID is a made-up object name for entry i (below 1<<22) of a large
// pack: in the order of i, so the index needs no sort, and spread over
// the first bytes as real names are, which hash tables take as the hash.
func numID(i int) repo.ID {
	var b [20]byte
	binary.BigEndian.PutUint64(b[:], uint64(i)<<42|uint64(i)*0x9e3779b9&(1<<42-1))
	binary.BigEndian.PutUint64(b[8:], uint64(i)*0x9e3779b97f4a7c15)
	return repo.IDFromBytes(b[:])
}

// zstored is data as a zlib stream of stored blocks: fast to write for
// large crafted packs.
func zstored(data []byte) []byte {
	out := []byte{0x78, 0x01}
	sum := adler32.Checksum(data)
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), 65535)
		final := byte(0)
		if n == len(data) {
			final = 1
		}
		out = append(out, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		out = append(out, data[:n]...)
		data = data[n:]
	}
	return binary.BigEndian.AppendUint32(out, sum)
}

// zdeflate is data compressed by compress/zlib.
func zdeflate(data []byte) []byte {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

func (c *craft) add(e crafted) int {
	c.entries = append(c.entries, e)
	return len(c.entries) - 1
}

// full adds a whole object.
func (c *craft) full(id repo.ID, typ uint8, content []byte) int {
	return c.add(crafted{id: id, typ: typ, size: int64(len(content)), z: zstored(content)})
}

// ofs adds an OFS_DELTA against entry base.
func (c *craft) ofs(id repo.ID, base int, delta []byte) int {
	return c.add(crafted{id: id, typ: typeOfsDelta, size: int64(len(delta)), base: base, z: zstored(delta)})
}

// ref adds a REF_DELTA against the object named base.
func (c *craft) ref(id, base repo.ID, delta []byte) int {
	return c.add(crafted{id: id, typ: typeRefDelta, size: int64(len(delta)), ref: base, z: zstored(delta)})
}

func entryHead(typ uint8, size int64) []byte {
	b := []byte{typ<<4 | byte(size&15)}
	for size >>= 4; size > 0; size >>= 7 {
		b[len(b)-1] |= 0x80
		b = append(b, byte(size&0x7f))
	}
	return b
}

func ofsHead(rel int64) []byte {
	b := []byte{byte(rel & 0x7f)}
	for rel >>= 7; rel > 0; rel >>= 7 {
		rel--
		b = append([]byte{0x80 | byte(rel&0x7f)}, b...)
	}
	return b
}

// bareRepo makes an empty bare repository with real git.
func bareRepo(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--bare", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	return dir
}

// packWriter writes a pack entry by entry straight to its file, and then
// a version 2 index with each entry's CRC-32: large crafted packs cost
// their file, not a copy in memory.
type packWriter struct {
	t    testing.TB
	f    *os.File
	w    *bufio.Writer
	sum  hash.Hash
	off  int64
	ids  []repo.ID
	offs []int64
	crcs []uint32
}

func newPackWriter(t testing.TB, dir string, n int) *packWriter {
	t.Helper()
	f, err := os.CreateTemp(filepath.Join(dir, "objects", "pack"), "tmp-")
	if err != nil {
		t.Fatal(err)
	}
	pw := &packWriter{t: t, f: f, w: bufio.NewWriterSize(f, 1<<20), sum: sha1.New()}
	pw.write([]byte("PACK"))
	pw.write(binary.BigEndian.AppendUint32(nil, 2))
	pw.write(binary.BigEndian.AppendUint32(nil, uint32(n)))
	return pw
}

func (pw *packWriter) write(b []byte) {
	pw.w.Write(b)
	pw.sum.Write(b)
	pw.off += int64(len(b))
}

// entry writes one entry's bytes (header included) as object id and
// returns its offset.
func (pw *packWriter) entry(id repo.ID, parts ...[]byte) int64 {
	off := pw.off
	crc := uint32(0)
	for _, b := range parts {
		pw.write(b)
		crc = crc32.Update(crc, crc32.IEEETable, b)
	}
	pw.ids = append(pw.ids, id)
	pw.offs = append(pw.offs, off)
	pw.crcs = append(pw.crcs, crc)
	return off
}

// finish writes the trailing checksum (after extending the file sparsely
// to pad, if that is further) and the index, and returns the pack's path.
func (pw *packWriter) finish(pad int64) string {
	t := pw.t
	t.Helper()
	sum := pw.sum.Sum(nil)
	pw.w.Flush()
	if pad > pw.off {
		pw.f.Truncate(pad)
		pw.f.Seek(pad, 0)
	}
	pw.f.Write(sum)
	if err := pw.f.Close(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(filepath.Dir(pw.f.Name()), fmt.Sprintf("pack-%x", sum))
	if err := os.Rename(pw.f.Name(), name+".pack"); err != nil {
		t.Fatal(err)
	}
	order := make([]int32, len(pw.ids))
	for i := range order {
		order[i] = int32(i)
	}
	if !slices.IsSortedFunc(pw.ids, repo.Compare) {
		slices.SortFunc(order, func(a, b int32) int { return repo.Compare(pw.ids[a], pw.ids[b]) })
	}
	idx := bufio.NewWriterSize(nil, 0)
	f, err := os.Create(name + ".idx")
	if err != nil {
		t.Fatal(err)
	}
	isum := sha1.New()
	idx.Reset(io.MultiWriter(f, isum))
	idx.Write([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2})
	var fan [256]uint32
	for i := range pw.ids {
		fan[pw.ids[i].Bytes()[0]]++
	}
	var total uint32
	for _, n := range fan {
		total += n
		idx.Write(binary.BigEndian.AppendUint32(nil, total))
	}
	for _, i := range order {
		idx.Write(pw.ids[i].Bytes())
	}
	for _, i := range order {
		idx.Write(binary.BigEndian.AppendUint32(nil, pw.crcs[i]))
	}
	for _, i := range order {
		idx.Write(binary.BigEndian.AppendUint32(nil, uint32(pw.offs[i])))
	}
	idx.Write(sum)
	idx.Flush()
	f.Write(isum.Sum(nil))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return name + ".pack"
}

// write writes the pack and its index into the repository's object
// directory, and returns the pack's path and each entry's offset. pad,
// if positive, is where the pack's trailing checksum goes: the file is
// extended sparsely to it.
func (c *craft) write(t testing.TB, dir string, pad int64) (string, []int64) {
	t.Helper()
	pw := newPackWriter(t, dir, len(c.entries))
	offs := make([]int64, len(c.entries))
	for i, e := range c.entries {
		var head []byte
		if e.typ != rawEntry {
			head = entryHead(e.typ, e.size)
		}
		switch e.typ {
		case typeOfsDelta:
			head = append(head, ofsHead(pw.off-offs[e.base])...)
		case typeRefDelta:
			head = append(head, e.ref.Bytes()...)
		}
		offs[i] = pw.entry(c.entries[i].id, head, e.z)
	}
	return pw.finish(pad), offs
}

// budget measures what f costs: wall time and bytes allocated.
func budget(f func()) (time.Duration, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	return d, after.TotalAlloc - before.TotalAlloc
}

// within fails the test if f took more than d or allocated more than mem
// bytes.
func within(t *testing.T, what string, d time.Duration, mem uint64, f func()) {
	t.Helper()
	took, alloc := budget(f)
	if took > d {
		t.Errorf("%s took %v, budget %v", what, took, d)
	}
	if alloc > mem {
		t.Errorf("%s allocated %d MB, budget %d MB", what, alloc>>20, mem>>20)
	}
}

// copyOp is a delta copy of n bytes at src of the base, n < 1<<24.
func copyOp(d []byte, src, n int) []byte {
	cmd := byte(0x80)
	var args []byte
	for k := range 4 {
		if b := byte(src >> (8 * k)); b != 0 {
			cmd |= 1 << k
			args = append(args, b)
		}
	}
	for k := range 3 {
		if b := byte(n >> (8 * k)); b != 0 {
			cmd |= 0x10 << k
			args = append(args, b)
		}
	}
	return append(append(d, cmd), args...)
}

func deltaHead(baseLen, resultLen int64) []byte {
	var d []byte
	for _, v := range []int64{baseLen, resultLen} {
		for v >= 0x80 {
			d = append(d, byte(v)|0x80)
			v >>= 7
		}
		d = append(d, byte(v))
	}
	return d
}
