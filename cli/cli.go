package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/internal/fileerr"
	"github.com/keysweep/keysweep/pipeline"
	"github.com/keysweep/keysweep/version"
)

// Exit codes of the CLI contract (the pipeline owns them; the action
// keeps the same).
const (
	ExitClean    = pipeline.ExitClean
	ExitFindings = pipeline.ExitFindings
	ExitError    = pipeline.ExitError
)

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
		return ignoreCommand(ctx, args[1:], time.Now(), stdout, stderr)
	case "inventory":
		return inventoryCommand(ctx, args[1:], stdout, stderr)
	case "org":
		return orgCommand(ctx, args[1:], stdout, stderr)
	case "contain":
		return containCommand(ctx, args[1:], stdout, stderr)
	case "merge":
		return mergeCommand(args[1:], stdout, stderr)
	case "pre-receive":
		return preReceiveCommand(ctx, args[1:], os.Stdin, stdout, stderr, os.Getenv)
	case "pre-push":
		return prePushCommand(ctx, args[1:], os.Stdin, stdout, stderr)
	case "action":
		return actionCommand(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "keysweep", version.String())
		return ExitClean
	case "completion":
		return completionCommand(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitClean
	default:
		fmt.Fprintf(stderr, "keysweep: unknown command %s (try: keysweep scan .)\n", escape.Excerpt(args[0]))
		return ExitError
	}
}

const usage = `usage: keysweep scan [PATH] [flags]
       keysweep ignore FINGERPRINT --reason "why" [--until YYYY-MM-DD] [PATH]
       keysweep inventory --aws > keys.json
       keysweep org ORG [--shard I/N] [--clone-dir DIR] [flags]   (see keysweep org --help)
       keysweep merge REPORT.json... [--format F] [--output FILE]  (see keysweep merge --help)
       keysweep contain KEY_ID (--deactivate | --quarantine) [--yes]  (see keysweep contain --help)
       keysweep pre-receive [flags]   (a git server's hook; see keysweep pre-receive --help)
       keysweep pre-push REMOTE URL [flags]  (a client's hook, same selection)
       keysweep action
       keysweep completion bash|zsh|fish
       keysweep version

Commands:
  scan     scan the git repository at PATH (default .) for AWS access keys:
           every blob reachable from every ref, reported grouped by key
  ignore   accept a reviewed finding: add its fingerprint to .keysweepignore
           (see docs/suppressions.md)
  inventory  export the AWS account's complete key inventory (--aws) for
           offline --known-keys runs
  org      scan every repository of a GitHub organization, one report
           (see docs/organization.md)
  merge    combine JSON reports (the shards of keysweep org) into one
  contain  deactivate a leaked key or quarantine its user (a dry run
           unless --yes; needs a write-capable role, see
           docs/incident-response.md)
  pre-receive  push protection on any git server: reject a push that adds
           a key (docs/pre-receive.md)
  pre-push the same check in a client's pre-push hook
  action   run as the GitHub Action: settings come from the step's inputs
           (INPUT_* variables, see docs/github-action.md), not from flags
  version  print keysweep's version (also --version)
  completion bash|zsh|fish  print a shell completion script
           (bash: source <(keysweep completion bash))
  help     print this help (also -h, --help)

Scan flags:
  --since REV               only commits reachable from HEAD and not from REV
                            (REV@{N} reads the reflog); .keysweep.yml,
                            .keysweepignore and inline allows are then read
                            from REV, the reviewed commit, not the work tree
  --staged                  scan only what is staged for the next commit (pre-commit hook)
  --include-unreachable     also scan dangling objects no ref reaches (not with --since)
  --allow-partial           exit by findings even if some objects were unreadable
  --known-keys FILE         offline inventory: key IDs, one per line, or
                            the JSON of 'aws iam list-access-keys', or a
                            'keysweep inventory' export; a key the list lacks
                            stays unverified unless the list is complete
  --known-keys-complete     the known-keys list holds every key of its account:
                            a key it lacks is "not in account"
  --no-inline-allow         ignore every keysweep:allow comment
  --aws                     use AWS credentials: live key inventory and account checks
  --checks LIST             account checks to run (comma-separated rule ids)
  --no-checks               run no account checks
  --no-triage               do not look up what each matched key can do (its IAM
                            policies) and what CloudTrail saw it do since it was
                            committed (on by default with --aws)
  --verify                  sign sts:GetCallerIdentity with each committed key and
                            secret no inventory resolves, to learn if it works and
                            whose it is (uses the leaked key; never canary tokens)
  --org                     every account of the AWS Organization (management or
                            delegated-admin credentials): keys matched in the account
                            that owns them, checks in every account
  --member-role NAME        role assumed in member accounts (default keysweep-audit)
  --accounts LIST           only these account IDs of the organization (comma-separated)
  --exclude-accounts LIST   not these account IDs
  --format text|json|sarif|markdown  report format on stdout (default text)
  --output FILE             write the report to FILE instead of stdout
  --sarif FILE              also write SARIF to FILE
  --fail-on SEVERITY        critical|high|medium|low|none (default: the config's
                            fail-on, else high)
  --config FILE             settings file (default: .keysweep.yml at the repository root)
  --baseline FILE           a previous --format json report: report only new findings
  --color auto|always|never colour in text output (default auto: only on a
                            terminal, and never when NO_COLOR is set)
  --no-progress             no progress line

Exit status: 0 nothing at or above --fail-on, 1 findings at or above it,
2 the scan could not be done or was partial (the reason is printed in one
line), 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM); after
130 or 143 nothing is reported.
`

func scanCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseScanFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return ExitClean
		}
		fmt.Fprintf(stderr, "keysweep: %s\n", oneLine(err))
		return ExitError
	}
	if cfg, err = pipeline.Prepare(cfg); err != nil {
		printError(stderr, err)
		return ExitError
	}
	rep, err := pipeline.Run(ctx, cfg)
	if err != nil {
		printError(stderr, err)
		return ExitError
	}
	if changed, err := pipeline.ChangedSettings(cfg, cfg.Settings); err == nil {
		for _, f := range changed {
			fmt.Fprintf(stderr, "keysweep: HEAD changes %s; settings were read from %s, so the change applies once it is there\n", f, cfg.Settings.Source.Rev)
		}
	}
	return finish(rep, cfg, stdout, stderr)
}

// scanFlagValues are the scan flags that are not fields of the Config.
type scanFlagValues struct {
	accounts, excludeAccounts, checks, failOn, color *string
	noChecks, noProgress                             *bool
}

// scanFlags defines the scan flags on cfg: the one list that parsing,
// the help's completeness test and shell completion read.
func scanFlags(cfg *pipeline.Config) (*flag.FlagSet, scanFlagValues) {
	fs := flag.NewFlagSet("keysweep scan", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.Since, "since", "", "")
	fs.BoolVar(&cfg.Staged, "staged", false, "")
	fs.StringVar(&cfg.ConfigFile, "config", "", "")
	fs.StringVar(&cfg.Baseline, "baseline", "", "")
	fs.BoolVar(&cfg.IncludeUnreachable, "include-unreachable", false, "")
	fs.BoolVar(&cfg.AllowPartial, "allow-partial", false, "")
	fs.StringVar(&cfg.KnownKeys, "known-keys", "", "")
	fs.BoolVar(&cfg.KnownKeysComplete, "known-keys-complete", false, "")
	fs.BoolVar(&cfg.NoInlineAllow, "no-inline-allow", false, "")
	fs.BoolVar(&cfg.AWS.Enabled, "aws", false, "")
	fs.BoolVar(&cfg.Verify, "verify", false, "")
	fs.BoolVar(&cfg.AWS.Org, "org", false, "")
	fs.StringVar(&cfg.AWS.MemberRole, "member-role", "keysweep-audit", "")
	fs.BoolVar(&cfg.AWS.NoTriage, "no-triage", false, "")
	fs.StringVar(&cfg.Format, "format", "text", "")
	fs.StringVar(&cfg.Output, "output", "", "")
	fs.StringVar(&cfg.SARIF, "sarif", "", "")
	return fs, scanFlagValues{
		accounts:        fs.String("accounts", "", ""),
		excludeAccounts: fs.String("exclude-accounts", "", ""),
		checks:          fs.String("checks", "", ""),
		noChecks:        fs.Bool("no-checks", false, ""),
		failOn:          fs.String("fail-on", "high", ""),
		color:           fs.String("color", "auto", ""),
		noProgress:      fs.Bool("no-progress", false, ""),
	}
}

