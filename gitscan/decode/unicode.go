package decode

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// unicodeText returns b transcoded to UTF-8 if it is UTF-32 or UTF-16
// text, and the encoding's name.
func unicodeText(b []byte) ([]byte, string) {
	if order := utf32Order(b); order != "" {
		return utf32Text(b, order), order
	}
	return utf16Text(b)
}

// utf32Order returns "utf-32le" or "utf-32be" if b starts like UTF-32
// text: with a byte-order mark, or with code units of which nine in ten
// are characters of text in one byte order and almost none in the other.
func utf32Order(b []byte) string {
	switch {
	case len(b) >= 4 && string(b[:4]) == "\xff\xfe\x00\x00":
		return "utf-32le"
	case len(b) >= 4 && string(b[:4]) == "\x00\x00\xfe\xff":
		return "utf-32be"
	case len(b) < 16:
		return ""
	}
	head := b[:min(len(b), 512)&^3]
	// Every code point's unit has a zero byte (its top one), so text
	// without a NUL is not UTF-32; every blob's head comes here.
	if bytes.IndexByte(head, 0) < 0 {
		return ""
	}
	var le, be int
	for i := 0; i+3 < len(head); i += 4 {
		if textRune(utf32Rune(head[i:i+4], "utf-32le")) {
			le++
		}
		if textRune(utf32Rune(head[i:i+4], "utf-32be")) {
			be++
		}
	}
	units := len(head) / 4
	switch {
	case le*10 >= units*9 && be*10 < units:
		return "utf-32le"
	case be*10 >= units*9 && le*10 < units:
		return "utf-32be"
	}
	return ""
}

// textRune reports whether r is a character of text: printable, or a
// tab or line break (an array of small integers is not text).
func textRune(r rune) bool {
	return r >= 0x20 && r != 0x7f && r != utf8.RuneError && !utf16.IsSurrogate(r) || r == '\n' || r == '\r' || r == '\t'
}

// utf32Text transcodes UTF-32 text to UTF-8; a unit that is no code point
// becomes U+FFFD.
func utf32Text(b []byte, order string) []byte {
	if len(b) >= 4 && (string(b[:4]) == "\xff\xfe\x00\x00" || string(b[:4]) == "\x00\x00\xfe\xff") {
		b = b[4:]
	}
	out := make([]byte, 0, len(b)/4)
	for i := 0; i+3 < len(b); i += 4 {
		out = utf8.AppendRune(out, utf32Rune(b[i:i+4], order))
	}
	return out
}

func utf32Rune(u []byte, order string) rune {
	var r uint32
	if order == "utf-32le" {
		r = uint32(u[0]) | uint32(u[1])<<8 | uint32(u[2])<<16 | uint32(u[3])<<24
	} else {
		r = uint32(u[3]) | uint32(u[2])<<8 | uint32(u[1])<<16 | uint32(u[0])<<24
	}
	if r > utf8.MaxRune {
		return utf8.RuneError
	}
	return rune(r)
}

// utf16Text returns b transcoded to UTF-8 if it is UTF-16 text: it starts
// with a byte-order mark, or, without one, every other byte of its start
// is NUL as ASCII text in UTF-16 has it, or it holds a run of ASCII text
// written that way (text whose start is in another script: CJK has no
// NUL bytes); its offset tells the byte order.
func utf16Text(b []byte) ([]byte, string) {
	if len(b) < 4 {
		return nil, ""
	}
	order := utf16Order(b)
	if order == "" {
		if order = utf16Run(b); order == "" {
			return nil, ""
		}
	}
	if bom(b) != "" {
		b = b[2:]
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if order == "utf-16le" {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		} else {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
	}
	out := make([]byte, 0, len(u))
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return out, order
}

func bom(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xfe:
		return "utf-16le"
	case len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff:
		return "utf-16be"
	}
	return ""
}

// utf16Order returns the byte order of UTF-16 text that starts b, by its
// byte-order mark or the NUL bytes of its first characters, or "".
func utf16Order(b []byte) string {
	if o := bom(b); o != "" {
		return o
	}
	head := b[:min(len(b), 512)&^1]
	var zeroEven, zeroOdd int
	for i := 0; i+1 < len(head); i += 2 {
		if head[i] == 0 {
			zeroEven++
		}
		if head[i+1] == 0 {
			zeroOdd++
		}
	}
	pairs := len(head) / 2
	switch {
	case pairs == 0:
	case zeroOdd*10 >= pairs*9 && zeroEven*10 < pairs:
		return "utf-16le"
	case zeroEven*10 >= pairs*9 && zeroOdd*10 < pairs:
		return "utf-16be"
	}
	return ""
}

