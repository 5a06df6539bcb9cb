package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keysweep/keysweep/finding"
)

// ControlRow is one compliance control's standing across the accounts the
// checks ran in: a control (CIS AWS Foundations v7.0 "2.5", FSBP
// "IAM.9") is failed in an account when any result of a rule implementing
// it failed there (suppressed failures excepted), passed when its rules
// judged the account and none failed.
type ControlRow struct {
	Control string   // "CIS v7.0 2.5", "FSBP IAM.9"
	Also    []string // the same rules' CIS v4.0 sections, for a CIS v7.0 row
	Rules   []string
	// Passing, Failing and Unknown count accounts; Unknown are accounts
	// where a rule could not run and none failed.
	Passing, Failing, Unknown int
	// Worst is the failing result of the highest severity.
	Worst *finding.CheckResult
}

// Compliance folds the report's check results into one row per control,
// CIS v7.0 sections first (in section order), then FSBP controls. Results
// without controls (older reports, rules that map to none) are left out.
func Compliance(r *finding.Report) []ControlRow {
	type acc struct{ pass, fail, unknown bool }
	rows := map[string]*ControlRow{}
	states := map[string]map[string]*acc{} // control → account → state
	for i := range r.Checks {
		c := &r.Checks[i]
		for _, ctl := range c.Controls {
			if strings.HasPrefix(ctl, "CIS v4.0 ") {
				continue // shown beside the v7.0 section of the same rules
			}
			row := rows[ctl]
			if row == nil {
				row = &ControlRow{Control: ctl}
				rows[ctl] = row
				states[ctl] = map[string]*acc{}
			}
			if !slices.Contains(row.Rules, c.RuleID) {
				row.Rules = append(row.Rules, c.RuleID)
			}
			if strings.HasPrefix(ctl, "CIS ") {
				for _, also := range c.Controls {
					if v4, ok := strings.CutPrefix(also, "CIS v4.0 "); ok && !slices.Contains(row.Also, v4) {
						row.Also = append(row.Also, v4)
					}
				}
			}
			a := states[ctl][c.Account]
			if a == nil {
				a = &acc{}
				states[ctl][c.Account] = a
			}
			switch {
			case c.State == finding.CheckFail && c.Suppressed == nil:
				a.fail = true
				if row.Worst == nil || c.Severity > row.Worst.Severity {
					row.Worst = c
				}
			case c.State == finding.CheckPass, c.State == finding.CheckFail:
				a.pass = true
			case c.State == finding.CheckCouldNotRun:
				a.unknown = true
			}
		}
	}
	out := make([]ControlRow, 0, len(rows))
	for ctl, row := range rows {
		for _, a := range states[ctl] {
			switch {
			case a.fail:
				row.Failing++
			case a.unknown:
				row.Unknown++
			case a.pass:
				row.Passing++
			}
		}
		slices.Sort(row.Also)
		out = append(out, *row)
	}
	slices.SortFunc(out, func(a, b ControlRow) int { return compareControls(a.Control, b.Control) })
	return out
}

// compareControls orders CIS before FSBP, and sections and control
// numbers numerically ("2.9" before "2.10", "EC2.2" before "EC2.12").
func compareControls(a, b string) int {
	fa, ia, _ := strings.Cut(a, " ")
	fb, ib, _ := strings.Cut(b, " ")
	if fa != fb {
		return cmp.Compare(fa, fb) // "CIS" before "FSBP"
	}
	pa, pb := strings.FieldsFunc(ia, splitControl), strings.FieldsFunc(ib, splitControl)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		switch {
		case ea == nil && eb == nil && na != nb:
			return cmp.Compare(na, nb)
		case (ea != nil || eb != nil) && pa[i] != pb[i]:
			return strings.Compare(pa[i], pb[i])
		}
	}
	return cmp.Compare(len(pa), len(pb))
}

func splitControl(r rune) bool { return r == '.' || r == ' ' }

// ComplianceMarkdown is the compliance table of the markdown report and
// the action's job summary: a row per control with the accounts passing
// and failing it and its worst failing resource; "" when no check result
// names a control.
func ComplianceMarkdown(r *finding.Report) string {
	rows := Compliance(r)
	if len(rows) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("### Compliance (CIS AWS Foundations v7.0, AWS FSBP)\n\n")
	b.WriteString("| Control | CIS v4.0 | Rules | Accounts passing | Accounts failing | Could not check | Worst resource |\n|---|---|---|---:|---:|---:|---|\n")
	for _, row := range rows {
		worst := "—"
		if w := row.Worst; w != nil {
			where := cmp.Or(w.Resource, "account")
			if w.Account != "" {
				where = w.Account + " " + where
			}
			if w.Region != "" {
				where += " (" + w.Region + ")"
			}
			worst = fmt.Sprintf("%s: %s", w.Severity, mdEscape(where))
		}
		rules := make([]string, len(row.Rules))
		for i, id := range row.Rules {
			rules[i] = "`" + id + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %s |\n", mdEscape(row.Control), cmp.Or(strings.Join(row.Also, ", "), "—"),
			strings.Join(rules, " "), row.Passing, row.Failing, row.Unknown, worst)
	}
	b.WriteString("\n")
	return b.String()
}
