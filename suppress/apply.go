package suppress

import (
	"bytes"
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
)

// Options are the suppressions and baseline to apply to a report.
type Options struct {
	Ignores *Ignores
	// AllowedAccounts suppresses keys of these accounts; ConfigPath names
	// the file that lists them, for the justification.
	AllowedAccounts []string
	ConfigPath      string
	Baseline        *Baseline
	// InlineAllowed decides whether a finding's keysweep:allow counts (nil:
	// every one does). NoInline says why one does not: "" when an allow
	// the pull request adds is waiting for its merge, else the reason.
	InlineAllowed func(path, keyID string) bool
	NoInline      string
	// Now decides which ignores have expired; zero means time.Now.
	Now time.Time
	// ReportUnmatched lists the ignore entries no finding matched in the
	// report: only right when the report holds every finding the entries
	// could name (a full-history scan, not a range).
	ReportUnmatched bool
}

// Apply removes the findings the baseline already holds and marks the
// suppressed ones in place. A suppression that names a finding but does
// not apply (an expired ignore, an inline allow on an active key) is said
// in the finding's SuppressionNote, so it never fails silently.
func Apply(rep *finding.Report, o Options) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	if o.Ignores != nil && o.Ignores.Path != "" {
		rep.IgnoreFile = o.Ignores.Path
	}
	var seen map[string]bool
	if o.ReportUnmatched {
		seen = fingerprints(rep) // before the baseline removes any
	}
	if o.Baseline != nil {
		rep.Baseline = o.Baseline.Path
		before := len(rep.Keys) + len(rep.Checks)
		rep.Keys = slices.DeleteFunc(rep.Keys, o.Baseline.hasKey)
		rep.Checks = slices.DeleteFunc(rep.Checks, func(c finding.CheckResult) bool {
			return c.State == finding.CheckFail && o.Baseline.checks[c.Fingerprint]
		})
		rep.BaselineHidden += before - len(rep.Keys) - len(rep.Checks)
	}
	for i := range rep.Keys {
		applyKey(&rep.Keys[i], o, now)
	}
	for i := range rep.Checks {
		c := &rep.Checks[i]
		if c.Suppressed != nil || c.State != finding.CheckFail {
			continue
		}
		live, expired := o.Ignores.find(now, c.Fingerprint)
		c.Suppressed, c.SuppressionNote = byIgnore(live, expired, o.Ignores, c.SuppressionNote)
	}
	if o.ReportUnmatched {
		rep.UnmatchedIgnores = unmatched(seen, o.Ignores)
	}
}

// fingerprints is every fingerprint an ignore entry may name in rep:
// each key finding's own and its key's, and each check result's.
func fingerprints(rep *finding.Report) map[string]bool {
	seen := make(map[string]bool, 2*len(rep.Keys)+len(rep.Checks))
	for _, k := range rep.Keys {
		seen[k.Fingerprint], seen[keyFingerprint(k)] = true, true
	}
	for _, c := range rep.Checks {
		seen[c.Fingerprint] = true
	}
	return seen
}

// unmatched lists the entries that name no finding, whatever its state:
// an entry for a check that passes now, or for a key no longer anywhere
// in history, is stale.
func unmatched(seen map[string]bool, igs *Ignores) []finding.UnmatchedIgnore {
	if igs == nil {
		return nil
	}
	var out []finding.UnmatchedIgnore
	for _, ig := range igs.Entries {
		if !seen[ig.Fingerprint] {
			out = append(out, finding.UnmatchedIgnore{Fingerprint: ig.Fingerprint, Line: ig.Line, Reason: ig.Reason})
		}
	}
	return out
}

func applyKey(k *finding.KeyFinding, o Options, now time.Time) {
	if k.Suppressed != nil {
		return
	}
	live, expired := o.Ignores.find(now, keyFingerprint(*k), k.Fingerprint)
	k.Suppressed, k.SuppressionNote = byIgnore(live, expired, o.Ignores, k.SuppressionNote)
	if k.Suppressed != nil {
		return
	}
	if k.Account != "" && slices.Contains(o.AllowedAccounts, k.Account) {
		k.Suppressed = &finding.Suppression{
			Kind:          "config",
			Justification: fmt.Sprintf("allowed account %s (%s)", k.Account, filepath.Base(cmp.Or(o.ConfigPath, ".keysweep.yml"))),
		}
		return
	}
	if !k.InlineAllow {
		return
	}
	if o.InlineAllowed != nil && !o.InlineAllowed(k.Path, k.KeyID) {
		why := o.NoInline
		if why == "" {
			why = "the reviewed commit's " + k.Path + " does not carry it, so it applies after merge"
		}
		k.SuppressionNote = note(k.SuppressionNote, "inline keysweep:allow ignored: "+why)
		return
	}
	if k.Status == finding.StatusActive || k.Status == finding.StatusLive {
		// Whoever commits a live key can add the comment in the same
		// line; only a reviewed ignore entry may accept a live key.
		k.SuppressionNote = note(k.SuppressionNote, "inline keysweep:allow ignored: the key is "+string(k.Status)+", so only a .keysweepignore entry with a reason can suppress it (keysweep ignore "+keyFingerprint(*k)+" --reason …)")
		return
	}
	k.Suppressed = &finding.Suppression{
		Kind:          "inline",
		Justification: fmt.Sprintf("keysweep:allow on %s:%d", k.Path, k.Line),
	}
}

// byIgnore turns the matching ignore entries into a suppression, or a note
// that the entry has expired.
func byIgnore(live, expired *Ignore, igs *Ignores, prev string) (*finding.Suppression, string) {
	if live != nil {
		return &finding.Suppression{Kind: "fingerprint", Justification: live.Reason, Expires: live.Until}, prev
	}
	if expired != nil {
		return nil, note(prev, fmt.Sprintf("ignore expired on %s (%s:%d: %s)",
			expired.Until.Format(time.DateOnly), filepath.Base(igs.Path), expired.Line, expired.Reason))
	}
	return nil, prev
}

func note(prev, s string) string {
	if prev == "" {
		return s
	}
	return strings.Join([]string{prev, s}, "; ")
}

// keyFingerprint is the finding's key fingerprint, computed when the
// finding predates the field.
func keyFingerprint(k finding.KeyFinding) string {
	return cmp.Or(k.KeyFingerprint, finding.KeyFingerprint(k.KeyID))
}

// AllowMarker is the inline suppression comment, in any comment syntax
// (the history scan marks the lines that carry it).
const AllowMarker = "keysweep:allow"

// InlineAllowIn reports whether content has a line holding both keyID and
// the allow marker: how a commit's version of a file is asked whether it
// already allowed a key.
func InlineAllowIn(content []byte, keyID string) bool {
	for line := range bytes.Lines(content) {
		if bytes.Contains(line, []byte(keyID)) && bytes.Contains(line, []byte(AllowMarker)) {
			return true
		}
	}
	return false
}
