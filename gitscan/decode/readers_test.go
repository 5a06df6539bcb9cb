package decode

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"

	"github.com/keysweep/keysweep/internal/leakshapes"
)

const (
	testKey    = "AKIAQ7ZK3MWPR2TVBN4D" // keysweep:allow made-up test fixture, never issued
	testSecret = "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"
)

var testEnv = "AWS_ACCESS_KEY_ID=" + testKey + "\nAWS_SECRET_ACCESS_KEY=" + testSecret + "\n"

func bs(s string) []byte { return []byte(s) }

// TestExpandEncodings opens every archive member type and encoding of
// issues 22 and 23, and names what it cannot read.
func TestExpandEncodings(t *testing.T) {
	bz, bzText := leakshapes.Bzip2Env()
	tarOf := func(parts ...[]byte) []byte {
		return bs(concat(leakshapes.TarMember("README", '0', "hello\n"), bs(concat(parts...)), leakshapes.TarEnd()))
	}
	sfx := append(bs("#!/bin/sh\nexec java -jar \"$0\"\n"), zipOf("conf/aws.env", testEnv)...)
	damagedMid := tarOf(leakshapes.TarMember("junk", '0', strings.Repeat("j", 1500)), leakshapes.TarMember("aws.env", '0', testEnv))
	damagedMid[1024+149] ^= 1 // the checksum of "junk", after README's two blocks
	tests := []struct {
		name string
		in   []byte
		path string // the part holding testKey
		how  string
		gap  string // "" for none
	}{
		{"zip member, bzip2", bs(leakshapes.ZipRaw("a.env", 12, 0, bz, bzText)), "a.env", "zip", ""},
		{"zip member, LZMA", bs(leakshapes.ZipRaw("a.env", 14, 2, leakshapes.LZMAMember(testEnv), testEnv)), "a.env", "zip", ""},
		{"zip member, zstd", bs(leakshapes.ZipRaw("a.env", 93, 0, bs(leakshapes.Zstd(testEnv)), testEnv)), "a.env", "zip", ""},
		{"zip member, xz", bs(leakshapes.ZipRaw("a.env", 95, 0, bs(leakshapes.XZ(testEnv)), testEnv)), "a.env", "zip", ""},
		{"zip member, Deflate64", bs(leakshapes.ZipRaw("a.env", 9, 0, bs("\x01\x02"), testEnv)), "", "", `"a.env": zip member not read: compression method Deflate64 is not supported`},
		{"zip member, encrypted", bs(leakshapes.ZipRaw("a.env", 8, 1, bs("\x01\x02"), testEnv)), "", "", `"a.env": zip member not read: encrypted`},
		{"zip member, unknown method", bs(leakshapes.ZipRaw("a.env", 200, 0, bs("\x01\x02"), testEnv)), "", "", "unknown compression method 200"},
		{"executable jar", sfx, "conf/aws.env", "zip", ""},
		{"self-extracting zip", append(append(bs("MZ\x90\x00"), make([]byte, 5000)...), zipOf("aws.env", testEnv)...), "aws.env", "zip", ""},
		{"tar member, type 7", tarOf(leakshapes.TarMember("aws.env", '7', testEnv)), "aws.env", "tar", ""},
		{"tar member, vendor type", tarOf(leakshapes.TarMember("aws.env", 'Q', testEnv)), "aws.env", "tar", ""},
		{"tar.gz, PAX header of 2 MiB", gz(bs(concat(leakshapes.PAXHeader("comment", strings.Repeat("x", 2<<20)), leakshapes.TarMember("aws.env", '0', testEnv), leakshapes.TarEnd()))), "aws.env", "gzip > tar", ""},
		{"tar, first header damaged", func() []byte { b := tarOf(leakshapes.TarMember("aws.env", '0', testEnv)); b[150] ^= 1; return b }(), "aws.env", "tar", "tar header at byte 0 is damaged (checksum); the member it starts is not read, reading resumes at byte 1024"},
		{"tar, a damaged header amid its data", damagedMid, "aws.env", "tar", "tar header at byte 1024 is damaged"},
		{"xz", bs(leakshapes.XZ(testEnv)), "", "xz", ""},
		{"zstd", bs(leakshapes.Zstd(testEnv)), "", "zstd", ""},
		{"UTF-32LE", bs(utf32(testEnv, false, true)), "", "utf-32le", ""},
		{"UTF-32BE", bs(utf32(testEnv, true, false)), "", "utf-32be", ""},
		{"quoted-printable", bs("Content-Transfer-Encoding: quoted-printable\n\n" + leakshapes.QuotedPrintable(strings.Repeat("x", 70)+"key="+testKey+"\n")), "", "quoted-printable", ""},
		{"HTML entities", bs("<b>" + leakshapes.Entities(testKey, false) + "</b>"), "", "html-entities", ""},
		{"HTML hex entities", bs("<b>" + leakshapes.Entities(testKey, true) + "</b>"), "", "html-entities", ""},
		{"xxd", bs(leakshapes.Xxd(testEnv)), "", "hex-dump", ""},
		{"hexdump -C", bs(leakshapes.HexdumpC(testEnv)), "", "hex-dump", ""},
		{"xxd -p", bs(xxdPlain(testEnv)), "", "hex-dump", ""},
		{"PDF", bs(leakshapes.PDF("id " + testKey)), "", "pdf", ""},
		{"Helm release", bs(leakshapes.HelmRelease("r", `{"k":"`+testKey+`"}`)), "", "base64 > base64 > gzip", ""},
		{"gzip base64-encoded four times", bs("v: " + leakshapes.B64Times(string(gz(bs(testEnv))), 4) + "\n"), "", "base64 > base64 > base64 > base64 > gzip", ""},
		{"xz with a 2 GiB dictionary", xzDict2G(), "", "", "xz stream not decompressed: it declares a window beyond the bound: 2048 MiB, more than 64 MiB"},
		// Truncated, its blocks cannot be found from its index: not read,
		// and said so.
		{"truncated xz", func() []byte { b := bs(leakshapes.XZ(testEnv)); return b[:len(b)-20] }(), "", "", "xz stream not decompressed: it is not whole xz streams"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, gaps := Expand(tt.in, DefaultLimits)
			found := false
			var got []string
			for _, p := range parts {
				got = append(got, p.Path+"|"+p.How)
				if p.Path == tt.path && p.How == tt.how && (bytes.Contains(p.Data, bs("AWS_ACCESS_KEY_ID=AKIA")) || bytes.Contains(p.Data, bs(testKey))) {
					found = true
				}
				checkSpans(t, p)
			}
			if tt.how != "" && !found {
				t.Errorf("no part %s|%s holds the key; parts %q, gaps %q", tt.path, tt.how, got, gaps)
			}
			if g := strings.Join(gaps, "\n"); tt.gap == "" && g != "" || !strings.Contains(g, tt.gap) {
				t.Errorf("gaps %q, want one saying %q", gaps, tt.gap)
			}
		})
	}
}

