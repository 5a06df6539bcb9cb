package decode

import (
	"bytes"
	"unicode/utf8"
)

// A textDecoder undoes an encoding text is written in where it is found
// in a text, keeping the rest: may is a cheap test that the text holds
// some, decode returns the text with each encoded run replaced by what it
// encodes and where each replacement came from (nil if none was).
type textDecoder struct {
	name   string
	may    func([]byte) bool
	decode func([]byte) ([]byte, []Span)
}

var textDecoders = []textDecoder{
	{"quoted-printable", MayBeQuotedPrintable, quotedPrintable},
	{"html-entities", func(b []byte) bool { return bytes.Contains(b, []byte("&#")) }, htmlEntities},
	{"hex-dump", func(b []byte) bool {
		return bytes.Contains(b, []byte("0000000")) || bytes.Contains(b, []byte("414b")) || bytes.Contains(b, []byte("414B"))
	}, hexDump},
}

// mergeGap is how close two replacements must be for one span to hold
// both where spans are dense (denseSpan); less than a key ID's 20
// characters.
const (
	mergeGap  = 16
	denseSpan = 64
)

// substitution builds a decoded text and its spans.
type substitution struct {
	out   []byte
	spans []Span
	last  int // end of the input copied so far
}

// replace copies in[last:s] and writes dec for in[s:e]. A replacement
// right after the previous one extends its span (a run of "=3D=41…" is
// one span, placed at the run's start). So does one less than mergeGap
// bytes of the same line after it once spans are dense (one per
// denseSpan bytes of input so far): one span per encoded character of
// "=3Da=3Db…" would cost 32 bytes of memory for each 4 bytes of input,
// where this way a span stands for at least mergeGap bytes, and text as
// mail and web pages encode it keeps each span exact. A key ID is longer
// than the plain text a span takes in, so none is taken for decoded that
// was not; one is placed up to mergeGap bytes early, on its line.
func (u *substitution) replace(in []byte, s, e int, dec []byte) {
	if u.out == nil {
		// Every decoding here shortens what it replaces: the output
		// fits in the input's length, allocated once.
		u.out = make([]byte, 0, len(in))
	}
	u.out = append(u.out, in[u.last:s]...)
	if n := len(u.spans); n > 0 && (u.spans[n-1].InEnd == s ||
		n*denseSpan > s && s-u.spans[n-1].InEnd < mergeGap && bytes.IndexByte(in[u.spans[n-1].InEnd:s], '\n') < 0) {
		u.spans[n-1].OutEnd = len(u.out) + len(dec)
		u.spans[n-1].InEnd = e
		u.out = append(u.out, dec...)
		u.last = e
		return
	}
	u.spans = append(u.spans, Span{OutStart: len(u.out), OutEnd: len(u.out) + len(dec), InStart: s, InEnd: e})
	u.out = append(u.out, dec...)
	u.last = e
}

func (u *substitution) result(in []byte) ([]byte, []Span) {
	if u.spans == nil {
		return nil, nil
	}
	return append(u.out, in[u.last:]...), u.spans
}

// MayBeQuotedPrintable reports whether b may be quoted-printable text: it
// holds an encoded '=', a soft line break, or the header naming the
// encoding. "=\n" in code costs a decoding that finds nothing. Each of
// these is a few bytes, so a text read in overlapping windows holds one
// if and only if some window does.
func MayBeQuotedPrintable(b []byte) bool {
	return bytes.Contains(b, []byte("=3D")) || bytes.Contains(b, []byte("=\n")) || bytes.Contains(b, []byte("=\r\n")) || containsFold(b, "quoted-printable")
}

// containsFold reports whether b holds s, a lower-case ASCII word, in any
// case (a header field's value is case-insensitive: "Quoted-Printable").
// Its first letter is looked for in either case, so text costs what two
// bytes.IndexByte passes do.
func containsFold(b []byte, s string) bool {
	for _, c := range []byte{s[0], s[0] - 'a' + 'A'} {
		for i := 0; ; {
			j := bytes.IndexByte(b[i:], c)
			if j < 0 {
				break
			}
			i += j
			if len(b)-i >= len(s) && bytes.EqualFold(b[i:i+len(s)], []byte(s)) {
				return true
			}
			i++
		}
	}
	return false
}

// quotedPrintable decodes quoted-printable text (RFC 2045): "=XX" is the
// byte XX, "=" at the end of a line is a soft line break and goes.
func quotedPrintable(in []byte) ([]byte, []Span) {
	var u substitution
	for i := 0; ; {
		j := bytes.IndexByte(in[i:], '=')
		if j < 0 {
			break
		}
		s := i + j
		switch {
		case s+2 < len(in) && in[s+1] == '\r' && in[s+2] == '\n' && !isPadding(in, s):
			u.replace(in, s, s+3, nil)
			i = s + 3
		case s+1 < len(in) && in[s+1] == '\n' && !isPadding(in, s):
			u.replace(in, s, s+2, nil)
			i = s + 2
		case s+2 < len(in) && isHex(in[s+1]) && isHex(in[s+2]):
			u.replace(in, s, s+3, []byte{unhex(in[s+1])<<4 | unhex(in[s+2])})
			i = s + 3
		default:
			i = s + 1
		}
	}
	return u.result(in)
}

