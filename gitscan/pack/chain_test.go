package pack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/gittest"
)

// chainPack writes a pack holding one chain of depth deltas: version 0 is
// a full blob, version i a delta against version i-1 that replaces its
// first line with line(i) and copies the rest, filler bytes. It returns
// the versions' names, root first.
func chainPack(t testing.TB, dir string, depth, filler int, line func(i int) []byte) []repo.ID {
	t.Helper()
	rest := bytes.Repeat([]byte("filler text that every version shares\n"), filler/38+1)[:filler]
	pw := newPackWriter(t, dir, depth+1)
	ids := make([]repo.ID, depth+1)
	ids[0] = numID(0)
	first := append(line(0), rest...)
	prevOff := pw.entry(ids[0], entryHead(typeBlob, int64(len(first))), zstored(first))
	prev := len(line(0))
	var d []byte
	for i := 1; i <= depth; i++ {
		l := line(i)
		d = append(d[:0], deltaHead(int64(prev+filler), int64(len(l)+filler))...)
		d = append(append(d, byte(len(l))), l...)
		if filler > 0 {
			d = copyOp(d, prev, filler)
		}
		ids[i] = numID(i)
		head := append(entryHead(typeOfsDelta, int64(len(d))), ofsHead(pw.off-prevOff)...)
		prevOff = pw.entry(ids[i], head, zstored(d))
		prev = len(l)
	}
	pw.finish(0)
	return ids
}

// scanWorkers runs a scan and returns its result and the most levels a
// worker held.
func scanWorkers(t testing.TB, dir string) (*Result, int) {
	t.Helper()
	st, err := openDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.scanner(Options{})
	if err := s.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	levels := 0
	for _, w := range s.workers {
		levels = max(levels, len(w.levels))
	}
	return s.result(), levels
}

// A chain of two million deltas is resolved in a loop holding two
// levels, not by recursion (which overflowed the goroutine stack).
func TestDeepChain(t *testing.T) {
	const depth = 2_000_000
	dir := bareRepo(t)
	start := time.Now()
	chainPack(t, dir, depth, 16, func(i int) []byte { return fmt.Appendf(nil, "v%07d\n", i) })
	t.Logf("pack written in %v", time.Since(start))
	within(t, "the scan", 60*time.Second, 1<<30, func() {
		res, levels := scanWorkers(t, dir)
		if len(res.Problems) > 0 || res.Blobs != depth+1 {
			t.Errorf("%d blobs, %d problems (%v)", res.Blobs, len(res.Problems), res.Problems[:min(3, len(res.Problems))])
		}
		if levels > 2 {
			t.Errorf("a worker held %d levels of a chain", levels)
		}
	})
}

// keyChain writes a chain in which every version holds a different key.
func keyChain(t testing.TB, depth int) (string, []repo.ID) {
	dir := bareRepo(t)
	ids := chainPack(t, dir, depth, 4000, func(i int) []byte {
		id, _ := gittest.FakeKey(i)
		return fmt.Appendf(nil, "aws_access_key_id = %s\n", id)
	})
	return dir, ids
}

// readChain reads every version of a chain as the history scan reads its
// suspects (Order, then Stream), checks each holds its key, and returns
// how many pack entries the reads inflated.
func readChain(t testing.TB, dir string, ids []repo.ID) int64 {
	st, err := openDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := st.Scan(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Suspects) != len(ids) {
		t.Fatalf("%d suspects, want %d", len(res.Suspects), len(ids))
	}
	order := append([]repo.ID(nil), res.Suspects...)
	st.Order(order)
	want := map[repo.ID]int{}
	for i, id := range ids {
		want[id] = i
	}
	for _, id := range order {
		r, _, err := st.Stream(id)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		key, _ := gittest.FakeKey(want[id])
		if err != nil || !bytes.Contains(b, []byte(key)) {
			t.Fatalf("version %d: %v, key %s not in it", want[id], err, key)
		}
	}
	return st.inflated.Load()
}

// Every version of a chain holding a key is read in time and memory
// linear in the chain: each read starts from the base the previous one
// left in the cache, where each was resolved from the chain's root
// (depth 2,000 took 100 s).
func TestKeyChainLinear(t *testing.T) {
	cost := func(depth int) (time.Duration, uint64, int64) {
		dir, ids := keyChain(t, depth)
		readChain(t, dir, ids) // warm up
		best, alloc, work := time.Duration(1<<62), uint64(0), int64(0)
		for range 3 {
			d, a := budget(func() { work = readChain(t, dir, ids) })
			best, alloc = min(best, d), a
		}
		return best, alloc, work
	}
	t1, m1, w1 := cost(4000)
	t2, m2, w2 := cost(8000)
	t.Logf("depth 4000: %v, %d MB, %d entries inflated; depth 8000: %v, %d MB, %d entries", t1, m1>>20, w1, t2, m2>>20, w2)
	if w1 > 3*4000 || float64(w2) > 2.1*float64(w1) {
		t.Errorf("reading a chain of 4000 inflated %d entries, of 8000 %d", w1, w2)
	}
	if float64(m2) > 2.6*float64(m1) {
		t.Errorf("doubling the chain multiplied the bytes allocated by %.1f", float64(m2)/float64(m1))
	}
	// Wall time on a shared machine is only a gross bound (resolving each
	// version from the root took 100 s at depth 2,000); the entries
	// inflated above are the precise measure.
	if t2 > 10*time.Second {
		t.Errorf("depth 8000 took %v", t2)
	}
}

// The pack pass's cost is linear in the chain's depth: doubling it
// doubles the bytes allocated and the time, with slack.
func TestChainScanScales(t *testing.T) {
	cost := func(depth int) (time.Duration, uint64) {
		dir := bareRepo(t)
		chainPack(t, dir, depth, 200, func(i int) []byte { return fmt.Appendf(nil, "v%07d\n", i) })
		scanWorkers(t, dir)
		best, alloc := time.Duration(1<<62), uint64(0)
		for range 3 {
			d, a := budget(func() {
				if res, levels := scanWorkers(t, dir); res.Blobs != depth+1 || levels > 2 {
					t.Errorf("%d blobs, %d levels", res.Blobs, levels)
				}
			})
			best, alloc = min(best, d), a
		}
		return best, alloc
	}
	t1, m1 := cost(200_000)
	t2, m2 := cost(400_000)
	t.Logf("200,000: %v, %d MB; 400,000: %v, %d MB", t1, m1>>20, t2, m2>>20)
	if float64(m2) > 2.6*float64(m1) {
		t.Errorf("doubling the chain multiplied the bytes allocated by %.1f", float64(m2)/float64(m1))
	}
	// Wall time on a shared machine: generous; the bytes allocated and the
	// levels held are the precise measures.
	if float64(t2) > 4.5*float64(t1) {
		t.Errorf("doubling the chain multiplied the time by %.1f", float64(t2)/float64(t1))
	}
}
