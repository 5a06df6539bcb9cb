package gitscan

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestRealRepository times a full scan of the repository named by
// KEYSWEEP_BENCH_REPO (scripts/bench.sh compares it with git cat-file).
// It runs only when that variable is set.
func TestRealRepository(t *testing.T) {
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
