package snapshot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// BenchmarkCollect measures one snapshot of every region moto reports as
// enabled, sequential (Parallel 1) against the default bound, on loopback
// and behind a proxy adding a 30 ms round trip (moto answers in about a
// millisecond, AWS in tens: concurrency only pays off with latency). Run:
//
//	go test ./scan/snapshot -run '^$' -bench Collect -benchtime 1x
//
// The first, untimed collection warms moto up: it builds each region's EC2
// backend on first use, several seconds per region.
func BenchmarkCollect(b *testing.B) {
	srv := freshMoto(b)
	opts := snapshot.Options{PollInterval: 10 * time.Millisecond}
	warm, _ := collectCounted(b, srv, opts)
	b.Logf("warm-up: %d regions in %s", len(warm.Regions), warm.Duration.Round(time.Millisecond))

	for _, rtt := range []time.Duration{0, 30 * time.Millisecond} {
		var calls mototest.Counter
		endpoint := srv.Proxy(b, mototest.Chain(calls.Count, mototest.Latency(rtt))).URL
		for _, parallel := range []int{1, snapshot.DefaultParallel} {
			b.Run(fmt.Sprintf("rtt=%s/parallel=%d", rtt, parallel), func(b *testing.B) {
				o := opts
				o.Parallel = parallel
				var snap *snapshot.Snapshot
				calls.Reset()
				for b.Loop() {
					var err error
					if snap, err = snapshot.Collect(context.Background(), snapshot.NewReader(testConfig(endpoint), "123456789012", o), o); err != nil {
						b.Fatal(err)
					}
				}
				n := calls.Total() / b.N
				b.ReportMetric(float64(n), "calls/op")
				b.ReportMetric(float64(len(snap.Regions)), "regions")
				b.Logf("%d regions, %d API calls, %s", len(snap.Regions), n, snap.Duration.Round(time.Millisecond))
			})
		}
	}
}
