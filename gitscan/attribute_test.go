package gitscan

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/gittest"
)

func testID(kind byte, n int) repo.ID {
	b := make([]byte, 20)
	b[0] = kind
	binary.BigEndian.PutUint64(b[1:], uint64(n))
	return repo.IDFromBytes(b)
}

// TestHitIndexMemoryIsBounded: C root trees that each hold the same N hit
// blobs (one key copied into N files of a directory C commits touch) keep
// at most memoBudget paths in the index, not C×N; every tree's hits are
// still found, the same whether or not its list was kept.
func TestHitIndexMemoryIsBounded(t *testing.T) {
	const files = 2000
	commits := 2*memoBudget/files + 10
	blob := testID('b', 0)
	reads := 0
	entries := func(tree repo.ID, _ string, fn func(string, repo.ID, bool)) bool {
		reads++
		for i := range files {
			fn(fmt.Sprintf("f%05d.env", i), blob, false)
		}
		return true
	}
	x := &hitIndex{entries: entries, memo: map[repo.ID][]pathBlob{}}
	for c := range commits {
		if got := x.under(testID('t', c), "commit"); len(got) != files || got[files-1].path != fmt.Sprintf("f%05d.env", files-1) {
			t.Fatalf("tree %d: %d hits, want %d", c, len(got), files)
		}
	}
	if x.stored > memoBudget {
		t.Errorf("the index keeps %d paths, want at most %d", x.stored, memoBudget)
	}
	// A tree asked for again is read again only if its list was not kept.
	before := reads
	x.under(testID('t', 0), "commit")
	x.under(testID('t', commits-1), "commit")
	if reads != before+1 {
		t.Errorf("%d reads for a kept and a dropped tree, want 1", reads-before)
	}
}

// TestAttributionLinear: one key in N files of a directory that N later
// commits leave as they are (each changes another file) is N places held
// by N commits each; attributing them costs the distinct trees, not
// commits × places. Twice N takes about twice the time and memory, not
// four times.
func TestAttributionLinear(t *testing.T) {
	k, s := gittest.FakeKey(490)
	body := envFile(k, s)
	measure := func(n int) (time.Duration, uint64) {
		g := gittest.New(t)
		var script strings.Builder
		fmt.Fprintf(&script, "commit refs/heads/main\ncommitter C <c@x> 1700000000 +0000\ndata 1\nc\n")
		for i := range n {
			fmt.Fprintf(&script, "M 100644 inline keys/f%d.env\ndata %d\n%s", i, len(body), body)
		}
		for j := range n {
			b := fmt.Sprintf("counter %d\n", j)
			fmt.Fprintf(&script, "commit refs/heads/main\ncommitter C <c@x> %d +0000\ndata 1\nc\nM 100644 inline other/n.txt\ndata %d\n%s", 1700000001+j, len(b), b)
		}
		g.GitInput(script.String(), "fast-import", "--quiet")
		best, alloc := time.Duration(1<<62), uint64(0)
		for range 3 {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			res := scanOK(t, g.Dir, Options{})
			d := time.Since(start)
			runtime.ReadMemStats(&after)
			if len(res.Leaks) != n || res.Leaks[0].Commits != n+1 {
				t.Fatalf("%d files: %d leaks, the first in %d commits", n, len(res.Leaks), res.Leaks[0].Commits)
			}
			best, alloc = min(best, d), after.TotalAlloc-before.TotalAlloc
		}
		return best, alloc
	}
	t1, a1 := measure(2000)
	t2, a2 := measure(4000)
	t.Logf("2000 files and commits: %v, %d MB allocated; 4000: %v, %d MB", t1, a1>>20, t2, a2>>20)
	if t2 > 3*t1 || a2 > 3*a1 {
		t.Errorf("doubling files and commits took %.1f times the time and %.1f times the memory", float64(t2)/float64(t1), float64(a2)/float64(a1))
	}
}
