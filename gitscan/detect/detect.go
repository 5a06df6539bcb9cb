package detect

import (
	"math/bits"
	"strings"
)

// Match is one credential found in a buffer.
type Match struct {
	KeyID        string // e.g. AKIA...; never an IAM unique ID (AIDA/AROA/...)
	Start        int    // byte offset of KeyID in the buffer
	Secret       string // 40-char secret access key paired with KeyID, "" if none
	SecretStart  int    // byte offset of Secret, -1 if none
	SessionToken string // for ASIA keys: the session token found near it, "" if none
}

// End returns the byte offset just past KeyID.
func (m Match) End() int { return m.Start + len(m.KeyID) }

const keyLen = 20

// Character classes, one table lookup per byte.
const (
	cUpper = 1 << iota // A-Z
	cLower             // a-z
	cDigit             // 0-9
	cBody              // A-Z2-7: the base32 alphabet of a key ID's last 16 characters
	cB64               // A-Za-z0-9+/: what a key ID or secret must not touch
	cHex               // 0-9a-fA-F
	cEsc               // % \ & # ;: what an escaped '+' or '/' in a secret holds besides base64 (see escAt)
)

var class = func() (t [256]uint8) {
	for c := range t {
		var k uint8
		switch {
		case 'A' <= c && c <= 'Z':
			k = cUpper | cBody | cB64
		case 'a' <= c && c <= 'z':
			k = cLower | cB64
		case '0' <= c && c <= '9':
			k = cDigit | cB64
			if '2' <= c && c <= '7' {
				k |= cBody
			}
		case c == '+' || c == '/':
			k = cB64
		}
		if '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' {
			k |= cHex
		}
		switch c {
		case '%', '\\', '&', '#', ';':
			k |= cEsc
		}
		t[c] = k
	}
	return t
}()

// Find returns every credential key ID in buf, in offset order, with the
// secret and session token paired to it. AWS documentation keys and
// placeholders are left out.
func Find(buf []byte) []Match {
	var ms []Match
	for off := 0; ; {
		s := indexKey(buf, off, false)
		if s < 0 {
			break
		}
		off = s + keyLen
		if isExample(buf[s:off]) {
			continue
		}
		ms = append(ms, Match{KeyID: string(buf[s:off]), Start: s, SecretStart: -1})
	}
	if len(ms) > 0 {
		pair(buf, ms)
	}
	return ms
}

// MayContain reports whether buf holds a well-formed key ID. It does not
// allocate and costs about as much as Find on a buffer without hits; false
// means Find returns nothing, true may still mean nothing if every key ID
// is an example.
func MayContain(buf []byte) bool {
	return indexKey(buf, 0, true) >= 0
}

// Candidates appends to out the offsets of the key IDs Find may report in
// buf, in order, without pairing them: every one Find reports and a few
// more, decided on fewer bytes (Context). A key ID followed by a '/' is
// one whatever follows the '/', where Find looks on for a path segment or
// a glued secret; the pack engine scans a delta's result in windows as
// wide as the context, so a narrower one is less of every blob version
// read, and a blob it reports that Find does not costs one more read.
func Candidates(out []int, buf []byte) []int {
	for off := 0; ; {
		s := indexKey(buf, off, true)
		if s < 0 {
			return out
		}
		off = s + keyLen
		if !isExample(buf[s:off]) {
			out = append(out, s)
		}
	}
}

// indexKey returns the offset of the first key ID starting at or after
// from, or -1.
//
// A key ID is 20 bytes of [A-Z0-9], so probing every 20th byte is enough
// to land inside any of them; ordinary text rarely has an upper-case letter
// or digit at the probe, and a run that has one is walked to its end, which
// is the only place a key ID inside that run can end. No byte is looked at
// twice, and most bytes are not looked at at all. loose is keyAt's.
func indexKey(buf []byte, from int, loose bool) int {
	n := len(buf)
	for i := from + keyLen - 1; i < n; {
		if class[buf[i]]&(cUpper|cDigit) == 0 {
			i += keyLen
			continue
		}
		e := i + 1
		for e < n && class[buf[e]]&(cUpper|cDigit) != 0 {
			e++
		}
		if s := e - keyLen; s >= from && keyAt(buf, s, loose) {
			return s
		}
		i = e + keyLen
	}
	return -1
}

// keyAt reports whether a key ID, with its boundaries, starts at s. If
// loose, a '/' after it is enough (see Candidates): the verdict depends on
// no byte past the one after the key ID.
func keyAt(buf []byte, s int, loose bool) bool {
	k := buf[s : s+keyLen]
	if k[0] != 'A' {
		return false
	}
	switch string(k[1:4]) {
	case "KIA", "SIA", "BIA", "CCA":
	default:
		if k[1] != '3' || k[2] != 'T' || class[k[3]]&(cUpper|cDigit) == 0 {
			return false
		}
	}
	for _, c := range k[4:] {
		if class[c]&cBody == 0 {
			return false
		}
	}
	e := s + keyLen
	alone := e == len(buf) || class[buf[e]]&cB64 == 0 // nothing base64 after it
	if !alone && !(buf[e] == '/' && (loose || pathAfter(buf, e+1) || secretAfter(buf, e+1))) {
		return false
	}
	if s == 0 || class[buf[s-1]]&cB64 == 0 || escapeEndsAt(buf, s) {
		return true
	}
	switch buf[s-1] {
	case '+':
		// An added line of a patch ("+AKIA...,secret"), or a '+' joining
		// a word to a key ID that nothing base64 follows ("key+AKIA...",
		// "q=key+AKIA...&", a form-encoded space).
		return s == 1 || buf[s-2] == '\n' || alone && plusBefore(buf, s-1)
	case '/':
		return pathBefore(buf, s-1)
	}
	return false
}

