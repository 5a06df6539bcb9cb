package sarif

import (
	"cmp"
	"strings"

	gosarif "github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/keysweep/keysweep/finding"
)

// accountRun holds the account checks. Failed checks are results.
// Passing and not-applicable checks are not; an empty run still closes the
// alerts they had before. A check that could not run says nothing about the
// account, so it is a tool execution notification, which GitHub shows on
// the tool status page, never a result that would open an alert.
func (b *builder) accountRun() *gosarif.Run {
	r := b.newRun(AccountCategory)
	for _, g := range b.report.Gaps {
		r.notify("warning", g, "")
	}
	var problems []finding.CheckResult
	for _, c := range b.report.Checks {
		switch c.State {
		case finding.CheckFail:
			problems = append(problems, c)
		case finding.CheckCouldNotRun:
			r.notify("warning", couldNotRun(c), c.RuleID)
		}
	}
	problems = capped(r, problems, b.opts.MaxResults, func(c finding.CheckResult) finding.Severity { return c.Severity })
	anchor := pathURI(b.opts.AccountAnchor)
	for _, c := range problems {
		b.checkResult(r, c, anchor)
	}
	return r.Run
}

// couldNotRun is the notification text for a check that could not run:
// which check, on what, and why.
func couldNotRun(c finding.CheckResult) string {
	msg := strings.TrimPrefix(c.Message, "could not run: ")
	return c.RuleID + " could not run: " + where(c, msg)
}

// where prefixes msg with the resource and region it is about, unless it
// names them already: every account result shares one anchor.
func where(c finding.CheckResult, msg string) string {
	if c.Resource != "" && !strings.Contains(msg, c.Resource) {
		msg = c.Resource + ": " + msg
	}
	if c.Region != "" && !strings.Contains(msg, c.Region) {
		msg = "[" + c.Region + "] " + msg
	}
	if c.AccountName != "" { // an organization: every account shares the run
		msg = "account " + c.Account + " (" + c.AccountName + "): " + msg
	}
	return msg
}

func (b *builder) checkResult(r *run, c finding.CheckResult, anchor string) {
	fp := c.Fingerprint
	if !r.claim(fp) {
		return
	}
	msg := where(c, c.Message)
	rule := b.rules.get(c.RuleID, c.Severity)
	res := r.result(c.RuleID, c.Severity, c.Severity.SARIFLevel(), cmp.Or(msg, rule.Title))
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
