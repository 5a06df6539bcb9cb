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

// rootCredential names the root user's credentials, "" when it has none:
// the normal state of member accounts created by Organizations and of
// accounts under centralized root access, where MFA protects nothing.
// Where the report does not say whether root has a password
// ("not_supported"), GetAccountSummary's AccountPasswordPresent does; if
// neither says, root counts as having one.
func rootCredential(e *env, r snapshot.CredentialRow) string {
	var has []string
	summary := e.snap.RootPasswordPresent
	if r.PasswordEnabled || (r.PasswordUnknown && (summary == nil || *summary)) {
		has = append(has, "a password")
	}
	for _, k := range r.Keys {
		if k.Active {
			has = append(has, "an active access key")
			break
		}
	}
	return strings.Join(has, " and ")
}

// centrally says how the organization manages root credentials, for the
// messages of the root rules ("" when it does not, or it is unknown).
func centrally(e *env) string {
	if o := e.snap.Organization; o != nil && o.Visible && o.RootCredentialsManagement {
		return "; the organization manages root credentials centrally (RootCredentialsManagement)"
	}
	return ""
}

func rootMFA(e *env) {
	r, ok := root(e)
	if !ok {
		return
	}
	cred := rootCredential(e, r)
	switch {
	case cred == "":
		e.pass("", r.ARN, "the root user has no password and no access key: nothing to sign in with%s", centrally(e))
	case !r.MFAActive:
		e.fail("", r.ARN, "the root user has %s and no MFA device%s", cred, centrally(e))
	default:
		e.pass("", r.ARN, "the root user has %s, protected by MFA%s", cred, centrally(e))
	}
}

func rootHardwareMFA(e *env) {
	r, ok := root(e)
	if !ok || e.missing(snapshot.SrcMFADevices) {
		return
	}
	cred := rootCredential(e, r)
	switch {
	case cred == "":
		e.pass("", r.ARN, "the root user has no password and no access key: nothing to sign in with%s", centrally(e))
	case !r.MFAActive:
		e.fail("", r.ARN, "the root user has %s and no MFA device at all (see iam-root-mfa)", cred)
	case len(e.snap.RootVirtualMFA) > 0:
		e.fail("", r.ARN, "the root user's MFA is a virtual device (%s), not a hardware one", list(e.snap.RootVirtualMFA, 3))
	default:
		e.pass("", r.ARN, "the root user has MFA and no virtual MFA device: a hardware device or passkey")
	}
}

func rootCredentialsManagement(e *env) {
	o := e.snap.Organization
	switch {
	case o == nil:
		return // the failure is a could-not-run result already
	case o.Standalone:
		e.notApplicable("", "", "%s: centralized root access needs AWS Organizations", o.Why)
	case !o.Visible:
		e.notApplicable("", "", "centralized root access is judged in the organization's management account: %s", o.Why)
	case o.Management != "" && o.Management != e.snap.Account:
		// A member: the management account's result is the one to fix.
		if o.RootCredentialsManagement {
			e.pass("", "", "the organization (management account %s) manages member accounts' root credentials centrally", o.Management)
		} else {
			e.notApplicable("", "", "the organization does not manage root credentials centrally; the fix belongs in management account %s, where this rule fails", o.Management)
		}
	case o.RootCredentialsManagement:
		e.pass("", "", "the organization manages member accounts' root credentials centrally (RootCredentialsManagement)")
	default:
		e.fail("", "", "the organization does not manage member accounts' root credentials centrally (RootCredentialsManagement is off): every member's root user can hold its own password and keys")
	}
}

func passwordReuse(e *env) {
	if e.missing(snapshot.SrcPasswordPolicy) {
		return
	}
	const want = 24
	p := e.snap.PasswordPolicy
	switch {
	case p == nil:
		e.fail("", "", "no account password policy: users may reuse any previous password (CIS asks that the last %d be remembered)", want)
	case p.ReusePreventionSize == 0:
		e.fail("", "", "the password policy does not prevent password reuse (CIS asks that the last %d be remembered)", want)
	case p.ReusePreventionSize < want:
		e.fail("", "", "the password policy remembers the last %d passwords; CIS asks for %d", p.ReusePreventionSize, want)
	default:
		e.pass("", "", "the password policy prevents reuse of the last %d passwords", p.ReusePreventionSize)
	}
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

// keyFact is one access key slot of the credential report. The report has
// no key IDs: a key is named by its user's ARN and slot.
type keyFact struct {
	Resource string
	User     string
	UserARN  string
	Active   bool
	Created  time.Time
	LastUsed time.Time
}

func (k keyFact) name() string { return k.Resource }

// keys returns every access key of the IAM users from the credential
// report: one report for the whole account instead of a ListAccessKeys a
// user and a GetAccessKeyLastUsed a key. The report may be four hours old,
// which moves no verdict measured in weeks (rotation, unused credentials);
// a key deactivated within those hours still counts as active for
// iam-user-two-active-keys until the next report.
func keys(e *env) []keyFact {
	if e.missing(snapshot.SrcCredentialReport) {
		return nil
	}
	var out []keyFact
	for _, r := range e.snap.CredentialReport {
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
	for _, k := range keys(e) {
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

// unusedCredentials fails a credential unused for the limit or more (CIS:
// "45 days or more"), so 45 days and a few hours fail. A password never
// used counts from when it was set (password_last_changed), not from when
// the user was created, and one set after its last use from then too: a
// password set yesterday on an old user has existed for a day.
func unusedCredentials(e *env) {
	limit := e.th.UnusedDays
	if e.missing(snapshot.SrcCredentialReport) {
		return
	}
	for _, r := range e.snap.CredentialReport {
		if r.Root() || !r.PasswordEnabled {
			continue
		}
		set, setWhat := r.PasswordLastChanged.Time, "set"
		if set.IsZero() {
			set, setWhat = r.Created, "the user was created"
		}
		switch last := r.PasswordLastUsed.Time; {
		case !last.IsZero() && last.After(set) && e.days(last) >= limit:
			e.fail("", r.ARN, "console password of user %s last used %d days ago (limit %d)", r.User, e.days(last), limit)
		case last.IsZero() && e.days(set) >= limit:
			e.fail("", r.ARN, "console password of user %s never used; %s %d days ago (limit %d)", r.User, setWhat, e.days(set), limit)
		case !last.IsZero() && !last.After(set) && e.days(set) >= limit:
			e.fail("", r.ARN, "console password of user %s not used since it was set %d days ago (limit %d)", r.User, e.days(set), limit)
		default:
			e.pass("", r.ARN, "console password of user %s used or set within %d days", r.User, limit)
		}
	}
	for _, k := range keys(e) {
		if !k.Active {
			continue
		}
		switch {
		case !k.LastUsed.IsZero() && e.days(k.LastUsed) >= limit:
			e.fail("", k.Resource, "%s of user %s last used %d days ago (limit %d)", k.name(), k.User, e.days(k.LastUsed), limit)
		case k.LastUsed.IsZero() && e.days(k.Created) >= limit:
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
	var users []*user // in report order
	byARN := map[string]*user{}
	for _, k := range keys(e) {
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
