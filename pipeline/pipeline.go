// Package pipeline is keysweep's one pipeline, the same for every front
// end (the command line, the GitHub Action, organization-wide runs):
//
//	settings → history scan → AWS collection → judge → suppress → render → exit code
//
// Each stage is a function of plain values, so a run over many
// repositories and many accounts is a loop over the same stages, and the
// front ends only turn their inputs into a Config and the report into
// their outputs. See docs/architecture.md.
package pipeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/keysweep/keysweep/config"
	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan"
	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/scan"
	"github.com/keysweep/keysweep/suppress"
	"github.com/keysweep/keysweep/version"
)

// Exit codes of the command-line contract, which the action keeps too.
const (
	ExitClean    = 0 // nothing at or above fail-on
	ExitFindings = 1 // findings at or above fail-on
	ExitError    = 2 // could not do the job
)

// Config is one scan's settings, from flags or from the action's inputs.
type Config struct {
	Path string
	// Root and Scope are what Prepare found at Path (Locate): the
	// repository's top directory, and the directory in it the findings
	// are kept to ("" for the whole repository).
	Root, Scope        string
	Since              string
	IncludeUnreachable bool
	AllowPartial       bool
	KnownKeys          string
	// KnownKeysComplete declares the known-keys list every key of its
	// account, so a key it lacks may be judged "not in account".
	KnownKeysComplete bool
	AWS               AWSConfig
	Format            string // text, json, sarif or markdown
	Output            string // report file instead of stdout
	SARIF             string // also write SARIF here
	FailOn            finding.Severity
	// FailOnSet records an explicit fail-on, which beats the
	// configuration file's fail-on.
	FailOnSet bool
	Color     bool
	// Progress, if set, is told how the blob scan advances.
	Progress gitscan.Progress
	// Now fixes the clock for ages in messages; zero means time.Now.
	Now time.Time

	// Staged scans the index instead of history (pre-commit hooks).
	Staged bool
	// Push scans what a push brings instead of history (pre-receive and
	// pre-push hooks): gitscan.ScanPush.
	Push *Push
	// ConfigFile is --config; "" means .keysweep.yml at the repository
	// root, if there is one.
	ConfigFile string
	// Baseline is a previous JSON report whose findings are not reported.
	Baseline string
	// SettingsRev is the commit whose .keysweep.yml and .keysweepignore
	// decide the verdict; "" means the --since revision for a range scan
	// and the working tree otherwise (SettingsSource).
	SettingsRev string
	// NoInlineAllow ignores every keysweep:allow comment.
	NoInlineAllow bool
	// Settings, if set, are used instead of reading them in Run.
	Settings *Settings
	// Verify signs sts:GetCallerIdentity with each committed pair that
	// no inventory resolves (--verify); see the Verify stage.
	Verify bool
}

func (c Config) now() time.Time {
	if c.Now.IsZero() {
		return time.Now()
	}
	return c.Now
}

// Run is the whole pipeline for one repository and the accounts its
// configuration names. It returns the report; rendering and the exit code
// are the caller's (Render, ExitCode).
func Run(ctx context.Context, cfg Config) (*finding.Report, error) {
	rep, _, err := run(ctx, cfg, false)
	return rep, err
}

// RunGate is Run for a gate that also uploads an analysis: the report of
// the range cfg names, which decides the exit code and annotations, and
// the report of the whole history with the same settings and inventory,
// which code scanning receives so that an upload never closes an alert
// the range did not touch. Without a range both are the same report.
func RunGate(ctx context.Context, cfg Config) (gate, full *finding.Report, err error) {
	return run(ctx, cfg, true)
}

func run(ctx context.Context, cfg Config, wantFull bool) (*finding.Report, *finding.Report, error) {
	if cfg.Now.IsZero() {
		cfg.Now = time.Now() // one clock for every stage
	}
	if cfg.Settings == nil {
		var err error
		if cfg, err = Prepare(cfg); err != nil {
			return nil, nil, err
		}
	}
	// Credentials are checked before the long history scan, so a bad
	// setup fails in a second rather than after minutes.
	sess, err := Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	rep := NewReport(cfg)
	res, err := History(ctx, cfg)
	if err == nil {
		err = nothingToScan(cfg, res)
	}
	if err != nil {
		return nil, nil, err
	}
	parts := []Scanned{{Report: rep, Leaks: scoped(rep, cfg, fromHistory(rep, res)), Verify: true}}
	if wantFull && cfg.Since != "" && !cfg.Staged {
		fc := cfg
		fc.Since, fc.Progress = "", nil
		fres, err := History(ctx, fc)
		if err != nil {
			return nil, nil, fmt.Errorf("full-history scan for code scanning: %w", err)
		}
		full := NewReport(fc)
		parts = append(parts, Scanned{Report: full, Leaks: scoped(full, fc, fromHistory(full, fres))})
	}
	if err := sess.Conclude(ctx, cfg, parts...); err != nil {
		return nil, nil, err
	}
	return rep, parts[len(parts)-1].Report, nil
}

