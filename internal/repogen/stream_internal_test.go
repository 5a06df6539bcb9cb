package repogen

import (
	"bufio"
	"context"
	"io"
	"testing"
)

// BenchmarkStream measures the generator alone, without fast-import: it
// must stay a small part of Generate's time.
func BenchmarkStream(b *testing.B) {
	o := Options{Commits: 5000}
	o.defaults()
	for b.Loop() {
		g := newGen(o, bufio.NewWriterSize(io.Discard, 1<<20))
		if err := g.run(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
