package pack

import (
	"bytes"
	"compress/zlib"
	"math/rand/v2"
	"testing"
)

func TestInflateMatchesZlib(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var d decoder
	inflate := func(src, dst []byte) error { return d.inflate(src, dst, true) }
	for iter := range 3000 {
		var data []byte
		switch iter % 4 {
		case 0:
			data = text(r, r.IntN(5000))
		case 1:
			data = make([]byte, r.IntN(100000))
			for i := range data {
				data[i] = byte(r.IntN(256))
			}
		case 2:
			data = bytes.Repeat([]byte{byte(iter)}, r.IntN(70000))
		default:
			data = bytes.Repeat(text(r, 1+r.IntN(300)), 1+r.IntN(200))
		}
		var buf bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&buf, []int{zlib.NoCompression, zlib.BestSpeed, zlib.DefaultCompression, zlib.BestCompression, zlib.HuffmanOnly}[iter%5])
		zw.Write(data)
		zw.Close()
		z := buf.Bytes()
		out := make([]byte, len(data))
		if err := inflate(z, out); err != nil || !bytes.Equal(out, data) {
			t.Fatalf("iteration %d (%d bytes): %v", iter, len(data), err)
		}
		// Corruption is caught: flipped bytes, a wrong size, truncation.
		if len(z) > 8 {
			bad := bytes.Clone(z)
			bad[2+r.IntN(len(z)-2)] ^= 1 << r.IntN(8)
			if inflate(bad, out) == nil && !bytes.Equal(out, data) {
				t.Fatalf("iteration %d: corruption not detected", iter)
			}
			if inflate(z[:len(z)-1-r.IntN(4)], out) == nil {
				t.Fatalf("iteration %d: truncation not detected", iter)
			}
		}
		if inflate(z, make([]byte, len(data)+1)) == nil {
			t.Fatalf("iteration %d: short output not detected", iter)
		}
		if len(data) > 0 && inflate(z, out[:len(data)-1]) == nil {
			t.Fatalf("iteration %d: long output not detected", iter)
		}
	}
}
