package gitscan

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/keysweep/keysweep/internal/gittest"
)

// BenchmarkLargeBlob scans a repository holding one blob of
// KEYSWEEP_BENCH_BLOB_MIB MiB (default 400) with a key in its middle,
// loose or, with KEYSWEEP_BENCH_BLOB_PACKED=1, packed, and reports the
// process's peak RSS, which streaming keeps near a window's size rather
// than the blob's:
// go test -run '^$' -bench LargeBlob -benchtime 1x ./gitscan/
func BenchmarkLargeBlob(b *testing.B) {
	mib := 400
	if s := os.Getenv("KEYSWEEP_BENCH_BLOB_MIB"); s != "" {
		var err error
		if mib, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	r := gittest.New(b)
	k, s := gittest.FakeKey(411)
	f, err := os.Create(filepath.Join(r.Dir, "big.txt"))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	size, line, keyLine := 0, 1, 0
	for size < mib<<20 {
		var n int
		if keyLine == 0 && size >= mib<<19 {
			keyLine = line
			n, _ = fmt.Fprint(w, envFile(k, s))
			line += 2
		} else {
			n, _ = fmt.Fprintf(w, "filler line %d of a very large generated file\n", line)
			line++
		}
		size += n
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	c := r.Commit("big")
	if os.Getenv("KEYSWEEP_BENCH_BLOB_PACKED") == "1" {
		r.Git("repack", "-adq")
	}
	b.ResetTimer()
	for range b.N {
		res, err := Scan(context.Background(), r.Dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		l := wantLeak(b, res, k, "big.txt", c, true)
		if l.Line != keyLine {
			b.Fatalf("key found on line %d, planted on line %d", l.Line, keyLine)
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	b.Logf("%d MiB blob, key on line %d: peak RSS %d MB", mib, keyLine, ru.Maxrss/1024)
}
