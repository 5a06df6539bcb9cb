package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan"
	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/suppress"
	"github.com/keysweep/keysweep/version"
)

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
	case "action":
		return actionCommand(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "keysweep", version.String())
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
       keysweep action
       keysweep version

Commands:
  scan     scan the git repository at PATH (default .) for AWS access keys:
           every blob reachable from every ref, reported grouped by key
  ignore   accept a reviewed finding: add its fingerprint to .keysweepignore
           (see docs/suppressions.md)
  action   run as the GitHub Action: settings come from the step's inputs
           (INPUT_* variables, see docs/github-action.md), not from flags
  version  print keysweep's version (also --version)
  help     print this help (also -h, --help)

Scan flags:
  --since REV               only commits reachable from HEAD and not from REV
  --staged                  scan only what is staged for the next commit (pre-commit hook)
  --include-unreachable     also scan dangling objects no ref reaches (not with --since)
  --allow-partial           exit by findings even if some objects were unreadable
  --known-keys FILE         offline inventory: key IDs, one per line, or
                            the JSON of 'aws iam list-access-keys'
  --aws                     use AWS credentials: live key inventory and account checks
  --checks LIST             account checks to run (comma-separated rule ids)
  --no-checks               run no account checks
  --format text|json|sarif  report format on stdout (default text)
  --output FILE             write the report to FILE instead of stdout
  --sarif FILE              also write SARIF to FILE
  --fail-on SEVERITY        critical|high|medium|low|none (default: the config's
                            fail-on, else high)
  --config FILE             settings file (default: .keysweep.yml at the repository root)
  --baseline FILE           a previous --format json report: report only new findings
  --color auto|always|never colour in text output (default auto: only on a
                            terminal, and never when NO_COLOR is set)
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
	tty := cfg.Output == "" && cfg.Format == "text" && isTerminal(os.Stdout)
	if cfg.Color, err = colorFor(*color, tty, os.Getenv("NO_COLOR")); err != nil {
		return cfg, err
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
	return cfg, nil
}

// colorFor decides --color. auto colours a terminal unless NO_COLOR is set
// to anything but "" (https://no-color.org); an explicit always still wins,
// as that convention asks.
func colorFor(mode string, terminal bool, noColor string) (bool, error) {
	switch mode {
	case "auto":
		return terminal && noColor == "", nil
	case "always":
		return true, nil
	case "never":
		return false, nil
	}
	return false, &usageError{msg: fmt.Sprintf("--color %q: want auto, always or never", mode)}
}

const actionUsage = `usage: keysweep action

Runs keysweep as the GitHub Action (action.yml). It takes no flags: the
step's inputs arrive as INPUT_* environment variables, the event as
GITHUB_EVENT_PATH, and results go to the job log, the job summary, step
outputs and code scanning. Inputs and outputs: docs/github-action.md.
For a scan on your own machine use keysweep scan (keysweep help).
`

// actionCommand answers `keysweep action` with arguments; the bare command,
// the Action's entry point, is routed to package action by main.
func actionCommand(args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		switch a {
		case "-h", "--help", "-help", "help":
			fmt.Fprint(stdout, actionUsage)
			return ExitClean
		}
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "keysweep: action runs only as the GitHub Action's entry point (keysweep action --help)")
		return ExitError
	}
	fmt.Fprintf(stderr, "keysweep: action takes no arguments, got %q: its settings are the step's inputs (keysweep action --help)\n", args[0])
	return ExitError
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
	rep := &finding.Report{Tool: "keysweep", Version: version.String(), Started: now.UTC(), Repo: cfg.Path, Since: cfg.Since, Staged: cfg.Staged}
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
	scan := gitscan.Scan
	if cfg.Staged {
		scan = gitscan.ScanStaged
	}
	res, err := scan(ctx, cfg.Path, opts)
	if err != nil {
		return nil, err
	}
	rep.Head, rep.Stats, rep.Skipped = res.Head, res.Stats, res.Skipped
	res.Leaks, rep.PathsExcluded = excludePaths(res.Leaks, settings.Config)

	if aws != nil {
		live, err := aws.inventory(ctx, res.Leaks)
		if err != nil {
			return nil, err
		}
		inv = mergeInventory(live, inv)
		rep.InventorySource = inv.Source
	}
	if inv != nil {
		rep.Account = inv.Account
		rep.Gaps = append(rep.Gaps, inv.Gaps...)
	}
	rep.Keys = judge.JudgeAt(res.Leaks, inv, now)
	rep.Rules = judge.Rules()

	if aws != nil && !cfg.AWS.NoChecks {
		results, rules, gaps, err := aws.checks(ctx, cfg.AWS, now)
		if err != nil {
			return nil, err
		}
		rep.Checks, rep.Gaps = results, append(rep.Gaps, gaps...)
		rep.Rules = append(rep.Rules, rules...)
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
