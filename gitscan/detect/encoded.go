package detect

import "encoding/base64"

// Key IDs that are encoded are found by their prefix: base64 of "AKIA" at
// each of the three byte alignments has 4 or 5 characters that depend on
// nothing else ("QUtJQ", "FLSU", "BS0lB"), and so does base64 of those
// (a value base64-encoded twice), UTF-16 spells the prefix with a NUL
// after or before each letter, and base64 of UTF-16LE text (PowerShell's
// -EncodedCommand) has 9 or 10 such characters ("QQBLAEkAQQ"), of which
// the first utf16Marker are enough. An archive base64-encoded (a gzip'd
// value, a zip in a ConfigMap's binaryData) may hold any of these, so the
// base64 of its first bytes is a marker too ("H4sI" of gzip). These
// markers say where an encoded key ID may be; the decode package and
// Find, run on what it decodes, say whether one is. A3T is left out: its
// markers are 3 characters, common in text.

// markerPrefixes are the key-ID prefixes looked for in encoded form, and
// twice encoded for the first two: ABIA and ACCA are rare, and their twice
// encoded markers hold grams common in text.
var markerPrefixes = []string{"AKIA", "ASIA", "ABIA", "ACCA"}

const twiceEncoded = 2

// maxMarker is the longest marker; the base64 markers of UTF-16 text are
// cut to utf16Marker characters, enough to be rare.
const (
	maxMarker   = 12
	utf16Marker = 8
)

// markers holds every marker, a bitmap of the 2-byte grams they hold, and
// for each such gram the markers holding it and where.
var markers = func() (m struct {
	all   []string
	grams [1 << 16 / 64]uint64
	first [1<<16 + 1]uint16 // at[first[g]:first[g+1]] hold gram g
	at    []markerPos
}) {
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			m.all = append(m.all, s)
		}
	}
	for i, p := range markerPrefixes {
		for _, b := range b64Markers(p) {
			add(b)
			if i < twiceEncoded {
				for _, b2 := range b64Markers(b) {
					add(b2)
				}
			}
		}
		// UTF-16, either byte order: "A\x00K\x00I\x00A".
		var u []byte
		for _, c := range []byte(p) {
			u = append(u, c, 0)
		}
		add(string(u[:len(u)-1]))
		if i < twiceEncoded {
			for _, b := range b64Markers(string(u)) {
				add(b[:min(len(b), utf16Marker)])
			}
		}
	}
	for _, s := range containerMarkers() {
		add(s)
	}
	byGram := map[uint16][]markerPos{}
	for i, s := range m.all {
		for o := 0; o+2 <= len(s); o++ {
			g := uint16(s[o])<<8 | uint16(s[o+1])
			m.grams[g>>6] |= 1 << (g & 63)
			byGram[g] = append(byGram[g], markerPos{i, o})
		}
	}
	for g := 0; g < 1<<16; g++ {
		m.first[g] = uint16(len(m.at))
		m.at = append(m.at, byGram[uint16(g)]...)
	}
	m.first[1<<16] = uint16(len(m.at))
	return m
}()

type markerPos struct{ marker, off int }

// b64Markers returns, for each byte alignment of p in a base64 stream,
// the characters that p alone determines. p's bytes hold bits
// [8a, 8a+8len(p)) of the stream; character j holds bits [6j, 6j+6).
func b64Markers(p string) []string {
	var out []string
	for a := 0; a < 3; a++ {
		b := make([]byte, a, a+len(p)+3)
		b = append(b, p...)
		b = append(b, 0, 0, 0)
		enc := base64.StdEncoding.EncodeToString(b)
		lo, hi := (8*a+5)/6, 8*(a+len(p))/6
		out = append(out, enc[lo:hi])
	}
	return out
}

// MayContainEncoded reports whether buf holds a marker of an encoded key
// ID: base64 (standard or URL-safe, once or twice) or UTF-16. It does not
// allocate.
func MayContainEncoded(buf []byte) bool {
	return indexMarker(buf, 0) >= 0
}

// Encoded appends the offsets of the markers of encoded key IDs in buf.
func Encoded(out []int, buf []byte) []int {
	for i := 0; ; {
		s := indexMarker(buf, i)
		if s < 0 {
			return out
		}
		out = append(out, s)
		i = s + 1
	}
}

// indexMarker returns the offset of the first marker starting at or after
// from, or -1. Every marker is at least 4 bytes long, so it holds a 2-byte
// gram starting at a multiple of 3; probing those grams finds every marker,
// and a gram no marker holds (99% of grams of text) costs one bit test.
func indexMarker(buf []byte, from int) int {
	n := len(buf)
	for i := from - from%3; i+1 < n; i += 3 {
		g := uint16(buf[i])<<8 | uint16(buf[i+1])
		if markers.grams[g>>6]&(1<<(g&63)) == 0 {
			continue
		}
		best := -1
		for _, at := range markers.at[markers.first[g]:markers.first[int(g)+1]] {
			s := i - at.off
			m := markers.all[at.marker]
			if s < from || s+len(m) > n || best >= 0 && s >= best {
				continue
			}
			if string(buf[s:s+len(m)]) == m {
				best = s
			}
		}
		if best >= 0 {
			// A marker starting earlier holds a gram probed earlier, or
			// this one; one starting up to 2 bytes before best could hold
			// only later probes, so look there too.
			for s := max(best-maxMarker, from); s < best; s++ {
				if markerAt(buf, s) {
					return s
				}
			}
			return best
		}
	}
	return -1
}

// markerAt reports whether a marker starts at buf[s].
func markerAt(buf []byte, s int) bool {
	for _, m := range markers.all {
		if len(buf)-s >= len(m) && string(buf[s:s+len(m)]) == m {
			return true
		}
	}
	return false
}
