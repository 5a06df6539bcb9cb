package gitscan

import "unicode/utf8"

// decodeRune is utf8.DecodeRune that always advances, so invalid bytes in
// binary blobs count as one column each.
func decodeRune(b []byte) (rune, int) {
	r, size := utf8.DecodeRune(b)
	if size == 0 {
		size = 1
	}
	return r, size
}
