package decode

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"
)

// Span maps a decoded region of Base64's output back to its token.
type Span struct {
	// Out is the decoded text's range in the output.
	OutStart, OutEnd int
	// In is the encoded token's range in the input.
	InStart, InEnd int
}

// MinToken is the shortest base64 token decoded: base64 of a 20-character
// key ID is 27 characters without padding.
const MinToken = 27

// Base64Cost bounds the bytes Base64 decodes from a text, over all
// layers, as a multiple of the text's length. Each layer of base64 is
// 3/4 of the one that holds it, so every layer of every token together is
// less than 3 times the text; the bound holds whatever the text is
// (UTF-16 transcoded inside a token can grow a layer by half).
const Base64Cost = 4

// Base64 returns buf with every base64 token (a run of at least MinToken
// characters of one alphabet, or a block of equal-length lines of them)
// that decodes to text replaced by that text, as many layers deep as the
// tokens go, and where each replacement came from. Text around the
// tokens is kept, so "AWS_SECRET_ACCESS_KEY: <base64>" still names the
// decoded secret. It returns nil if no token decodes to text. The bytes
// decoded, over all layers, are bounded by Base64Cost times len(buf);
// cut reports that the bound stopped decoding (then the layers below the
// cut are not decoded).
func Base64(buf []byte) (out []byte, spans []Span, cut bool) {
	budget := int64(Base64Cost) * int64(len(buf))
	out, spans = base64Layer(buf, &budget)
	return out, spans, budget < 0
}

func base64Layer(buf []byte, budget *int64) ([]byte, []Span) {
	var out []byte
	var spans []Span
	last := 0 // end of the input copied so far
	for i := 0; i < len(buf) && *budget >= 0; {
		s, e, wrapped := nextToken(buf, i)
		if s < 0 {
			break
		}
		i = e
		if *budget -= int64(e - s); *budget < 0 {
			break
		}
		dec := decodeToken(buf[s:e], wrapped)
		if dec == nil {
			continue
		}
		if inner, _ := base64Layer(dec, budget); inner != nil {
			dec = inner
		}
		out = append(out, buf[last:s]...)
		spans = append(spans, Span{OutStart: len(out), OutEnd: len(out) + len(dec), InStart: s, InEnd: e})
		out = append(out, dec...)
		last = e
	}
	if spans == nil {
		return nil, nil
	}
	return append(out, buf[last:]...), spans
}

const (
	cStd = 1 << iota // A-Za-z0-9+/
	cURL             // A-Za-z0-9-_
)

var alphabet = func() (t [256]uint8) {
	for c := range t {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			t[c] = cStd | cURL
		case c == '+' || c == '/':
			t[c] = cStd
		case c == '-' || c == '_':
			t[c] = cURL
		}
	}
	return t
}()

// nextToken returns the next base64 token at or after i: a maximal run of
// one alphabet's characters with its '=' padding, at least MinToken long,
// or a block of whole lines of them (as base64(1) and PEM wrap them) whose
// lines but the last have one length. wrapped reports the latter.
func nextToken(buf []byte, i int) (s, e int, wrapped bool) {
	n := len(buf)
	for i < n {
		if alphabet[buf[i]] == 0 {
			i++
			continue
		}
		s = i
		k := uint8(cStd | cURL)
		for i < n && alphabet[buf[i]]&k != 0 {
			k &= alphabet[buf[i]]
			i++
		}
		e = i
		for e < n && e-i < 2 && buf[e] == '=' {
			e++
		}
		// A block of wrapped lines: this run fills its line, and the next
		// lines are runs of the same length.
		if w := e - s; w >= 40 && (s == 0 || buf[s-1] == '\n' || buf[s-1] == ' ') && e < n && (buf[e] == '\n' || buf[e] == '\r') {
			end, lines := e, 1
			// Indentation as in YAML block scalars, measured once: the
			// first line may end a long one ("key: <base64>").
			ind := s - lineStart(buf, s)
			for {
				j := end
				if j < n && buf[j] == '\r' {
					j++
				}
				if j >= n || buf[j] != '\n' {
					break
				}
				j++
				for q := 0; q < ind && j < n && buf[j] == ' '; q++ {
					j++
				}
				t := j
				for t < n && alphabet[buf[t]]&k != 0 {
					t++
				}
				for t < n && t-j < w && buf[t] == '=' {
					t++
				}
				if t-j == 0 || t-j > w || (t < n && buf[t] != '\n' && buf[t] != '\r') {
					break
				}
				end, lines = t, lines+1
				if t-j < w {
					break // the last, shorter line
				}
			}
			if lines > 1 {
				return s, end, true
			}
		}
		if e-s >= MinToken {
			return s, e, false
		}
		i = e
	}
	return -1, -1, false
}

