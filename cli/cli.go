package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan"
	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/scan"
	"github.com/keysweep/keysweep/suppress"
)

// Version is the keysweep version, printed by `keysweep version` and
// written into reports.
const Version = "0.1.0"

// Exit codes of the CLI contract.
const (
	ExitClean    = 0 // nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitError    = 2 // could not do the job
)

// Config is one scan's settings, from flags or from the action's inputs.
type Config struct {
	Path               string
	Since              string
	IncludeUnreachable bool
	AllowPartial       bool
	KnownKeys          string
	AWS                AWSConfig
	Format             string // text, json or sarif
	Output             string // report file instead of stdout
	SARIF              string // also write SARIF here
	FailOn             finding.Severity
	Color              bool
	// Progress, if set, is told how the blob scan advances.
	Progress gitscan.Progress
	// Now fixes the clock for ages in messages; zero means time.Now.
	Now time.Time

	// Staged scans the index instead of history (pre-commit hooks).
	Staged bool
	// ConfigFile is --config; "" means .keysweep.yml at the repository
	// root, if there is one.
	ConfigFile string
	// Baseline is a previous JSON report whose findings are not reported.
	Baseline string
	// Settings, if set, are used instead of reading them in Run.
	Settings *Settings

	// failOnSet records an explicit --fail-on, which beats the
	// configuration file's fail-on.
	failOnSet bool
}

// usageError is a bad flag or argument: exit 2 with one line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Main runs the command line and returns the process exit code. It never
// panics: an unexpected failure is one line and exit 2, never a trace.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "keysweep: internal error: %v\n", r)
			code = ExitError
		}
	}()
	if len(args) == 0 {
		fmt.Fprintln(stderr, "keysweep: no command (try: keysweep scan . — or keysweep help)")
		return ExitError
	}
	switch args[0] {
	case "scan":
		return scanCommand(ctx, args[1:], stdout, stderr)
	case "ignore":
		return ignoreCommand(args[1:], time.Now(), stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "keysweep", Version)
		return ExitClean
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitClean
	default:
		fmt.Fprintf(stderr, "keysweep: unknown command %q (try: keysweep scan .)\n", args[0])
		return ExitError
	}
}

const usage = `usage: keysweep scan [PATH] [flags]
       keysweep ignore FINGERPRINT --reason "why" [--until YYYY-MM-DD] [PATH]

Scans every blob reachable from every ref of the git repository at PATH
(default .) for AWS access keys, and reports them grouped by key.

Flags:
  --since REV               only commits reachable from HEAD and not from REV
  --staged                  scan only what is staged for the next commit (pre-commit hook)
  --include-unreachable     also scan dangling objects no ref reaches (not with --since)
  --allow-partial           exit by findings even if some objects were unreadable
  --known-keys FILE         offline inventory: key IDs, one per line, or
                            the JSON of 'aws iam list-access-keys'
  --aws                     use AWS credentials: live key inventory and account checks
  --checks LIST             account checks to run (comma-separated rule ids)
  --no-checks               run no account checks
  --org                     every account of the AWS Organization (management or
                            delegated-admin credentials): keys matched in the account
                            that owns them, checks in every account
  --member-role NAME        role assumed in member accounts (default keysweep-audit)
  --accounts LIST           only these account IDs of the organization (comma-separated)
  --exclude-accounts LIST   not these account IDs
  --format text|json|sarif  report format on stdout (default text)
  --output FILE             write the report to FILE instead of stdout
  --sarif FILE              also write SARIF to FILE
  --fail-on SEVERITY        critical|high|medium|low|none (default: the config's
                            fail-on, else high)
  --config FILE             settings file (default: .keysweep.yml at the repository root)
  --baseline FILE           a previous --format json report: report only new findings
  --color auto|always|never colour in text output (default auto: only on a terminal)
  --no-progress             no progress bar

Exit status: 0 nothing at or above --fail-on, 1 findings at or above it,
2 the scan could not be done (the reason is printed in one line).
`

func scanCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseScanFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return ExitClean
		}
		fmt.Fprintf(stderr, "keysweep: %v\n", err)
		return ExitError
	}
	settings, err := LoadSettings(cfg)
	if err != nil {
		printError(stderr, err)
		return ExitError
	}
	cfg.Settings = settings
	if f := settings.Config.FailOn; f != nil && !cfg.failOnSet {
		cfg.FailOn = *f
	}
	rep, err := Run(ctx, cfg, stderr)
	if err != nil {
		printError(stderr, err)
		return ExitError
	}
	if err := Render(rep, cfg, stdout); err != nil {
		fmt.Fprintf(stderr, "keysweep: %s\n", oneLine(err))
		return ExitError
	}
	return ExitCode(rep, cfg, stderr)
}

