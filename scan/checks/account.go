package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// management says what a trail lacks of CIS 3.1's management events,
// read and write: "" when it records both.
func management(t snapshot.Trail) string {
	ev := t.Events
	var miss []string
	if !ev.ManagementRead {
		miss = append(miss, "read")
	}
	if !ev.ManagementWrite {
		miss = append(miss, "write")
	}
	switch {
	case len(miss) == 2:
		return "records no management events"
	case len(miss) == 1:
		return "records no " + miss[0] + " management events"
	}
	return ""
}

// foreign reports whether another account owns the trail (an organization
// trail seen from a member): only that account can change it.
func (e *env) foreign(t snapshot.Trail) bool {
	a := t.Account()
	return a != "" && e.snap.Account != "" && a != e.snap.Account
}

// cloudTrailEnabled passes when a multi-region trail is logging read and
// write management events (CIS 3.1). An organization trail of the
// management account counts in a member; when the only such trail falls
// short, the member cannot fix it, so the result says where the fix
// belongs instead of failing every member.
func cloudTrailEnabled(e *env) {
	var short []string
	var foreignShort []snapshot.Trail
	for _, t := range e.snap.Trails {
		if !t.MultiRegion || t.Status == nil || !t.Status.Logging {
			continue
		}
		if t.Events == nil {
			if e.foreign(t) {
				e.pass("", "", "organization trail %s of account %s is logging in every region; its event selectors could not be read here and are judged in account %s", t.ARN, t.Account(), t.Account())
				return
			}
			continue
		}
		if why := management(t); why != "" {
			short = append(short, fmt.Sprintf("%s (%s)", t.Name, why))
			if e.foreign(t) {
				foreignShort = append(foreignShort, t)
			}
			continue
		}
		by := ""
		if e.foreign(t) {
			by = fmt.Sprintf(", an organization trail of account %s", t.Account())
		}
		e.pass("", "", "multi-region trail %s (home region %s%s) is logging read and write management events", t.ARN, t.HomeRegion, by)
		return
	}
	// A trail that could not be read might be the one that passes.
	if len(e.snap.FailuresOf(snapshot.SrcTrails, snapshot.SrcTrailStatus, snapshot.SrcEventSelectors)) > 0 {
		return
	}
	if len(e.snap.Trails) == 0 {
		e.fail("", "", "no CloudTrail trail in any collected region")
		return
	}
	if len(foreignShort) > 0 && len(foreignShort) == len(short) {
		t := foreignShort[0]
		e.notApplicable("", t.ARN, "organization trail %s %s; only its owner, management account %s, can change it: the fix belongs there, where this rule fails", t.Name, management(t), t.Account())
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
		} else if t.Events != nil && management(t) != "" {
			state += ", " + management(t)
		}
		seen = append(seen, fmt.Sprintf("%s (%s)", t.Name, state))
	}
	e.fail("", "", "no multi-region trail is logging read and write management events; trails: %s", list(seen, 5))
}

// owned judges only the trails the account can change; another account's
// (an organization trail in a member) is not applicable here, named with
// the account where it is judged.
func (e *env) owned(t snapshot.Trail) bool {
	if !e.foreign(t) {
		return true
	}
	e.notApplicable(t.HomeRegion, t.ARN, "trail %s belongs to account %s (an organization trail): it is judged, and can only be fixed, there", t.Name, t.Account())
	return false
}

func trailLogValidation(e *env) {
	for _, t := range e.snap.Trails {
		if !e.owned(t) {
			continue
		}
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
		case !e.owned(t):
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

// billingAlarm passes on an enabled billing alarm with an action, or,
// where there is none, an AWS Budgets budget with an alert: both notify
// someone when spending runs away.
func billingAlarm(e *env) {
	var idle []string
	for _, a := range e.snap.BillingAlarms {
		if a.ActionsEnabled && len(a.Actions) > 0 {
			e.pass(snapshot.GlobalRegion, "", "billing alarm %s notifies %s", a.Name, strings.Join(a.Actions, ", "))
			return
		}
		idle = append(idle, a.Name)
	}
	for _, b := range e.snap.Budgets {
		if b.Notifications > 0 {
			e.pass(snapshot.GlobalRegion, "", "no billing alarm, but AWS Budgets budget %s has %s", b.Name, plural(b.Notifications, "alert"))
			return
		}
	}
	if fs := e.snap.FailuresOf(snapshot.SrcBillingAlarms, snapshot.SrcBudgets); len(fs) > 0 {
		e.cannot(fs...) // what could not be read might be the monitoring
		return
	}
	why := "no CloudWatch alarm on AWS/Billing EstimatedCharges"
	if len(idle) > 0 {
		why = fmt.Sprintf("billing alarms without an enabled action: %s", list(idle, 5))
	}
	budgets := "and no AWS Budgets budget"
	if len(e.snap.Budgets) > 0 {
		budgets = fmt.Sprintf("and no alert on the account's %s", plural(len(e.snap.Budgets), "budget"))
	}
	e.fail(snapshot.GlobalRegion, "", "%s in %s %s. A member account of an AWS Organization may legitimately have none: "+
		"consolidated billing publishes the charges to the management account, where the alarm belongs", why, snapshot.GlobalRegion, budgets)
}
