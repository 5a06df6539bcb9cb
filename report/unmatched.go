package report

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/keysweep/keysweep/finding"
)

// maxListedLines bounds the line numbers an unmatched-ignores line
// lists, so a long stale file costs one line of the report, not a page.
const maxListedLines = 10

// unmatchedLine says which ignore entries matched no finding of a
// full-history scan, by line number, or "" when every entry matched.
func unmatchedLine(r *finding.Report) string {
	n := len(r.UnmatchedIgnores)
	if n == 0 {
		return ""
	}
	lines := make([]string, 0, min(n, maxListedLines))
	for _, u := range r.UnmatchedIgnores[:min(n, maxListedLines)] {
		lines = append(lines, strconv.Itoa(u.Line))
	}
	list := strings.Join(lines, ", ")
	if n > maxListedLines {
		list += fmt.Sprintf(" and %d more", n-maxListedLines)
	}
	file := filepath.Base(cmp.Or(r.IgnoreFile, ".keysweepignore"))
	s := fmt.Sprintf("%s of %s %s no finding of this scan (line %s): the key is gone from history or the check passes; remove %s",
		countOf(n, "entry", "entries"), file, map[bool]string{true: "matches", false: "match"}[n == 1], list, map[bool]string{true: "it", false: "them"}[n == 1])
	if len(r.Checks) == 0 {
		s += " (an account check's entry matches only in a run with --aws)"
	}
	return s
}