// ExitCode applies the exit-code contract, saying why on stderr when the
// scan was partial.
func ExitCode(rep *finding.Report, cfg Config, stderr io.Writer) int {
	if len(rep.Skipped) > 0 && !cfg.AllowPartial {
		fmt.Fprintf(stderr, "keysweep: partial scan: %d object(s) could not be read (listed in the report); repair the repository (git fsck) or pass --allow-partial to accept\n", len(rep.Skipped))
		return ExitError
	}
	if cfg.FailOn != finding.SeverityNone && rep.Count(cfg.FailOn) > 0 {
		return ExitFindings
	}
	return ExitClean
}

func parseScanFlags(args []string, stderr io.Writer) (Config, error) {
	cfg := Config{Path: "."}
	fs := flag.NewFlagSet("keysweep scan", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.Since, "since", "", "")
	fs.BoolVar(&cfg.Staged, "staged", false, "")
	fs.StringVar(&cfg.ConfigFile, "config", "", "")
	fs.StringVar(&cfg.Baseline, "baseline", "", "")
	fs.BoolVar(&cfg.IncludeUnreachable, "include-unreachable", false, "")
	fs.BoolVar(&cfg.AllowPartial, "allow-partial", false, "")
	fs.StringVar(&cfg.KnownKeys, "known-keys", "", "")
	fs.BoolVar(&cfg.AWS.Enabled, "aws", false, "")
	fs.BoolVar(&cfg.AWS.Org, "org", false, "")
	fs.StringVar(&cfg.AWS.MemberRole, "member-role", "keysweep-audit", "")
	accounts := fs.String("accounts", "", "")
	excludeAccounts := fs.String("exclude-accounts", "", "")
	checks := fs.String("checks", "", "")
	noChecks := fs.Bool("no-checks", false, "")
	fs.StringVar(&cfg.Format, "format", "text", "")
	fs.StringVar(&cfg.Output, "output", "", "")
	fs.StringVar(&cfg.SARIF, "sarif", "", "")
	failOn := fs.String("fail-on", "high", "")
	color := fs.String("color", "auto", "")
	noProgress := fs.Bool("no-progress", false, "")

	// Go's flag package stops at the first positional argument; accept
	// flags on both sides of PATH as people type them.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return cfg, err
			}
			return cfg, &usageError{msg: strings.TrimPrefix(err.Error(), "flag provided but not defined: ") + " (see keysweep scan --help)"}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	if len(positional) > 1 {
		return cfg, &usageError{msg: fmt.Sprintf("scan takes one PATH, got %d: %s", len(positional), strings.Join(positional, " "))}
	}
	if len(positional) == 1 {
		cfg.Path = positional[0]
	}
	switch cfg.Format {
	case "text", "json", "sarif":
	default:
		return cfg, &usageError{msg: fmt.Sprintf("--format %q: want text, json or sarif", cfg.Format)}
	}
	sev, err := finding.ParseSeverity(*failOn)
	if err != nil || sev == finding.SeverityInfo {
		return cfg, &usageError{msg: fmt.Sprintf("--fail-on %q: want critical, high, medium, low or none", *failOn)}
	}
	cfg.FailOn = sev
	fs.Visit(func(f *flag.Flag) { cfg.failOnSet = cfg.failOnSet || f.Name == "fail-on" })
	if cfg.Staged && (cfg.Since != "" || cfg.IncludeUnreachable) {
		return cfg, &usageError{msg: "--staged scans the index, not history: it excludes --since and --include-unreachable"}
	}
	out := cfg.Output == "" && cfg.Format == "text"
	switch *color {
	case "auto":
		cfg.Color = out && isTerminal(os.Stdout)
	case "always":
		cfg.Color = true
	case "never":
	default:
		return cfg, &usageError{msg: fmt.Sprintf("--color %q: want auto, always or never", *color)}
	}
	if !*noProgress && isTerminal(os.Stderr) {
		cfg.Progress = newTTYProgress(stderr)
	}
	if *noChecks && *checks != "" {
		return cfg, &usageError{msg: "--checks and --no-checks contradict each other"}
	}
	cfg.AWS.NoChecks = *noChecks
	if *checks != "" {
		cfg.AWS.Checks = splitList(*checks)
	}
	if (cfg.AWS.NoChecks || cfg.AWS.Checks != nil) && !cfg.AWS.Enabled {
		return cfg, &usageError{msg: "--checks/--no-checks select account checks, which need --aws"}
	}
	cfg.AWS.Accounts, cfg.AWS.ExcludeAccounts = splitList(*accounts), splitList(*excludeAccounts)
	orgFlag := false
	fs.Visit(func(f *flag.Flag) {
		orgFlag = orgFlag || f.Name == "member-role" || f.Name == "accounts" || f.Name == "exclude-accounts"
	})
	if (cfg.AWS.Org || orgFlag) && !cfg.AWS.Enabled {
		return cfg, &usageError{msg: "--org reads an AWS Organization, which needs --aws"}
	}
	if orgFlag && !cfg.AWS.Org {
		return cfg, &usageError{msg: "--member-role, --accounts and --exclude-accounts select accounts of an organization, which need --org"}
	}
	for _, id := range append(slices.Clone(cfg.AWS.Accounts), cfg.AWS.ExcludeAccounts...) {
		if !isAccountID(id) {
			return cfg, &usageError{msg: fmt.Sprintf("--accounts/--exclude-accounts: %q is not a 12-digit AWS account ID", truncate(id, 40))}
		}
	}
	return cfg, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// truncate keeps a hostile value short when it is quoted back.
