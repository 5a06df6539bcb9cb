package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/keysweep/keysweep/finding"
)

// ruleTally is one account check rule's results.
type ruleTally struct {
	id       string
	severity finding.Severity
	counts   map[finding.CheckState]int
	problems []finding.CheckResult // failed or could not run
}

func tallyChecks(checks []finding.CheckResult) []*ruleTally {
	var rules []*ruleTally
	byID := map[string]*ruleTally{}
	for _, c := range checks {
		t := byID[c.RuleID]
		if t == nil {
			t = &ruleTally{id: c.RuleID, counts: map[finding.CheckState]int{}}
			byID[c.RuleID] = t
			rules = append(rules, t)
		}
		t.severity = max(t.severity, c.Severity)
		t.counts[c.State]++
		if c.State == finding.CheckFail || c.State == finding.CheckCouldNotRun {
			t.problems = append(t.problems, c)
		}
	}
	slices.SortFunc(rules, func(a, b *ruleTally) int {
		return cmp.Or(cmp.Compare(b.severity, a.severity), strings.Compare(a.id, b.id))
	})
	return rules
}

func (p *printer) checks(checks []finding.CheckResult) {
	if len(checks) == 0 {
		return
	}
	rules := tallyChecks(checks)
	p.printf("\n%s\n", p.paint(bold, "Account checks"))
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fprintf(tw, "  RULE\tSEVERITY\tPASS\tFAIL\tCOULD NOT RUN\n")
	for _, t := range rules {
		fprintf(tw, "  %s\t%s\t%d\t%d\t%d\n", t.id, t.severity,
			t.counts[finding.CheckPass], t.counts[finding.CheckFail], t.counts[finding.CheckCouldNotRun])
	}
	tw.Flush()
	for _, t := range rules {
		if len(t.problems) == 0 {
			continue
		}
		p.printf("\n%s %s\n", p.severityLabel(t.severity), p.paint(bold, t.id))
		for _, c := range t.problems {
			p.printf("  %s %s\n", p.checkState(c), checkLine(c))
		}
	}
}

func (p *printer) checkState(c finding.CheckResult) styled {
	if c.State == finding.CheckCouldNotRun {
		return p.paint(yellow, "COULD NOT RUN")
	}
	return p.paint(red, "FAIL")
}

func checkLine(c finding.CheckResult) string {
	var where []string
	if c.AccountName != "" { // an organization: say which account
		where = append(where, c.Account+" ("+c.AccountName+")")
	}
	if c.Region != "" {
		where = append(where, c.Region)
	}
	if c.Resource != "" {
		where = append(where, c.Resource)
	}
	s := c.Message
	if c.State == finding.CheckCouldNotRun {
		s = strings.TrimPrefix(s, "could not run: ") // the label says so already
	}
	if len(where) > 0 {
		s = strings.Join(where, " ") + ": " + s
	}
	if c.Suppressed != nil {
		s += " (suppressed, " + c.Suppressed.Kind + ": " + c.Suppressed.Justification + ")"
	}
	if c.SuppressionNote != "" {
		s += " (" + c.SuppressionNote + ")"
	}
	if c.State == finding.CheckFail && c.Fingerprint != "" {
		s += "  fingerprint " + c.Fingerprint
	}
	return s
}

// summary is the closing line: unsuppressed findings by severity, then what
// else a reader must not miss.
func (p *printer) summary(r *finding.Report) {
	sum := Summarize(r)
	var parts []string
	for s := finding.SeverityCritical; s >= finding.SeverityInfo; s-- {
		parts = append(parts, string(p.paint(severityStyle[s], fmt.Sprintf("%d %s", sum.count(s), s))))
	}
	line := "summary: " + strings.Join(parts, ", ") + " findings"
	if sum.Suppressed > 0 {
		line += fmt.Sprintf("; %d suppressed", sum.Suppressed)
	}
	if sum.BaselineHidden > 0 {
		line += fmt.Sprintf("; %d hidden by the baseline", sum.BaselineHidden)
	}
	if sum.CouldNotRun > 0 {
		line += "; " + plural(sum.CouldNotRun, "check") + " could not run"
	}
	if n := len(r.Skipped); n > 0 {
		line += "; " + string(p.paint(bold+red, "PARTIAL scan, "+plural(n, "object")+" skipped"))
	}
	p.printf("\n%s\n", styled(line))
}
