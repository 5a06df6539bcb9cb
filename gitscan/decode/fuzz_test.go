package decode

import (
	"bytes"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/internal/leakshapes"
)

// The fuzz targets run their seeds in every go test; go test -fuzz
// explores from them. Each checks that a hostile archive or text costs
// bounded memory, never panics, and that every part decoded in place maps
// back into its text.

// fuzzLimits are small, so that the fuzzer reaches the bounds.
var fuzzLimits = Limits{MaxBytes: 4 << 20, MaxEntries: 64, MaxDepth: 3}

func checkExpand(t *testing.T, in []byte) {
	parts, gaps := Expand(in, fuzzLimits)
	var total int
	for _, p := range parts {
		total += len(p.Data)
		checkSpans(t, p)
		if strings.ContainsAny(p.Path, "\n\x1b\x00") {
			t.Fatalf("member name %q not escaped", p.Path)
		}
	}
	// Each byte of a part was decoded within MaxBytes, or is the input's
	// own (a stored member, text decoded in place, which shrinks).
	if int64(total) > 4*fuzzLimits.MaxBytes+int64(4*len(in)) {
		t.Fatalf("%d bytes of parts from %d bytes", total, len(in))
	}
	for _, g := range gaps {
		if strings.ContainsAny(g, "\n\x1b") {
			t.Fatalf("gap %q not one line", g)
		}
	}
}

func FuzzZip(f *testing.F) {
	bz, text := leakshapes.Bzip2Env()
	for _, s := range [][]byte{
		zipOf("a.txt", testEnv, "b/c.txt", "x"),
		zipOf("in.jar", string(zipOf("x.txt", testEnv))),
		bs(leakshapes.ZipRaw("a", 12, 0, bz, text)),
		bs(leakshapes.ZipRaw("a", 14, 2, leakshapes.LZMAMember(testEnv), testEnv)),
		bs(leakshapes.ZipRaw("a", 93, 0, bs(leakshapes.Zstd(testEnv)), testEnv)),
		bs(leakshapes.ZipRaw("a", 95, 0, bs(leakshapes.XZ(testEnv)), testEnv)),
		bs(leakshapes.ZipRaw("a", 9, 0, bs("xx"), testEnv)),
		append(bs("#!/bin/sh\n"), zipOf("a", testEnv)...),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkExpand(t, b) })
}

func FuzzTar(f *testing.F) {
	damaged := []byte(concat(leakshapes.TarMember("a", '0', "x"), leakshapes.TarMember("b", '7', testEnv), leakshapes.TarEnd()))
	damaged[149] ^= 1
	for _, s := range [][]byte{
		tarOf("a.txt", testEnv, "./b", "x"),
		bs(concat(leakshapes.PAXHeader("path", "long/name"), leakshapes.TarMember("b", '0', testEnv), leakshapes.TarEnd())),
		bs(concat(leakshapes.TarMember("L", 'L', "long-name"), leakshapes.TarMember("b", 'S', testEnv), leakshapes.TarEnd())),
		damaged,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkExpand(t, b) })
}

func FuzzCompressed(f *testing.F) {
	for _, s := range [][]byte{
		gz(bs(testEnv)),
		gz(tarOf("a", testEnv)),
		unb64(bzip2Inner),
		unb64(bzip2Tar),
		bs(leakshapes.XZ(testEnv)),
		bs(leakshapes.Zstd(testEnv)),
		bs(leakshapes.PDF("x " + testKey)),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkExpand(t, b) })
}

func FuzzText(f *testing.F) {
	for _, s := range []string{
		"Content-Transfer-Encoding: quoted-printable\n\nkey=3D" + testKey[:5] + "=\n" + testKey[5:] + "\n=E9=\r\n",
		leakshapes.Entities(testKey, false) + "&#x41;&amp;&#99999999;&#",
		leakshapes.Xxd(testEnv) + leakshapes.HexdumpC(testEnv) + xxdPlain(testEnv),
		string(utf32(testEnv, false, true)),
		"\xff\xfeA\x00K\x00",
		leakshapes.HelmRelease("r", `{"a":"`+testKey+`"}`),
		"v: " + leakshapes.B64Times("id="+testKey, 5),
	} {
		f.Add(bs(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkExpand(t, b)
		out, spans, _ := Base64(b)
		for _, s := range spans {
			if s.InStart < 0 || s.InEnd > len(b) || s.OutEnd > len(out) || s.OutStart > s.OutEnd {
				t.Fatalf("bad span %+v", s)
			}
		}
		var buf bytes.Buffer
		buf.ReadFrom(Transcode(bytes.NewReader(b), "utf-16le"))
		if buf.Len() > 2*len(b)+3 {
			t.Fatalf("transcoded %d bytes to %d", len(b), buf.Len())
		}
	})
}
