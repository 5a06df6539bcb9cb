// Package checks judges an account snapshot against the AWS Security Best
// Practices catalogue (docs/account-checks.md).
//
// Every check is a pure function of a snapshot.Snapshot, the thresholds and
// the time, so checks are tested with literal snapshots and no AWS at all;
// only scan/snapshot talks to AWS. Rule IDs are a public contract (SARIF
// ruleId, --checks, suppressions).
package checks

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// Thresholds are the tunable limits of the checks. A zero field takes the
// catalogue default (DefaultThresholds), so callers set only what they change.
type Thresholds struct {
	// PasswordMinLength is the shortest acceptable minimum password length
	// (CIS 1.8 asks for 14).
	PasswordMinLength int
	// KeyMaxAgeDays is the age past which an active access key must be rotated.
	KeyMaxAgeDays int
	// UnusedDays is how long a password or active key may go unused: one
	// unused for this many days or more fails (CIS: "45 days or more").
	UnusedDays int
	// AMIMaxAgeDays is the age past which an instance's AMI is outdated.
	AMIMaxAgeDays int
	// ServiceUnusedDays is how long a granted service may go unused.
	ServiceUnusedDays int
	// DeliveryMaxAgeHours is how old a trail's last log delivery may be.
	DeliveryMaxAgeHours int
	// PublicGroupPatterns are glob patterns (path.Match, case-insensitive)
	// of security group names that declare the group public on purpose.
	PublicGroupPatterns []string
	// AdvisorCategories are the Trusted Advisor categories reported
	// (cost_optimizing, security, fault_tolerance, performance,
	// service_limits). Only security by default: a red cost check is not
	// a security finding and would fail the job.
	AdvisorCategories []string
}

// DefaultThresholds returns the catalogue's defaults.
func DefaultThresholds() Thresholds {
	return Thresholds{
		PasswordMinLength:   14,
		KeyMaxAgeDays:       90,
		UnusedDays:          45,
		AMIMaxAgeDays:       180,
		ServiceUnusedDays:   90,
		DeliveryMaxAgeHours: 24,
		PublicGroupPatterns: []string{"*_everywhere", "*-everywhere", "public-*", "public_*", "*-public", "*_public"},
		AdvisorCategories:   []string{"security"},
	}
}

func (t Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds()
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt(&t.PasswordMinLength, d.PasswordMinLength)
	setInt(&t.KeyMaxAgeDays, d.KeyMaxAgeDays)
	setInt(&t.UnusedDays, d.UnusedDays)
	setInt(&t.AMIMaxAgeDays, d.AMIMaxAgeDays)
	setInt(&t.ServiceUnusedDays, d.ServiceUnusedDays)
	setInt(&t.DeliveryMaxAgeHours, d.DeliveryMaxAgeHours)
	if t.PublicGroupPatterns == nil {
		t.PublicGroupPatterns = d.PublicGroupPatterns
	}
	if t.AdvisorCategories == nil {
		t.AdvisorCategories = d.AdvisorCategories
	}
	return t
}

// check is one registered rule and the function that judges it.
type check struct {
	rule finding.Rule
	// needs are the sources without which the check has nothing to judge:
	// each of their failures becomes a could-not-run result.
	needs []snapshot.Source
	// reads are the sources the check judges, when more than needs (a
	// check that falls back from one source to another).
	reads []snapshot.Source
	run   func(*env)
}

func (c check) sources() []snapshot.Source {
	if c.reads != nil {
		return c.reads
	}
	return c.needs
}

// Rules returns every rule, in catalogue order, its help ending with the
// controls it implements.
func Rules() []finding.Rule {
	out := make([]finding.Rule, len(registry))
	for i, c := range registry {
		out[i] = c.rule
		out[i].Tags = slices.Clone(c.rule.Tags)
		if cs := Controls(c.rule.Tags); len(cs) > 0 {
			out[i].Help += "\n\n**Controls:** " + strings.Join(cs, "; ") + "."
		}
	}
	return out
}

// Controls names the compliance controls among a rule's tags, as people
// write them: "CIS v7.0 2.5", "CIS v4.0 1.5", "FSBP IAM.9".
func Controls(tags []string) []string {
	var out []string
	for _, t := range tags {
		fw, id, ok := strings.Cut(t, "/")
		switch {
		case !ok:
		case fw == "fsbp":
			out = append(out, "FSBP "+id)
		case strings.HasPrefix(fw, "cis-"):
			out = append(out, "CIS "+strings.TrimPrefix(fw, "cis-")+" "+id)
		}
	}
	return out
}

// IDs returns every rule ID, in catalogue order.
func IDs() []string {
	out := make([]string, len(registry))
	for i, c := range registry {
		out[i] = c.rule.ID
	}
	return out
}

// Selection chooses which checks run. The zero value runs all of them.
type Selection struct {
	only, skip []string // validated patterns
}

