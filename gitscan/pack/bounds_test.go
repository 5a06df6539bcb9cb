package pack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// problemsOf maps each problem's object to its text, and fails the test
// on a problem without an object, a long one, or an internal error.
func problemsOf(t *testing.T, ps []Problem) map[repo.ID]string {
	t.Helper()
	out := map[repo.ID]string{}
	for _, p := range ps {
		s := p.String()
		if len(s) > 400 {
			t.Errorf("problem of %d bytes: %.200s...", len(s), s)
		}
		if strings.Contains(s, "internal error") {
			t.Errorf("problem %s", s)
		}
		if _, dup := out[p.Hash]; dup {
			t.Errorf("two problems for %s: %s; %s", p.Hash, out[p.Hash], s)
		}
		out[p.Hash] = s
	}
	return out
}

func scanCrafted(t *testing.T, dir string) (*Store, *Result) {
	t.Helper()
	st, err := openDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	res, err := st.Scan(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st, res
}

// A delta whose bases form a cycle never reaches a full object: each
// entry on it is one short problem, in one pack or across packs, and
// reading one is one short error.
func TestRefDeltaCycles(t *testing.T) {
	delta := append(deltaHead(4, 4), copyOp(nil, 0, 4)...)
	for _, tc := range []struct {
		name  string
		packs [][]int // entries (of cycle) per pack
		n     int
	}{
		{"one pack, two entries", [][]int{{0, 1}}, 2},
		{"one pack, one entry its own base", [][]int{{0}}, 1},
		{"one pack, a long cycle", [][]int{{0, 1, 2, 3, 4, 5, 6, 7}}, 8},
		{"two packs", [][]int{{0}, {1}}, 2},
		{"three packs", [][]int{{0, 3}, {1, 4}, {2, 5}}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := bareRepo(t)
			ids := make([]repo.ID, tc.n)
			for i := range ids {
				ids[i] = objID(tc.name + string(rune('a'+i)))
			}
			for k, entries := range tc.packs {
				var c craft
				c.full(objID(tc.name+"blob"+string(rune('0'+k))), typeBlob, []byte("unrelated\n"))
				for _, i := range entries {
					c.ref(ids[i], ids[(i+1)%tc.n], delta)
				}
				c.write(t, dir, 0)
			}
			within(t, "the scan", 5*time.Second, 64<<20, func() {
				st, res := scanCrafted(t, dir)
				probs := problemsOf(t, res.Problems)
				for _, id := range ids {
					if p := probs[id]; !strings.Contains(p, "cycle") {
						t.Errorf("entry %s on the cycle: problem %q", id, p)
					}
					_, _, err := st.Read(id)
					if err == nil || !strings.Contains(err.Error(), "cycle") || len(err.Error()) > 300 {
						t.Errorf("Read(%s) = %v", id, err)
					}
					if _, _, err := st.Stream(id); err == nil || len(err.Error()) > 300 {
						t.Errorf("Stream(%s) = %v", id, err)
					}
				}
				if len(res.Problems) != tc.n {
					t.Errorf("%d problems, want %d: %v", len(res.Problems), tc.n, res.Problems)
				}
				if res.Blobs != len(tc.packs) {
					t.Errorf("%d blobs read, want %d", res.Blobs, len(tc.packs))
				}
			})
		})
	}
}

