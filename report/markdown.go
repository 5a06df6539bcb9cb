package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
)

// maxPlaces caps the places listed for one key in a markdown row; the
// JSON report has them all.
const maxPlaces = 10

// Markdown writes r as GitHub-flavoured markdown for a job summary or an
// issue: counts, then every leaked key once — live keys first, with their
// account, owner and the repositories and paths holding them — the
// repositories that could not be scanned, failed account checks and what
// could not be checked. Every string that came from a repository (names,
// paths, messages) is escaped, so a hostile name cannot add links,
// mentions, HTML or table cells.
func Markdown(w io.Writer, r *finding.Report) error {
	var b strings.Builder
	groups := groupByKey(r.Keys)
	slices.SortStableFunc(groups, func(x, y *group) int {
		return cmp.Compare(liveRank(*y.top), liveRank(*x.top))
	})
	var open, suppressed []*group
	for _, g := range groups {
		if g.top.Suppressed != nil {
			suppressed = append(suppressed, g)
		} else {
			open = append(open, g)
		}
	}
	live := 0
	for _, g := range open {
		if isLive(g.top.Status) {
			live++
		}
	}
	fmt.Fprintf(&b, "## keysweep: %s (%d live) in %s\n\n", plural(len(open), "leaked AWS key"), live, mdEscape(cmp.Or(r.Repo, "the scanned history")))
	b.WriteString(scannedLine(r))
	if r.Scope != "" {
		fmt.Fprintf(&b, " Findings are kept to %s/ in the repository at %s; %s elsewhere in it not reported.",
			mdEscape(r.Scope), mdEscape(r.Root), plural(r.OutOfScope, "key finding"))
	}
	b.WriteString("\n\n")

	s := Summarize(r)
	b.WriteString("| Critical | High | Medium | Low | Info | Suppressed |\n|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d |\n\n", s.Critical, s.High, s.Medium, s.Low, s.Info, s.Suppressed)

	if len(open) > 0 {
		b.WriteString("### Leaked keys\n\n")
		b.WriteString("| Status | Key ID | Account | Owner | Last used | Severity | Found in | Triage |\n|---|---|---|---|---|---|---|---|\n")
		for _, g := range open {
			t := g.top
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %s | %s |\n",
				statusCell(t.Status), g.key, cmp.Or(mdEscape(t.Account), "—"), cmp.Or(mdEscape(t.User), "—"),
				mdLastUsed(*t), t.Severity, places(g.findings), cmp.Or(mdEscape(t.Triage), "—"))
		}
		b.WriteString("\n")
		triaged := false
		for _, g := range open {
			t := g.top
			if t.Access == nil && t.Activity == nil {
				continue
			}
			if !triaged {
				b.WriteString("#### What the live keys can do and did\n\n")
				triaged = true
			}
			fmt.Fprintf(&b, "- `%s`", g.key)
			if t.Access != nil {
				fmt.Fprintf(&b, " — access: %s", mdEscape(accessLine(t.Access)))
			}
			if t.Activity != nil {
				fmt.Fprintf(&b, " — activity: %s", mdEscape(activityLine(t.Activity)))
			}
			b.WriteString("\n")
		}
		if triaged {
			b.WriteString("\n")
		}
	}
	if len(suppressed) > 0 {
		fmt.Fprintf(&b, "%s suppressed (see the JSON report).\n\n", countOf(len(suppressed), "key is", "keys are"))
	}
	if line := unmatchedLine(r); line != "" {
		fmt.Fprintf(&b, "%s\n\n", mdEscape(line))
	}

	var failedRepos []finding.RepoScan
	for _, rs := range r.Repositories {
		if rs.Error != "" {
			failedRepos = append(failedRepos, rs)
		}
	}
	if len(failedRepos) > 0 {
		fmt.Fprintf(&b, "### %s not scanned completely\n\n", countOf(len(failedRepos), "repository", "repositories"))
		for _, rs := range failedRepos {
			fmt.Fprintf(&b, "- %s: %s\n", mdEscape(rs.Name), mdEscape(rs.Error))
		}
		b.WriteString("\n")
	}

	var failed []finding.CheckResult
	var gaps []string
	for _, c := range r.Checks {
		switch {
		case c.State == finding.CheckFail && c.Suppressed == nil:
			failed = append(failed, c)
		case c.State == finding.CheckCouldNotRun:
			gaps = append(gaps, c.RuleID+": "+c.Message)
		}
	}
	if len(failed) > 0 {
		b.WriteString("### Failed account checks\n\n| Severity | Rule | Resource | Region | Finding |\n|---|---|---|---|---|\n")
		for _, c := range failed {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.Severity, mdEscape(c.RuleID),
				mdEscape(cmp.Or(c.Resource, "account")), mdEscape(cmp.Or(c.Region, "global")), mdEscape(c.Message))
		}
		b.WriteString("\n")
	}
	b.WriteString(ComplianceMarkdown(r))
	gaps = append(gaps, r.Gaps...)
	if n := len(r.Skipped) - len(failedRepos); n > 0 {
		gaps = append(gaps, fmt.Sprintf("%s could not be read: the scan is partial", plural(n, "git object")))
	}
	if len(gaps) > 0 {
		b.WriteString("### Could not check\n\n")
		for _, g := range gaps {
			fmt.Fprintf(&b, "- %s\n", mdEscape(g))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, MarkdownScrubber(r).Replace(b.String()))
	return err
}

