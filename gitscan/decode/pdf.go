package decode

import "bytes"

// pdfStreams returns the data of the FlateDecode streams of a PDF: the
// bytes between "stream" and "endstream" after each dictionary naming
// the filter. Each is looked for once, from where the previous ended, so
// the cost is linear in b.
func pdfStreams(b []byte) [][]byte {
	var out [][]byte
	for i := 0; ; {
		f := bytes.Index(b[i:], []byte("/FlateDecode"))
		if f < 0 {
			return out
		}
		s := bytes.Index(b[i+f:], []byte("stream"))
		if s < 0 {
			return out
		}
		s += i + f + len("stream")
		// The keyword is followed by CRLF or LF.
		if bytes.HasPrefix(b[s:], []byte("\r\n")) {
			s += 2
		} else if bytes.HasPrefix(b[s:], []byte("\n")) {
			s++
		} else {
			i = s
			continue
		}
		e := bytes.Index(b[s:], []byte("endstream"))
		if e < 0 {
			e = len(b) - s
		}
		out = append(out, b[s:s+e])
		i = s + e
	}
}
