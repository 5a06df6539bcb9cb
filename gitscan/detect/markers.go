package detect

import (
	"strconv"
	"strings"
)

// Markers of what the decode package opens, beyond base64 and UTF-16 (see
// encoded.go): a blob holding one is a suspect, read whole and decoded.
// decode's tests check that each of its containers is found by these.

// deepLayers is how many times a key ID may be base64-encoded and still
// be found wherever it is in each layer's text; deeper than that, up to
// deepestLayers, it is found when it starts its text (the token of each
// layer starts with the same characters).
const (
	deepLayers    = 3
	deepestLayers = 8
)

// archiveMagic are the first bytes of the archives decode opens (gzip,
// zip, bzip2, xz, zstd), found base64-encoded up to archiveLayers times
// (a Helm release is gzip encoded twice). bzip2's is its whole stream
// header, "BZh", the block size and the first block's magic: "BZh" alone
// encodes to grams as common as "lp" and "po", which rareRun would cut
// to nothing.
var archiveMagic = []string{"\x1f\x8b\x08", "PK\x03\x04", "\xfd7zXZ\x00", "\x28\xb5\x2f\xfd",
	"BZh11AY&SY", "BZh21AY&SY", "BZh31AY&SY", "BZh41AY&SY", "BZh51AY&SY", "BZh61AY&SY", "BZh71AY&SY", "BZh81AY&SY", "BZh91AY&SY"}

const archiveLayers = 2

// archiveMarker is the marker of a base64-encoded archive: token, the
// encoded start of its magic (once or twice), holds marker at off (the
// marker is its run of grams rare in text, see cutMarker).
type archiveMarker struct {
	token, marker string
	off           int
}

// archiveMarkers are the markers of base64-encoded archives: the start of
// archiveMagic, encoded up to archiveLayers times.
var archiveMarkers = func() []archiveMarker {
	var out []archiveMarker
	for _, magic := range archiveMagic {
		p := magic
		for range archiveLayers {
			p = b64Markers(p)[0]
			if m, ok := cutMarker(p, minRare); ok {
				out = append(out, archiveMarker{p, m, strings.Index(p, m)})
			}
		}
	}
	return out
}()

// cutMarker returns s cut to its longest run of grams rare in text and to
// maxMarker bytes, if that run is at least least bytes long (or all of s).
func cutMarker(s string, least int) (string, bool) {
	r := rareRun(s)
	return r[:min(len(r), maxMarker)], len(r) >= min(least, len(s))
}

// IndexEncodedArchive returns the offset of the first base64-encoded
// archive in buf, or -1: a token that starts with the encoded magic of an
// archive (once or twice encoded), found by its marker (a subset of
// Encoded's). A caller that cannot open archives in buf says so where
// there is one. The token must start there, as an encoded archive does:
// random base64 holds a 5-character marker every few hundred MB, at a
// token's start almost never.
func IndexEncodedArchive(buf []byte) int {
	if !MayContainEncoded(buf) {
		return -1
	}
	for _, s := range Encoded(nil, buf) {
		for _, a := range archiveMarkers {
			t := s - a.off
			if t >= 0 && strings.HasPrefix(string(buf[t:min(len(buf), t+len(a.token))]), a.token) && (t == 0 || class[buf[t-1]]&cB64 == 0) {
				return t
			}
		}
	}
	return -1
}

