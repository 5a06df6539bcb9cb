package detect

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The reference finds key IDs the slow, obvious way: the DESIGN.md regular
// expression at every offset, then the boundary rule.
var (
	refKey    = regexp.MustCompile(`^(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}$`)
	refEscape = regexp.MustCompile(`(?:\\[ntr]|%[0-9A-Fa-f]{2}|\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4})$`)
)

func refB64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

func refFind(buf []byte) []int {
	var starts []int
	for s := 0; s+keyLen <= len(buf); s++ {
		if !refKey.Match(buf[s : s+keyLen]) {
			continue
		}
		if e := s + keyLen; e < len(buf) && refB64(buf[e]) {
			continue
		}
		if s > 0 && refB64(buf[s-1]) && !refEscape.Match(buf[max(0, s-6):s]) {
			continue
		}
		if !IsExample(string(buf[s : s+keyLen])) {
			starts = append(starts, s)
		}
	}
	return starts
}

// randomText is built to hit the scanner's edges: runs of upper-case
// letters and digits of every length around 20, key prefixes, escapes and
// base64 characters next to them.
func randomText(r *rand.Rand, n int) []byte {
	pieces := []string{
		"AKIA", "ASIA", "ABIA", "ACCA", "A3T", "AIDA", "A", "Q", "7", "1", "Z2",
		" ", "\n", "\r\n", "=", "/", "+", "a", "x", `"`, "\\n", "%3D", "\\u0022", "\\x41", "_", "\xff",
	}
	var b []byte
	for len(b) < n {
		switch r.IntN(4) {
		case 0:
			b = append(b, randString(r.Uint64(), 14+r.IntN(10), alphaB32)...)
		case 1:
			b = append(b, fakeKey(pieces[r.IntN(5)], r.Uint64())...)
		default:
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
	}
	return b
}

func TestFindMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	found := 0
	for i := range 3000 {
		buf := randomText(r, 1+r.IntN(400))
		want := refFind(buf)
		var got []int
		for _, m := range Find(buf) {
			got = append(got, m.Start)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: Find starts %v, reference %v in %q", i, got, want, buf)
		}
		if may := MayContain(buf); !may && len(want) > 0 {
			t.Fatalf("case %d: MayContain false, reference finds %v", i, want)
		}
		found += len(want)
	}
	if found < 1000 {
		t.Errorf("only %d key IDs in the random texts; the test is too weak", found)
	}
}

func FuzzFind(f *testing.F) {
	for _, tt := range findTests {
		f.Add([]byte(expand.Replace(tt.in)))
	}
	f.Add([]byte(strings.Repeat("A", 100)))
	f.Fuzz(func(t *testing.T, buf []byte) {
		ms := Find(buf)
		if len(ms) > 0 && !MayContain(buf) {
			t.Fatal("MayContain false but Find finds keys")
		}
		starts := refFind(buf)
		if len(starts) != len(ms) {
			t.Fatalf("Find found %d key IDs, reference %d", len(ms), len(starts))
		}
		for i, m := range ms {
			if m.Start != starts[i] {
				t.Fatalf("match %d at %d, reference at %d", i, m.Start, starts[i])
			}
			checkOffsets(t, string(buf), m)
			if m.SessionToken != "" && !strings.HasPrefix(m.KeyID, "ASIA") {
				t.Errorf("%s has a session token", m.KeyID)
			}
		}
	})
}
