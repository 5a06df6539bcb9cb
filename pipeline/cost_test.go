package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/gittest"
)

// The cost model of findings and reports (docs/architecture.md, "Cost
// model: findings and reports"): a report holds at most maxBytesPerFinding
// per finding, and its size and every rendering grow linearly with the
// findings, however they are spread over keys and paths.
const maxBytesPerFinding = 2048

// formats are every output format.
var formats = []string{"text", "json", "sarif", "markdown"}

// cost is what one run and its renderings took.
type cost struct {
	findings int
	retained int64          // heap the finished report holds
	alloc    uint64         // bytes allocated by the run and the renderings
	sizes    map[string]int // output size per format
}

// measure runs the pipeline on dir and renders every format, counting
// memory with runtime.ReadMemStats (work counted, not wall time, so a
// loaded machine does not change the verdict).
func measure(t *testing.T, dir string, secrets []string) cost {
	t.Helper()
	cfg, err := Prepare(Config{Path: dir, FailOn: finding.SeverityHigh})
	if err != nil {
		t.Fatal(err)
	}
	var before, after, rendered runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	c := cost{findings: len(rep.Keys), retained: int64(after.HeapAlloc) - int64(before.HeapAlloc), sizes: map[string]int{}}
	for _, f := range formats {
		cfg.Format = f
		var out strings.Builder
		if err := Render(rep, cfg, &out); err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(out.String(), s) {
				t.Fatalf("%s output holds a secret", f)
			}
		}
		c.sizes[f] = out.Len()
	}
	runtime.ReadMemStats(&rendered)
	c.alloc = rendered.TotalAlloc - before.TotalAlloc
	runtime.KeepAlive(rep)
	return c
}

// linear fails unless doubling the input at most doubled every measure,
// with slack for constant parts and the allocator's rounding.
func linear(t *testing.T, small, big cost) {
	t.Helper()
	if big.findings != 2*small.findings {
		t.Fatalf("findings %d then %d, want twice as many", small.findings, big.findings)
	}
	for _, c := range []cost{small, big} {
		// A fixed allowance covers the heap's own noise (caches, the
		// test framework); a quadratic place list is megabytes over it.
		if per := (c.retained - 256<<10) / int64(c.findings); per > maxBytesPerFinding {
			t.Errorf("%d findings: the report holds %d bytes per finding, want <= %d", c.findings, per, maxBytesPerFinding)
		}
	}
	if r := float64(big.alloc) / float64(small.alloc); r > 2.6 {
		t.Errorf("allocations grew %.2fx for twice the findings (%d → %d bytes)", r, small.alloc, big.alloc)
	}
	for _, f := range formats {
		if r := float64(big.sizes[f]) / float64(small.sizes[f]); r > 2.3 {
			t.Errorf("%s output grew %.2fx for twice the findings (%d → %d bytes)", f, r, small.sizes[f], big.sizes[f])
		}
	}
}

// TestCostOneKeyInManyFiles: one key with its secret copied into N files
// is N findings of one key. Each used to carry the other N−1 paths, which
// made memory and the JSON report quadratic (2,000 files: ~1 GB).
func TestCostOneKeyInManyFiles(t *testing.T) {
	id, secret := gittest.FakeKey(1)
	build := func(n int) string {
		r := gittest.New(t)
		for i := range n {
			if err := os.WriteFile(filepath.Join(r.Dir, fmt.Sprintf("f%05d.env", i)),
				[]byte("aws_access_key_id = "+id+"\naws_secret_access_key = "+secret+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r.Git("add", ".")
		r.Git("commit", "-qm", "copies")
		return r.Dir
	}
	const n = 400
	small, big := build(n), build(2*n)
	measure(t, small, nil) // warm up: first use of every code path
	linear(t, measure(t, small, []string{secret}), measure(t, big, []string{secret}))
}

// TestCostManyPairs: distinct key/secret pairs in one file are a finding
// each; each costs at most maxBytesPerFinding in the report (it was about
// 22 KB, mostly the remediation text and renderers' copies).
func TestCostManyPairs(t *testing.T) {
	var secrets []string
	build := func(n int) string {
		r := gittest.New(t)
		var b strings.Builder
		for i := range n {
			id, secret := gittest.FakeKey(1000 + i)
			secrets = append(secrets, secret)
			fmt.Fprintf(&b, "aws_access_key_id = %s\naws_secret_access_key = %s\n", id, secret)
		}
		if err := os.WriteFile(filepath.Join(r.Dir, "keys.env"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		r.Git("add", ".")
		r.Git("commit", "-qm", "pairs")
		return r.Dir
	}
	const n = 3000
	small, big := build(n), build(2*n)
	measure(t, small, nil)
	linear(t, measure(t, small, secrets[:100]), measure(t, big, secrets[n:n+100]))
}
