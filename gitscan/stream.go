package gitscan

import (
	"fmt"
	"io"

	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/gitscan/pack"
)

// findStream runs the detectors over r in overlapping windows (see
// pack.Windows) and places each match by line and column as locate does,
// counting lines as it goes, so a blob of any size costs one window.
// Offsets in the matches are offsets in the stream.
//
// Each window gets the text scan of a blob read whole (findText): plain
// and base64-decoded. A base64 token is decoded whole when it fits in the
// window's overlap (detect.MaxContext bytes past the window's range), so a
// key ID in a longer token (a base64 file of more than 64 KiB) is found
// only in its first 64 KiB. Pairing reaches as far as the overlap: a named
// secret farther than detect.MaxContext from its key ID, which a blob read
// whole still pairs, is not paired in a streamed blob. UTF-16 and UTF-32
// text is streamed through decode.Transcode by findBlob, which says so in
// how ("utf-16le"); archives are read whole by findBlob within decode's
// bounds, and one beyond them is a gap. gaps are the windows where
// base64 decoding stopped at its cost bound.
func findStream(r io.Reader, chunk int, buf []byte, how string) (_ []located, gaps []string, _ []byte, _ error) {
	var (
		out       []located
		line      = 1
		col       = 0 // runes from the line's start to pos
		pos       int64
		lineStart int64 // stream offset of the current line
	)
	// advance moves pos to stream offset to over win (which starts at
	// base), stepping whole runes; a rune may end past to, so pos can
	// overshoot by up to three bytes, which the next call starts after.
	advance := func(win []byte, base, to int64) {
		for pos < to {
			i := int(pos - base)
			if win[i] == '\n' {
				line++
				col = 0
				pos++
				lineStart = pos
				continue
			}
			_, size := decodeRune(win[i:])
			pos += int64(size)
			col++
		}
	}
	buf, err := pack.Windows(r, chunk, buf, func(win []byte, base int64, lo, hi int) error {
		plain, decoded, gap := findText(win)
		if gap != "" && len(gaps) == 0 {
			gaps = gapLine("", gap)
		}
		// Archives are opened in blobs read whole only (decode.Expand);
		// one base64-encoded in a streamed blob is named, not skipped.
		if len(gaps) == 0 {
			if at := detect.IndexEncodedArchive(win[lo:min(len(win), hi+detect.Context)]); at >= 0 {
				gaps = gapLine("", fmt.Sprintf("a base64-encoded archive at byte %d is not opened: the blob is larger than the whole-blob bound, so it is streamed and only its text is scanned", base+int64(lo+at)))
			}
		}
		var lines lineAllow
		for _, f := range mergeMatches(plain, decoded) {
			m := f.Match
			if m.Start < lo || m.Start >= hi {
				continue
			}
			advance(win, base, base+int64(m.Start))
			allow := lines.at(win, int(max(lineStart-base, 0)), m.Start)
			// Offsets become stream offsets, for the caller.
			m.Start += int(base)
			if m.SecretStart >= 0 {
				m.SecretStart += int(base)
			}
			out = append(out, located{Match: m, line: line, col: col + 1, allow: allow, how: join(how, f.how)})
		}
		advance(win, base, base+int64(hi))
		return nil
	})
	return out, gaps, buf, err
}

// howMatch is a match and how it was decoded ("" or "base64").
type howMatch struct {
	detect.Match
	how string
}

// mergeMatches merges findText's two lists into one in offset order.
func mergeMatches(plain, decoded []detect.Match) []howMatch {
	out := make([]howMatch, 0, len(plain)+len(decoded))
	i, j := 0, 0
	for i < len(plain) || j < len(decoded) {
		if j == len(decoded) || i < len(plain) && plain[i].Start <= decoded[j].Start {
			out = append(out, howMatch{plain[i], ""})
			i++
			continue
		}
		out = append(out, howMatch{decoded[j], "base64"})
		j++
	}
	return out
}
