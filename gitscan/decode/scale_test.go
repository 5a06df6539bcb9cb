package decode

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/leakshapes"
)

// TestLinear doubles the input of every decoder and checks that the
// time at most about doubles (best of three after a warm-up, with slack):
// a decoder that walked back over its input for each token or line would
// take four times as long. Time is the CPU time of the test's own thread
// (the machine may be loaded), and the bytes allocated are checked too.
func TestLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	line := "aws_access_key_id=3D" + testKey + " and a long line that is wrapped with a soft break here =\nand goes on\n"
	lim := Limits{MaxBytes: 1 << 30, MaxEntries: 1 << 20, MaxDepth: 3}
	expand := func(b []byte) { Expand(b, lim) }
	tests := []struct {
		name  string
		input func(n int) []byte // about n bytes
		run   func([]byte)
	}{
		{"quoted-printable", func(n int) []byte { return bs("Content-Type: text/plain\n\n" + strings.Repeat(line, n/len(line))) }, expand},
		{"quoted-printable, one line", func(n int) []byte { return bs(strings.Repeat("=3DAKIA=\n", n/9)) }, func(b []byte) { quotedPrintable(b) }},
		{"is a mail quoted-printable (Opens)", func(n int) []byte {
			return bs("From: a@example.com\nTo: b@example.com\nSubject: s\n\n" + strings.Repeat("Quoted-Printabl ", n/16))
		}, func(b []byte) { Opens(b) }},
		{"dense quoted-printable spans", func(n int) []byte { return bs(strings.Repeat("=3Da", n/4)) }, func(b []byte) { quotedPrintable(b) }},
		{"HTML entities", func(n int) []byte { return bs(strings.Repeat(leakshapes.Entities(testKey, n%2 == 0)+" ", n/200)) }, expand},
		{"hex dump", func(n int) []byte { return bs(leakshapes.Xxd(strings.Repeat(testEnv, n/(4*len(testEnv))))) }, expand},
		{"hexdump -C", func(n int) []byte { return bs(leakshapes.HexdumpC(strings.Repeat(testEnv, n/(4*len(testEnv))))) }, expand},
		{"PDF streams", func(n int) []byte {
			return bs(strings.Repeat(strings.TrimPrefix(leakshapes.PDF("id "+testKey), "%PDF-1.4\n"), n/700))
		}, func(b []byte) { Expand(append(bs("%PDF-1.4\n"), b...), lim) }},
		{"tar, every header damaged", func(n int) []byte {
			b := bytes.Repeat(leakshapes.TarMember("x", '0', "data"), n/1024)
			for o := 0; o < len(b); o += 1024 {
				b[o+149] ^= 1
			}
			return b
		}, expand},
		{"tar, a PAX header before every member", func(n int) []byte {
			m := concat(leakshapes.PAXHeader("comment", "x"), leakshapes.TarMember("a.env", '7', testEnv))
			return bs(strings.Repeat(m, n/len(m)) + string(leakshapes.TarEnd()))
		}, expand},
		{"zip of many members", func(n int) []byte {
			var files []string
			for i := range n / 150 {
				files = append(files, "m"+string(rune('a'+i%26))+".env", testEnv)
			}
			return zipOf(files...)
		}, expand},
		{"base64 three layers", func(n int) []byte {
			tok := "v: " + leakshapes.B64Times("id="+testKey, 3) + "\n"
			return bs(strings.Repeat(tok, n/len(tok)))
		}, func(b []byte) { Base64(b) }},
		{"base64 of gzip base64-encoded twice", func(n int) []byte {
			tok := "v: " + leakshapes.B64Times(leakshapes.Gzip(testEnv), 2) + "\n"
			return bs(strings.Repeat(tok, n/len(tok)))
		}, expand},
		{"UTF-32", func(n int) []byte { return bs(utf32(strings.Repeat(testEnv, n/(4*len(testEnv))), false, true)) }, expand},
		{"UTF-16 streamed", func(n int) []byte { return bs("\xff\xfe" + leakshapes.Wrap(strings.Repeat("A\x00", n/2), 1<<20)) }, func(b []byte) {
			io.Copy(io.Discard, Transcode(bytes.NewReader(b), "utf-16le"))
		}},
	}
	const n = 512 << 10
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			small, large := tt.input(n), tt.input(2*n)
			tt.run(small)
			// Enough runs that the small input takes 60 ms of CPU: a
			// thread's CPU time is counted in ticks.
			reps := 1
			for start := threadTime(); threadTime()-start < 60*time.Millisecond; reps++ {
				tt.run(small)
			}
			best := func(b []byte) (time.Duration, uint64) {
				d := time.Duration(1 << 62)
				var alloc uint64
				for range 3 {
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					start := threadTime()
					for range reps {
						tt.run(b)
					}
					d = min(d, threadTime()-start)
					runtime.ReadMemStats(&after)
					alloc = after.TotalAlloc - before.TotalAlloc
				}
				return d, alloc
			}
			// A busy machine (other packages' tests) may slow one
			// measure: three tries, the first within bounds passes.
			var ts, tl time.Duration
			var as, al uint64
			for range 3 {
				ts, as = best(small)
				tl, al = best(large)
				if float64(tl)/float64(ts) <= 3.2 && float64(al)/float64(max(as, 1)) <= 2.6 {
					return
				}
			}
			if r := float64(tl) / float64(ts); r > 3.2 {
				t.Errorf("%d bytes: %v, %d bytes: %v: %.1f times", len(small), ts, len(large), tl, r)
			}
			if r := float64(al) / float64(max(as, 1)); r > 2.6 {
				t.Errorf("%d bytes: %d allocated, %d bytes: %d: %.1f times", len(small), as, len(large), al, r)
			}
		})
	}
}