// NewSelection builds a selection from --checks (only) and --no-checks
// (skip) lists. Entries are rule IDs or glob patterns such as "iam-*"; an
// entry that matches no rule is an error that lists the valid IDs.
func NewSelection(only, skip []string) (Selection, error) {
	var s Selection
	for _, list := range []struct {
		in  []string
		out *[]string
	}{{only, &s.only}, {skip, &s.skip}} {
		for _, e := range list.in {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if !slices.ContainsFunc(IDs(), func(id string) bool { return match(e, id) }) {
				return Selection{}, fmt.Errorf("unknown check %q; valid checks: %s", e, strings.Join(IDs(), ", "))
			}
			*list.out = append(*list.out, e)
		}
	}
	return s, nil
}

// ParseSelection is NewSelection for comma-separated flag values.
func ParseSelection(only, skip string) (Selection, error) {
	return NewSelection(strings.Split(only, ","), strings.Split(skip, ","))
}

// Includes reports whether the rule runs.
func (s Selection) Includes(id string) bool {
	in := func(pats []string) bool {
		return slices.ContainsFunc(pats, func(p string) bool { return match(p, id) })
	}
	return (len(s.only) == 0 || in(s.only)) && !in(s.skip)
}

// Sources are what the selected checks read: the snapshot collects these
// and nothing else, so --checks iam-password-policy makes one IAM call.
func (s Selection) Sources() []snapshot.Source {
	var out []snapshot.Source
	for _, c := range registry {
		if !s.Includes(c.rule.ID) {
			continue
		}
		for _, src := range c.sources() {
			if !slices.Contains(out, src) {
				out = append(out, src)
			}
		}
	}
	if out == nil {
		out = []snapshot.Source{} // nothing, as opposed to nil: everything
	}
	return out
}

func match(pattern, id string) bool {
	ok, err := path.Match(pattern, id)
	return pattern == id || (err == nil && ok)
}

// Run judges snap with every selected check and returns their results in
// catalogue order, each naming the snapshot's account. now is the time ages are measured against (the snapshot
// time in production, a fixed time in tests).
func Run(snap *snapshot.Snapshot, sel Selection, th Thresholds, now time.Time) []finding.CheckResult {
	th = th.withDefaults()
	var out []finding.CheckResult
	for _, c := range registry {
		if !sel.Includes(c.rule.ID) {
			continue
		}
		e := &env{snap: snap, th: th, now: now, rule: c.rule}
		e.cannot(snap.FailuresOf(c.needs...)...)
		c.run(e)
		out = append(out, e.out...)
	}
	return out
}

// env is what a check function sees, and where it writes its results.
type env struct {
	snap *snapshot.Snapshot
	th   Thresholds
	now  time.Time
	rule finding.Rule
	out  []finding.CheckResult
}

func (e *env) add(state finding.CheckState, sev finding.Severity, region, resource, format string, args ...any) {
	r := finding.CheckResult{
		Controls: Controls(e.rule.Tags),
		RuleID:   e.rule.ID,
		Severity: sev,
		State:    state,
		Resource: resource,
		Region:   region,
		Account:  e.snap.Account,
		Message:  fmt.Sprintf(format, args...),
	}
	r.Fingerprint = finding.Fingerprint(r.RuleID, e.snap.Account, region, resource)
	e.out = append(e.out, r)
}

func (e *env) pass(region, resource, format string, args ...any) {
	e.add(finding.CheckPass, e.rule.Severity, region, resource, format, args...)
}

func (e *env) fail(region, resource, format string, args ...any) {
	e.add(finding.CheckFail, e.rule.Severity, region, resource, format, args...)
}

func (e *env) notApplicable(region, resource, format string, args ...any) {
	e.add(finding.CheckNotApplicable, finding.SeverityNone, region, resource, format, args...)
}

// cannot turns failures into could-not-run results, one per failed call,
// so the reason and the missing permission are specific.
func (e *env) cannot(fs ...snapshot.Failure) {
	for _, f := range fs {
		e.add(finding.CheckCouldNotRun, e.rule.Severity, f.Region, f.Resource, "could not run: %s", f.Reason())
		// Two failed calls on one resource (say GetPolicy and a later
		// retry) must not share a fingerprint.
		last := &e.out[len(e.out)-1]
		last.Fingerprint = finding.Fingerprint(e.rule.ID, e.snap.Account, "could-not-run", f.Region, f.Resource, f.Permission)
	}
}

// missing reports whether src has no data to judge: a global call failed.
func (e *env) missing(src snapshot.Source) bool {
	for _, f := range e.snap.FailuresOf(src) {
		if f.Resource == "" {
			return true
		}
	}
	return false
}

// days is the age of t at e.now in whole days.
func (e *env) days(t time.Time) int { return int(e.now.Sub(t).Hours() / 24) }

// plural formats n with a noun, "1 key", "2 keys".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// list joins up to max items and says how many more there are.
func list(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s (+%d more)", strings.Join(items[:max], ", "), len(items)-max)
}
