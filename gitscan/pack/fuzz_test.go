package pack

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fuzzRepo makes the least git directory repo.Open reads, without
// running git (a fuzz target runs thousands of times).
func fuzzRepo(t *testing.T) string {
	dir := t.TempDir()
	for _, d := range []string{"objects/pack", "refs/heads"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "config"), []byte("[core]\n\trepositoryformatversion = 0\n\tbare = true\n"), 0o644)
	return dir
}

var fuzzBase = bytes.Repeat([]byte("aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"), 4)

// FuzzPackEntry feeds any bytes to the pack engine as the second entry
// of a pack (after a blob it may be a delta against) whose index gives
// their CRC-32: the scan, Read, Stream and Type must each end with a
// result or a short problem, never a panic, an internal error, a hang or
// memory the entry's bytes do not account for.
func FuzzPackEntry(f *testing.F) {
	delta := append(deltaHead(int64(len(fuzzBase)), 10), copyOp(nil, 0, 6)...)
	delta = append(append(delta, 4), "xyz\n"...)
	baseLen := int64(12 + len(entryHead(typeBlob, int64(len(fuzzBase)))) + len(zstored(fuzzBase)))
	seed := func(hdr []byte, z []byte) []byte { return append(slices.Clone(hdr), z...) }
	baseID, otherID := objID("base"), objID("x")
	f.Add(seed(entryHead(typeBlob, 5), zdeflate([]byte("hello"))))
	f.Add(seed(entryHead(typeTree, 28), zdeflate(append([]byte("100644 a\x00"), make([]byte, 20)...))))
	f.Add(seed(entryHead(typeCommit, 11), zdeflate([]byte("tree 00000\n"))))
	f.Add(seed(append(entryHead(typeOfsDelta, int64(len(delta))), ofsHead(baseLen-12)...), zdeflate(delta)))
	f.Add(seed(append(entryHead(typeRefDelta, int64(len(delta))), baseID.Bytes()...), zdeflate(delta)))
	f.Add(seed(append(entryHead(typeRefDelta, int64(len(delta))), otherID.Bytes()...), zdeflate(delta)))
	f.Add(seed(entryHead(typeBlob, 1<<40), zstored(nil)))
	f.Fuzz(func(t *testing.T, entry []byte) {
		dir := fuzzRepo(t)
		c := craft{entries: []crafted{{id: objID("base"), typ: typeBlob, size: int64(len(fuzzBase)), z: zstored(fuzzBase)}}}
		c.add(crafted{id: objID("x"), typ: rawEntry, z: entry})
		c.write(t, dir, 0)
		st, err := openDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		res, err := st.Scan(context.Background(), Options{StreamThreshold: 1 << 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Problems {
			if s := p.String(); strings.Contains(s, "internal error") || len(s) > 400 {
				t.Fatalf("problem %q", s)
			}
		}
		if _, _, err := st.Read(objID("x")); err != nil && len(err.Error()) > 400 {
			t.Fatalf("Read: %.400s", err)
		}
		if r, _, err := st.Stream(objID("x")); err == nil {
			io.Copy(io.Discard, io.LimitReader(r, MaxObject))
			r.Close()
		}
		st.Type(objID("x"))
	})
}

// FuzzDelta applies any delta to any base: parseDelta either refuses it or
// gives operations within both, whose result gather and the key-ID
// carrying (deltaKeys) agree with.
func FuzzDelta(f *testing.F) {
	base := []byte("one AKIAIOSFODNN7EXAMPLE two\nthree\n")
	f.Add(base, encodeDelta(len(base), 10, []testOp{{src: 4, n: 5}, {lit: []byte("AKIA1")}}))
	f.Add(base, encodeDelta(len(base), len(base), []testOp{{src: 0, n: len(base)}}))
	f.Add(base, encodeDelta(len(base), 24, []testOp{{src: 0, n: 4}, {lit: []byte("AKIAIOSFODNN7EXAMPLE")}}))
	f.Add([]byte{}, []byte{0, 0})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		if deltaResult(delta) > 1<<20 {
			return // bounded before parsing, as the engine does
		}
		ops, n, err := parseDelta(delta, len(base), nil)
		if err != nil {
			return
		}
		out := make([]byte, n)
		apply(ops, base, delta, out)
		if got := gather(nil, ops, base, delta, 0, n); !bytes.Equal(got, out) {
			t.Fatalf("gather and apply differ")
		}
		want := findKeys(out)
		ws := windows(nil, ops, n)
		var scratch []byte
		built := deltaKeys(nil, ops, ws, base, delta, out, n, findKeys(base), &scratch)
		gathered := deltaKeys(nil, ops, ws, base, delta, nil, n, findKeys(base), &scratch)
		if !slices.Equal(built, want) || !slices.Equal(gathered, want) {
			t.Fatalf("key IDs at %v (built), %v (gathered), Find says %v", built, gathered, want)
		}
	})
}

// FuzzTree parses any tree and any delta of it: ParseTree and the pack
// engine's entry offsets (treeStarts, on a built delta result and on one
// gathered from base and delta) agree, and a malformed tree is refused
// by both.
func FuzzTree(f *testing.F) {
	id := objID("tree") // treeStarts takes the object name size from it
	hash := bytes.Repeat([]byte{0xab}, 20)
	tree := append(append([]byte("100644 a.txt\x00"), hash...), append([]byte("40000 dir\x00"), hash...)...)
	f.Add(tree, encodeDelta(len(tree), len(tree), []testOp{{src: 0, n: len(tree)}}))
	f.Add(tree, encodeDelta(len(tree), len(tree)+33, []testOp{{src: 0, n: 33}, {lit: append([]byte("100755 b\x00"), hash[:20]...)}, {src: 33, n: len(tree) - 33}}))
	f.Add(tree, encodeDelta(len(tree), 10, []testOp{{src: 3, n: 10}}))
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		w := &worker{s: &scanner{}}
		bl := &level{buf: base}
		w.treeStarts(bl, id, base, len(base), nil, nil, false)
		ents, err := ParseTree(base, 20)
		if (err != nil) != bl.broken || err == nil && len(ents) != len(bl.starts) {
			t.Fatalf("base: ParseTree %d entries, %v; treeStarts %d, broken %v", len(ents), err, len(bl.starts), bl.broken)
		}
		if bl.broken || deltaResult(delta) > 1<<20 {
			return
		}
		ops, n, err := parseDelta(delta, len(base), nil)
		if err != nil {
			return
		}
		out := make([]byte, n)
		apply(ops, base, delta, out)
		ents, err = ParseTree(out, 20)
		var want []int
		for i := 0; err == nil && i < n; {
			_, _, end, _ := nextEntry(out, i, 20)
			want = append(want, i)
			i = end
		}
		w.dbuf = delta
		for _, built := range [][]byte{out, nil} {
			lv := &level{}
			w.treeStarts(lv, id, built, n, ops, bl, false)
			if (err != nil) != lv.broken || err == nil && !slices.Equal(lv.starts, want) {
				t.Fatalf("delta (built %v): ParseTree %d entries, %v; treeStarts %v, broken %v; want %v", built != nil, len(ents), err, lv.starts, lv.broken, want)
			}
		}
	})
}