// minRun is how many ASCII characters in a row, each with a NUL byte,
// make a buffer that is not UTF-16 by its start UTF-16 after all.
const minRun = 16

// utf16Run returns the byte order of the first run of minRun printable
// ASCII characters written in UTF-16 in b, judged by where the run starts
// (text starts at an even offset: a character at an even offset is little
// endian), or "" if there is none. Text without NUL bytes, which is all
// UTF-8 text, costs one IndexByte.
func utf16Run(b []byte) string {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return ""
	}
	n := 0 // characters in the run ending at b[i-1]
	for i = max(i-1, 0); i+1 < len(b); i++ {
		if b[i+1] != 0 || b[i] < 0x20 || b[i] >= 0x7f {
			n = 0
			continue
		}
		if n++; n >= minRun {
			if (i-2*(n-1))%2 == 0 {
				return "utf-16le"
			}
			return "utf-16be"
		}
		i++ // past the NUL
	}
	return ""
}

// TextEncoding returns the name of the encoding a blob starting with head
// is text in, if not UTF-8 or ASCII: "utf-16le", "utf-16be", "utf-32le",
// "utf-32be", or "". A blob too large to read whole is streamed through
// Transcode instead.
func TextEncoding(head []byte) string {
	if o := utf32Order(head); o != "" {
		return o
	}
	if len(head) < 4 {
		return ""
	}
	// Not by a run of UTF-16 text (utf16Run): a large binary with some
	// is scanned as it is.
	return utf16Order(head)
}

// Transcode returns a reader of r, text in enc (see TextEncoding), as
// UTF-8, one pass and a fixed buffer whatever r's size. A byte-order mark
// is dropped; an unpaired surrogate or a unit that is no code point
// becomes U+FFFD.
func Transcode(r io.Reader, enc string) io.Reader {
	return &transcoder{r: bufio.NewReaderSize(r, 64<<10), enc: enc, first: true}
}

type transcoder struct {
	r     *bufio.Reader
	enc   string
	first bool
	out   []byte // transcoded
	pos   int    // where in out the next Read starts
	err   error
}

func (t *transcoder) Read(p []byte) (int, error) {
	for t.pos == len(t.out) {
		if t.err != nil {
			return 0, t.err
		}
		t.fill()
		t.pos = 0
	}
	n := copy(p, t.out[t.pos:])
	t.pos += n
	return n, nil
}

// fill transcodes the next units of the input into t.out.
func (t *transcoder) fill() {
	t.out = t.out[:0]
	unit := 2
	if t.enc == "utf-32le" || t.enc == "utf-32be" {
		unit = 4
	}
	for range 4096 {
		u, err := t.r.Peek(unit)
		if len(u) < unit {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = io.EOF // a trailing odd byte is not text
			}
			t.err = err
			return
		}
		first := t.first
		t.first = false
		if unit == 4 {
			t.r.Discard(4)
			r := utf32Rune(u, t.enc)
			if first && r == 0xfeff {
				continue
			}
			t.out = utf8.AppendRune(t.out, r)
			continue
		}
		r := t.unit16(u)
		t.r.Discard(2)
		if first && r == 0xfeff {
			continue
		}
		if utf16.IsSurrogate(rune(r)) && r < 0xdc00 {
			// A high surrogate: the next unit completes it.
			if v, _ := t.r.Peek(2); len(v) == 2 {
				if lo := t.unit16(v); 0xdc00 <= lo && lo < 0xe000 {
					t.r.Discard(2)
					t.out = utf8.AppendRune(t.out, utf16.DecodeRune(rune(r), rune(lo)))
					continue
				}
			}
			t.out = utf8.AppendRune(t.out, utf8.RuneError)
			continue
		}
		if utf16.IsSurrogate(rune(r)) {
			t.out = utf8.AppendRune(t.out, utf8.RuneError)
			continue
		}
		t.out = utf8.AppendRune(t.out, rune(r))
	}
}

func (t *transcoder) unit16(u []byte) uint16 {
	if t.enc == "utf-16le" {
		return uint16(u[0]) | uint16(u[1])<<8
	}
	return uint16(u[0])<<8 | uint16(u[1])
}
