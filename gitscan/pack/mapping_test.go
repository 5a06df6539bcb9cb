//go:build linux

package pack

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMappingDropsItsPages reads a file larger than dropAfter through a
// mapping: every byte comes back right across drops, and the count of
// windows touched since the last drop stays below the bound.
func TestMappingDropsItsPages(t *testing.T) {
	name := filepath.Join(t.TempDir(), "pack")
	data := bytes.Repeat([]byte("0123456789abcdef"), (dropAfter+3<<windowShift)/16+5)
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := newMapping(f.Fd(), int64(len(data)))
	if m == nil {
		t.Fatal("no mapping")
	}
	defer m.close()
	drops := 0
	for off := int64(0); off < int64(len(data)); off += 1000 {
		end := min(off+3000, int64(len(data)))
		before := m.count.Load()
		if got := m.bytes(off, end); !bytes.Equal(got, data[off:end]) {
			t.Fatalf("bytes [%d, %d) differ", off, end)
		}
		if m.count.Load() < before {
			drops++
		}
		if m.count.Load() >= dropAfter>>windowShift {
			t.Fatalf("%d windows touched, past the bound", m.count.Load())
		}
	}
	if drops != 1 {
		t.Errorf("%d drops reading %d bytes, want 1", drops, len(data))
	}
}

// TestTruncatedMappedPack: a pack that shrinks after it was mapped faults
// on the next read of what it lost. The fault is a Problem, not a crash.
func TestTruncatedMappedPack(t *testing.T) {
	r := buildHistory(t, 3, 30)
	r.Repack()
	packs, _ := filepath.Glob(filepath.Join(r.Dir, ".git/objects/pack/*.pack"))
	st, err := openDir(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.scanner(Options{})
	p := s.packs[0]
	if p.m == nil {
		t.Fatal("the pack is not mapped")
	}
	if err := p.readHeaders(s.table); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(packs[0], 12); err != nil {
		t.Fatal(err)
	}
	s.parallel(func(w *worker) {
		if w != s.workers[0] {
			return
		}
		for _, e := range p.roots {
			w.safely(func() string { return "delta tree" }, func() { w.root(p, e) })
		}
	})
	// The first page is still mapped, its lost bytes read as zeros (the
	// CRC-32 fails); reading the pages past it faults.
	faults := 0
	for _, pr := range s.workers[0].problems {
		if strings.Contains(pr.String(), "a memory fault reading the mapped pack") {
			faults++
		}
	}
	if faults == 0 {
		t.Fatalf("%d problems, none of them a fault: %v", len(s.workers[0].problems), s.workers[0].problems)
	}
}
