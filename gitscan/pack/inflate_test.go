package pack

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"io"
	"math/rand/v2"
	"strings"
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

// bitWriter writes a deflate stream: fields least significant bit first,
// Huffman codes most significant bit first.
type bitWriter struct {
	out  []byte
	bits uint64
	n    uint
}

func (b *bitWriter) field(v uint64, n uint) {
	b.bits |= v << b.n
	b.n += n
	for b.n >= 8 {
		b.out = append(b.out, byte(b.bits))
		b.bits >>= 8
		b.n -= 8
	}
}

func (b *bitWriter) code(c uint64, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		b.field(c>>uint(i)&1, 1)
	}
}

func (b *bitWriter) flush() []byte {
	if b.n > 0 {
		b.out = append(b.out, byte(b.bits))
	}
	return b.out
}

// dynamicStream is a zlib stream of one dynamic block holding "a": the
// literal/length code gives 'a' one bit and end-of-block eob bits, the
// distance code one one-bit code.
func dynamicStream(eob uint) []byte {
	var w bitWriter
	w.field(1, 1)    // final
	w.field(2, 2)    // dynamic
	w.field(0, 5)    // 257 literal/length codes
	w.field(0, 5)    // 1 distance code
	w.field(14, 4)   // 18 code-length codes
	var cl [19]uint8 // code-length code: 0, 1, 2 and 18 of two bits each
	cl[0], cl[1], cl[2], cl[18] = 2, 2, 2, 2
	for _, s := range clOrder[:18] {
		w.field(uint64(cl[s]), 3)
	}
	// Canonical codes of the code-length code: 0→00, 1→01, 2→10, 18→11.
	zeros := func(n int) {
		for n > 0 {
			k := min(n, 138)
			w.code(3, 2)
			w.field(uint64(k-11), 7)
			n -= k
		}
	}
	zeros(97)
	w.code(1, 2) // 'a': 1 bit
	zeros(256 - 98)
	w.code(uint64(eob), 2)  // end of block: eob bits
	w.code(1, 2)            // the distance code: 1 bit
	w.code(0, 1)            // 'a' is code 0
	w.code(1<<(eob-1), eob) // end of block: 1, or 10 after the one-bit 'a'
	data := w.flush()
	z := append([]byte{0x78, 0x01}, data...)
	return binary.BigEndian.AppendUint32(z, adler32.Checksum([]byte("a")))
}

// The decoder rejects what zlib rejects: a window above 32 KiB (CINFO 8
// to 15) and incomplete Huffman codes; compress/zlib decides the same on
// the same bytes.
func TestInflateStrictAsZlib(t *testing.T) {
	text := []byte("aws_access_key_id = AKIA\n")
	valid := zdeflate(text)
	type stream struct{ z, content []byte }
	cases := map[string]stream{
		"complete dynamic code":   {dynamicStream(1), []byte("a")},
		"incomplete literal code": {dynamicStream(2), []byte("a")},
		"valid":                   {valid, text},
	}
	for cinfo := 8; cinfo < 16; cinfo++ {
		z := bytes.Clone(valid)
		z[0] = byte(cinfo<<4 | 8)
		z[1] = 0
		z[1] += byte(31 - (uint(z[0])<<8|uint(z[1]))%31)
		cases[fmt.Sprintf("CINFO %d", cinfo)] = stream{z, text}
	}
	for name, c := range cases {
		zr, err := zlib.NewReader(bytes.NewReader(c.z))
		var got []byte
		if err == nil {
			got, err = io.ReadAll(zr)
		}
		zlibOK := err == nil && bytes.Equal(got, c.content)
		if name == "complete dynamic code" && !zlibOK || name == "incomplete literal code" && zlibOK || strings.HasPrefix(name, "CINFO") && zlibOK {
			t.Errorf("%s: compress/zlib accepts: %v; the stream is not what the test means", name, zlibOK)
		}
		// The content's size is given, as a pack entry's header gives it:
		// only the stream decides.
		var d decoder
		if ok := d.inflate(c.z, make([]byte, len(c.content)), true) == nil; ok != zlibOK {
			t.Errorf("%s: decoder accepts: %v; compress/zlib: %v", name, ok, zlibOK)
		}
		var f inflater
		out, err := f.inflateInto(c.z, make([]byte, len(c.content)), true)
		if (err == nil) != zlibOK || zlibOK && !bytes.Equal(out, c.content) {
			t.Errorf("%s: inflater: %v; compress/zlib accepts: %v", name, err, zlibOK)
		}
	}
}
