package escape

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// ExcerptRunes is the most characters of input an error message quotes.
const ExcerptRunes = 40

// excerptScan is how much of the input Excerpt looks at: enough to find
// the ends of the words it may show, never the whole of a large value.
const excerptScan = 256

// secretName is a name whose value is a secret in KEY=VALUE or KEY: VALUE.
var secretName = regexp.MustCompile(`(?i)(secret|token|passw|pwd|credential|private|auth|key|session|cookie|signature)[a-z0-9_.-]*["']?\s*[=:]\s*$`)

// Excerpt quotes a short part of an untrusted value for an error message,
// so that the message can say which value is wrong without repeating a
// file the pull request pointed somewhere it should not (a copy of the
// job's environment, say). The result is at most ExcerptRunes characters
// of s, in double quotes, escaped as Text does, where
//   - every word of 16 or more letters, digits and +/_- that holds a digit
//     or is 32 or longer (the shape of keys, tokens, hashes and base64) is
//     shown as [N characters],
//   - every value after a name such as SECRET=, token: or password= is
//     shown as [N characters] whatever its length,
//   - a word is shown whole or not at all: a cut never leaves a secret's
//     first characters,
//
// followed by "… (N bytes)" when s is longer than what is shown.
func Excerpt(s string) string {
	total := len(s)
	scan := s
	cut := false
	if len(scan) > excerptScan {
		scan, cut = scan[:excerptScan], true
	}
	var b strings.Builder
	shown := 0 // runes of output, quotes not counted
	i := 0
	truncated := false
	for i < len(scan) {
		j := i
		for j < len(scan) && isWordByte(scan[j]) {
			j++
		}
		var piece string
		if j > i {
			word := scan[i:j]
			atEnd := j == len(scan) && cut
			switch {
			case atEnd, secretShaped(word), secretName.MatchString(scan[:i]):
				piece = fmt.Sprintf("[%s]", characters(word, atEnd))
			default:
				piece = word
			}
			i = j
		} else {
			r, size := utf8.DecodeRuneInString(scan[i:])
			if r == utf8.RuneError && size <= 1 && i+4 > len(scan) && cut {
				// A multi-byte character the scan limit split.
				break
			}
			piece = Text(scan[i : i+size])
			i += size
		}
		n := utf8.RuneCountInString(piece)
		if shown+n > ExcerptRunes {
			truncated = true
			break
		}
		b.WriteString(piece)
		shown += n
	}
	out := `"` + b.String() + `"`
	if truncated || cut || i < len(s) {
		out += fmt.Sprintf("… (%d bytes)", total)
	}
	return out
}

func characters(word string, open bool) string {
	if open {
		return fmt.Sprintf("%d+ characters", len(word))
	}
	return fmt.Sprintf("%d characters", len(word))
}

// isWordByte is the alphabet of keys, tokens and base64: a run of these
// is one word.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '_' || c == '-'
}

// secretShaped reports whether word looks like a credential rather than
// a name: long, and with a digit, or very long.
func secretShaped(word string) bool {
	if len(word) >= 32 {
		return true
	}
	return len(word) >= 16 && strings.ContainsAny(word, "0123456789")
}

// Cut keeps at most n bytes of s, ending with "…" when it cuts. A cut
// never splits a word of the secrets' alphabet: the word it would split is
// left out whole, so no first characters of a key or token survive a cut
// that a scrubber matching whole secrets would then miss.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// '=' too: base64 padding ends a token, and a token cut before it
	// would no longer be the whole value a scrubber looks for.
	word := func(c byte) bool { return isWordByte(c) || c == '=' }
	i := n
	for i > 0 && word(s[i-1]) && word(s[i]) {
		i--
	}
	return strings.ToValidUTF8(s[:i], "") + "…"
}
