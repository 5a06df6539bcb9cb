package pack

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// BenchmarkRealRepository scans the repository KEYSWEEP_BENCH_REPO names (a
// .git directory or bare repository) and, in the same run, times
// `git cat-file --batch-all-objects --batch --unordered` on it. Build the
// test binary and run it under /usr/bin/time for peak memory:
//
//	go test -c -o /tmp/pack.test ./gitscan/pack
//	KEYSWEEP_BENCH_REPO=/tmp/gitgit.git /usr/bin/time -f '%e s %M KB' \
//		/tmp/pack.test -test.run ^$ -test.bench RealRepository -test.benchtime 1x -test.v
//
// KEYSWEEP_BENCH_TREES=1 runs Trees instead of Scan, wanting the blob of
// README.md at HEAD. KEYSWEEP_BENCH_CATFILE=0 skips cat-file (for a clean peak-memory
// figure: cat-file's memory is not counted by /usr/bin/time anyway, it is
// a child); KEYSWEEP_BENCH_PROFILE=FILE writes a CPU profile of the scan.
func BenchmarkRealRepository(t *testing.B) {
	dir := os.Getenv("KEYSWEEP_BENCH_REPO")
	if dir == "" {
		t.Skip("KEYSWEEP_BENCH_REPO not set")
	}
	if prof := os.Getenv("KEYSWEEP_BENCH_PROFILE"); prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if os.Getenv("KEYSWEEP_BENCH_TREES") != "" {
		realTrees(t, dir)
		return
	}
	start := time.Now()
	res, err := scanDir(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	scan := time.Since(start)
	t.Logf("pack.Scan: %.2f s; %d objects, %d commits, %d blobs, %d blob bytes, %d suspects, %d problems",
		scan.Seconds(), res.Objects, len(res.Commits), res.Blobs, res.BlobBytes, len(res.Suspects), len(res.Problems))
	for i, p := range res.Problems {
		if i == 10 {
			break
		}
		t.Logf("problem: %s", p)
	}
	if os.Getenv("KEYSWEEP_BENCH_CATFILE") == "0" {
		return
	}
	start = time.Now()
	cmd := exec.Command("git", "-C", dir, "cat-file", "--batch-all-objects", "--batch", "--unordered")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	cat := time.Since(start)
	t.Logf("git cat-file --batch-all-objects --batch --unordered: %.2f s; ratio %.2f", cat.Seconds(), scan.Seconds()/cat.Seconds())
}

// realTrees times Trees and checks it against git for HEAD's tree.
func realTrees(t testing.TB, dir string) {
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
		if err != nil {
			t.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	readme := hexID(git("rev-parse", "HEAD:README.md"))
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	x, problems, err := treesDir(context.Background(), dir, map[repo.ID]bool{readme: true}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := func(r syscall.Rusage) time.Duration {
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	kept := 0
	for _, c := range x.chunks {
		kept += len(c)
	}
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	t.Logf("pack.Trees: %.2f s wall, %.2f s CPU; %d trees, %d entries kept, %d names, %d problems; heap after GC %d MB",
		wall.Seconds(), (cpu(after) - cpu(before)).Seconds(), x.Len(), kept, len(x.names), len(problems), m.HeapAlloc>>20)
	for i, p := range problems {
		if i == 10 {
			break
		}
		t.Logf("problem: %s", p)
	}
	root := hexID(git("rev-parse", "HEAD^{tree}"))
	var got []string
	for e := range x.Entries(root) {
		got = append(got, fmt.Sprintf("%v %s %s", e.Dir, e.Hash, e.Name))
	}
	var want []string
	for _, line := range strings.Split(git("ls-tree", "HEAD"), "\n") {
		meta, name, _ := strings.Cut(line, "\t")
		f := strings.Fields(meta)
		if f[1] == "tree" || f[2] == readme.String() {
			want = append(want, fmt.Sprintf("%v %s %s", f[1] == "tree", f[2], name))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("HEAD's tree:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// BenchmarkInflateReal inflates every entry of the largest pack of the
// repository KEYSWEEP_BENCH_REPO names, on one core, from memory: the
// inflater's share of a scan, without reads or detection.
func BenchmarkInflateReal(b *testing.B) {
	dir := os.Getenv("KEYSWEEP_BENCH_REPO")
	if dir == "" {
		b.Skip("KEYSWEEP_BENCH_REPO not set")
	}
	st, err := openDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := st.scanner(Options{})
	var p *pack
	for _, q := range s.packs {
		if p == nil || q.n() > p.n() {
			p = q
		}
	}
	if err := p.readHeaders(s.table); err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(io.NewSectionReader(p.f, 0, p.offs[p.n()]))
	if err != nil {
		b.Fatal(err)
	}
	var in, out int64
	for e := range p.n() {
		in += p.offs[e+1] - p.offs[e] - int64(p.hlen[e])
		out += p.size[e]
	}
	b.Logf("%d entries, %d compressed bytes, %d inflated", p.n(), in, out)
	b.SetBytes(out)
	b.ReportMetric(float64(in), "in-bytes")
	b.ResetTimer()
	var dst []byte
	var d decoder
	for range b.N {
		for e := range p.n() {
			src := data[p.offs[e]+int64(p.hlen[e]) : p.offs[e+1]]
			dst = grow(dst, int(p.size[e]))
			if err := d.inflate(src, dst, true); err != nil {
				b.Fatalf("entry %d: %v", e, err)
			}
		}
	}
}