// containerMarkers returns the markers of encoded containers.
func containerMarkers() []string {
	var out []string
	for _, a := range archiveMarkers {
		out = append(out, a.marker)
	}
	addMin := func(s string, least int) {
		if m, ok := cutMarker(s, least); ok {
			out = append(out, m)
		}
	}
	add := func(s string) { addMin(s, minRare) }
	for _, prefix := range markerPrefixes[:twiceEncoded] {
		// Three layers at every alignment.
		layer := []string{prefix}
		for range deepLayers {
			var next []string
			for _, p := range layer {
				next = append(next, b64Markers(p)...)
			}
			layer = next
		}
		for _, m := range layer {
			// Some alignments leave 4 characters: kept, or a third of
			// the alignments would be missed.
			addMin(m, 4)
		}
		// Deeper, at the start of each layer.
		p := prefix
		for k := range deepestLayers {
			p = b64Markers(p)[0]
			if k >= deepLayers {
				add(p)
			}
		}
		// Quoted-printable: "=3D" (an '=') before a key ID.
		add("=3D" + prefix)
		// HTML numeric entities of the first two characters.
		add("&#" + strconv.Itoa(int(prefix[0])) + ";&#" + strconv.Itoa(int(prefix[1])) + ";")
		for _, x := range []string{"x", "X"} {
			for _, h := range []string{hexByte(prefix[0], false) + ";&#" + x + hexByte(prefix[1], false), hexByte(prefix[0], true) + ";&#" + x + hexByte(prefix[1], true)} {
				add("&#" + x + h)
			}
		}
		// Hex dumps of the prefix in plain hex (xxd -p), lower and upper
		// case. The spaced forms (xxd, hexdump -C) hold grams as common
		// as " 4": a dump is found by its first line instead (see
		// decode.IsArchive), and wherever else when its text column
		// holds a marker.
		for _, upper := range []bool{false, true} {
			var h string
			for i := range prefix {
				h += hexByte(prefix[i], upper)
			}
			add(h)
		}
	}
	// A zip after other data (an executable jar, a self-extracting
	// archive).
	add("PK\x03\x04")
	return out
}

// minRare is the shortest part of a longer marker kept when it is cut to
// its rare grams.
const minRare = 5

// rareRun returns the longest run of s whose 2-byte grams are all rare in
// text and code: every gram of a marker is probed for in every blob (see
// indexMarker), so one common gram ("re", "41", "  ") would cost a look-up
// at a good part of all offsets. A marker cut so is less specific, never
// missed where the whole one is.
func rareRun(s string) string {
	best, start := "", 0
	for i := 1; i <= len(s); i++ {
		// s[start:i] is a run of rare grams; it ends at i when s[i-1:i+1]
		// is common or s ends.
		if i == len(s) || commonGram(s[i-1], s[i]) {
			if i-start > len(best) {
				best = s[start:i]
			}
			start = i
		}
	}
	return best
}

// commonGram reports whether the gram ab is common in text and code: two
// lower-case letters, two digits, a digit and a hex letter, a space, or
// one of the frequent pairs of capitals (constants, acronyms, the start
// of words).
func commonGram(a, b byte) bool {
	lower := func(c byte) bool { return 'a' <= c && c <= 'z' }
	digit := func(c byte) bool { return '0' <= c && c <= '9' }
	hex := func(c byte) bool { return 'a' <= c && c <= 'f' }
	switch {
	case a == ' ' || b == ' ', lower(a) && lower(b), digit(a) && digit(b), digit(a) && hex(b), hex(a) && digit(b):
		return true
	}
	return strings.Contains(commonPairs, string([]byte{a, b}))
}

// commonPairs are frequent grams that are not of the classes above,
// space-separated.
const commonPairs = "0x RE ER ES EN TE IN ON AT OR ST NT AN TI AL AR LE DE RO CO IO SE RA NE TR IS ED IT OU EC VE RF FR TO ET EL CT MA IC HE TH NG PE LI CE LL ND SS RI NS UR US UT TA ME DI PR UN AS OT NO EX " +
	"Th He In Re Se Co Ch St Pr Ge Ma Fi Ty Er Te Ca De Ge Ha Is Ne No Ob Op Pa Ra Ri Sh Ta To Un Va Wh"

func hexByte(c byte, upper bool) string {
	const lower, up = "0123456789abcdef", "0123456789ABCDEF"
	if upper {
		return string([]byte{up[c>>4], up[c&15]})
	}
	return string([]byte{lower[c>>4], lower[c&15]})
}
