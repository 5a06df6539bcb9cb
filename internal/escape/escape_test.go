package escape

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"config/.env", "config/.env"},
		{"naïve/日本.txt", "naïve/日本.txt"},
		{"a\nb", `a\nb`},
		{"a\r\n::warning::x", `a\r\n::warning::x`},
		{"\x1b[2J\x1b]0;pwned\x07", `\x1b[2J\x1b]0;pwned\x07`},
		{"tab\there", `tab\there`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"bidi\u202eexe.txt", `bidi\u202eexe.txt`},
		{"sep\u2028x", `sep\u2028x`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"nul\x00", `nul\x00`},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMessageAndProperty(t *testing.T) {
	in := "x\n::warning title=X::forged\r%0A"
	if got, want := Message(in), `x\n::warning title=X::forged\r%250A`; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	if got, want := Property("a:b,c%\n"), `a%3Ab%2Cc%25\n`; got != want {
		t.Errorf("Property = %q, want %q", got, want)
	}
}

func TestMarkdown(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice", "alice"},
		{"pull request #7 of deploy-bot", "pull request #7 of deploy-bot"},
		{"a|b", `a\|b`},
		{"cc @security-team", `cc \@security-team`}, // no mention notifies anyone
		{"<img src=x onerror=alert(1)>", `&lt;img src=x onerror=alert(1)&gt;`},
		{"**bold** [link](http://x) ![i](y) ~~s~~ `c`", "\\*\\*bold\\*\\* \\[link\\](http://x) \\!\\[i\\](y) \\~\\~s\\~\\~ \\`c\\`"},
		{"line\n# heading", `line\\n# heading`},
		{"</details>", `&lt;/details&gt;`},
	} {
		if got := Markdown(tc.in); got != tc.want {
			t.Errorf("Markdown(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"config/.env:3", "`config/.env:3`"},
		{"a<b>*c*\n", "`a<b>*c*\\n`"},
		{"a`b|c<d>", "<code>a&#96;b&#124;c&#60;d&#62;</code>"},
		{"", "<code></code>"},
	} {
		if got := Code(tc.in); got != tc.want {
			t.Errorf("Code(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	for _, tc := range []struct{ name, in, want string }{
		{"short word", "fail-on: sometimes", `"fail-on: sometimes"`},
		{"environ", "AWS_SECRET_ACCESS_KEY=" + secret + "\x00HOME=/root", `"AWS_SECRET_ACCESS_KEY=[40 characters]\x00HOME=…` + "\" (61 bytes)"},
		{"short secret after a name", "password=hunter2", `"password=[7 characters]"`},
		{"token with digits", "ghs_0123456789abcdefghij", `"[24 characters]"`},
		{"escapes", "a\x1b[2Jb", `"a\x1b[2Jb"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Excerpt(tc.in)
			if tc.name == "environ" {
				if strings.Contains(got, secret[:8]) || !strings.HasPrefix(got, `"AWS_SECRET_ACCESS_KEY=[41 characters]`) {
					t.Errorf("Excerpt = %q", got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("Excerpt(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	long := strings.Repeat("abc ", 1000)
	if got := Excerpt(long); utf8.RuneCountInString(got) > ExcerptRunes+30 || !strings.HasSuffix(got, "(4000 bytes)") {
		t.Errorf("Excerpt of 4000 bytes = %q", got)
	}
}

// FuzzEscapes checks every sink's promise on any input.
func FuzzEscapes(f *testing.F) {
	for _, s := range []string{"", "plain", "x\n::warning title=X::forged\n::stop-commands::TOKEN\n", "\x1b[31m\x1b]8;;http://x\x07", "a|b<c>`d`", "\xff\xfe", "\u202e\u2028", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text := Text(s)
		if !utf8.ValidString(text) {
			t.Fatalf("Text(%q) is not UTF-8", s)
		}
		for _, r := range text {
			if unsafe(r, utf8.RuneLen(r)) {
				t.Fatalf("Text(%q) = %q keeps %U", s, text, r)
			}
		}
		for name, out := range map[string]string{"Message": Message(s), "Property": Property(s)} {
			if strings.ContainsAny(out, "\r\n") {
				t.Fatalf("%s(%q) = %q has a line break", name, s, out)
			}
		}
		if p := Property(s); strings.ContainsAny(p, ":,") {
			t.Fatalf("Property(%q) = %q ends a property", s, p)
		}
		md := Markdown(s)
		if strings.ContainsAny(md, "<>\n\r") || strings.Contains(strings.ReplaceAll(md, `\|`, ""), "|") {
			t.Fatalf("Markdown(%q) = %q", s, md)
		}
		code := Code(s)
		if span, ok := strings.CutPrefix(code, "`"); ok {
			if span = strings.TrimSuffix(span, "`"); strings.ContainsAny(span, "`|\n\r") {
				t.Fatalf("Code(%q) = %q", s, code)
			}
		} else if inner := strings.TrimSuffix(strings.TrimPrefix(code, "<code>"), "</code>"); strings.ContainsAny(inner, "<>`|\n\r*[]") {
			t.Fatalf("Code(%q) = %q", s, code)
		}
		ex := Excerpt(s)
		if strings.ContainsAny(ex, "\n\r\x1b") || utf8.RuneCountInString(ex) > ExcerptRunes+40 {
			t.Fatalf("Excerpt(%q) = %q", s, ex)
		}
		// No word of the input of the shape of a secret survives.
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r >= 0x80 || !isWordByte(byte(r)) }) {
			if secretShaped(w) && strings.Contains(ex, w) {
				t.Fatalf("Excerpt(%q) = %q shows %q", s, ex, w)
			}
		}
	})
}

func TestCut(t *testing.T) {
	secret := "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"agent/1.0 " + secret, 20, "agent/1.0 …"},
		{strings.Repeat("a", 41) + secret, 80, "…"},
		{"a b c d", 3, "a b…"},
		{"é" + strings.Repeat("x", 10), 1, "…"},
	} {
		if got := Cut(tt.s, tt.n); got != tt.want {
			t.Errorf("Cut(%.30q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
		if got := Cut(tt.s, tt.n); len(got) > tt.n+len("…") || strings.Contains(got, secret[:8]) {
			t.Errorf("Cut(%.30q, %d) = %q: too long or holds a secret's start", tt.s, tt.n, got)
		}
	}
}
