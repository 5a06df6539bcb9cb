package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
)

func TestMarkdown(t *testing.T) {
	r := sample()
	// The same key in a second repository is the same row.
	for i := range r.Keys {
		r.Keys[i].Repository = "acme/app"
	}
	extra := r.Keys[0]
	extra.Repository, extra.Path = "acme/web", "ci/deploy.sh"
	r.Keys = append(r.Keys, extra)
	r.Repositories = []finding.RepoScan{{Name: "acme/app"}, {Name: "acme/web"}, {Name: "acme/gone", Error: "could not clone: not found"}}
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"## keysweep: 1 leaked AWS key (1 live) in /src/app",
		"Scanned 3 repositories: 120 commits",
		"| **ACTIVE** | `" + activeKey + "` | 111122223333 | deploy\\-bot | ",
		`acme/app\: config/\.env\:3<br>acme/app\: deploy/old\.sh\:10<br>acme/web\: ci/deploy\.sh\:3`,
		"1 key is suppressed",
		"### 1 repository not scanned completely",
		`- acme/gone: could not clone\: not found`,
		"### Failed account checks",
		`cloudtrail\-enabled\: could not run`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if n := strings.Count(md, "`"+activeKey+"`"); n != 1 {
		t.Errorf("the key has %d rows, want 1", n)
	}
}

// Names and paths come from repositories and are hostile: none of them
// may become a link, an image, HTML, a mention, a heading or a new cell.
func TestMarkdownEscapesUntrustedStrings(t *testing.T) {
	hostile := "x](https://evil.example/a) ![i](https://evil.example/i.png) <img src=x onerror=alert(1)> @acme/admins | cell\n# heading `code` *em* _u_ \u202egnp.exe"
	for _, tt := range []struct{ in, want string }{
		{"a|b", `a\|b`},
		{"[x](y)", `\[x\]\(y\)`},
		{"<b>", `\<b\>`},
		{"@team", `\@team`},
		{"line\nbreak", "line break"},
		{"https://x", `https\://x`},
		{"\u202e", "U+202E"},
		{"plain/path_name.go", `plain/path\_name\.go`},
		{"ünïcode", "ünïcode"},
	} {
		if got := mdEscape(tt.in); got != tt.want {
			t.Errorf("mdEscape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := mdEscape(strings.Repeat("a ", 250)); len([]rune(got)) != maxMarkdownField+1 {
		t.Errorf("an overlong field is %d runes", len([]rune(got)))
	}
	// A cut inside a run of base64 characters drops the run: no part of
	// a secret the cut went through is shown (the scrubber finds secrets
	// whole).
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	for _, lead := range []int{150, 170, 185, 199} {
		in := strings.Repeat("x ", lead/2) + "key=" + secret + " more text after it"
		got := mdEscape(in)
		for n := 4; n <= len(secret); n++ {
			if strings.Contains(strings.ReplaceAll(got, `\`, ""), secret[:n]) && !strings.Contains(strings.ReplaceAll(got, `\`, ""), secret) {
				t.Fatalf("cut at %d runes shows %d characters of the secret: %q", lead, n, got)
			}
		}
		if !strings.HasSuffix(got, "…") || len([]rune(got)) > maxMarkdownField+1+10 {
			t.Errorf("cut at %d: %q", lead, got)
		}
	}
	if got := mdEscape(strings.Repeat("a", 500)); got != "…" {
		t.Errorf("a field that is one base64 run cut: %q", got)
	}
	r := sample()
	r.Repo = hostile
	r.Keys[0].Repository = hostile
	r.Keys[0].Path = hostile
	r.Repositories = []finding.RepoScan{{Name: hostile, Error: hostile}}
	r.Gaps = append(r.Gaps, hostile)
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, bad := range []string{"](https", " <img", " @acme", "\n# heading", "`code`", "\u202e"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown holds %q unescaped", bad)
		}
	}
	// Every table row still has its 9 pipes: no cell was added.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Contains(line, activeKey) {
			if n := strings.Count(line, "|") - strings.Count(line, `\|`); n != 9 {
				t.Errorf("row has %d cell separators: %s", n, line)
			}
		}
	}
}
