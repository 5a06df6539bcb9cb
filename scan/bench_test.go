package scan

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keysweep/keysweep/internal/mototest"
)

// BenchmarkInventory500 measures Inventory on 500 users with one key each,
// read sequentially and with the default concurrency, against moto on
// loopback and through a proxy adding 25 ms a call (about what a runner
// sees from IAM):
//
//	go test ./scan/ -run '^$' -bench Inventory500 -benchtime 1x -v
//
// It reports the API calls per inventory next to the time. moto answers
// ListUsers in one page; AWS would take five (100 users a page).
func BenchmarkInventory500(b *testing.B) {
	srv, _, _ := motoEnv(b, nil)
	admin := iam.NewFromConfig(adminConfig(b))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range 500 {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			createUser(b, admin, fmt.Sprintf("bench-%03d", i), 1)
		})
	}
	wg.Wait()

	for _, rtt := range []time.Duration{0, 25 * time.Millisecond} {
		endpoint := srv.Endpoint
		if rtt > 0 {
			endpoint = srv.Proxy(b, mototest.Latency(rtt)).URL
		}
		for _, workers := range []int{1, DefaultConcurrency} {
			b.Run(fmt.Sprintf("rtt=%v/concurrency=%d", rtt, workers), func(b *testing.B) {
				mototest.EnvFor(b, endpoint)
				counter := &CallCounter{}
				cfg, err := LoadConfig(context.Background(), Options{Counter: counter})
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					inv, err := Inventory(context.Background(), cfg, InventoryOptions{Concurrency: workers})
					if err != nil {
						b.Fatal(err)
					}
					if len(inv.Keys) != 500 {
						b.Fatalf("%d keys, want 500", len(inv.Keys))
					}
				}
				b.ReportMetric(float64(counter.Total())/float64(b.N), "calls/op")
				b.Log(counter)
			})
		}
	}
}
