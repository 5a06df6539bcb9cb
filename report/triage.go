package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
)

// The triage lines show a few of each list; the JSON report has them all.
const (
	maxShown     = 5
	maxShownText = 80 // characters of one value (a user agent)
)

// accessLine says what a key can do, in one line.
func accessLine(a *finding.Access) string {
	s := a.Level
	if a.Conditional {
		s += " (conditional)"
	}
	if len(a.Escalations) > 0 {
		s += "; escalation: " + firstOf(a.Escalations)
	}
	if len(a.HighImpact) > 0 {
		s += "; grants " + firstOf(a.HighImpact)
	}
	if len(a.Unreadable) > 0 {
		s += "; could not read " + firstOf(a.Unreadable)
	}
	return s
}

// activityLine says what CloudTrail saw a key do, in one line.
func activityLine(a *finding.Activity) string {
	if a.Events == 0 {
		s := "no events since " + a.Since.Format(time.DateOnly)
		if len(a.Unread) > 0 {
			s += "; not searched: " + firstOf(a.Unread)
		}
		return s
	}
	s := fmt.Sprintf("%s %s – %s", plural(a.Events, "event"), a.First.UTC().Format(time.RFC3339), a.Last.UTC().Format(time.RFC3339))
	if a.Truncated {
		s += " (or more: the search stopped at its page bound)"
	}
	names := slices.SortedFunc(maps.Keys(a.EventNames), func(x, y string) int {
		return cmp.Or(cmp.Compare(a.EventNames[y], a.EventNames[x]), strings.Compare(x, y))
	})
	for i, n := range names {
		names[i] = fmt.Sprintf("%s ×%d", n, a.EventNames[n])
	}
	s += "; " + firstOf(names)
	s += "; from " + firstOf(a.SourceIPs) + " in " + firstOf(a.Regions)
	if len(a.UserAgents) > 0 {
		s += "; agents " + firstOf(a.UserAgents)
	}
	if a.Errors > 0 {
		s += "; " + plural(a.Errors, "error")
		if a.DeniedBurst {
			s += " (AccessDenied burst: enumeration)"
		}
	}
	if len(a.Persistence) > 0 {
		s += "; persistence: " + firstOf(a.Persistence)
	}
	if len(a.Unread) > 0 {
		s += "; not searched: " + firstOf(a.Unread)
	}
	return s
}

// firstOf joins the first maxShown values, each cut at maxShownText, and
// says how many more there are.
func firstOf(vs []string) string {
	var out []string
	for i, v := range vs {
		if i == maxShown {
			out = append(out, fmt.Sprintf("+%d more", len(vs)-i))
			break
		}
		out = append(out, escape.Cut(v, maxShownText))
	}
	return strings.Join(out, ", ")
}