func truncate(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, strings.TrimSpace(f))
	}
	return out
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// oneLine keeps an error to the single line the CLI contract promises.
func oneLine(err error) string {
	s := strings.TrimSpace(err.Error())
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// Run is the pipeline: history scan, inventory, judge, account checks.
// It returns the report; rendering and the exit code are the caller's.
func Run(ctx context.Context, cfg Config, log io.Writer) (*finding.Report, error) {
	now := cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	rep := &finding.Report{Tool: "keysweep", Version: Version, Started: now.UTC(), Repo: cfg.Path, Since: cfg.Since, Staged: cfg.Staged}
	settings := cfg.Settings
	if settings == nil {
		var err error
		if settings, err = LoadSettings(cfg); err != nil {
			return nil, err
		}
	}
	rep.Config = settings.Config.Path
	// An explicit --checks list runs as given; otherwise the file's
	// enable and disable lists choose.
	if cfg.AWS.Checks == nil {
		if len(settings.Config.Enable) > 0 {
			cfg.AWS.Checks = settings.Config.Enable
		}
		cfg.AWS.SkipChecks = append(cfg.AWS.SkipChecks, settings.Config.Disable...)
	}
	cfg.AWS.Thresholds = settings.Config.Thresholds

	var inv *finding.Inventory
	if cfg.KnownKeys != "" {
		var err error
		if inv, err = judge.LoadKnownKeys(cfg.KnownKeys); err != nil {
			return nil, err
		}
		inv.Account = commonAccount(inv)
		rep.InventorySource = inv.Source
	}
	// Credentials are checked before the long history scan, so a bad
	// setup fails in a second rather than after minutes.
	var aws *awsSession
	if cfg.AWS.Enabled {
		var err error
		if aws, err = openAWS(ctx, cfg.AWS); err != nil {
			return nil, err
		}
	}

	opts := gitscan.Options{
		Since:              cfg.Since,
		IncludeUnreachable: cfg.IncludeUnreachable,
		Progress:           cfg.Progress,
	}
	scanHistory := gitscan.Scan
	if cfg.Staged {
		scanHistory = gitscan.ScanStaged
	}
	res, err := scanHistory(ctx, cfg.Path, opts)
	if err != nil {
		return nil, err
	}
	rep.Head, rep.Stats, rep.Skipped = res.Head, res.Stats, res.Skipped
	res.Leaks, rep.PathsExcluded = excludePaths(res.Leaks, settings.Config)

	var live *scan.Result
	if aws != nil {
		if live, err = aws.collect(ctx, res.Leaks, now); err != nil {
			return nil, err
		}
		inv = mergeInventory(live.Inventory, inv)
		rep.InventorySource = inv.Source
	}
	if inv != nil {
		rep.Account = inv.Account
		rep.Gaps = append(rep.Gaps, inv.Gaps...)
	}
	rep.Keys = judge.JudgeAt(res.Leaks, inv, now)
	rep.Rules = judge.Rules()

	if live != nil && !cfg.AWS.NoChecks {
		rep.Checks, rep.Gaps = live.Checks, append(rep.Gaps, live.Gaps...)
		rep.Rules = append(rep.Rules, live.Rules...)
	}
	suppress.Apply(rep, suppress.Options{
		Ignores:         settings.Ignores,
		AllowedAccounts: settings.Config.AllowedAccounts,
		ConfigPath:      settings.Config.Path,
		Baseline:        settings.Baseline,
		Now:             now,
	})
	return rep, nil
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