// checkSpans checks that a part decoded in place maps every offset of
// its data into its original text.
func checkSpans(t *testing.T, p Part) {
	t.Helper()
	if p.Spans == nil {
		return
	}
	for o := 0; o <= len(p.Data); o++ {
		if i := p.Offset(o); i < 0 || i > len(p.Orig) {
			t.Fatalf("%s: offset %d maps to %d, outside %d bytes", p.How, o, i, len(p.Orig))
		}
	}
}

// TestPartOffset places a key decoded from quoted-printable and from a
// hex dump where its encoding is.
func TestPartOffset(t *testing.T) {
	for _, in := range []string{
		"Content-Transfer-Encoding: quoted-printable\n\nline one\nkey=3D" + testKey[:7] + "=\n" + testKey[7:] + "\n",
		"head\n" + leakshapes.Xxd("0123456789"+testKey+"\n"),
	} {
		parts, _ := Expand(bs(in), DefaultLimits)
		if len(parts) != 1 {
			t.Fatalf("parts %d, want 1", len(parts))
		}
		p := parts[0]
		o := p.Offset(bytes.Index(p.Data, bs(testKey)))
		want := strings.Index(in, testKey[:7])
		if p.How == "hex-dump" {
			want = strings.Index(in, "00000000:")
		}
		if o != want {
			t.Errorf("%s: key at %d, want %d (%q)", p.How, o, want, in[o:])
		}
	}
}