func lineStart(buf []byte, i int) int {
	for i > 0 && buf[i-1] != '\n' {
		i--
	}
	return i
}

// archiveMagic are the first bytes of the archives Expand opens.
var archiveMagic = []string{"\x1f\x8b\x08", "PK\x03\x04", "BZh", "\xfd7zXZ\x00", "\x28\xb5\x2f\xfd"}

// maxArchiveLayers is how many times an archive may have been
// base64-encoded and still be found by the start of its token (a Helm
// release is gzip base64-encoded twice). Deeper is the cost bound's
// business, not a depth's: each layer is 3/4 of the one holding it.
const maxArchiveLayers = 4

// archiveMarkers[k] are the starts of a token holding an archive
// base64-encoded k+1 times: the characters its magic alone determines.
var archiveMarkers = func() (m [maxArchiveLayers][][]byte) {
	for _, magic := range archiveMagic {
		p := magic
		for k := range maxArchiveLayers {
			enc := base64.StdEncoding.EncodeToString([]byte(p + "\x00\x00\x00"))
			p = enc[:8*len(p)/6]
			m[k] = append(m[k], []byte(p))
		}
	}
	return m
}()

// An encodedArchive is an archive found base64-encoded in text.
type encodedArchive struct {
	how        string // "base64", "base64 > base64", ...
	data       []byte
	start, end int // the token in the text
}

// base64Archives returns the archives that base64 tokens of buf decode to,
// once or up to maxArchiveLayers times, in order. A buffer without the
// start of one costs a few searches.
func base64Archives(buf []byte) []encodedArchive {
	hasMarker := func(b []byte, prefix bool) int {
		for k, ms := range archiveMarkers {
			for _, m := range ms {
				if prefix && bytes.HasPrefix(b, m) || !prefix && bytes.Contains(b, m) {
					return k + 1
				}
			}
		}
		return 0
	}
	if hasMarker(buf, false) == 0 {
		return nil
	}
	var out []encodedArchive
	for i := 0; i < len(buf); {
		s, e, wrapped := nextToken(buf, i)
		if s < 0 {
			break
		}
		i = e
		layers := hasMarker(buf[s:e], true)
		if layers == 0 {
			continue
		}
		dec := decodeRaw(buf[s:e], wrapped)
		how := "base64"
		for ; dec != nil && layers > 1 && kind(dec) == ""; layers-- {
			// Another layer: one token, maybe wrapped.
			ts, te, w := nextToken(dec, 0)
			if ts != 0 {
				dec = nil
				break
			}
			dec = decodeRaw(dec[ts:te], w)
			how += " > base64"
		}
		if dec != nil && kind(dec) != "" {
			out = append(out, encodedArchive{how, dec, s, e})
		}
	}
	return out
}

// decodeToken decodes a token in whichever alphabet it is written and
// returns the result if it is text (UTF-8, or UTF-16 transcoded), or nil.
func decodeToken(tok []byte, wrapped bool) []byte {
	dec := decodeRaw(tok, wrapped)
	if dec == nil {
		return nil
	}
	if isText(dec) {
		return dec
	}
	// UTF-16 text base64-encoded, as PowerShell's -EncodedCommand has it.
	if u, _ := utf16Text(dec); u != nil && isText(u) {
		return u
	}
	return nil
}

// decodeRaw decodes a token in whichever alphabet it is written, or
// returns nil if it is not base64.
func decodeRaw(tok []byte, wrapped bool) []byte {
	if wrapped {
		var joined []byte
		for _, c := range tok {
			if alphabet[c] != 0 || c == '=' {
				joined = append(joined, c)
			}
		}
		tok = joined
	}
	for len(tok) > 0 && tok[len(tok)-1] == '=' {
		tok = tok[:len(tok)-1]
	}
	if len(tok)%4 == 1 {
		tok = tok[:len(tok)-1]
	}
	enc := base64.RawStdEncoding
	for _, c := range tok {
		if c == '-' || c == '_' {
			enc = base64.RawURLEncoding
			break
		}
	}
	dec := make([]byte, enc.DecodedLen(len(tok)))
	n, err := enc.Decode(dec, tok)
	if err != nil {
		return nil
	}
	return dec[:n]
}

// isText reports whether b reads as text: valid UTF-8 without control
// characters other than whitespace. Base64 of anything else, and runs that
// only look like base64 (long identifiers, hex digests), decode to bytes
// that are not.
func isText(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
