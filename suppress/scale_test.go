package suppress

import (
	"fmt"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
)

// TestApplyScales checks that applying an ignore file is linear in the
// findings and entries: doubling both at most about doubles the time (a
// scan over every entry for every finding would quadruple it).
func TestApplyScales(t *testing.T) {
	apply := func(n int) time.Duration {
		rep := &finding.Report{}
		igs := &Ignores{Path: ".keysweepignore"}
		for i := range n {
			fp := fmt.Sprintf("%032x", i)
			rep.Keys = append(rep.Keys, finding.KeyFinding{Leak: finding.Leak{KeyID: fmt.Sprintf("AKIA%016d", i)}, Fingerprint: fp, KeyFingerprint: fmt.Sprintf("%032x", i+n)})
			igs.Entries = append(igs.Entries, Ignore{Fingerprint: fmt.Sprintf("%032x", 3*n+i), Reason: "r", Line: i + 1})
		}
		igs.Entries[0].Fingerprint = rep.Keys[0].Fingerprint
		best := time.Duration(1 << 62)
		for range 3 {
			for i := range rep.Keys {
				rep.Keys[i].Suppressed = nil
			}
			igs.index = nil
			start := time.Now()
			Apply(rep, Options{Ignores: igs, ReportUnmatched: true})
			best = min(best, time.Since(start))
		}
		if rep.Keys[0].Suppressed == nil || len(rep.UnmatchedIgnores) != n-1 {
			t.Fatalf("n=%d: first key suppressed %v, %d unmatched", n, rep.Keys[0].Suppressed, len(rep.UnmatchedIgnores))
		}
		return best
	}
	apply(2000) // warm up
	small, large := apply(20000), apply(40000)
	if ratio := float64(large) / float64(small); ratio > 3.2 {
		t.Errorf("doubling findings and entries took %.1fx the time (%v → %v): not linear", ratio, small, large)
	}
}
