package sarif

import (
	"cmp"
	"strings"

	gosarif "github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
)

// accountRun holds the account checks. Passing and not-applicable checks
// are not results; an empty run still closes the alerts they had before.
func (b *builder) accountRun() *gosarif.Run {
	r := b.newRun(AccountCategory)
	for _, g := range b.report.Gaps {
		r.notify("warning", g)
	}
	var problems []finding.CheckResult
	for _, c := range b.report.Checks {
		if c.State == finding.CheckFail || c.State == finding.CheckCouldNotRun {
			problems = append(problems, c)
		}
	}
	problems = capped(r, problems, b.opts.MaxResults, func(c finding.CheckResult) finding.Severity { return c.Severity })
	anchor := pathURI(b.opts.AccountAnchor)
	for _, c := range problems {
		b.checkResult(r, c, anchor)
	}
	return r.Run
}

func (b *builder) checkResult(r *run, c finding.CheckResult, anchor string) {
	level, msg := c.Severity.SARIFLevel(), c.Message
	parts := []string{c.RuleID, c.Resource, c.Region}
	if c.State == finding.CheckCouldNotRun {
		// Not a finding about the account, but the reader must see it.
		level = "note"
		if !strings.HasPrefix(msg, "could not run") {
			msg = "could not run: " + msg
		}
		parts = append(parts, string(c.State)) // apart from the same check's failure
	}
	fp := cmp.Or(c.Fingerprint, judge.Fingerprint(parts...))
	// Every account result shares one anchor, so the message must say
	// which resource it is about.
	if c.Resource != "" && !strings.Contains(msg, c.Resource) {
		msg = c.Resource + ": " + msg
	}
	if c.Region != "" && !strings.Contains(msg, c.Region) {
		msg = "[" + c.Region + "] " + msg
	}
	if c.AccountName != "" { // an organization: every account shares the run
		msg = "account " + c.Account + " (" + c.AccountName + "): " + msg
	}
	rule := b.rules.get(c.RuleID, c.Severity)
	res := r.result(c.RuleID, c.Severity, level, cmp.Or(msg, rule.Title))
	loc := location(anchor, 1, 0, 0)
	res.AddLocation(loc)
	fingerprint(res, fp)
	props := gosarif.Properties{"state": string(c.State), "severity": c.Severity.String()}
	for k, v := range map[string]string{"resource": c.Resource, "region": c.Region, "account": cmp.Or(c.Account, b.report.Account), "accountName": c.AccountName} {
		if v != "" {
			props[k] = v
		}
	}
	res.Properties = props
	suppress(res, c.Suppressed, loc, fp)
}
