package pack

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"hash/crc32"
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

// numID is a made-up object name for entry i of a large pack, cheaper
// than objID.
func numID(i int) repo.ID {
	var b [20]byte
	x := uint64(i)*0x9e3779b97f4a7c15 + 1
	binary.BigEndian.PutUint64(b[:], x^x>>29)
	binary.BigEndian.PutUint64(b[8:], uint64(i))
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

// write writes the pack and a version 2 index (with each entry's CRC-32)
// into the repository's object directory, and returns the pack's path and
// each entry's offset. pad, if positive, is where the pack's trailing
// checksum goes: the file is extended sparsely to it.
func (c *craft) write(t testing.TB, dir string, pad int64) (string, []int64) {
	t.Helper()
	var pack bytes.Buffer
	pack.WriteString("PACK")
	binary.Write(&pack, binary.BigEndian, uint32(2))
	binary.Write(&pack, binary.BigEndian, uint32(len(c.entries)))
	offs := make([]int64, len(c.entries))
	crcs := make([]uint32, len(c.entries))
	for i, e := range c.entries {
		offs[i] = int64(pack.Len())
		start := pack.Len()
		if e.typ != rawEntry {
			pack.Write(entryHead(e.typ, e.size))
		}
		switch e.typ {
		case typeOfsDelta:
			pack.Write(ofsHead(offs[i] - offs[e.base]))
		case typeRefDelta:
			pack.Write(e.ref.Bytes())
		}
		pack.Write(e.z)
		crcs[i] = crc32.ChecksumIEEE(pack.Bytes()[start:])
	}
	sum := sha1.Sum(pack.Bytes())
	name := filepath.Join(dir, "objects", "pack", fmt.Sprintf("pack-%x", sum))
	f, err := os.Create(name + ".pack")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(pack.Bytes())
	if pad > int64(pack.Len()) {
		f.Truncate(pad)
		f.Seek(pad, 0)
	}
	f.Write(sum[:])
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	order := make([]int, len(c.entries))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return repo.Compare(c.entries[a].id, c.entries[b].id) })
	var idx bytes.Buffer
	idx.Write([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2})
	var fan [256]uint32
	for _, e := range c.entries {
		fan[e.id.Bytes()[0]]++
	}
	var total uint32
	for _, n := range fan {
		total += n
		binary.Write(&idx, binary.BigEndian, total)
	}
	for _, i := range order {
		idx.Write(c.entries[i].id.Bytes())
	}
	for _, i := range order {
		binary.Write(&idx, binary.BigEndian, crcs[i])
	}
	for _, i := range order {
		binary.Write(&idx, binary.BigEndian, uint32(offs[i]))
	}
	idx.Write(sum[:])
	isum := sha1.Sum(idx.Bytes())
	idx.Write(isum[:])
	if err := os.WriteFile(name+".idx", idx.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name + ".pack", offs
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
