package judge

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
)

// why is one line that says why a key ranks where it does: "ACTIVE,
// admin, used 14 times since it was committed on 2024-03-02, from 3
// source IPs, last 2 hours ago; CreateAccessKey seen".
func why(k finding.KeyFinding, now time.Time) string {
	var parts []string
	parts = append(parts, strings.ToUpper(string(k.Status)))
	if a := k.Access; a != nil {
		lvl := a.Level
		if a.Conditional {
			lvl += " (conditional)"
		}
		parts = append(parts, lvl)
	}
	line := strings.Join(parts, ", ")
	act := k.Activity
	if act == nil {
		return line
	}
	from := "since it was committed on " + act.Since.Format(time.DateOnly)
	if !act.CoversLeak {
		from = "in the event history since " + act.Since.Format(time.DateOnly) + " (the leak is older)"
	}
	if act.Events == 0 {
		line += ", not used " + from
	} else {
		more := ""
		if act.Truncated {
			more = " or more"
		}
		line += fmt.Sprintf(", used %s%s %s, from %s, last %s",
			count(act.Events, "time"), more, from, count(len(act.SourceIPs), "source IP"), ago(act.Last, now))
	}
	var notes []string
	for _, p := range act.Persistence {
		name, _, _ := strings.Cut(p, " ")
		_, name, _ = strings.Cut(name, ":")
		if !strings.HasSuffix(p, "(failed)") {
			notes = append(notes, name+" seen")
		}
	}
	if act.DeniedBurst {
		notes = append(notes, "AccessDenied burst (enumeration)")
	}
	if len(act.Unread) > 0 {
		notes = append(notes, count(len(act.Unread), "region")+" not searched")
	}
	if len(notes) > 0 {
		line += "; " + strings.Join(notes, ", ")
	}
	return line
}

// Order sorts findings by urgency (finding.KeyFinding.Urgency), most
// urgent first, then by key ID and path, keeping a stable order.
func Order(fs []finding.KeyFinding) {
	slices.SortStableFunc(fs, func(a, b finding.KeyFinding) int {
		return cmp.Or(cmp.Compare(b.Urgency(), a.Urgency()), strings.Compare(a.KeyID, b.KeyID), strings.Compare(a.Path, b.Path))
	})
}
