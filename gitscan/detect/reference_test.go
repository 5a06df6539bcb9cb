package detect

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The reference finds key IDs the slow, obvious way: the documented regular
// expression (README, "What it finds") at every offset, then the boundary rule.
var (
	refKey    = regexp.MustCompile(`^(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}$`)
	refEscape = regexp.MustCompile(`(?:\\[ntr]|%[0-9A-Fa-f]{2}|\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4})$`)
	// An ANSI colour code, within ContextBefore bytes.
	refANSI = regexp.MustCompile(`(?:\x1b|\\033|\\[eE]|\\x1[bB]|\\u001[bB])\[[0-9;]*m$`)
	// A secret glued after a '/'.
	refGlued = regexp.MustCompile(`^/[A-Za-z0-9+/]{40}(?:[^A-Za-z0-9+/]|$)`)
)

// The boundary rule for '/': the path segment on the far side of it must
// read like a word, not like a piece of base64.
var (
	refWord      = regexp.MustCompile(`^(?:[0-9]*|[A-Z][a-z]*(?:[A-Z][a-z]{2,})*|[a-z]+(?:[A-Z][a-z]{2,})+|[a-z]*[0-9]*|[A-Z]*[0-9]*|[a-z0-9]{1,8}|[A-Z0-9]{1,8})$`)
	refSegBefore = regexp.MustCompile(`(?:^|([^A-Za-z0-9]))([A-Za-z0-9]*)$`)
	refSegAfter  = regexp.MustCompile(`^([A-Za-z0-9]*)(.?)`)
)

// Only the maxSegment characters next to the '/' are judged; the '+' that
// may come before or after the segment only if the segment is shorter.
func refPathBefore(b []byte) bool {
	m := refSegBefore.FindSubmatch(b)
	if seg := m[2]; len(seg) > maxSegment {
		return refWord.Match(seg[len(seg)-maxSegment:])
	}
	return string(m[1]) != "+" && refWord.Match(m[2])
}

func refPathAfter(b []byte) bool {
	m := refSegAfter.FindSubmatch(b)
	if seg := m[1]; len(seg) > maxSegment {
		return refWord.Match(seg[:maxSegment])
	}
	return string(m[2]) != "+" && refWord.Match(m[1])
}

// A '+' joins a word to a key ID nothing base64 follows: a word shorter
// than maxSegment with nothing base64 before it.
func refPlusBefore(b []byte) bool {
	m := refSegBefore.FindSubmatch(b)
	seg := m[2]
	return len(seg) > 0 && len(seg) < maxSegment && (len(m[1]) == 0 || !refB64(m[1][0])) && refWord.Match(seg)
}

func refB64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