func xxdPlain(s string) string {
	h := fmt.Sprintf("%x", s)
	return leakshapes.Wrap(h, 60)
}

func concat(parts ...[]byte) string { return string(bytes.Join(parts, nil)) }

func utf32(s string, be, bom bool) string {
	if bom {
		s = "\ufeff" + s
	}
	var b []byte
	for _, r := range s {
		if be {
			b = append(b, 0, byte(r>>16), byte(r>>8), byte(r))
		} else {
			b = append(b, byte(r), byte(r>>8), byte(r>>16), 0)
		}
	}
	return string(b)
}

// xzDict2G is an xz stream whose block declares a 2 GiB dictionary.
func xzDict2G() []byte {
	b := bs(leakshapes.XZ(testEnv))
	// Block header: size, flags, filter ID 0x21, size 1, dictionary.
	i := bytes.Index(b[12:], []byte{0x21, 0x01}) + 12
	b[i+2] = 38 // 2 << (19+11): 2 GiB
	return b
}

// TestBase64Layers finds text base64-encoded any number of times, at a
// cost bounded by the text's length.
func TestBase64Layers(t *testing.T) {
	for n := 1; n <= 10; n++ {
		in := "v=" + leakshapes.B64Times("id="+testKey, n) + ";"
		out, _, cut := Base64(bs(in))
		if !bytes.Contains(out, bs(testKey)) || cut {
			t.Errorf("%d layers: %q, cut %v", n, out, cut)
		}
	}
	// A budget below what the layers take stops, and says so.
	in := bs(leakshapes.B64Times("id="+testKey, 6))
	budget := int64(len(in) * 2)
	out, _ := base64Layer(in, &budget)
	if budget >= 0 || bytes.Contains(out, bs(testKey)) {
		t.Errorf("budget %d left, out %q", budget, out)
	}
}

