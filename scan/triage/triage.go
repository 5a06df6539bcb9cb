// Package triage judges what a committed key can do and what it did since
// it leaked, as pure functions of the facts scan/snapshot read: the
// account's authorization details (evaluated by scan/iampolicy) and the
// CloudTrail events made with the key. It holds no AWS client; scan
// collects, triage judges, and the judge ranks the findings by what it
// says.
package triage

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/scan/iampolicy"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// Access judges what the IAM user's keys can do. auth nil means the
// authorization details could not be read (fail says why); scps are the
// service control policy levels that apply to the account (nil outside an
// organization or when unread).
func Access(auth *snapshot.Authorization, fail *snapshot.Failure, user string, scps [][]iampolicy.Policy) *finding.Access {
	a := &finding.Access{Level: string(iampolicy.LevelUnknown), Grants: []finding.Grant{}, Unreadable: []string{}}
	if auth == nil {
		why := "iam:GetAccountAuthorizationDetails"
		if fail != nil {
			why = fail.Cause()
		}
		a.Unreadable = append(a.Unreadable, why)
		return a
	}
	u, ok := auth.User(user)
	if !ok {
		a.Unreadable = append(a.Unreadable, "user "+user+": not in the account's authorization details")
		return a
	}
	a.Principal = u.ARN
	p := iampolicy.Principal{ARN: u.ARN, SCPs: scps}
	var unreadable []string
	parse := func(name, doc string) (iampolicy.Policy, bool) {
		pol, err := iampolicy.Parse(name, doc)
		if err != nil {
			unreadable = append(unreadable, err.Error())
			return pol, false
		}
		return pol, true
	}
	managed := func(arn string) (iampolicy.Policy, bool) {
		doc, ok := auth.Policies[arn]
		if !ok {
			why := "not returned"
			if f, failed := auth.PolicyFailure(arn); failed {
				why = f.Cause()
			}
			unreadable = append(unreadable, arn+": "+why)
			return iampolicy.Policy{}, false
		}
		return parse(arn, doc)
	}
	addInline := func(prefix string, ps []snapshot.InlinePolicy) {
		for _, d := range ps {
			if pol, ok := parse(prefix+"inline:"+d.Name, d.Document); ok {
				p.Identity = append(p.Identity, pol)
			}
		}
	}
	addAttached := func(arns []string) {
		for _, arn := range arns {
			if pol, ok := managed(arn); ok {
				p.Identity = append(p.Identity, pol)
			}
		}
	}
	addInline("", u.Inline)
	addAttached(u.Attached)
	for _, name := range u.Groups {
		g, ok := auth.Group(name)
		if !ok {
			unreadable = append(unreadable, "group "+name+": not in the account's authorization details")
			continue
		}
		addInline("group:"+name+"/", g.Inline)
		addAttached(g.Attached)
	}
	if u.Boundary != "" {
		if pol, ok := managed(u.Boundary); ok {
			p.Boundary = &pol
		} else {
			// An unread boundary can only take away: judge without it,
			// and say the level may be lower.
			unreadable = append(unreadable, "permissions boundary "+u.Boundary+" not applied")
		}
	}
	as := iampolicy.Assess(p)
	a.Level, a.Conditional, a.GrantsTruncated, a.HighImpact = string(as.Level), as.Conditional, as.Truncated, as.HighImpact
	a.Grants = append(a.Grants, as.Grants...)
	for _, e := range as.Escalations {
		s := e.Path + " (" + strings.Join(e.Actions, " + ") + ")"
		if e.Conditional {
			s += " (conditional)"
		}
		a.Escalations = append(a.Escalations, s)
	}
	a.Unreadable = append(a.Unreadable, unreadable...)
	// What could not be read may grant more: only admin is certain.
	if len(a.Unreadable) > 0 && as.Level != iampolicy.LevelAdmin {
		a.Level = string(iampolicy.LevelUnknown)
	}
	return a
}

// Window is where a key's search of the event history starts: the
// introducing commit's date, unless that is older than the history (or
// unknown), and then the history's start, which does not cover the leak.
func Window(committed, now time.Time) (since time.Time, coversLeak bool) {
	start := now.Add(-snapshot.EventHistory)
	if committed.IsZero() || committed.Before(start) {
		return start, false
	}
	return committed, true
}