// isPadding reports whether the '=' at in[s], at the end of a line, is
// the padding of a base64 line rather than a soft line break: a second
// '=' (quoted-printable writes '=' as =3D), or a run of base64 characters
// before it that padding makes a multiple of 4 long.
func isPadding(in []byte, s int) bool {
	n := 0
	for n < s && alphabet[in[s-1-n]] != 0 {
		n++
	}
	if n < s && in[s-1-n] == '=' && n == 0 {
		return true
	}
	return n >= 4 && (n+1)%4 == 0
}

// htmlEntities decodes HTML character references: numeric ("&#65;",
// "&#x41;", the ';' optional as browsers have it) and the five XML names.
func htmlEntities(in []byte) ([]byte, []Span) {
	var u substitution
	var buf [utf8.UTFMax]byte
	for i := 0; ; {
		j := bytes.IndexByte(in[i:], '&')
		if j < 0 {
			break
		}
		s := i + j
		i = s + 1
		if s+1 < len(in) && in[s+1] == '#' {
			e, base := s+2, 10
			if e < len(in) && (in[e] == 'x' || in[e] == 'X') {
				e, base = e+1, 16
			}
			r, d := 0, e
			for ; d < len(in) && d-e < 7 && (base == 10 && '0' <= in[d] && in[d] <= '9' || base == 16 && isHex(in[d])); d++ {
				r = r*base + int(unhex(in[d]))
			}
			if d == e || r > utf8.MaxRune {
				continue
			}
			if d < len(in) && in[d] == ';' {
				d++
			}
			n := utf8.EncodeRune(buf[:], rune(r))
			u.replace(in, s, d, buf[:n])
			i = d
			continue
		}
		for _, n := range namedEntities {
			if bytes.HasPrefix(in[s:], []byte(n.name)) {
				u.replace(in, s, s+len(n.name), []byte{n.c})
				i = s + len(n.name)
				break
			}
		}
	}
	return u.result(in)
}

var namedEntities = []struct {
	name string
	c    byte
}{{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// isDumpHead reports whether b starts like the output of xxd (-p) or
// hexdump -C.
func isDumpHead(b []byte) bool {
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	d, _ := dumpLine(line, nil)
	// xxd and hexdump -C start at offset 0; xxd -p writes 60 digits a
	// line.
	return d && (bytes.HasPrefix(b, []byte("0000000")) || len(line) == 60 && len(b) > 60)
}

// hexDump decodes the lines of hex dumps in a text: xxd's ("00000010:
// 414b 4941 ...  AKIA..."), hexdump -C's ("00000010  41 4b 49 41 ...
// |AKIA...|") and plain hex (xxd -p: whole lines of at least 32 hex
// digits). The result holds the dumped bytes alone, each line's at the
// dump line it came from, a line break between two dumps.
func hexDump(in []byte) ([]byte, []Span) {
	var u substitution
	var line []byte
	inDump := false
	for i := 0; i < len(in); {
		e := bytes.IndexByte(in[i:], '\n')
		if e < 0 {
			e = len(in)
		} else {
			e += i
		}
		ok, dec := dumpLine(bytes.TrimSuffix(in[i:e], []byte("\r")), line[:0])
		line = dec
		if ok && len(dec) > 0 {
			if !inDump && len(u.out) > 0 {
				u.out = append(u.out, '\n')
			}
			u.spans = append(u.spans, Span{OutStart: len(u.out), OutEnd: len(u.out) + len(dec), InStart: i, InEnd: e})
			u.out = append(u.out, dec...)
		}
		inDump = ok
		i = e + 1
	}
	if u.spans == nil {
		return nil, nil
	}
	return u.out, u.spans
}

// dumpLine reports whether line is a line of a hex dump and appends the
// bytes it holds to out.
func dumpLine(line, out []byte) (bool, []byte) {
	n := 0
	for n < len(line) && isHex(line[n]) {
		n++
	}
	if n == len(line) {
		// xxd -p: hex digits alone.
		if n < 32 || n%2 != 0 {
			return false, out
		}
		for i := 0; i < n; i += 2 {
			out = append(out, unhex(line[i])<<4|unhex(line[i+1]))
		}
		return true, out
	}
	if n < 4 {
		return false, out
	}
	rest := line[n:]
	switch {
	case bytes.HasPrefix(rest, []byte(": ")):
		// xxd: groups of hex digits, one space apart, until two spaces.
		rest = rest[2:]
		for len(rest) > 0 && rest[0] != ' ' {
			g := 0
			for g < len(rest) && isHex(rest[g]) {
				g++
			}
			if g == 0 || g%2 != 0 || g < len(rest) && rest[g] != ' ' {
				return false, out
			}
			for i := 0; i < g; i += 2 {
				out = append(out, unhex(rest[i])<<4|unhex(rest[i+1]))
			}
			rest = rest[g:]
			if len(rest) > 0 {
				rest = rest[1:]
			}
		}
		return true, out
	case bytes.HasPrefix(rest, []byte("  ")):
		// hexdump -C: bytes one space apart, two in the middle, then
		// the text between bars.
		for k := 0; k < 16; k++ {
			sp := 0
			for sp < len(rest) && rest[sp] == ' ' {
				sp++
			}
			if sp == 0 || sp > 2 {
				break
			}
			rest = rest[sp:]
			if len(rest) < 2 || !isHex(rest[0]) || !isHex(rest[1]) || len(rest) > 2 && rest[2] != ' ' {
				break
			}
			out = append(out, unhex(rest[0])<<4|unhex(rest[1]))
			rest = rest[2:]
		}
		return true, out
	}
	return false, out
}
