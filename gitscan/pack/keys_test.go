package pack

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/keysweep/keysweep/gitscan/detect"
)

// encodeDelta writes ops (inserts carry their bytes in lit) as a git delta
// stream.
func encodeDelta(baseLen, resultLen int, ops []testOp) []byte {
	varint := func(d []byte, v int) []byte {
		for v >= 0x80 {
			d = append(d, byte(v)|0x80)
			v >>= 7
		}
		return append(d, byte(v))
	}
	d := varint(varint(nil, baseLen), resultLen)
	for _, o := range ops {
		if o.lit != nil {
			for lit := o.lit; len(lit) > 0; {
				n := min(len(lit), 127)
				d = append(append(d, byte(n)), lit[:n]...)
				lit = lit[n:]
			}
			continue
		}
		cmd := byte(0x80)
		var args []byte
		for k := range 4 {
			if b := byte(o.src >> (8 * k)); b != 0 {
				cmd |= 1 << k
				args = append(args, b)
			}
		}
		for k := range 3 {
			if b := byte(o.n >> (8 * k)); b != 0 {
				cmd |= 0x10 << k
				args = append(args, b)
			}
		}
		d = append(append(d, cmd), args...)
	}
	return d
}

type testOp struct {
	src, n int
	lit    []byte
}

// piece returns a random fragment of text rich in what decides a key ID:
// key IDs, their parts, base64 runs, separators and escapes.
func piece(r *rand.Rand) []byte {
	const b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	key := func() []byte {
		k := []byte([]string{"AKIA", "ASIA", "ABIA", "ACCA", "A3TX", "AIDA"}[r.IntN(6)])
		for range 16 {
			k = append(k, b32[r.IntN(32)])
		}
		return k
	}
	switch r.IntN(8) {
	case 0, 1:
		return key()
	case 2:
		k := key()
		return k[:r.IntN(len(k))]
	case 3:
		k := key()
		return k[r.IntN(len(k)):]
	case 4:
		return []byte([]string{`\n`, `\u002F`, `%2F`, `\x41`, `\t`, `\q`, `%zz`, "\n+", "keys/", "/20240101", "QUtJQ", "FLSU", "UVV0Sl", "A\x00K\x00I\x00A"}[r.IntN(14)])
	case 5:
		b := make([]byte, 1+r.IntN(30))
		for i := range b {
			b[i] = "abcXYZ019+/"[r.IntN(11)]
		}
		return b
	default:
		return []byte{" \n\t=:\"'x/,"[r.IntN(10)]}
	}
}

func text(r *rand.Rand, n int) []byte {
	var b []byte
	for len(b) < n {
		b = append(b, piece(r)...)
	}
	return b
}

// findKeys is what keyIDs promises on a whole blob: the key IDs
// Candidates reports and the markers of encoded ones.
func findKeys(b []byte) []int {
	out := detect.Candidates(nil, b)
	out = detect.Encoded(out, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// TestDeltaKeysMatchFind checks, on random deltas, that the key IDs found
// from a delta's windows and its base's key IDs are exactly those
// keyIDs finds in the whole result, and hold every one detect.Find finds.
func TestDeltaKeysMatchFind(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	var totalKeys, carried int
	for iter := range 20000 {
		base := text(r, 20+r.IntN(1500))
		var ops []testOp
		var result []byte
		for range 1 + r.IntN(12) {
			if r.IntN(3) == 0 {
				lit := text(r, 1+r.IntN(60))
				ops = append(ops, testOp{lit: lit})
				result = append(result, lit...)
				continue
			}
			src := r.IntN(len(base))
			n := 1 + r.IntN(min(len(base)-src, 400))
			ops = append(ops, testOp{src: src, n: n})
			result = append(result, base[src:src+n]...)
		}
		d := encodeDelta(len(base), len(result), ops)
		parsed, n, err := parseDelta(d, len(base), nil)
		if err != nil || n != len(result) {
			t.Fatalf("parseDelta: %d, %v", n, err)
		}
		out := make([]byte, n)
		apply(parsed, base, d, out)
		if string(out) != string(result) {
			t.Fatalf("iteration %d: apply gives a different result", iter)
		}
		want := findKeys(result)
		baseKeys := findKeys(base)
		ws := windows(nil, parsed, n)
		var scratch []byte
		built := deltaKeys(nil, parsed, ws, base, d, out, n, baseKeys, &scratch)
		gathered := deltaKeys(nil, parsed, ws, base, d, nil, n, baseKeys, &scratch)
		if !slices.Equal(built, want) || !slices.Equal(gathered, want) {
			t.Fatalf("iteration %d: key IDs at %v (built) and %v (gathered), keyIDs says %v", iter, built, gathered, want)
		}
		for _, m := range detect.Find(result) {
			if !slices.Contains(want, m.Start) {
				t.Fatalf("iteration %d: Find reports a key ID at %d that the windows miss", iter, m.Start)
			}
		}
		totalKeys += len(want)
		for _, s := range want {
			if !covered(ws, s, n) {
				carried++
			}
		}
	}
	t.Logf("%d key IDs, %d of them carried from the base outside every window", totalKeys, carried)
	if carried == 0 {
		t.Error("no key ID was carried through a copy: the test does not exercise propagation")
	}
}

func TestParseDeltaRejectsCorruption(t *testing.T) {
	base := []byte("0123456789")
	good := encodeDelta(10, 7, []testOp{{src: 2, n: 5}, {lit: []byte("xy")}})
	if _, _, err := parseDelta(good, 10, nil); err != nil {
		t.Fatalf("good delta: %v", err)
	}
	for name, d := range map[string][]byte{
		"base size":    encodeDelta(11, 7, []testOp{{src: 2, n: 5}, {lit: []byte("xy")}}),
		"result size":  encodeDelta(10, 8, []testOp{{src: 2, n: 5}, {lit: []byte("xy")}}),
		"copy too far": encodeDelta(10, 12, []testOp{{src: 8, n: 5}, {lit: []byte("xy")}}),
		"truncated":    good[:len(good)-1],
		"opcode 0":     append(slices.Clone(good[:2]), 0),
	} {
		if _, _, err := parseDelta(d, len(base), nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
