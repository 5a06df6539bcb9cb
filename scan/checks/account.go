package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan/snapshot"
)

func cloudTrailEnabled(e *env) {
	for _, t := range e.snap.Trails {
		if t.MultiRegion && t.Status != nil && t.Status.Logging {
			e.pass("", "", "multi-region trail %s (home region %s) is logging", t.ARN, t.HomeRegion)
			return
		}
	}
	// A trail that could not be read might be the one that passes.
	if len(e.snap.FailuresOf(snapshot.SrcTrails, snapshot.SrcTrailStatus)) > 0 {
		return
	}
	if len(e.snap.Trails) == 0 {
		e.fail("", "", "no CloudTrail trail in any collected region")
		return
	}
	var seen []string
	for _, t := range e.snap.Trails {
		state := "single-region"
		if t.MultiRegion {
			state = "multi-region"
		}
		if t.Status != nil && !t.Status.Logging {
			state += ", not logging"
		}
		seen = append(seen, fmt.Sprintf("%s (%s)", t.Name, state))
	}
	e.fail("", "", "no multi-region trail is logging; trails: %s", list(seen, 5))
}

func trailLogValidation(e *env) {
	for _, t := range e.snap.Trails {
		if t.LogValidation {
			e.pass(t.HomeRegion, t.ARN, "trail %s validates its log files", t.Name)
			continue
		}
		e.fail(t.HomeRegion, t.ARN, "trail %s does not validate its log files (digest files are off)", t.Name)
	}
}

func trailDelivery(e *env) {
	maxAge := time.Duration(e.th.DeliveryMaxAgeHours) * time.Hour
	for _, t := range e.snap.Trails {
		st := t.Status
		switch {
		case st == nil:
			// its GetTrailStatus failure is a could-not-run result already
		case !st.Logging:
			e.notApplicable(t.HomeRegion, t.ARN, "trail %s is not logging (see cloudtrail-enabled)", t.Name)
		case st.LatestDeliveryErr != "":
			e.fail(t.HomeRegion, t.ARN, "trail %s cannot deliver logs to s3://%s: %s", t.Name, t.Bucket, st.LatestDeliveryErr)
		case st.LatestDelivery.IsZero() && e.now.Sub(st.StartedLogging) <= maxAge:
			e.pass(t.HomeRegion, t.ARN, "trail %s started logging %s ago and has not delivered yet", t.Name, e.now.Sub(st.StartedLogging).Round(time.Minute))
		case st.LatestDelivery.IsZero():
			e.fail(t.HomeRegion, t.ARN, "trail %s is logging but has never delivered a log file", t.Name)
		case e.now.Sub(st.LatestDelivery) > maxAge:
			e.fail(t.HomeRegion, t.ARN, "trail %s last delivered logs %s ago (limit %dh)", t.Name, e.now.Sub(st.LatestDelivery).Round(time.Hour), e.th.DeliveryMaxAgeHours)
		default:
			e.pass(t.HomeRegion, t.ARN, "trail %s delivered logs %s ago", t.Name, e.now.Sub(st.LatestDelivery).Round(time.Minute))
		}
	}
}

// advisorSeverity maps a Trusted Advisor status to a result: red is high,
// yellow medium.
var advisorSeverity = map[string]finding.Severity{
	"error":   finding.SeverityHigh,
	"warning": finding.SeverityMedium,
}

func trustedAdvisor(e *env) {
	ta := e.snap.Advisor
	switch {
	case ta == nil:
		return // the failure is a could-not-run result already
	case !ta.Available:
		e.notApplicable(snapshot.GlobalRegion, "", "Trusted Advisor is not available on this support plan (the Support API needs Business, Enterprise On-Ramp or Enterprise support)")
		return
	}
	for _, c := range ta.Checks {
		if !slices.Contains(e.th.AdvisorCategories, c.Category) {
			continue
		}
		res := "trusted-advisor/" + c.ID
		switch sev, bad := advisorSeverity[c.Status]; {
		case bad:
			e.add(finding.CheckFail, sev, snapshot.GlobalRegion, res, "Trusted Advisor %q (%s) is %s: %s flagged", c.Name, c.Category, c.Status, plural(int(c.Flagged), "resource"))
		case c.Status == "ok":
			e.add(finding.CheckPass, finding.SeverityInfo, snapshot.GlobalRegion, res, "Trusted Advisor %q (%s) is ok", c.Name, c.Category)
		default:
			e.notApplicable(snapshot.GlobalRegion, res, "Trusted Advisor %q (%s) has no result (%s)", c.Name, c.Category, orNone(c.Status))
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "no status"
	}
	return s
}

func billingAlarm(e *env) {
	if e.missing(snapshot.SrcBillingAlarms) {
		return
	}
	var idle []string
	for _, a := range e.snap.BillingAlarms {
		if a.ActionsEnabled && len(a.Actions) > 0 {
			e.pass(snapshot.GlobalRegion, "", "billing alarm %s notifies %s", a.Name, strings.Join(a.Actions, ", "))
			return
		}
		idle = append(idle, a.Name)
	}
	why := "no CloudWatch alarm on AWS/Billing EstimatedCharges"
	if len(idle) > 0 {
		why = fmt.Sprintf("billing alarms without an enabled action: %s", list(idle, 5))
	}
	e.fail(snapshot.GlobalRegion, "", "%s in %s. A member account of an AWS Organization may legitimately have none: "+
		"consolidated billing publishes the charges to the management account, where the alarm belongs", why, snapshot.GlobalRegion)
}
