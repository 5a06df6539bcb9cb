package gitscan

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/leakshapes"
)

// TestStreamedBlob plants keys in a blob far larger than the streaming
// threshold, at window edges and in the middle, and checks that the
// streamed scan finds exactly what reading the blob whole finds, on the
// same lines and columns.
func TestStreamedBlob(t *testing.T) {
	r := gittest.New(t)
	k1, s1 := gittest.FakeKey(401)
	k2, s2 := gittest.FakeKey(402)
	k3, _ := gittest.FakeKey(403)
	var b bytes.Buffer
	line := 1
	put := func(s string) {
		b.WriteString(s)
		line += strings.Count(s, "\n")
	}
	lines := map[string]int{}
	for b.Len() < 3<<20 {
		switch {
		case lines[k1] == 0 && b.Len() > 1<<20:
			lines[k1] = line
			put(envFile(k1, s1))
		case lines[k2] == 0 && b.Len() > 2<<20:
			// A long line of multi-byte runes before the key: columns
			// count runes across window edges.
			lines[k2] = line
			put(strings.Repeat("é", 70000) + " aws_access_key_id = " + k2 + "\naws_secret_access_key = " + s2 + "\n")
		default:
			put(fmt.Sprintf("line %d of filler text\n", line))
		}
	}
	lines[k3] = line
	put("last " + k3) // at the very end, with no newline
	r.Write("big.txt", b.String())
	c := r.Commit("big")

	whole := scanOK(t, r.Dir, Options{})
	complete(t, whole)
	streamed := scanOK(t, r.Dir, Options{StreamThreshold: 256 << 10})
	complete(t, streamed)
	if got, want := summarize(streamed.Leaks), summarize(whole.Leaks); got != want {
		t.Fatalf("streamed scan found\n%s\nwhole scan found\n%s", got, want)
	}
	for _, k := range []string{k1, k2, k3} {
		l := wantLeak(t, streamed, k, "big.txt", c, true)
		w := wantLeak(t, whole, k, "big.txt", c, true)
		if l.Line != lines[k] || l.Line != w.Line || l.Column != w.Column || l.Secret != w.Secret {
			t.Errorf("%s: streamed line %d col %d, whole line %d col %d, planted on line %d", k, l.Line, l.Column, w.Line, w.Column, lines[k])
		}
	}
	if l := wantLeak(t, streamed, k2, "big.txt", c, true); l.Column != 70000+len(" aws_access_key_id = ")+1 || l.Secret.IsZero() {
		t.Errorf("k2: column %d secret paired %v", l.Column, !l.Secret.IsZero())
	}
	// Packed, the blob is a whole pack entry, streamed too.
	r.Repack()
	packed := scanOK(t, r.Dir, Options{StreamThreshold: 256 << 10})
	if got, want := summarize(packed.Leaks), summarize(whole.Leaks); got != want {
		t.Fatalf("packed streamed scan found\n%s\nwant\n%s", got, want)
	}
}

// TestStreamedBlobDecoded: a streamed blob gets the decoding a blob read
// whole gets. Base64 values placed across window edges are found on the
// same lines and columns, and an archive above the streaming threshold is
// opened (read whole within decode's bound).
func TestStreamedBlobDecoded(t *testing.T) {
	r := gittest.New(t)
	var b bytes.Buffer
	var keys []string
	for i := 0; b.Len() < 1<<20; i++ {
		if i%97 == 13 {
			k, s := gittest.FakeKey(410 + len(keys))
			keys = append(keys, k)
			b.WriteString("  value: " + base64.StdEncoding.EncodeToString([]byte(envFile(k, s))) + "\n")
			continue
		}
		fmt.Fprintf(&b, "line %d of filler text, long enough to move the next value along\n", i)
	}
	r.Write("big.yaml", b.String())

	zk, zs := gittest.FakeKey(440)
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	filler, _ := zw.CreateHeader(&zip.FileHeader{Name: "lib/blob.bin", Method: zip.Store})
	rng := rand.New(rand.NewPCG(7, 7))
	for range 400 << 10 {
		filler.Write([]byte{byte(rng.Uint32())})
	}
	w, _ := zw.Create("conf/app.env")
	w.Write([]byte(envFile(zk, zs)))
	zw.Close()
	r.Write("big.zip", z.String())
	c := r.Commit("big")

	whole := scanOK(t, r.Dir, Options{})
	complete(t, whole)
	if len(keys) < 8 {
		t.Fatalf("only %d keys planted", len(keys))
	}
	for _, k := range keys {
		if l := wantLeak(t, whole, k, "big.yaml", c, true); l.Decoded != "base64" || l.Secret.IsZero() {
			t.Fatalf("%s: decoded %q, secret paired %v", k, l.Decoded, !l.Secret.IsZero())
		}
	}
	wantLeak(t, whole, zk, "big.zip!conf/app.env", c, true)
	for _, name := range []string{"loose", "packed"} {
		if name == "packed" {
			r.Repack()
		}
		streamed := scanOK(t, r.Dir, Options{StreamThreshold: 256 << 10})
		complete(t, streamed)
		if got, want := summarize(streamed.Leaks), summarize(whole.Leaks); got != want {
			t.Fatalf("%s: streamed scan found\n%s\nwhole scan found\n%s", name, got, want)
		}
		for _, k := range keys {
			l, w := wantLeak(t, streamed, k, "big.yaml", c, true), wantLeak(t, whole, k, "big.yaml", c, true)
			if l.Line != w.Line || l.Column != w.Column || l.Decoded != w.Decoded || l.Secret != w.Secret {
				t.Errorf("%s: %s streamed line %d col %d %q, whole line %d col %d %q", name, k, l.Line, l.Column, l.Decoded, w.Line, w.Column, w.Decoded)
			}
		}
		wantLeak(t, streamed, zk, "big.zip!conf/app.env", c, true)
	}
}

