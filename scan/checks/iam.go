package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan/snapshot"
)

func passwordPolicy(e *env) {
	if e.missing(snapshot.SrcPasswordPolicy) {
		return
	}
	p := e.snap.PasswordPolicy
	if p == nil {
		e.fail("", "", "no account password policy: the AWS default applies (8 characters, no required character classes enforced by policy); set one with at least %d characters", e.th.PasswordMinLength)
		return
	}
	var weak []string
	if p.MinimumLength < e.th.PasswordMinLength {
		weak = append(weak, fmt.Sprintf("minimum length %d < %d", p.MinimumLength, e.th.PasswordMinLength))
	}
	for _, r := range []struct {
		ok   bool
		what string
	}{
		{p.RequireUppercase, "no uppercase letter required"},
		{p.RequireLowercase, "no lowercase letter required"},
		{p.RequireNumbers, "no number required"},
		{p.RequireSymbols, "no symbol required"},
		{p.AllowUsersToChange, "users may not change their own password"},
		{!p.HardExpiry, "hard expiry locks users out when their password expires"},
	} {
		if !r.ok {
			weak = append(weak, r.what)
		}
	}
	if len(weak) > 0 {
		e.fail("", "", "password policy is weaker than recommended: %s", strings.Join(weak, "; "))
		return
	}
	e.pass("", "", "password policy requires %d+ characters with upper, lower, number and symbol", p.MinimumLength)
}

// root returns the credential report's root row, or reports why the root
// checks cannot run. (moto's report has no root row; AWS's always does.)
func root(e *env) (snapshot.CredentialRow, bool) {
	if e.missing(snapshot.SrcCredentialReport) {
		return snapshot.CredentialRow{}, false
	}
	for _, r := range e.snap.CredentialReport {
		if r.Root() {
			return r, true
		}
	}
	e.add(finding.CheckCouldNotRun, e.rule.Severity, "", finding.RootUser, "could not run: the credential report has no %s row", finding.RootUser)
	return snapshot.CredentialRow{}, false
}

func rootAccessKey(e *env) {
	r, ok := root(e)
	if !ok {
		return
	}
	var active []string
	for i, k := range r.Keys {
		if !k.Active {
			continue
		}
		used := "never used"
		if !k.LastUsed.IsZero() {
			used = fmt.Sprintf("last used %s", k.LastUsed.Time.Format(time.DateOnly))
		}
		active = append(active, fmt.Sprintf("access key %d (%s)", i+1, used))
	}
	if len(active) > 0 {
		e.fail("", r.ARN, "the root user has an active access key: %s", strings.Join(active, ", "))
		return
	}
	e.pass("", r.ARN, "the root user has no active access key")
}

func rootMFA(e *env) {
	r, ok := root(e)
	if !ok {
		return
	}
	if !r.MFAActive {
		e.fail("", r.ARN, "the root user has no MFA device")
		return
	}
	e.pass("", r.ARN, "the root user has MFA")
}

func userMFA(e *env) {
	for _, r := range e.snap.CredentialReport {
		switch {
		case r.Root():
		case !r.PasswordEnabled:
			e.pass("", r.ARN, "user %s has no console password", r.User)
		case r.MFAActive:
			e.pass("", r.ARN, "user %s has a console password and MFA", r.User)
		default:
			e.fail("", r.ARN, "user %s can sign in to the console with a password and has no MFA device", r.User)
		}
	}
}

// keyFact is one access key, from ListAccessKeys (live) or, when that
// could not be read, from the credential report.
type keyFact struct {
	ID       string // "" when from the report, which has no key IDs
	Resource string
	User     string
	UserARN  string
	Active   bool
	Created  time.Time
	LastUsed time.Time
}

func (k keyFact) name() string {
	if k.ID != "" {
		return "access key " + k.ID
	}
	return k.Resource
}

// keys returns every access key, preferring the live listing. lastUsed
// says whether the caller needs last-used dates (and so their failures).
func keys(e *env, lastUsed bool) []keyFact {
	s := e.snap
	if !e.missing(snapshot.SrcAccessKeys) {
		for _, f := range s.FailuresOf(snapshot.SrcAccessKeys) {
			if lastUsed || f.Permission != "iam:GetAccessKeyLastUsed" {
				e.cannot(f)
			}
		}
		var out []keyFact
		for _, u := range s.Users {
			for _, k := range u.Keys {
				out = append(out, keyFact{ID: k.ID, Resource: k.ID, User: u.Name, UserARN: u.ARN,
					Active: k.Status == "Active", Created: k.Created, LastUsed: k.LastUsed})
			}
		}
		return out
	}
	if e.missing(snapshot.SrcCredentialReport) {
		e.cannot(s.FailuresOf(snapshot.SrcAccessKeys, snapshot.SrcCredentialReport)...)
		return nil
	}
	var out []keyFact
	for _, r := range s.CredentialReport {
		if r.Root() {
			continue // root keys have their own rule
		}
		for i, k := range r.Keys {
			if k.LastRotated.IsZero() {
				continue // no key in this slot
			}
			out = append(out, keyFact{Resource: fmt.Sprintf("%s access_key_%d", r.ARN, i+1), User: r.User, UserARN: r.ARN,
				Active: k.Active, Created: k.LastRotated.Time, LastUsed: k.LastUsed.Time})
		}
	}
	return out
}

