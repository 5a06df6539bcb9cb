package gitscan

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/gittest"
)

// TestScanContentLinear scans text shapes that once took time quadratic in
// their size (issue 22) at n and 4n bytes: the time may grow about 4 times,
// not 16. At the 32 MiB whole-blob limit each takes seconds (0.7 to 5 s
// on a loaded 2-core machine), where it took minutes. Each shape puts many findings on one line, or a long line before
// what the detectors look back over.
func TestScanContentLinear(t *testing.T) {
	tests := []struct {
		name string
		gen  func(n int) []byte
	}{
		// Locating each match counted its column from the line's start.
		{"one line, a key ID every KiB", func(n int) []byte {
			var b strings.Builder
			for i := 0; b.Len() < n; i++ {
				k, _ := gittest.FakeKey(5000 + i%500)
				b.WriteString("id=" + k + " " + strings.Repeat("x.y ", 249))
			}
			return []byte(b.String())
		}},
		// The base64 tokenizer measured the block's indentation from the
		// line start for every wrapped line.
		{"a long line, then wrapped base64", func(n int) []byte {
			var b strings.Builder
			b.WriteString(strings.Repeat("word ", n/10))
			k, s := gittest.FakeKey(5600)
			enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(envFile(k, s), n/2/100)))
			for len(enc) > 76 {
				b.WriteString(enc[:76] + "\n")
				enc = enc[76:]
			}
			b.WriteString(enc + "\n")
			return []byte(b.String())
		}},
		// Sections looked back to the line start for each group of
		// credentials.
		{"one line, a distinct key/secret pair every 20 KB", func(n int) []byte {
			var b strings.Builder
			for i := 0; b.Len() < n; i++ {
				k, s := gittest.FakeKey(6000 + i)
				b.WriteString(`{"AccessKeyId":"` + k + `","SecretAccessKey":"` + s + `"},` + strings.Repeat("x.y ", 5000))
			}
			return []byte(b.String())
		}},
		// Pairing considered every candidate within reach of each key ID.
		{"one line of key/secret pairs", func(n int) []byte {
			var b strings.Builder
			for i := 0; b.Len() < n; i++ {
				k, s := gittest.FakeKey(6000 + i%5000)
				b.WriteString(`{"AccessKeyId":"` + k + `","SecretAccessKey":"` + s + `"},`)
			}
			return []byte(b.String())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 1 << 20
			small, large := tt.gen(n), tt.gen(4*n)
			run := func(buf []byte) time.Duration {
				best := time.Duration(1 << 62)
				for range 3 {
					t0 := time.Now()
					if ms, _ := scanContent(buf); len(ms) == 0 {
						t.Fatal("nothing found")
					}
					best = min(best, time.Since(t0))
				}
				return best
			}
			run(small) // warm up
			// Linear is 4 times (5 to 6 here, caches being what they
			// are), quadratic 16. Below a few milliseconds the clock and
			// the scheduler decide, not the algorithm; and a machine busy
			// with other tests may slow one run, so it gets three tries.
			var ts, tl time.Duration
			for range 3 {
				ts, tl = run(small), run(large)
				t.Logf("%d KiB: %v, %d KiB: %v", n>>10, ts, 4*n>>10, tl)
				if tl <= 10*ts || tl < 50*time.Millisecond {
					return
				}
			}
			t.Errorf("4 times the input took %.1f times as long (%v, %v): not linear", float64(tl)/float64(ts), ts, tl)
		})
	}
}