func scannedLine(r *finding.Report) string {
	st := r.Stats
	var b strings.Builder
	if n := len(r.Repositories); n > 0 {
		fmt.Fprintf(&b, "Scanned %s: ", countOf(n, "repository", "repositories"))
	} else {
		b.WriteString("Scanned ")
	}
	fmt.Fprintf(&b, "%s, %s, %s.", plural(st.Commits, "commit"), plural(st.Blobs, "blob"), humanBytes(st.Bytes))
	switch r.InventorySource {
	case "aws":
		fmt.Fprintf(&b, " Keys matched against the live IAM keys of account %s.", cmp.Or(mdEscape(r.Account), "(unknown)"))
	case "known-keys":
		b.WriteString(" Keys matched against the known-keys list.")
	default:
		b.WriteString(" Keys not matched against any account inventory.")
	}
	return b.String()
}

// isLive is a key that works: active in an inventory, or a pair that
// signed a request (--verify).
func isLive(s finding.KeyStatus) bool {
	return s == finding.StatusActive || s == finding.StatusLive
}

// liveRank puts live keys first, then the other statuses in the order
// they need attention, then by severity (finding.KeyFinding.Urgency).
func liveRank(k finding.KeyFinding) int { return k.Urgency() }

func statusCell(s finding.KeyStatus) string {
	if isLive(s) {
		return "**" + strings.ToUpper(string(s)) + "**"
	}
	return mdEscape(string(s))
}

func mdLastUsed(k finding.KeyFinding) string {
	if k.LastUsed.IsZero() {
		if k.Status == finding.StatusActive || k.Status == finding.StatusInactive {
			return "never"
		}
		return "—"
	}
	s := k.LastUsed.UTC().Format(time.DateOnly)
	if k.LastUsedService != "" {
		s += " " + k.LastUsedService
	}
	return mdEscape(s)
}

// places lists where a key was found: repository, path and line,
// grouped by repository, at most maxPlaces.
func places(fs []*finding.KeyFinding) string {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b *finding.KeyFinding) int {
		return cmp.Or(strings.Compare(a.Repository, b.Repository), strings.Compare(a.Path, b.Path))
	})
	var out []string
	for i, f := range fs {
		if i == maxPlaces {
			out = append(out, fmt.Sprintf("+%d more", len(fs)-i))
			break
		}
		p := "unreachable object"
		if !f.Unreachable {
			p = fmt.Sprintf("%s:%d", f.Path, f.Line)
		}
		if f.Repository != "" {
			p = f.Repository + ": " + p
		}
		out = append(out, mdEscape(p))
	}
	return strings.Join(out, "<br>")
}

// countOf is plural for words whose plural is not word+s.
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// maxMarkdownField bounds one untrusted string in the markdown.
const maxMarkdownField = 200

// mdEscape makes an untrusted string inert in markdown, inline and
// inside a table cell: every ASCII punctuation character that markdown or
// GitHub gives a meaning (emphasis, links, autolinks, HTML, mentions,
// cells) is backslash-escaped, control characters and line breaks become
// spaces, and the string is cut to maxMarkdownField runes by escape.Cut,
// which leaves out a word of the secrets' alphabet the cut would split
// (the scrubber finds a secret whole, so a part of one would be shown).
// TODO: use the shared escaping helpers once they land (issue 13).
func mdEscape(s string) string {
	n := 0
	for i := range s {
		if n == maxMarkdownField {
			s = escape.Cut(s, i)
			break
		}
		n++
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError || unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case r < utf8.RuneSelf && strings.ContainsRune("\\`*_{}[]()<>#+-.!|~&:@=$%^\"'", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.Is(unicode.Bidi_Control, r):
			// Bidirectional overrides reorder what the reader sees.
			fmt.Fprintf(&b, "U+%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// MarkdownScrubber scrubs markdown built from r: every secret as it is
// and as mdEscape and escape.Markdown write it (a backslash before its
// '+' and '/'), since markdown is escaped before it is scrubbed.
func MarkdownScrubber(r *finding.Report) *finding.Scrubber {
	return r.ScrubberWith(mdEscape, escape.Markdown)
}