// plusBefore reports whether the '+' at buf[i] joins a word to what
// follows it: the segment before it is a word as pathBefore has them, not
// empty ("a +AKIA..." is not one), shorter than maxSegment and with
// nothing base64 before it, so that it is not the end of a base64 run.
func plusBefore(buf []byte, i int) bool {
	j := i
	for j > 0 && i-j < maxSegment && class[buf[j-1]]&(cUpper|cLower|cDigit) != 0 {
		j--
	}
	return j < i && i-j < maxSegment && (j == 0 || class[buf[j-1]]&cB64 == 0) && wordish(buf[j:i])
}

// secretAfter reports whether a secret is glued to the key ID ending at
// buf[i-1] by the '/' there ("ID/SECRET", as some tools print a pair):
// exactly secretLen base64 characters, then nothing base64. A run of
// base64 that is 61 characters long and starts with a key ID and a '/' is
// not something random base64 holds by chance.
func secretAfter(buf []byte, i int) bool {
	j := i
	for j < len(buf) && j-i <= secretLen && class[buf[j]]&cB64 != 0 {
		j++
	}
	return j-i == secretLen && (j == len(buf) || class[buf[j]]&cB64 == 0)
}

// maxSegment is how much of the path segment next to a key ID pathBefore
// and pathAfter look at; it bounds the detector's context (see Context).
const maxSegment = 16

// pathBefore reports whether the '/' at buf[i] ends a path or URL prefix
// rather than part of a base64 run: the segment before it (its last
// maxSegment characters) is empty ("s3://", " /etc") or a word as paths
// have them ("keys/", "etc/", "com/"), and does not follow a '+'. A random
// base64 segment mixes upper and lower case letters and digits.
func pathBefore(buf []byte, i int) bool {
	j := i
	for j > 0 && i-j < maxSegment && class[buf[j-1]]&(cUpper|cLower|cDigit) != 0 {
		j--
	}
	if j > 0 && buf[j-1] == '+' {
		return false // "+" inside a run is base64, not a path
	}
	return wordish(buf[j:i])
}

// pathAfter reports whether what follows the '/' ending at buf[i-1] is a
// path, as after a key ID in a SigV4 credential scope
// ("AKIA.../20240101/us-east-1/s3/aws4_request") or a path segment
// ("keys/AKIA.../file"): a segment (its first maxSegment characters) that
// is empty, a date or a word, and not followed by a '+'.
func pathAfter(buf []byte, i int) bool {
	j := i
	for j < len(buf) && j-i < maxSegment && class[buf[j]]&(cUpper|cLower|cDigit) != 0 {
		j++
	}
	if j < len(buf) && buf[j] == '+' {
		return false
	}
	return wordish(buf[i:j])
}

// wordish reports whether seg, a run of letters and digits, reads like a
// path segment: all digits (a date), or letters of one case with digits
// only after them (etc, keys, us, s3, aws4, v2), or a capitalised word, or
// words run together in camel case (deployBot, AccessKeys).
func wordish(seg []byte) bool {
	var k uint8
	for _, c := range seg {
		k |= class[c]
	}
	switch {
	case len(seg) == 0, k&(cUpper|cLower) == 0:
		return true
	case k&cUpper != 0 && k&cLower != 0:
		return k&cDigit == 0 && camel(seg)
	}
	// One case: letters, then maybe digits ("s3", "aws4"), but not digits
	// strewn among the letters as in base64, unless the segment is as
	// short as versions are ("v2beta1", "v1alpha1").
	digits := false
	for _, c := range seg {
		if class[c]&cDigit != 0 {
			digits = true
		} else if digits && class[c]&(cUpper|cLower) != 0 && len(seg) > maxVersion {
			return false
		}
	}
	return true
}

// maxVersion is the longest path segment that may mix letters and digits
// at random: an API version ("v2beta1", "v1alpha1") before a key ID. In a
// base64 run such a segment between '/'s is rare, and a key ID that ends
// the run after it rarer still.
const maxVersion = 8

// camel reports whether seg, letters of both cases, is words run
// together: a capitalised word ("Users"), or any letter and lower-case
// ones followed by capitalised words of at least three letters each
// ("deployBot", "AccessKeys", "iPhone"). Base64 mixes the cases at random:
// an upper-case letter with fewer than two lower-case ones after it.
func camel(seg []byte) bool {
	words := 0
	for i := 1; i < len(seg); {
		if class[seg[i]]&cUpper == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(seg) && class[seg[j]]&cLower != 0 {
			j++
		}
		if j-i < 3 {
			return false
		}
		words++
		i = j
	}
	return words > 0 || class[seg[0]]&cUpper != 0
}

