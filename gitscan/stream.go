package gitscan

import (
	"bytes"
	"io"

	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/gitscan/pack"
)

// findStream runs the detectors over r in overlapping windows (see
// pack.Windows) and places each match by line and column as locate does,
// counting lines as it goes, so a blob of any size costs one window.
// Offsets in the matches are offsets in the stream.
func findStream(r io.Reader, chunk int, buf []byte) ([]located, []byte, error) {
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
		if !detect.MayContain(win) {
			advance(win, base, base+int64(hi))
			return nil
		}
		for _, m := range detect.Find(win) {
			if m.Start < lo || m.Start >= hi {
				continue
			}
			advance(win, base, base+int64(m.Start))
			ls := int(max(lineStart-base, 0))
			end := bytes.IndexByte(win[m.Start:], '\n')
			if end < 0 {
				end = len(win) - m.Start
			}
			allow := bytes.Contains(win[ls:m.Start+end], []byte(allowMarker))
			// Offsets become stream offsets, for the caller.
			m.Start += int(base)
			if m.SecretStart >= 0 {
				m.SecretStart += int(base)
			}
			out = append(out, located{Match: m, line: line, col: col + 1, allow: allow})
		}
		advance(win, base, base+int64(hi))
		return nil
	})
	return out, buf, err
}