// Session is what a run opens once, however many repositories it
// scans: the known-keys inventory and the verified AWS connection.
type Session struct {
	known *finding.Inventory
	aws   *awsSession
}

// Open takes the known-keys inventory from the prepared settings and,
// with AWS enabled, resolves and proves the credentials; call it before
// any history is scanned. cfg must have been through Prepare.
func Open(ctx context.Context, cfg Config) (*Session, error) {
	s := &Session{}
	if cfg.Settings != nil {
		s.known = cfg.Settings.Known
	}
	if cfg.AWS.Enabled {
		var err error
		if s.aws, err = openAWS(ctx, cfg.AWS); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Scanned is one report whose history stage is done: its leaks wait for
// the later stages. Verify marks the leaks --verify may sign requests
// with (a gate's range, not the whole history it is uploaded with).
type Scanned struct {
	Report *finding.Report
	Leaks  []finding.Leak
	Verify bool
}

// Conclude runs the stages after the history scan on one or more
// reports — one repository, a range and its full history, or the leaks of
// many repositories (each naming its repository): the configuration's
// exclude-paths, AWS collection (one inventory for all the leaks), verify,
// judge, account checks and suppression. cfg must have been through
// Prepare.
func (s *Session) Conclude(ctx context.Context, cfg Config, parts ...Scanned) error {
	now := cfg.now()
	settings := cfg.Settings
	var all, toVerify []finding.Leak
	for i := range parts {
		p := &parts[i]
		p.Leaks, p.Report.PathsExcluded = excludePaths(p.Leaks, settings.Config)
		all = append(all, p.Leaks...)
		if p.Verify {
			toVerify = append(toVerify, p.Leaks...)
		}
	}
	inv := s.known
	var live *scan.Result
	if s.aws != nil {
		var err error
		if live, err = s.aws.collect(ctx, all, now); err != nil {
			return err
		}
		inv = mergeInventory(live.Inventory, s.known)
	}
	// Only the keys the gate judges are verified: signing with every old
	// key of the history on every pull request would spend calls and fill
	// their owners' CloudTrail; a full run verifies the whole history.
	ver := Verify(ctx, parts[0].Report, toVerify, inv, cfg)
	for _, p := range parts {
		p.Report.Keys = JudgeVerified(p.Report, p.Leaks, inv, ver, now)
		if live != nil && !cfg.AWS.NoChecks {
			p.Report.Checks, p.Report.Gaps = slices.Clone(live.Checks), append(p.Report.Gaps, live.Gaps...)
			p.Report.Rules = append(p.Report.Rules, live.Rules...)
		}
		Suppress(p.Report, settings, now)
	}
	return nil
}

// Prepare reads the settings cfg names (LoadSettings) and folds them into
// cfg, so that the caller's exit code uses the same fail-on as the run.
func Prepare(cfg Config) (Config, error) {
	if cfg.Path != "" {
		var err error
		if cfg.Root, cfg.Scope, err = Locate(cfg.Path); err != nil {
			return cfg, err
		}
	}
	s, err := LoadSettings(cfg, cfg.SettingsSource())
	if err != nil {
		return cfg, err
	}
	cfg = s.apply(cfg)
	cfg.Settings = s
	return cfg, nil
}

// NewReport is an empty report saying what was asked for.
func NewReport(cfg Config) *finding.Report {
	r := &finding.Report{
		Tool:    "keysweep",
		Version: version.String(),
		Started: cfg.now().UTC(),
		Repo:    cfg.Path,
		Root:    cfg.Root,
		Scope:   cfg.Scope,
		Since:   cfg.Since,
		Staged:  cfg.Staged,
	}
	if cfg.Settings != nil {
		r.Config = cfg.Settings.Config.Path
	}
	return r
}

// History is the history-scan stage: every committed key of one
// repository, as raw leaks, with what could not be read.
func History(ctx context.Context, cfg Config) (*gitscan.Result, error) {
	opts := gitscan.Options{
		Since:              cfg.Since,
		IncludeUnreachable: cfg.IncludeUnreachable,
		Progress:           cfg.Progress,
	}
	if err := checkPush(cfg); err != nil {
		return nil, err
	}
	if cfg.Push != nil {
		return gitscan.ScanPush(ctx, cfg.Path, *cfg.Push, opts)
	}
	if cfg.Staged {
		return gitscan.ScanStaged(ctx, cfg.Path, opts)
	}
	return gitscan.Scan(ctx, cfg.Path, opts)
}

// nothingToScan refuses a whole-history scan of a repository with no
// commits on any ref: for one repository that is a checkout that failed
// or the wrong path, which must not pass as "no keys found". (Among an
// organization's repositories an empty one is simply empty.)
func nothingToScan(cfg Config, res *gitscan.Result) error {
	if cfg.Since == "" && !cfg.Staged && cfg.Push == nil && res.Stats.Refs == 0 && res.Stats.Commits == 0 && res.Stats.Blobs == 0 {
		return fmt.Errorf("nothing to scan: %s has no commits on any ref", cfg.Path)
	}
	return nil
}

// KnownKeys reads an offline inventory (--known-keys); nil for "".
// complete declares it every key of its account (--known-keys-complete);
// a keysweep inventory export says so itself.
func KnownKeys(path string, complete bool) (*finding.Inventory, error) {
	if path == "" {
		return nil, nil
	}
	inv, err := judge.LoadKnownKeys(path)
	if err != nil {
		return nil, err
	}
	if err := completeKnown(path, inv, complete); err != nil {
		return nil, err
	}
	return inv, nil
}

// completeKnown records what a known-keys list says of itself and what
// the user declared of it; a list that admits missing keys cannot be
// declared complete.
func completeKnown(path string, inv *finding.Inventory, complete bool) error {
	if complete && inv.Partial {
		return fmt.Errorf("known-keys file %s is declared complete but holds a truncated aws iam list-access-keys page (IsTruncated); list every page (no --max-items) or drop the declaration", path)
	}
	inv.Complete = (inv.Complete || complete) && !inv.Partial
	if inv.Account == "" {
		inv.Account = commonAccount(inv)
	}
	return nil
}

// Judge is the judging stage: each leak matched against the inventory
// (nil: none), with what the inventory says about itself recorded in rep.
func Judge(rep *finding.Report, leaks []finding.Leak, inv *finding.Inventory, now time.Time) []finding.KeyFinding {
	return JudgeVerified(rep, leaks, inv, nil, now)
}

// Suppress is the suppression stage: the repository's ignores, inline
// allows, allowed accounts and the baseline mark findings in rep.
func Suppress(rep *finding.Report, s *Settings, now time.Time) {
	suppress.Apply(rep, suppress.Options{
		Ignores:         s.Ignores,
		InlineAllowed:   s.InlineAllowed,
		NoInline:        noInline(s),
		AllowedAccounts: s.Config.AllowedAccounts,
		ConfigPath:      s.Config.Path,
		Baseline:        s.Baseline,
		Now:             now,
		// Only a complete full-history report holds every finding an
		// entry could name; a range, a partial scan or a scope (a
		// subdirectory) would call live entries stale.
		ReportUnmatched: rep.Since == "" && !rep.Staged && len(rep.Skipped) == 0 && rep.Scope == "",
	})
}

// noInline is why an inline allow does not count, for the finding's note;
// "" when it waits for the merge of the commit that adds it.
func noInline(s *Settings) string {
	if s.NoInlineAllow {
		return "inline allows are switched off (--no-inline-allow)"
	}
	return ""
}

// fromHistory records the history scan in rep and returns its leaks.
func fromHistory(rep *finding.Report, res *gitscan.Result) []finding.Leak {
	rep.Head, rep.Stats, rep.Skipped = res.Head, res.Stats, res.Skipped
	rep.Remedy, rep.Unreached = res.Remedy, res.Unreached
	return res.Leaks
}

// ExitCode applies the exit-code contract to a finished report. When the
// scan was partial it also returns the one line that says why.
func ExitCode(rep *finding.Report, cfg Config) (int, string) {
	if n := failedRepositories(rep); n > 0 && !cfg.AllowPartial {
		return ExitError, fmt.Sprintf("partial scan: %d of %d repositories could not be cloned or read completely (named in the report); pass --allow-partial to accept", n, len(rep.Repositories))
	}
	if len(rep.Skipped) > 0 && !cfg.AllowPartial && rep.Remedy != "" {
		return ExitError, "partial scan: " + rep.Remedy
	}
	if len(rep.Skipped) > 0 && !cfg.AllowPartial {
		return ExitError, fmt.Sprintf("partial scan: %d object(s) could not be read (listed in the report); repair the repository (git fsck) or pass --allow-partial to accept", len(rep.Skipped))
	}
	if cfg.FailOn != finding.SeverityNone && rep.Count(cfg.FailOn) > 0 {
		return ExitFindings, ""
	}
	return ExitClean, ""
}

// ExitLine says in one line which exit status the report gives and why,
// for the end of the text report.
func ExitLine(rep *finding.Report, cfg Config) string {
	code, why := ExitCode(rep, cfg)
	partial := ""
	if len(rep.Skipped) > 0 || failedRepositories(rep) > 0 {
		partial = " (a partial scan, accepted with --allow-partial)"
	}
	switch {
	case code == ExitError:
		return "exit 2: " + why
	case code == ExitFindings:
		n := rep.Count(cfg.FailOn)
		return fmt.Sprintf("exit 1: %d %s at or above fail-on %s%s", n, plural(n, "finding", "findings"), cfg.FailOn, partial)
	case cfg.FailOn == finding.SeverityNone:
		return "exit 0: fail-on none, so findings do not fail the scan" + partial
	}
	return fmt.Sprintf("exit 0: no unsuppressed finding at or above fail-on %s%s", cfg.FailOn, partial)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Exclude drops the leaks the settings' exclude-paths cover: for a run
// over many repositories, each repository's own settings on its leaks.
func (s *Settings) Exclude(leaks []finding.Leak) ([]finding.Leak, int) {
	return excludePaths(leaks, s.Config)
}

// SuppressRepository applies one repository's own settings to its
// findings in a report of many repositories (keysweep org): the findings
// naming that repository are marked by its ignores, allowed accounts and
// inline allows, as a scan of that repository alone would mark them.
func SuppressRepository(rep *finding.Report, name string, s *Settings, now time.Time) {
	var at []int
	sub := &finding.Report{}
	for i, k := range rep.Keys {
		if k.Repository == name {
			at = append(at, i)
			sub.Keys = append(sub.Keys, k)
		}
	}
	if len(at) == 0 {
		return
	}
	Suppress(sub, s, now)
	for j, i := range at {
		rep.Keys[i] = sub.Keys[j]
	}
}

// excludePaths drops the leaks the configuration's exclude-paths cover,
// before the inventory is asked about them.
func excludePaths(leaks []finding.Leak, c *config.Config) ([]finding.Leak, int) {
	if len(c.ExcludePaths) == 0 {
		return leaks, 0
	}
	n := len(leaks)
	leaks = slices.DeleteFunc(leaks, func(l finding.Leak) bool { return c.Excluded(l.Path) })
	return leaks, n - len(leaks)
}

// commonAccount is the account every key of a known-keys list decodes to,
// so an offline run can still tell another account's key from a deleted
// one; "" when the keys disagree or do not encode an account.
func commonAccount(inv *finding.Inventory) string {
	account := ""
	for id := range inv.Keys {
		a, ok := detect.DecodeAccount(id)
		if !ok || (account != "" && a != account) {
			return ""
		}
		account = a
	}
	return account
}

// mergeInventory lets a --known-keys file fill in keys the live inventory
// did not return (e.g. another account's keys the team tracks).
func mergeInventory(live, known *finding.Inventory) *finding.Inventory {
	if known == nil {
		return live
	}
	for id, k := range known.Keys {
		if _, ok := live.Keys[id]; !ok {
			live.Keys[id] = k
		}
	}
	return live
}

// failedRepositories counts the repositories of an organization-wide run
// that could not be cloned or read completely.
func failedRepositories(rep *finding.Report) int {
	n := 0
	for _, r := range rep.Repositories {
		if r.Error != "" {
			n++
		}
	}
	return n
}