// escapeEndsAt reports whether buf[:i] ends with an escape sequence
// (\n, \t, \r, %XX, \xXX, \uXXXX). Their last characters are base64
// characters, yet "\nAKIA..." in a JSON string or "%3DAKIA..." in a URL is
// a key ID standing alone.
func escapeEndsAt(buf []byte, i int) bool {
	at := func(j int) byte { return buf[i-j] }
	hex := func(from, to int) bool {
		for j := from; j >= to; j-- {
			if class[at(j)]&cHex == 0 {
				return false
			}
		}
		return true
	}
	switch {
	case i >= 2 && at(2) == '\\' && (at(1) == 'n' || at(1) == 't' || at(1) == 'r'):
		return true
	case i >= 3 && at(3) == '%' && hex(2, 1):
		return true
	case i >= 4 && at(4) == '\\' && at(3) == 'x' && hex(2, 1):
		return true
	case i >= 6 && at(6) == '\\' && at(5) == 'u' && hex(4, 1):
		return true
	case i >= 3 && at(1) == 'm':
		return ansiBefore(buf, i)
	}
	return false
}

// ansiBefore reports whether buf[:i] ends with an ANSI colour code (SGR,
// "ESC[32m", "ESC[1;38;5;208m"), as terminal output captured in a log
// has, or one written out in a script ("\033[32m", "\e[0m", "\x1b[1m",
// "\u001b[32m"), all of it within the ContextBefore bytes before i.
func ansiBefore(buf []byte, i int) bool {
	j := i - 1 // the 'm'
	for j > 0 && i-j < ContextBefore && (class[buf[j-1]]&cDigit != 0 || buf[j-1] == ';') {
		j--
	}
	if j == 0 || buf[j-1] != '[' {
		return false
	}
	lead := buf[max(i-ContextBefore, 0) : j-1]
	if len(lead) > 0 && lead[len(lead)-1] == 0x1b {
		return true
	}
	for _, esc := range []string{`\033`, `\e`, `\E`, `\x1b`, `\x1B`, `\u001b`, `\u001B`} {
		if strings.HasSuffix(string(lead), esc) {
			return true
		}
	}
	return false
}

// IsExample reports whether a key ID or secret is one of the AWS
// documentation examples (AKIAIOSFODNN7EXAMPLE,
// wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and anything else ending in
// EXAMPLE or EXAMPLEKEY) or an obvious placeholder, judged by the last 16
// characters of a key ID: fewer than 5 distinct characters
// (AKIAXXXXXXXXXXXXXXXX, AKIAABABABABABABABAB), a run of 6 consecutive
// letters of the alphabet either way (AKIAABCDEFGHIJKLMNOP,
// AKIAZYXWVUTSRQPONMLK), 5 of one character in a row or XXXX
// (AKIA2345XXXXXXXXXXXX), or a word people write into placeholders
// (AKIAEXAMPLEEXAMPLE22, AKIAYOURACCESSKEYID2, AKIADUMMYDUMMYDUMMY2; see
// placeholderWords). A random key ID has about 12 distinct characters;
// these rules drop about one real key ID in 40,000.
func IsExample(keyIDOrSecret string) bool {
	return isExample([]byte(keyIDOrSecret))
}

// placeholderWords mark a key ID someone typed rather than AWS issued.
// Each has at least 5 letters, so a random key ID holds one about once in
// 200,000 times.
var placeholderWords = []string{
	"EXAMPLE", "SAMPLE", "DUMMY", "PLACEHOLD", "REPLACE", "CHANGEME", "REDACTED",
	"ACCESSKEY", "YOURKEY", "YOURACCESS", "KEYHERE", "FAKEKEY", "TESTKEY", "NOTAREAL", "NOTREAL",
}

func isExample(s []byte) bool {
	// The string conversions below do not allocate.
	if strings.HasSuffix(string(s), "EXAMPLE") || strings.HasSuffix(string(s), "EXAMPLEKEY") {
		return true
	}
	if len(s) != keyLen {
		return false
	}
	for _, w := range placeholderWords {
		if strings.Contains(string(s[4:]), w) {
			return true
		}
	}
	var seen uint64
	ascending, descending, same := 0, 0, 0
	for i, c := range s[4:] {
		seen |= 1 << (c & 63) // A-Z and 2-7 do not collide mod 64
		if i == 0 {
			continue
		}
		p := s[4+i-1]
		ascending = count(ascending, c == p+1)
		descending = count(descending, c+1 == p)
		same = count(same, c == p)
		if ascending == 5 || descending == 5 || same == 4 || same == 3 && c == 'X' {
			return true
		}
	}
	return bits.OnesCount64(seen) < 5
}

// count extends a run by one if more, or ends it.
func count(run int, more bool) int {
	if more {
		return run + 1
	}
	return 0
}
