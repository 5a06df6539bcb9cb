package pack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/gittest"
)

// TestOpenReader: a store opened for single reads finds and reads every
// object the full store lists, byte for byte, in packs (index versions 1
// and 2, deltas, several packs) and loose, in both object formats, and
// says an absent object is missing.
func TestOpenReader(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		for _, idxVersion := range []string{"1", "2"} {
			if format == "sha256" && idxVersion == "1" {
				continue // version 1 indexes hold SHA-1 names only
			}
			t.Run(format+"/idx"+idxVersion, func(t *testing.T) {
				g := gittest.New(t, "--object-format="+format)
				g.Git("config", "pack.indexVersion", idxVersion)
				for i := range 6 {
					g.Write("a.txt", fmt.Sprintf("%s\nline %d\n", bytes.Repeat([]byte("common text that deltas well\n"), 40), i))
					g.Write(fmt.Sprintf("d/f%d.txt", i), fmt.Sprintf("file %d\n", i))
					g.Commit(fmt.Sprintf("c%d", i))
					if i == 2 {
						g.Repack() // one pack of the first three, deltas in it
					}
				}
				// Incompressible, above what a single read takes whole
				// (streamEntry): read as a stream.
				big := make([]byte, streamEntry+streamEntry/2)
				rng := rand.New(rand.NewPCG(1, 2))
				for i := range big {
					big[i] = byte(rng.Uint32())
				}
				g.Write("big.bin", string(big))
				g.Commit("big")
				g.Git("repack", "-d") // a second pack, the rest
				g.Write("loose.txt", "only loose\n")
				g.Commit("loose")

				r, err := repo.Open(g.Dir)
				if err != nil {
					t.Fatal(err)
				}
				full, err := Open(r)
				if err != nil {
					t.Fatal(err)
				}
				defer full.Close()
				lazy, err := OpenReader(r)
				if err != nil {
					t.Fatal(err)
				}
				defer lazy.Close()
				if len(full.packs) < 2 || len(full.loose) == 0 {
					t.Fatalf("want several packs and loose objects, have %d packs, %d loose", len(full.packs), len(full.loose))
				}
				for _, id := range full.table.hashes {
					wt, wb, werr := full.Read(id)
					gt, gb, gerr := lazy.Read(id)
					if werr != nil || gerr != nil || wt != gt || !bytes.Equal(wb, gb) {
						t.Fatalf("object %s: lazy read (%d, %d bytes, %v), full read (%d, %d bytes, %v)", id, gt, len(gb), gerr, wt, len(wb), werr)
					}
					if !lazy.Has(id) {
						t.Fatalf("Has(%s) = false", id)
					}
					if wt == TypeBlob {
						rd, n, err := lazy.Stream(id)
						if err != nil {
							t.Fatal(err)
						}
						b, err := io.ReadAll(rd)
						rd.Close()
						if err != nil || int64(len(b)) != n || !bytes.Equal(b, wb) {
							t.Fatalf("stream of %s: %d bytes of %d, %v", id, len(b), n, err)
						}
					}
				}
				absent := full.table.hashes[0]
				absent.Bytes()[5] ^= 0xff
				if lazy.Has(absent) {
					t.Fatal("Has of an absent object")
				}
				if _, _, err := lazy.Read(absent); !errors.Is(err, ErrMissing) {
					t.Fatalf("Read of an absent object: %v, want ErrMissing", err)
				}
				head := g.Git("rev-parse", "HEAD")
				if got := lazy.WithPrefix(head[:10]); len(got) != 1 || got[0].String() != head {
					t.Fatalf("WithPrefix(%s) = %v", head[:10], got)
				}
				if _, err := lazy.Scan(context.Background(), Options{}); !errors.Is(err, errLazy) {
					t.Fatalf("Scan of a reader store: %v", err)
				}
			})
		}
	}
}

// TestOpenReaderHostileIndex: a truncated or disordered index is a problem
// named at open, never a read outside the file.
func TestOpenReaderHostileIndex(t *testing.T) {
	g := gittest.New(t)
	g.Write("a.txt", "a\n")
	g.Commit("a")
	g.Repack()
	idxs, _ := filepath.Glob(filepath.Join(g.Dir, ".git", "objects", "pack", "*.idx"))
	if len(idxs) != 1 {
		t.Fatalf("want one index, have %v", idxs)
	}
	orig, err := os.ReadFile(idxs[0])
	if err != nil {
		t.Fatal(err)
	}
	disorder := bytes.Clone(orig)
	disorder[8+4*10] = 0xff // fan-out entry 10 above entry 11
	for name, b := range map[string][]byte{
		"truncated": orig[:len(orig)/2],
		"header":    orig[:600],
		"disorder":  disorder,
	} {
		if err := os.WriteFile(idxs[0], b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := repo.Open(g.Dir)
		if err != nil {
			t.Fatal(err)
		}
		st, err := OpenReader(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.problems) != 1 || len(st.packs) != 0 {
			t.Errorf("%s index: problems %v, %d packs", name, st.problems, len(st.packs))
		}
		st.Close()
	}
}

// TestOpenReaderCost: opening for single reads touches no index beyond its
// header, so memory does not follow the number of objects.
func TestOpenReaderCost(t *testing.T) {
	g := gittest.New(t)
	var script bytes.Buffer
	const n = 20000
	fmt.Fprintf(&script, "commit refs/heads/main\ncommitter C <c@x> 1700000000 +0000\ndata 1\nc\n")
	for i := range n {
		fmt.Fprintf(&script, "M 100644 inline f%07d\ndata 13\nblob %07d\n", i, i)
	}
	g.GitInput(script.String(), "fast-import", "--quiet")
	g.Repack()
	r, err := repo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	alloc := func(open func(*repo.Repo) (*Store, error)) uint64 {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		st, err := open(r)
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		st.Close()
		return after.TotalAlloc - before.TotalAlloc
	}
	full, lazy := alloc(Open), alloc(OpenReader)
	t.Logf("%d objects: Open allocates %d bytes, OpenReader %d", n, full, lazy)
	if lazy > 64<<10 || lazy*20 > full {
		t.Errorf("OpenReader allocated %d bytes for %d objects (Open: %d): want a small constant", lazy, n, full)
	}

	// A single read costs about its object, not a zlib reader and its
	// buffers (over 100 KB each, a push's CPU in allocation and GC).
	fs, err := Open(r)
	if err != nil {
		t.Fatal(err)
	}
	ids := fs.table.hashes[:2000]
	fs.Close()
	st, err := OpenReader(r)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Read(ids[0]) // the pooled reader's buffers
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, id := range ids {
		if _, _, err := st.Read(id); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / uint64(len(ids)); per > 2<<10 {
		t.Errorf("a Read of a small object allocates %d bytes", per)
	}
}
