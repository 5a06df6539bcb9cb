package detect

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

// TestEncodedMarkers checks the promise the decode path rests on: a key ID
// anywhere in text that is base64-encoded (either alphabet, once or twice,
// at any byte alignment) or written in UTF-16 leaves a marker, so the pack
// engine suspects the blob.
func TestEncodedMarkers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	u16 := func(s string, be bool) string {
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			if be {
				b = append(b, byte(u>>8), byte(u))
			} else {
				b = append(b, byte(u), byte(u>>8))
			}
		}
		return string(b)
	}
	encodings := map[string]func(string) string{
		"std": func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"url": func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) },
		"twice": func(s string) string {
			e := base64.StdEncoding
			return e.EncodeToString([]byte(e.EncodeToString([]byte(s))))
		},
		"utf-16le":           func(s string) string { return u16(s, false) },
		"utf-16be":           func(s string) string { return u16(s, true) },
		"base64 of utf-16le": func(s string) string { return base64.StdEncoding.EncodeToString([]byte(u16(s, false))) },
		"base64 of gzip": func(s string) string {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write([]byte(s))
			w.Close()
			return base64.StdEncoding.EncodeToString(b.Bytes())
		},
	}
	for name, enc := range encodings {
		for i := range 300 {
			prefix := []string{"AKIA", "ASIA", "ABIA", "ACCA"}[i%4]
			if (name == "twice" || name == "base64 of utf-16le") && i%4 >= twiceEncoded {
				continue
			}
			text := randString(uint64(i), r.IntN(7), alphaLetters) + "=" + fakeKey(prefix, uint64(i)) + "\n"
			if got := enc(text); !MayContainEncoded([]byte("x: " + got + "\n")) {
				t.Fatalf("%s: no marker in the encoding of %q: %q", name, text, got)
			}
		}
	}
}

// TestArchiveMarkers checks that a base64-encoded archive is a suspect by
// its header alone: the key inside is compressed out of sight, so only the
// archive's magic can make the blob be decoded.
func TestArchiveMarkers(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	body := make([]byte, 64)
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	var heads []string
	for level := '1'; level <= '9'; level++ {
		heads = append(heads, "BZh"+string(level)+"1AY&SY") // bzip2 -1 … -9
	}
	heads = append(heads, "\x1f\x8b\x08\x00", "PK\x03\x04", "\xfd7zXZ\x00", "\x28\xb5\x2f\xfd")
	for _, h := range heads {
		once := base64.StdEncoding.EncodeToString(append([]byte(h), body...))
		twice := base64.StdEncoding.EncodeToString([]byte(once))
		encs := []string{once}
		if h[0] == 0x1f {
			encs = append(encs, twice) // a Helm 3 release: base64 of base64 of gzip
		}
		for _, enc := range encs {
			if !MayContainEncoded([]byte("const fixture = \"" + enc + "\"\n")) {
				t.Errorf("no marker in base64 of %q: %.24s…", h, enc)
			}
		}
	}
}

func TestEncodedNotInText(t *testing.T) {
	for _, name := range []string{"source", "upper-hex"} {
		if got := Encoded(nil, benchInputs()[name]); len(got) != 0 {
			t.Errorf("%s: %d markers in text without encoded keys", name, len(got))
		}
	}
}

// TestEncodedMatchesReference compares Encoded with a search for every
// marker at every offset.
func TestEncodedMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for i := range 2000 {
		var b strings.Builder
		for b.Len() < 1+r.IntN(200) {
			if r.IntN(3) == 0 {
				m := markers.all[r.IntN(len(markers.all))]
				b.WriteString(m[:1+r.IntN(len(m))])
			} else {
				b.WriteString(randString(r.Uint64(), 1+r.IntN(5), alphaB64))
			}
		}
		buf := []byte(b.String())
		var want []int
		for s := range buf {
			if markerAt(buf, s) {
				want = append(want, s)
			}
		}
		got := Encoded(nil, buf)
		if len(got) != len(want) {
			t.Fatalf("case %d: Encoded %v, reference %v in %q", i, got, want, buf)
		}
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("case %d: Encoded %v, reference %v in %q", i, got, want, buf)
			}
		}
	}
}
