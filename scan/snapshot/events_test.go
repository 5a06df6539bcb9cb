package snapshot_test

import (
	"context"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// TestLookupEventsBounded: a key's search stops at Options.LookupPages
// pages of 50 and says it is truncated; the calls of one region keep
// under CloudTrail's 2 a second, which the front enforces.
func TestLookupEventsBounded(t *testing.T) {
	srv := freshMoto(t)
	now := time.Now()
	const key = "AKIAEXAMPLEKEY000002"
	for i := range 180 {
		srv.Trail().Add(mototest.TrailEvent{Region: "us-east-1", Time: now.Add(-time.Duration(i) * time.Minute), Name: "GetObject", Source: "s3.amazonaws.com", AccessKeyID: key, SourceIP: "192.0.2.1"})
	}
	opts := snapshot.Options{LookupPages: 3}
	r := snapshot.NewReader(testConfig(srv.Endpoint), "123456789012", opts)
	start := time.Now()
	l := r.LookupEvents(context.Background(), key, "us-east-1", now.Add(-24*time.Hour))
	took := time.Since(start)
	if l.Failure != nil {
		t.Fatal(l.Failure.Reason())
	}
	if !l.Truncated || len(l.Events) != 150 || l.Events[0].SourceIP != "192.0.2.1" || l.Events[0].Service() != "s3" {
		t.Errorf("truncated %v, %d events, first %+v", l.Truncated, len(l.Events), l.Events[0])
	}
	if srv.Trail().Throttled() != 0 {
		t.Errorf("%d calls throttled", srv.Trail().Throttled())
	}
	// Three calls spaced by the limiter take at least two intervals.
	if took < 2*snapshot.DefaultLookupInterval {
		t.Errorf("three pages in %s: the calls were not spaced", took)
	}
	// A second reader of the account has its own limiter: let CloudTrail's
	// second pass first.
	time.Sleep(1100 * time.Millisecond)
	all := snapshot.NewReader(testConfig(srv.Endpoint), "123456789012", snapshot.Options{})
	if l := all.LookupEvents(context.Background(), key, "us-east-1", now.Add(-24*time.Hour)); l.Failure != nil || l.Truncated || len(l.Events) != 180 {
		t.Errorf("unbounded: truncated %v, %d events, failure %+v", l.Truncated, len(l.Events), l.Failure)
	}
}