func parseScanFlags(args []string, stderr io.Writer) (pipeline.Config, error) {
	cfg := pipeline.Config{Path: "."}
	fs, v := scanFlags(&cfg)
	accounts, excludeAccounts, checks, noChecks := v.accounts, v.excludeAccounts, v.checks, v.noChecks
	failOn, color, noProgress := v.failOn, v.color, v.noProgress

	// Go's flag package stops at the first positional argument; accept
	// flags on both sides of PATH as people type them.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return cfg, err
			}
			return cfg, &usageError{msg: flagError(err) + " (see keysweep scan --help)"}
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
	case "text", "json", "sarif", "markdown":
	default:
		return cfg, &usageError{msg: fmt.Sprintf("--format %q: want text, json, sarif or markdown", cfg.Format)}
	}
	sev, err := finding.ParseSeverity(*failOn)
	if err != nil || sev == finding.SeverityInfo {
		return cfg, &usageError{msg: fmt.Sprintf("--fail-on %q: want critical, high, medium, low or none", *failOn)}
	}
	cfg.FailOn = sev
	fs.Visit(func(f *flag.Flag) { cfg.FailOnSet = cfg.FailOnSet || f.Name == "fail-on" })
	if cfg.KnownKeysComplete && cfg.KnownKeys == "" {
		return cfg, &usageError{msg: "--known-keys-complete declares the --known-keys list complete: give --known-keys FILE"}
	}
	if cfg.Output != "" && cfg.SARIF != "" && sameFile(cfg.Output, cfg.SARIF) {
		return cfg, &usageError{msg: fmt.Sprintf("--output and --sarif both name %s: one report would overwrite the other; give them different files", escape.Text(cfg.Output))}
	}
	if cfg.Staged && (cfg.Since != "" || cfg.IncludeUnreachable) {
		return cfg, &usageError{msg: "--staged scans the index, not history: it excludes --since and --include-unreachable"}
	}
	tty := cfg.Output == "" && cfg.Format == "text" && isTerminal(os.Stdout)
	if cfg.Color, err = colorFor(*color, tty, os.Getenv("NO_COLOR")); err != nil {
		return cfg, err
	}
	if !*noProgress && isTerminal(os.Stderr) {
		cfg.Progress = newTTYProgress(stderr, terminalWidth(os.Stderr))
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
	if cfg.AWS.NoTriage && !cfg.AWS.Enabled {
		return cfg, &usageError{msg: "--no-triage turns off the triage of keys an AWS inventory matches, which needs --aws"}
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
		if !finding.IsAccountID(id) {
			return cfg, &usageError{msg: fmt.Sprintf("--accounts/--exclude-accounts: %q is not a 12-digit AWS account ID", truncate(id, 40))}
		}
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
It runs only inside GitHub Actions (GITHUB_ACTIONS=true): elsewhere it
exits 2 before reading anything, since its ::add-mask:: lines would print
the secrets it finds. For a scan on your own machine use keysweep scan
(keysweep help).
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

// truncate keeps a hostile value short when it is quoted back.
func truncate(s string, n int) string {
	return escape.Cut(s, n)
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

// oneLine keeps an error to the single line the CLI contract promises,
// escaped for the terminal: errors quote paths and revisions, which a
// repository controls.
func oneLine(err error) string {
	s := strings.TrimSpace(err.Error())
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return escape.Text(s)
}

// parseFlags parses a command's flags: help on -h/--help (ExitClean),
// one line naming the bad flag otherwise (ExitError); ok means go on.
func parseFlags(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return ExitClean, true
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, help)
		return ExitClean, false
	}
	fmt.Fprintf(stderr, "keysweep: %s (see %s --help)\n", flagError(err), fs.Name())
	return ExitError, false
}

// flagError is the flag package's error as one line that keeps the words
// "unknown flag" people search for.
func flagError(err error) string {
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
		return "unknown flag " + escape.Text(name)
	}
	return escape.Text(err.Error())
}

// sameFile reports whether two output paths name one file: the same
// path, or (when both exist) the same file through links.
func sameFile(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA == nil && errB == nil && absA == absB {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// printError writes err as the one line of the CLI contract. An error at a
// line of an input file starts with FILE:LINE:, as compilers print them,
// so editors and CI logs link to it.
func printError(w io.Writer, err error) {
	var fe *fileerr.Error
	if errors.As(err, &fe) {
		fmt.Fprintln(w, oneLine(err))
		return
	}
	fmt.Fprintf(w, "keysweep: %s\n", oneLine(err))
}