func refFind(buf []byte) []int {
	var starts []int
	for s := 0; s+keyLen <= len(buf); s++ {
		if !refKey.Match(buf[s : s+keyLen]) {
			continue
		}
		e := s + keyLen
		alone := e == len(buf) || !refB64(buf[e])
		if !alone && !(buf[e] == '/' && (refPathAfter(buf[e+1:]) || refGlued.Match(buf[e:]))) {
			continue
		}
		if s > 0 && refB64(buf[s-1]) && !refEscape.Match(buf[max(0, s-6):s]) && !refANSI.Match(buf[max(0, s-ContextBefore):s]) &&
			!(buf[s-1] == '+' && (s == 1 || buf[s-2] == '\n' || alone && refPlusBefore(buf[:s-1]))) &&
			!(buf[s-1] == '/' && refPathBefore(buf[:s-1])) {
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
		"/", "/", "\n+", "keys", "20240101", "Users", "aws4", "xY9q", "abcdefghijklmnopqr", "s3://",
		"deployBot", "AccessKeys", "aBcD", "+", "key+", "\x1b[32m", "\x1b[1;38;5;208m", `\033[0m`, "v2beta1", "x1y2z3w4q",
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
	for i := range 5000 {
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

// refCandidates walks every run in buf, not just the windows around key
// IDs, and keeps the candidates that some key ID can reach.
func refCandidates(buf []byte, ms []Match) (secrets, tokens []cand) {
	// '+' and '/' escaped: in a URL, in JSON (PHP's and .NET's), in HTML.
	esc := regexp.MustCompile(`^(?:%2[BbFf]|\\/|\\u002[BbFf]|&#4[37];|&#[xX]2[BbFf];)`)
	step := func(i int) int {
		if c := buf[i]; c != '%' && c != '\\' && c != '&' {
			if refB64(c) {
				return 1
			}
			return 0
		}
		if m := esc.Find(buf[i:min(i+6, len(buf))]); m != nil {
			return len(m)
		}
		if refB64(buf[i]) {
			return 1
		}
		return 0
	}
	unescape := strings.NewReplacer("%2B", "+", "%2b", "+", "%2F", "/", "%2f", "/", `\/`, "/", `\u002B`, "+", `\u002b`, "+", `\u002F`, "/", `\u002f`, "/",
		"&#43;", "+", "&#47;", "/", "&#x2B;", "+", "&#x2b;", "+", "&#X2B;", "+", "&#X2b;", "+", "&#x2F;", "/", "&#x2f;", "/", "&#X2F;", "/", "&#X2f;", "/")
	var keyStarts []int // TestFindMatchesReference checks these
	for _, m := range ms {
		keyStarts = append(keyStarts, m.Start)
	}
	for s := 0; s < len(buf); {
		if step(s) == 0 {
			s++
			continue
		}
		e := s
		for e < len(buf) && step(e) > 0 {
			e += step(e)
		}
		r := s + escapeTail(buf, s, e)
		val := unescape.Replace(string(buf[r:e]))
		if r < e && buf[r] == '+' && len(val) == secretLen+1 && (r == 0 || buf[r-1] == '\n') {
			r, val = r+1, val[1:] // a patch's added line
		}
		// A secret glued to its key ID: "ID/SECRET".
		if g := e - secretLen - 1 - keyLen; len(val) > secretLen && len(val) == e-r && g >= r && buf[g+keyLen] == '/' && slices.Contains(keyStarts, g) {
			r, val = e-secretLen, val[len(val)-secretLen:]
		}
		dec := ""
		if len(val) != e-r {
			dec = val
		}
		if len(val) == secretLen {
			// Naming is not what this reference checks: it names as
			// candidates does.
			named, foreign := secretName(nameOf(buf, r))
			if !foreign && plausibleSecret([]byte(val), named) {
				secrets = append(secrets, cand{start: r, end: e, named: named, val: dec})
			}
		}
		if len(val) >= minTokenLen {
			pad := e
			for pad < len(buf) && pad-e < 2 && buf[pad] == '=' {
				pad++
			}
			if c, ok := token(buf, r, pad); ok {
				c.val = dec
				if dec != "" {
					c.val += string(buf[e:pad])
				}
				tokens = append(tokens, c)
			}
		}
		s = e
	}
	return reachable(buf, ms, secrets), reachable(buf, ms, tokens)
}

func reachable(buf []byte, ms []Match, cs []cand) []cand {
	var out []cand
	for _, c := range cs {
		c.line = bytes.Count(buf[:c.start], []byte{'\n'})
		for _, m := range ms {
			if _, ok := score(m, bytes.Count(buf[:m.Start], []byte{'\n'}), c); ok {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

func TestCandidatesMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	pieces := []string{"\n", "\n", " ", ",", "=", "\\n", "aws_secret_access_key = ", "SessionToken: ", "word ", "/", "%2B", "%2f", "\n+", "%",
		`\/`, `\u002B`, `\u002f`, "&#43;", "&#x2F;", "&", ";", `\`}
	total := 0
	for i := range 500 {
		var b []byte
		for size := 200 + r.IntN(40000); len(b) < size; {
			switch r.IntN(8) {
			case 0:
				b = append(b, fakeKey([]string{"AKIA", "ASIA"}[r.IntN(2)], r.Uint64())...)
			case 1:
				b = append(b, fakeSecret(r.Uint64())...)
			case 2:
				b = append(b, fakeToken(r.Uint64(), 100+r.IntN(300))...)
			case 3:
				b = append(b, randString(r.Uint64(), 30+r.IntN(20), alphaB64)...)
			case 4:
				b = append(b, strings.Repeat("filler text;", r.IntN(200))...)
			}
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		ms := Find(b) // fills secrets, but candidates only needs offsets
		if len(ms) == 0 {
			continue
		}
		gotS, gotT := candidates(b, ms, true)
		wantS, wantT := refCandidates(b, ms)
		gotS, gotT = reachable(b, ms, gotS), reachable(b, ms, gotT)
		if !slices.Equal(gotS, wantS) || !slices.Equal(gotT, wantT) {
			for _, c := range gotS {
				t.Logf("got %d %q", c.start, b[max(c.start-20, 0):min(c.end+8, len(b))])
			}
			for _, c := range wantS {
				t.Logf("want %d %q", c.start, b[max(c.start-20, 0):min(c.end+8, len(b))])
			}
			t.Fatalf("case %d: candidates %d secrets, %d tokens; reference %d, %d", i, len(gotS), len(gotT), len(wantS), len(wantT))
		}
		total += len(wantS) + len(wantT)
	}
	t.Logf("%d candidates", total)
	if total < 1000 {
		t.Errorf("only %d candidates in the random texts; the test is too weak", total)
	}
}

// TestContext checks the promise of the detectors' context (context.go):
// the verdict on a key ID at s does not change whatever the bytes outside
// buf[s-ContextBefore : s+ContextAfter] are, nor that on a marker outside
// buf[s : s+EncodedContextAfter]; and pairing within reach is decided
// within MaxContext. The pack engine's windows and the streamed scan's
// overlap rely on it; a detector change that looks further fails here.
func TestContext(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	fillers := []byte{'a', 'A', '7', '/', '+', '\n', '=', ' ', '\\', '%'}
	// Find's verdict and the looser one of Candidates, each with the
	// bytes after the key ID it depends on.
	verdicts := []struct {
		name  string
		after int
		is    func(buf []byte, s int) bool
	}{
		{"Find", ContextAfter, func(buf []byte, s int) bool { return keyAt(buf, s, false) && !isExample(buf[s:s+keyLen]) }},
		{"Candidates", CandidateAfter, func(buf []byte, s int) bool { return slices.Contains(Candidates(nil, buf), s) }},
	}
	checked, found, looser := 0, 0, 0
	for i := range 3000 {
		buf := randomText(r, 1+r.IntN(300))
		if i%2 == 1 {
			// A key ID before a '/' and a path or a glued secret, where
			// the two verdicts differ in what they look at.
			tail := []string{"/" + fakeSecret(uint64(i)), "/docs", "/" + fakeSecret(uint64(i))[:30], "/x"}[i/2%4]
			buf = append(buf[:len(buf)/2], append([]byte(fakeKey("AKIA", uint64(i))+tail), buf[len(buf)/2:]...)...)
		}
		other := make([]byte, len(buf))
		cands := Candidates(nil, buf)
		for s := 0; s+keyLen <= len(buf); s++ {
			if !refKey.Match(buf[s : s+keyLen]) {
				continue
			}
			for _, v := range verdicts {
				want := v.is(buf, s)
				a, b := max(s-ContextBefore, 0), min(s+v.after, len(buf))
				for _, f := range fillers {
					for j := range other {
						other[j] = f
						if j >= a && j < b {
							other[j] = buf[j]
						}
					}
					if got := v.is(other, s); got != want {
						t.Fatalf("case %d: %s's verdict at %d is %v, %v with bytes outside the context set to %q: %q", i, v.name, s, want, got, f, buf)
					}
				}
			}
			find, cand := verdicts[0].is(buf, s), slices.Contains(cands, s)
			if find && !cand {
				t.Fatalf("case %d: Find reports the key ID at %d, Candidates does not: %q", i, s, buf)
			}
			checked++
			if find {
				found++
			} else if cand {
				looser++
			}
		}
	}
	if checked < 3000 || found < 500 || looser < 50 {
		t.Errorf("only %d key-shaped strings, %d key IDs, %d candidates only: the test is too weak", checked, found, looser)
	}

	// The markers of encoded key IDs: the verdict at s depends only on
	// buf[s : s+EncodedContextAfter].
	markers := 0
	for i := range 2000 {
		text := string(randomText(r, r.IntN(40))) + "=" + fakeKey([]string{"AKIA", "ASIA"}[i%2], uint64(i)) + "\n"
		enc := base64.StdEncoding.EncodeToString([]byte(text))
		if i%3 == 0 {
			enc = base64.RawURLEncoding.EncodeToString([]byte(text))
		}
		buf := append(randomText(r, r.IntN(50)), enc...)
		buf = append(buf, randomText(r, r.IntN(50))...)
		other := make([]byte, len(buf))
		for _, s := range Encoded(nil, buf) {
			markers++
			a, b := s, min(s+EncodedContextAfter, len(buf))
			for _, f := range fillers {
				for j := range other {
					other[j] = f
					if j >= a && j < b {
						other[j] = buf[j]
					}
				}
				if !slices.Contains(Encoded(nil, other), s) {
					t.Fatalf("case %d: marker at %d gone with bytes outside its context set to %q", i, s, f)
				}
			}
		}
	}
	if markers < 2000 {
		t.Errorf("only %d markers: the test is too weak", markers)
	}

	// Context is what the pack engine's window is, and MaxContext covers
	// it and the pairing reach: a key ID's verdict and its pairing with a
	// secret or token as far as pairing reaches are the same in the
	// buffer cut to MaxContext bytes either side of it.
	if Context < ContextBefore+CandidateAfter || Context < ContextBefore+EncodedContextAfter || findContext < ContextBefore+ContextAfter {
		t.Fatalf("Context %d is narrower than the contexts it spans", Context)
	}
	// So is the pairing of several credentials by their sections, however
	// far before the key ID the block it is in was opened: here the
	// secret in K1's block is farther than the one after the block ends.
	for i, far := range []int{0, 1000, namedBytes - 500, namedBytes + 500, MaxContext, 2 * MaxContext} {
		k1, k2, s1, s2, s3 := fakeKey("AKIA", uint64(950+i)), fakeKey("AKIA", uint64(960+i)), fakeSecret(uint64(950+i)), fakeSecret(uint64(960+i)), fakeSecret(uint64(970+i))
		deep := strings.Repeat("  # "+strings.Repeat("x", 72)+"\n", far/80)
		buf := []byte("prod:\n" + deep + "  secret_access_key: " + s1 + "\n" + strings.Repeat("  # nothing here\n", 20) +
			"  access_key_id: " + k1 + "\ntop_secret_key: " + s3 + "\n" + deep + "dev:\n  access_key_id: " + k2 + "\n  secret_access_key: " + s2 + "\n")
		whole := Find(buf)
		for _, m := range whole {
			a, b := max(m.Start-MaxContext, 0), min(m.Start+MaxContext, len(buf))
			var cut *Match
			for _, c := range Find(buf[a:b]) {
				if c.KeyID == m.KeyID {
					cut = &c
				}
			}
			if cut == nil {
				t.Fatalf("block opened %d bytes before: %s not found cut to MaxContext", far, m.KeyID)
			}
			if cut.Secret != m.Secret {
				t.Fatalf("block opened %d bytes before: %s paired with %s in the whole buffer, cut to MaxContext %s", far, m.KeyID, redact(m.Secret), redactMatch(*cut))
			}
		}
		if len(whole) != 2 || whole[1].Secret != s2 || far < namedBytes && whole[0].Secret != s1 {
			t.Fatalf("block opened %d bytes before: %v", far, redactMatches(whole))
		}
	}
	for i, far := range []int{0, 100, nearBytes - 100, namedBytes - 200} {
		key, secret := fakeKey("ASIA", uint64(900+i)), fakeSecret(uint64(900+i))
		token := fakeToken(uint64(900+i), 3000)
		pad := "# " + strings.Repeat("x", far) + "\n"
		buf := []byte(pad + pad + pad + "aws_secret_access_key = " + secret + "\n" + pad + "id = " + key + "\n" + pad + "aws_session_token = " + token + "\n" + pad + pad + pad)
		s := bytes.Index(buf, []byte(key))
		a, b := max(s-MaxContext, 0), min(s+MaxContext, len(buf))
		whole, cut := Find(buf), Find(buf[a:b])
		if len(whole) != 1 || len(cut) != 1 || whole[0].Secret != secret || cut[0].Secret != whole[0].Secret || cut[0].SessionToken != whole[0].SessionToken || whole[0].SessionToken != token {
			t.Fatalf("distance %d: whole buffer %v, cut to MaxContext %v", far, redactMatches(whole), redactMatches(cut))
		}
	}
}

func redactMatches(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, redactMatch(m))
	}
	return out
}
