// Package escape makes untrusted strings safe for the places keysweep
// writes them. Anything a pull request controls — file names, refs, author
// names, commit subjects, ignore reasons, settings values — is hostile: a
// newline in a file name must not start a workflow command in the job log,
// an escape byte must not reach the terminal, a "|" or "<" must not break
// out of the job summary's markdown. There is one function per sink:
//
//	Text      terminal and plain log text: control characters shown as \x1b, \n
//	Message   the message of a workflow command (::error::MESSAGE)
//	Property  a property of a workflow command (::error file=PROPERTY::)
//	Markdown  prose and table cells of the job summary
//	Code      inline code in the job summary
//	Excerpt   a short quote of input for an error message, secrets removed
//
// JSON and SARIF need none of these: their encoders escape for them.
package escape

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text shows every character that could move the cursor, recolour the
// terminal, end a log line or reorder text as an escape sequence: C0 and
// C1 controls and DEL as \n, \r, \t or \xNN/\u00NN, Unicode bidi and line
// separators as \uNNNN, bytes that are not UTF-8 as \xNN. Everything else,
// including non-ASCII letters, is kept as it is.
func Text(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafe(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s // the common case: nothing to do, no allocation
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unsafe(r, size) {
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// unsafe reports whether the rune r, encoded in size bytes, must be shown
// escaped.
func unsafe(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size <= 1: // not UTF-8
		return true
	case r < 0x20, r == 0x7f, 0x80 <= r && r < 0xa0: // C0, DEL, C1
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, // bidi marks
		0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069, // bidi embeddings, overrides, isolates
		r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

// Message escapes s as the message of a workflow command written to the
// job log by hand (::error::MESSAGE): control characters as Text shows
// them, then "%", CR and LF percent-encoded as the runner expects, so the
// message can neither end the line nor start a command of its own.
// go-githubactions encodes "%", CR and LF itself: pass it Text(s).
func Message(s string) string {
	return percent(Text(s), false)
}

// Property escapes s as a property value of a workflow command
// (::error file=VALUE,title=VALUE::): as Message, and ":" and "," too,
// which would end the property. go-githubactions encodes the percent
// part itself: pass it Text(s).
func Property(s string) string {
	return percent(Text(s), true)
}

func percent(s string, property bool) string {
	if !strings.ContainsAny(s, "%\r\n:,") {
		return s
	}
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c == '%':
			b.WriteString("%25")
		case c == '\r':
			b.WriteString("%0D")
		case c == '\n':
			b.WriteString("%0A")
		case property && c == ':':
			b.WriteString("%3A")
		case property && c == ',':
			b.WriteString("%2C")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Markdown escapes s for prose or a table cell of GitHub-flavoured
// markdown, where it never starts a line: control characters as Text
// shows them (so a value stays on its line and in its cell), HTML's
// special characters as entities (no tag, comment or </details> can be
// written), and the characters that open inline markdown — emphasis,
// code, links, images, strikethrough, @mentions — or split a table cell
// backslash-escaped.
func Markdown(s string) string {
	s = Text(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\\', '`', '*', '_', '[', ']', '|', '~', '!', '@':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPunct is CommonMark's "ASCII punctuation character".
func isPunct(c byte) bool {
	return strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0
}

// Code renders s as inline code in the job summary. A plain value is a
// code span (`config/.env`), in which markdown and HTML are not parsed;
// one holding a backtick or "|" — which would end the span or split a
// table cell even inside it — is an HTML <code> element whose every ASCII
// punctuation character is a numeric entity, since markdown is still
// parsed between HTML tags.
func Code(s string) string {
	s = Text(s)
	if !strings.ContainsAny(s, "`|") && s != "" && s[0] != ' ' && s[len(s)-1] != ' ' {
		return "`" + s + "`"
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString("<code>")
	for _, r := range s {
		if r < 0x80 && isPunct(byte(r)) {
			fmt.Fprintf(&b, "&#%d;", r)
			continue
		}
		b.WriteRune(r)
	}
	b.WriteString("</code>")
	return b.String()
}