// A delta declaring a huge result from a small pack, an entry declaring
// more than a sparse pack could hold in memory, and objects above their
// type's bound are each a problem naming the object and the bound; the
// scan reads the rest and allocates nothing like the declared size.
func TestDeclaredSizesAreBounded(t *testing.T) {
	// bigCopy is a delta of result bytes made of copies of 16 MiB - 1 of
	// a base that large: its stream is 8 bytes a copy.
	bigCopy := func(result int64) []byte {
		d := deltaHead(1<<24-1, result)
		for left := result; left > 0; {
			n := min(left, 1<<24-1)
			d = copyOp(d, 0, int(n))
			left -= n
		}
		return d
	}
	for _, tc := range []struct {
		name   string
		build  func(c *craft) repo.ID // returns the object that must be a problem
		pad    int64
		bound  string
		others int // further objects that depend on it
	}{
		{"delta result of 16 GiB with a delta child", func(c *craft) repo.ID {
			b := c.add(crafted{id: objID("base"), typ: typeBlob, size: 1<<24 - 1, z: zdeflate(make([]byte, 1<<24-1))})
			d := c.add(crafted{id: objID("16g"), typ: typeOfsDelta, size: int64(len(bigCopy(16 << 30))), base: b, z: zdeflate(bigCopy(16 << 30))})
			c.ofs(objID("child"), d, append(deltaHead(16<<30, 4), copyOp(nil, 0, 4)...))
			return objID("16g")
		}, 0, "512 MiB", 1},
		{"delta result of 1 TiB", func(c *craft) repo.ID {
			b := c.add(crafted{id: objID("base"), typ: typeBlob, size: 1<<24 - 1, z: zdeflate(make([]byte, 1<<24-1))})
			c.add(crafted{id: objID("1t"), typ: typeOfsDelta, size: int64(len(bigCopy(1 << 40))), base: b, z: zdeflate(bigCopy(1 << 40))})
			return objID("1t")
		}, 0, "512 MiB", 0},
		{"tree delta result of 1 GiB", func(c *craft) repo.ID {
			b := c.full(objID("tree"), typeTree, nil)
			d := append(deltaHead(0, 1<<30), 0x7f)
			d = append(d, bytes.Repeat([]byte{'x'}, 0x7f)...)
			c.ofs(objID("bigtree"), b, d)
			return objID("bigtree")
		}, 0, "64 MiB", 0},
		{"blob of 40 GiB with a delta child in a sparse pack", func(c *craft) repo.ID {
			// The child first, so that the blob's entry runs to the end of
			// the sparse pack.
			c.ref(objID("child"), objID("40g"), append(deltaHead(40<<30, 4), copyOp(nil, 0, 4)...))
			c.add(crafted{id: objID("40g"), typ: typeBlob, size: 40 << 30, z: zstored(make([]byte, 100))})
			return objID("40g")
		}, 40 << 20, "512 MiB", 1},
		{"tree of 40 GiB in a sparse pack", func(c *craft) repo.ID {
			c.add(crafted{id: objID("40g"), typ: typeTree, size: 40 << 30, z: zstored(make([]byte, 100))})
			return objID("40g")
		}, 40 << 20, "64 MiB", 0},
		{"commit of 64 MiB", func(c *craft) repo.ID {
			c.add(crafted{id: objID("commit"), typ: typeCommit, size: 64 << 20, z: zdeflate(make([]byte, 64<<20))})
			return objID("commit")
		}, 0, "16 MiB", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := bareRepo(t)
			var c craft
			c.full(objID("unrelated"), typeBlob, []byte("AKIA is not a key\n"))
			victim := tc.build(&c)
			c.write(t, dir, tc.pad)
			within(t, "the scan", 10*time.Second, 200<<20, func() {
				st, res := scanCrafted(t, dir)
				probs := problemsOf(t, res.Problems)
				if p := probs[victim]; !strings.Contains(p, tc.bound+" bound") || !strings.Contains(p, victim.String()) {
					t.Errorf("problem of %s: %q, want it named with the %s bound", victim, p, tc.bound)
				}
				if len(res.Problems) != 1+tc.others {
					t.Errorf("%d problems, want %d: %v", len(res.Problems), 1+tc.others, res.Problems)
				}
				if testing.Verbose() {
					t.Log(res.Problems)
				}
				// Read and Stream refuse it too, naming the bound.
				_, _, err := st.Read(victim)
				var be *BoundError
				if !errors.As(err, &be) {
					t.Errorf("Read: %v, want a bound", err)
				}
				if r, _, err := st.Stream(victim); err == nil {
					// A whole blob is streamed, never held: reading it fails
					// on its data.
					if _, err := io.Copy(io.Discard, io.LimitReader(r, 1<<20)); err == nil {
						t.Errorf("Stream read a corrupt blob")
					}
					r.Close()
				}
			})
		})
	}
}
