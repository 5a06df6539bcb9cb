package sarif

import (
	"cmp"
	"fmt"

	gosarif "github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
)

// maxSkippedNotes keeps a badly corrupt repository from filling the log.
const maxSkippedNotes = 100

func (b *builder) historyRun() *gosarif.Run {
	r := b.newRun(HistoryCategory)
	rep := b.report
	if !rep.Started.IsZero() && rep.Stats.Duration > 0 {
		r.Invocations[0].WithEndTimeUTC(rep.Started.Add(rep.Stats.Duration))
	}
	for i, s := range rep.Skipped {
		if i == maxSkippedNotes {
			r.notify("error", fmt.Sprintf("… and %d more objects could not be read", len(rep.Skipped)-i), "")
			break
		}
		r.notify("error", "not scanned, the scan is partial: "+s, "")
	}
	// The report lists keys by urgency (the judge's order); a capped run
	// keeps the most severe.
	keys := capped(r, rep.Keys, b.opts.MaxResults, func(k finding.KeyFinding) finding.Severity { return k.Severity })
	for _, k := range keys {
		b.keyResult(r, k)
	}
	return r.Run
}

func (b *builder) keyResult(r *run, k finding.KeyFinding) {
	fp := k.Fingerprint
	if !r.claim(fp) {
		return
	}
	// One key, one alert: the rule is the evidence's, never the status's
	// (judge.AlertRules); the status's level is the result's.
	ruleID := judge.AlertRuleID(k)
	rule := b.rules.get(ruleID, k.Severity)
	msg := cmp.Or(k.Message, rule.Title)
	if k.Triage != "" {
		msg += " Triage: " + k.Triage + "."
	}
	res := r.result(ruleID, k.Severity, k.Severity.SARIFLevel(), msg)
	path := k.Path
	if path == "" {
		// A dangling blob has no path; anchor it somewhere stable and relative.
		path = "unreachable/" + k.Blob
	}
	loc := location(pathURI(path), k.Line, k.Column, len(k.KeyID))
	res.AddLocation(loc)
	fingerprint(res, fp)
	props := gosarif.Properties{
		"keyId":    k.KeyID,
		"commit":   k.Commit,
		"status":   string(k.Status),
		"inHead":   k.InHead,
		"severity": k.Severity.String(),
		// The judge's rule for this run's status, for people and tools
		// that want it; not the alert's identity.
		"statusRule": k.RuleID,
	}
	for name, v := range map[string]string{
		"user": k.User, "account": k.Account, "accountName": k.AccountName, "repository": k.Repository,
		"arn": k.ARN, "rejectedCode": k.RejectedCode, "canary": k.Canary, "decoded": k.Decoded,
	} {
		if v != "" {
			props[name] = v
		}
	}
	if k.Access != nil {
		props["access"] = k.Access.Level
	}
	if k.Activity != nil {
		props["eventsSinceLeak"] = k.Activity.Events
	}
	res.Properties = props
	suppress(res, k.Suppressed, loc, fp)
}