func keyRotation(e *env) {
	for _, k := range keys(e, false) {
		if !k.Active {
			continue
		}
		age := e.days(k.Created)
		if age > e.th.KeyMaxAgeDays {
			e.fail("", k.Resource, "%s of user %s is active and %d days old (limit %d)", k.name(), k.User, age, e.th.KeyMaxAgeDays)
			continue
		}
		e.pass("", k.Resource, "%s of user %s is %d days old", k.name(), k.User, age)
	}
}

func unusedCredentials(e *env) {
	limit := e.th.UnusedDays
	// Console passwords: only the credential report says whether one exists.
	if !e.missing(snapshot.SrcCredentialReport) {
		for _, r := range e.snap.CredentialReport {
			if r.Root() || !r.PasswordEnabled {
				continue
			}
			switch last := r.PasswordLastUsed; {
			case !last.IsZero() && e.days(last.Time) > limit:
				e.fail("", r.ARN, "console password of user %s last used %d days ago (limit %d)", r.User, e.days(last.Time), limit)
			case last.IsZero() && e.days(r.Created) > limit:
				e.fail("", r.ARN, "console password of user %s never used; the user is %d days old (limit %d)", r.User, e.days(r.Created), limit)
			default:
				e.pass("", r.ARN, "console password of user %s used within %d days or recently created", r.User, limit)
			}
		}
	} else {
		e.cannot(e.snap.FailuresOf(snapshot.SrcCredentialReport)...)
	}
	for _, k := range keys(e, true) {
		if !k.Active {
			continue
		}
		switch {
		case !k.LastUsed.IsZero() && e.days(k.LastUsed) > limit:
			e.fail("", k.Resource, "%s of user %s last used %d days ago (limit %d)", k.name(), k.User, e.days(k.LastUsed), limit)
		case k.LastUsed.IsZero() && e.days(k.Created) > limit:
			e.fail("", k.Resource, "%s of user %s never used; created %d days ago (limit %d)", k.name(), k.User, e.days(k.Created), limit)
		default:
			e.pass("", k.Resource, "%s of user %s used within %d days or recently created", k.name(), k.User, limit)
		}
	}
}

func twoActiveKeys(e *env) {
	type user struct {
		arn, name string
		active    []string
	}
	var users []*user // in listing order
	byARN := map[string]*user{}
	for _, k := range keys(e, false) {
		u := byARN[k.UserARN]
		if u == nil {
			u = &user{arn: k.UserARN, name: k.User}
			byARN[k.UserARN] = u
			users = append(users, u)
		}
		if k.Active {
			u.active = append(u.active, k.name())
		}
	}
	for _, u := range users {
		if len(u.active) > 1 {
			e.fail("", u.arn, "user %s has %d active access keys: %s", u.name, len(u.active), strings.Join(u.active, ", "))
			continue
		}
		e.pass("", u.arn, "user %s has %s", u.name, plural(len(u.active), "active access key"))
	}
}

func adminPolicy(e *env) {
	if e.missing(snapshot.SrcPolicies) {
		return
	}
	n := 0
	for _, p := range e.snap.Principals {
		if len(p.AdminVia) == 0 {
			continue
		}
		n++
		e.fail("", p.ARN, "%s %s is allowed \"*\" on \"*\" by %s", p.Kind, p.Name, strings.Join(p.AdminVia, ", "))
	}
	if n == 0 {
		e.pass("", "", "no user, role or group is allowed \"*\" on \"*\"")
	}
}

func unusedServices(e *env) {
	if n := e.snap.ServiceAccessSkipped; n > 0 {
		e.add(finding.CheckCouldNotRun, e.rule.Severity, "", "", "could not run for %s: over the limit of Access Advisor jobs per scan", plural(n, "principal"))
	}
	limit := e.th.ServiceUnusedDays
	for _, p := range e.snap.Principals {
		if !p.ServicesRead {
			continue
		}
		var unused []string
		for _, s := range p.Services {
			if (s.LastAuthenticated.IsZero() && e.days(p.Created) > limit) ||
				(!s.LastAuthenticated.IsZero() && e.days(s.LastAuthenticated) > limit) {
				unused = append(unused, s.Namespace)
			}
		}
		slices.Sort(unused)
		if len(unused) > 0 {
			e.fail("", p.ARN, "%s %s is allowed %s it has not used for %d+ days: %s", p.Kind, p.Name,
				plural(len(unused), "service"), limit, list(unused, 8))
			continue
		}
		e.pass("", p.ARN, "%s %s used every service it is allowed within %d days (or is newer than that)", p.Kind, p.Name, limit)
	}
}
