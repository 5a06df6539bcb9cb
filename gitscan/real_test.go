package gitscan

import (
	"context"
	"os"
	"testing"
	"time"
)

// BenchmarkRealRepository times a scan of the repository named by
// KEYSWEEP_BENCH_REPO (KEYSWEEP_BENCH_SINCE for a range), for profiling:
// go test -run '^$' -bench RealRepository -benchtime 1x -cpuprofile cpu.out ./gitscan/
// scripts/bench.sh compares whole runs with git cat-file.
func BenchmarkRealRepository(t *testing.B) {
	dir := os.Getenv("KEYSWEEP_BENCH_REPO")
	if dir == "" {
		t.Skip("set KEYSWEEP_BENCH_REPO to a repository to time a full scan of it")
	}
	start := time.Now()
	res, err := Scan(context.Background(), dir, Options{Since: os.Getenv("KEYSWEEP_BENCH_SINCE")})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %v, %d commits, %d blobs, %d bytes, %d leaks, %d skipped",
		dir, time.Since(start), res.Stats.Commits, res.Stats.Blobs, res.Stats.Bytes, len(res.Leaks), len(res.Skipped))
}
