package gitscan

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/keysweep/keysweep/gitscan/repo"
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