// persistence are the events that keep or widen an intruder's access
// (new identities, credentials, policies, trust) or blind the account.
var persistence = map[string]bool{
	"iam:CreateUser": true, "iam:CreateAccessKey": true, "iam:CreateLoginProfile": true, "iam:UpdateLoginProfile": true,
	"iam:AttachUserPolicy": true, "iam:AttachGroupPolicy": true, "iam:AttachRolePolicy": true,
	"iam:PutUserPolicy": true, "iam:PutGroupPolicy": true, "iam:PutRolePolicy": true,
	"iam:CreatePolicyVersion": true, "iam:SetDefaultPolicyVersion": true, "iam:AddUserToGroup": true,
	"iam:CreateRole": true, "iam:UpdateAssumeRolePolicy": true, "iam:DeleteUserPermissionsBoundary": true,
	"iam:DeleteRolePermissionsBoundary": true, "iam:CreateVirtualMFADevice": true, "iam:EnableMFADevice": true,
	"sts:GetFederationToken": true, "cloudtrail:StopLogging": true, "cloudtrail:DeleteTrail": true,
	"cloudtrail:UpdateTrail": true, "guardduty:DeleteDetector": true, "organizations:LeaveOrganization": true,
}

// Denied-burst detection: this many AccessDenied errors within the window
// is someone trying what the key can do.
const (
	burstCount  = 10
	burstWindow = 5 * time.Minute
)

// Activity summarises the events of one key's searches (one Lookup per
// region) since the window's start.
func Activity(lookups []snapshot.Lookup, since time.Time, coversLeak bool) *finding.Activity {
	a := &finding.Activity{Since: since.UTC(), CoversLeak: coversLeak, EventNames: map[string]int{},
		SourceIPs: []string{}, UserAgents: []string{}, Regions: []string{}, Persistence: []string{}}
	ips, agents, regions := map[string]bool{}, map[string]bool{}, map[string]bool{}
	ok, failed := map[string]int{}, map[string]int{}
	var denied []time.Time
	for _, l := range lookups {
		if l.Failure != nil {
			a.Unread = append(a.Unread, l.Region+": "+l.Failure.Cause())
			continue
		}
		a.Truncated = a.Truncated || l.Truncated
		for _, e := range l.Events {
			if e.Time.Before(since) {
				continue
			}
			a.Events++
			if a.First.IsZero() || e.Time.Before(a.First) {
				a.First = e.Time.UTC()
			}
			if e.Time.After(a.Last) {
				a.Last = e.Time.UTC()
			}
			name := e.Service() + ":" + e.Name
			a.EventNames[name]++
			set(ips, e.SourceIP)
			set(agents, e.UserAgent)
			set(regions, e.Region)
			if e.ErrorCode != "" {
				a.Errors++
				if snapshot.AccessDenied(e.ErrorCode) || strings.HasPrefix(e.ErrorCode, "Client.Unauthorized") {
					denied = append(denied, e.Time)
				}
			}
			if persistence[name] {
				if e.ErrorCode == "" {
					ok[name]++
				} else {
					failed[name]++
				}
			}
		}
	}
	a.SourceIPs, a.UserAgents, a.Regions = sorted(ips), sorted(agents), sorted(regions)
	// What CloudTrail records of a request (its user agent above all) is
	// the caller's to choose: the lists are bounded, and say so.
	for _, l := range []*[]string{&a.SourceIPs, &a.UserAgents} {
		if len(*l) > MaxValues {
			*l = (*l)[:MaxValues]
			a.ValuesTruncated = true
		}
	}
	a.DeniedBurst = burst(denied)
	for _, name := range slices.Sorted(maps.Keys(merge(ok, failed))) {
		switch {
		case ok[name] > 0:
			a.Persistence = append(a.Persistence, fmt.Sprintf("%s ×%d", name, ok[name]))
		default:
			a.Persistence = append(a.Persistence, fmt.Sprintf("%s ×%d (failed)", name, failed[name]))
		}
	}
	slices.Sort(a.Unread)
	return a
}

// Bounds of an activity summary's lists: distinct source IPs and user
// agents kept, and the characters kept of each.
const (
	MaxValues   = 100
	MaxValueLen = 256
)

func set(m map[string]bool, v string) {
	// A caller chooses its user agent: cut so that no part of a secret in
	// it survives for the scrubber to miss.
	v = escape.Cut(v, MaxValueLen)
	if v != "" {
		m[v] = true
	}
}

// sorted is m's keys in order, never nil: the JSON contract has arrays.
func sorted(m map[string]bool) []string {
	out := slices.Sorted(maps.Keys(m))
	if out == nil {
		out = []string{}
	}
	return out
}

func merge(a, b map[string]int) map[string]int {
	out := maps.Clone(a)
	for k, v := range b {
		out[k] += v
	}
	return out
}

// burst reports whether burstCount denials fall within burstWindow.
func burst(ts []time.Time) bool {
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	for i := 0; i+burstCount-1 < len(ts); i++ {
		if ts[i+burstCount-1].Sub(ts[i]) <= burstWindow {
			return true
		}
	}
	return false
}