// TestNegatives: decoding does not make text out of what is not.
func TestNegatives(t *testing.T) {
	png := base64.StdEncoding.EncodeToString(append(bs("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, 0}, 300)...))
	for _, in := range []string{
		"plain text with &amp; and a = sign and 3D printing\n",
		"data:image/png;base64," + leakshapes.Wrap(png, 76),
	} {
		parts, gaps := Expand(bs(in), DefaultLimits)
		for _, p := range parts {
			if bytes.Contains(p.Data, bs("AKIA")) {
				t.Errorf("%q decoded to %q", in[:20], p.Data)
			}
		}
		if len(gaps) > 0 {
			t.Errorf("gaps %q", gaps)
		}
	}
}

// gnuSparse is an old GNU sparse member ('S') of one data region: the
// file is a hole of 1000 bytes, then data.
func gnuSparse(name, data string) []byte {
	h := leakshapes.TarHeader(name, 'S', len(data))
	copy(h[257:], "ustar  \x00") // GNU magic
	copy(h[386:], fmt.Sprintf("%011o\x00%011o\x00", 1000, len(data)))
	copy(h[483:], fmt.Sprintf("%011o\x00", 1000+len(data)))
	copy(h[148:], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	out := append(h, data...)
	return append(out, make([]byte, (512-len(data)%512)%512)...)
}

func TestTarGNUSparse(t *testing.T) {
	b := bs(concat(gnuSparse("sparse.env", testEnv), leakshapes.TarEnd()))
	parts, gaps := Expand(b, DefaultLimits)
	if len(parts) != 1 || parts[0].Path != "sparse.env" || !bytes.Contains(parts[0].Data, bs(testKey)) || len(gaps) > 0 {
		t.Fatalf("parts %d, gaps %q", len(parts), gaps)
	}
}

// TestSmallStreamsSmallMemory: a small xz or zstd stream costs memory of
// its size, not of the window its header declares (xz -6 declares 8 MiB).
func TestSmallStreamsSmallMemory(t *testing.T) {
	for _, in := range []string{leakshapes.XZ(testEnv), leakshapes.Zstd(testEnv), leakshapes.ZipRaw("a", 95, 0, bs(leakshapes.XZ(testEnv)), testEnv)} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		parts, _ := Expand(bs(in), DefaultLimits)
		runtime.ReadMemStats(&after)
		if len(parts) != 1 || !bytes.Contains(parts[0].Data, bs(testKey)) {
			t.Fatalf("%q: not decoded", in[:6])
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%q: %d bytes allocated", in[:6], n)
		}
	}
}

// TestEncodedStreamPlacedAtItsToken checks that text decompressed from a
// base64 token in the blob's own text is placed at the token: a finding in
// it names the token's line, not a line of the decompressed text.
func TestEncodedStreamPlacedAtItsToken(t *testing.T) {
	tok := base64.StdEncoding.EncodeToString(gz(bs(testEnv)))
	blob := "package fixtures\n\n// gzip of an env file\nconst env = \"" + tok + "\"\n"
	parts, gaps := Expand(bs(blob), DefaultLimits)
	if len(gaps) > 0 {
		t.Fatalf("gaps: %v", gaps)
	}
	at := strings.Index(blob, tok)
	found := false
	for _, p := range parts {
		if p.How != "base64 > gzip" {
			continue
		}
		found = true
		i := strings.Index(string(p.Data), testKey)
		if i < 0 || p.Spans == nil || p.Offset(i) != at {
			t.Errorf("the key in %q is placed at %d, want the token at %d (spans %v)", p.How, p.Offset(i), at, p.Spans)
		}
	}
	if !found {
		t.Fatalf("no base64 > gzip part in %v", parts)
	}
}

// TestZstdWindowBeyondBoundIsAGap: klauspost's reader refuses a window
// beyond the bound only when it reads; that must be a gap, not nothing.
func TestZstdWindowBeyondBoundIsAGap(t *testing.T) {
	var parts []Part
	var gaps []string
	for _, d := range []byte{17 << 3, 20 << 3} { // 128 MiB, 1 GiB
		enc, err := zstd.NewWriter(nil, zstd.WithSingleSegment(false))
		if err != nil {
			t.Fatal(err)
		}
		blob := enc.EncodeAll(bs(testEnv), nil)
		enc.Close()
		if blob[4]&0x20 != 0 {
			t.Fatal("the encoder wrote a single-segment frame, which has no window descriptor")
		}
		blob[5] = d
		parts, gaps = Expand(blob, DefaultLimits)
		if len(gaps) != 1 || !strings.Contains(gaps[0], "window beyond the 64 MiB bound") {
			t.Errorf("window descriptor %#x: parts %d, gaps %q, want one gap naming the bound", d, len(parts), gaps)
		}
	}
}

// TestLZMAMemberDictionaryFitsTheMember: a member of a few bytes that
// declares a 64 MiB dictionary costs a few bytes, not 64 MiB, per member.
func TestLZMAMemberDictionaryFitsTheMember(t *testing.T) {
	var in bytes.Buffer
	w, err := lzma.WriterConfig{DictCap: 64 << 20}.NewWriter(&in)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bs(testEnv))
	w.Close()
	raw := in.Bytes() // props(1) dict(4) size(8) stream
	member := append([]byte{9, 20, 5, 0}, raw[:5]...)
	member = append(member, raw[13:]...)
	allocs := func(n int) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range n {
			r, err := lzmaReader(bytes.NewReader(member), uint64(len(testEnv)))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(r)
			if string(got) != testEnv {
				t.Fatalf("member decoded to %q", got)
			}
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	if per := allocs(20) / 20; per > 4<<20 {
		t.Errorf("a %d-byte member allocates %d MiB", len(testEnv), per>>20)
	}
}

// TestXZEveryBlockDictionaryIsBounded: a second stream (or block) that
// declares a 4 GiB dictionary behind a modest first one is a gap, not a
// 4 GiB allocation.
func TestXZEveryBlockDictionaryIsBounded(t *testing.T) {
	stream := func() []byte {
		var b bytes.Buffer
		w, err := xz.NewWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(bs(testEnv))
		w.Close()
		return b.Bytes()
	}
	first, second := stream(), stream()
	hdr := second[12 : 12+4*(int(second[12])+1)]
	at := bytes.Index(hdr, []byte{0x21, 0x01})
	if at < 0 {
		t.Fatal("no LZMA2 filter in the block header")
	}
	hdr[at+2] = 40 // 4 GiB - 1
	binary.LittleEndian.PutUint32(hdr[len(hdr)-4:], crc32.ChecksumIEEE(hdr[:len(hdr)-4]))
	blob := append(append([]byte{}, first...), second...)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, gaps := Expand(blob, DefaultLimits)
	runtime.ReadMemStats(&after)
	if len(gaps) != 1 || !strings.Contains(gaps[0], "window beyond the bound") {
		t.Errorf("gaps %q, want one naming the window", gaps)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 256<<20 {
		t.Errorf("expanding two small xz streams allocated %d MiB", got>>20)
	}
	// The two streams as they are decode, both.
	parts, gaps := Expand(append(append([]byte{}, first...), stream()...), DefaultLimits)
	if len(gaps) != 0 || len(parts) == 0 || strings.Count(string(parts[0].Data), testKey) != 2 {
		t.Errorf("two plain streams: gaps %q, %d parts", gaps, len(parts))
	}
}

// TestTextDecoderSpansPerRun: a run of encoded characters is one span, so
// the spans cost memory per run, not 32 bytes per 3 bytes of input.
func TestTextDecoderSpansPerRun(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		dec  func([]byte) ([]byte, []Span)
	}{
		{"quoted-printable", "x " + strings.Repeat("=3D", 1<<20) + " y", quotedPrintable},
		{"entities", "x " + strings.Repeat("&#65;", 1<<20) + " y", htmlEntities},
	} {
		out, spans := tt.dec(bs(tt.in))
		if len(spans) != 1 || len(out) != 1<<20+4 {
			t.Errorf("%s: %d spans and %d bytes out, want 1 span", tt.name, len(spans), len(out))
		}
	}
	// Encoded characters between plain ones: spans dense enough merge,
	// so they cost at most a few bytes per byte of input, and a key ID
	// after them is still placed on its line.
	for _, tt := range []struct {
		name, unit string
		dec        func([]byte) ([]byte, []Span)
	}{
		{"quoted-printable", "=3Da", quotedPrintable},
		{"entities", "&#65;a", htmlEntities},
	} {
		in := bs(strings.Repeat(tt.unit, 1<<18) + "\nkey " + testKey + "\n")
		out, spans := tt.dec(in)
		if size := len(spans) * int(unsafe.Sizeof(Span{})); size > 3*len(in) {
			t.Errorf("%s: %d spans, %d bytes for %d bytes of input", tt.name, len(spans), size, len(in))
		}
		if o := mapOffset(spans, bytes.Index(out, bs(testKey))); o != bytes.Index(in, bs(testKey)) {
			t.Errorf("%s: key placed at %d, want %d", tt.name, o, bytes.Index(in, bs(testKey)))
		}
	}
}
