package pack

import (
	"context"
	"os"
	"os/exec"
	"runtime/pprof"
	"testing"
	"time"
)

// TestRealRepository scans the repository KEYSWEEP_BENCH_REPO names (a
// .git directory or bare repository) and, in the same run, times
// `git cat-file --batch-all-objects --batch --unordered` on it. Build the
// test binary and run it under /usr/bin/time for peak memory:
//
//	go test -c -o /tmp/pack.test ./gitscan/pack
//	KEYSWEEP_BENCH_REPO=/tmp/gitgit.git /usr/bin/time -f '%e s %M KB' \
//		/tmp/pack.test -test.run TestRealRepository -test.v
//
// KEYSWEEP_BENCH_CATFILE=0 skips cat-file (for a clean peak-memory
// figure: cat-file's memory is not counted by /usr/bin/time anyway, it is
// a child); KEYSWEEP_BENCH_PROFILE=FILE writes a CPU profile of the scan.
func TestRealRepository(t *testing.T) {
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
	start := time.Now()
	res, err := Scan(context.Background(), dir, Options{})
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