// TestStreamedUnicode: UTF-16 and UTF-32 text above the streaming
// threshold is transcoded as it streams, paired and labelled as a blob
// read whole is.
func TestStreamedUnicode(t *testing.T) {
	r := gittest.New(t)
	enc := map[string]func(string) string{
		"utf-16le": func(s string) string {
			var b []byte
			for _, u := range utf16.Encode([]rune(s)) {
				b = append(b, byte(u), byte(u>>8))
			}
			return "\xff\xfe" + string(b)
		},
		"utf-32be": func(s string) string {
			var b []byte
			for _, c := range s {
				b = append(b, byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
			}
			return string(b)
		},
	}
	keys := map[string][2]string{}
	for i, name := range []string{"utf-16le", "utf-32be"} {
		k, s := gittest.FakeKey(470 + i)
		keys[name] = [2]string{k, s}
		text := strings.Repeat("filler line of a large log written by a Windows service\r\n", 12000) + envFile(k, s) + "done\r\n"
		r.Write(name+".log", enc[name](text))
	}
	c := r.Commit("large unicode logs")
	for _, threshold := range []int64{0, 256 << 10} {
		res := scanOK(t, r.Dir, Options{StreamThreshold: threshold})
		complete(t, res)
		for name, ks := range keys {
			l := wantLeak(t, res, ks[0], name+".log", c, true)
			if l.Decoded != name || l.Secret.Reveal() != ks[1] || l.Line != 12001 {
				t.Errorf("threshold %d: %s: decoded %q, line %d, secret paired %v", threshold, name, l.Decoded, l.Line, l.Secret.Reveal() == ks[1])
			}
		}
	}
}

// TestStreamedEncodedArchive: archives are opened in blobs read whole; a
// base64-encoded one in a blob above the streaming threshold is named as
// not opened (the scan is partial), never skipped in silence. Read whole,
// the same blob gives up its key.
func TestStreamedEncodedArchive(t *testing.T) {
	r := gittest.New(t)
	k, s := gittest.FakeKey(480)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(envFile(k, s)))
	zw.Close()
	r.Write("values.yaml", strings.Repeat("# a long values file of a chart, nothing secret in it\n", 8000)+
		"bundle: "+base64.StdEncoding.EncodeToString(gz.Bytes())+"\n")
	c := r.Commit("chart values")
	whole := scanOK(t, r.Dir, Options{})
	complete(t, whole)
	if l := wantLeak(t, whole, k, "values.yaml", c, true); !strings.Contains(l.Decoded, "gzip") || l.Secret.Reveal() != s {
		t.Errorf("read whole: decoded %q, secret paired %v", l.Decoded, l.Secret.Reveal() == s)
	}
	streamed := scanOK(t, r.Dir, Options{StreamThreshold: 256 << 10})
	// An archive's marker inside a base64 run is chance, not an archive:
	// no gap for it.
	noise := gittest.New(t)
	rng := rand.New(rand.NewPCG(5, 5))
	raw := make([]byte, 600<<10)
	for i := range raw {
		raw[i] = byte(rng.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	enc = enc[:len(enc)/2] + "H4sIAAAAAAAA" + enc[len(enc)/2:]
	noise.Write("blob.b64", leakshapes.Wrap(enc, 76))
	noise.Commit("random base64")
	complete(t, scanOK(t, noise.Dir, Options{StreamThreshold: 256 << 10}))

	at := strings.Index(r.Git("show", c+":values.yaml"), "bundle: ") + len("bundle: ")
	if got := strings.Join(streamed.Skipped, "\n"); !strings.Contains(got, fmt.Sprintf("a base64-encoded archive at byte %d is not opened", at)) {
		t.Errorf("streamed: skipped %q, want the archive named as not opened", streamed.Skipped)
	}
}
