package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/org"
	"github.com/keysweep/keysweep/pipeline"
)

const orgUsage = `usage: keysweep org ORG [flags]

Lists the repositories of the GitHub organization ORG through the REST API
(GITHUB_API_URL, default https://api.github.com; GITHUB_TOKEN), clones each
with its full history (bare) and scans it: one report in which every
finding names its repository, judged against one AWS inventory.

Flags:
  --shard I/N               only the repositories whose name hashes to shard I of N
  --clone-dir DIR           keep bare clones in DIR and fetch into them next time
                            (default: a temporary directory, removed)
  --include GLOB            only repositories matching GLOB (repeatable; a GLOB
                            with a slash matches owner/name)
  --exclude GLOB            leave out repositories matching GLOB (repeatable)
  --include-archived        also scan archived repositories
  --include-forks           also scan forks
  --concurrency K           repositories cloned and scanned at once (default 4)
  --clone-timeout DURATION  per repository clone or fetch (default 15m)
  --list                    print the selected repositories and exit

and every scan flag but --since, --staged and --include-unreachable (each
repository's whole history is scanned), with the meaning keysweep scan
--help gives: --aws, --checks LIST, --no-checks, --no-triage, --verify, --org,
--member-role NAME, --accounts LIST, --exclude-accounts LIST,
--known-keys FILE, --known-keys-complete, --no-inline-allow,
--format text|json|sarif|markdown, --output FILE, --sarif FILE,
--fail-on SEVERITY, --allow-partial, --config FILE, --baseline FILE,
--color auto|always|never, --no-progress.

Exit status: 0 nothing at or above --fail-on, 1 findings at or above it,
2 the run could not be done, or a repository could not be listed, cloned
or read (unless --allow-partial), 130 interrupted (SIGINT), 143
terminated (SIGTERM); after 130 or 143 nothing is reported.
`

const mergeUsage = `usage: keysweep merge REPORT.json... [flags]

Combines JSON reports (the shards of keysweep org) into one: the same key
in several repositories stays one key with all its places.

Flags:
  --format text|json|sarif|markdown  (default text)
  --output FILE             write the report to FILE instead of stdout
  --fail-on SEVERITY        critical|high|medium|low|none (default high)
  --allow-partial           exit by findings even if a repository was not scanned
  --color auto|always|never colour in text output (default auto)

Exit status as for keysweep org.
`

// orgFlags are the flags keysweep org adds to the scan's; everything
// else on its command line is parsed as scan flags.
type orgFlags struct {
	opts  org.Options
	shard string
	list  bool
}

// orgOnly names org's own flags and whether each takes a value.
var orgOnly = map[string]bool{
	"shard": true, "clone-dir": true, "include": true, "exclude": true, "concurrency": true, "clone-timeout": true,
	"include-archived": false, "include-forks": false, "list": false,
}

// githubLogin is GitHub's rule for organization names.
var githubLogin = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)

func orgCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	of, cfg, err := parseOrgFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, orgUsage)
			return ExitClean
		}
		fmt.Fprintf(stderr, "keysweep: %v\n", err)
		return ExitError
	}
	if of.list {
		repos, err := org.Selected(ctx, of.opts)
		if err != nil {
			printError(stderr, err)
			return ExitError
		}
		for _, r := range repos {
			fmt.Fprintln(stdout, r.Name)
		}
		return ExitClean
	}
	if cfg, err = pipeline.Prepare(cfg); err != nil {
		printError(stderr, err)
		return ExitError
	}
	rep, err := org.Run(ctx, of.opts, cfg)
	if err != nil {
		printError(stderr, err)
		return ExitError
	}
	return finish(rep, cfg, stdout, stderr)
}

// finish renders rep and applies the exit-code contract, for org and merge.
func finish(rep *finding.Report, cfg pipeline.Config, stdout, stderr io.Writer) int {
	if err := pipeline.Render(rep, cfg, stdout); err != nil {
		fmt.Fprintf(stderr, "keysweep: %s\n", oneLine(err))
		return ExitError
	}
	code, why := pipeline.ExitCode(rep, cfg)
	if why != "" {
		fmt.Fprintf(stderr, "keysweep: %s\n", why)
	}
	return code
}

func parseOrgFlags(args []string, stderr io.Writer) (*orgFlags, pipeline.Config, error) {
	of := &orgFlags{}
	own := flag.NewFlagSet("keysweep org", flag.ContinueOnError)
	own.SetOutput(io.Discard)
	o := &of.opts
	own.StringVar(&of.shard, "shard", "", "")
	own.StringVar(&o.CloneDir, "clone-dir", "", "")
	own.Func("include", "", func(s string) error { o.Filter.Include = append(o.Filter.Include, s); return nil })
	own.Func("exclude", "", func(s string) error { o.Filter.Exclude = append(o.Filter.Exclude, s); return nil })
	own.BoolVar(&o.Filter.Archived, "include-archived", false, "")
	own.BoolVar(&o.Filter.Forks, "include-forks", false, "")
	own.IntVar(&o.Concurrency, "concurrency", org.DefaultConcurrency, "")
	own.DurationVar(&o.CloneTimeout, "clone-timeout", org.DefaultCloneTimeout, "")
	own.BoolVar(&of.list, "list", false, "")

	mine, rest, err := splitFlags(args, orgOnly)
	if err != nil {
		return nil, pipeline.Config{}, err
	}
	if err := own.Parse(mine); err != nil {
		return nil, pipeline.Config{}, &usageError{msg: err.Error() + " (see keysweep org --help)"}
	}
	cfg, err := parseScanFlags(rest, stderr)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			ue.msg = strings.NewReplacer("keysweep scan --help", "keysweep org --help", "scan takes one PATH", "org takes one ORG").Replace(ue.msg)
		}
		return nil, cfg, err
	}
	o.Org = cfg.Path
	cfg.Path = ""
	cfg.Progress = nil // one bar per repository would be noise
	switch {
	case o.Org == "." || o.Org == "":
		return nil, cfg, &usageError{msg: "org needs the organization's name: keysweep org ORG"}
	case !githubLogin.MatchString(o.Org):
		return nil, cfg, &usageError{msg: fmt.Sprintf("org %s: not a GitHub organization name", strconv.Quote(o.Org))}
	case cfg.Since != "" || cfg.Staged || cfg.IncludeUnreachable:
		return nil, cfg, &usageError{msg: "org scans every repository's full history: --since, --staged and --include-unreachable do not apply"}
	case o.Concurrency < 1 || o.Concurrency > 64:
		return nil, cfg, &usageError{msg: fmt.Sprintf("--concurrency %d: want 1 to 64", o.Concurrency)}
	case o.CloneTimeout <= 0:
		return nil, cfg, &usageError{msg: "--clone-timeout must be positive"}
	}
	if of.shard != "" {
		if o.Filter.Shard, err = org.ParseShard(of.shard); err != nil {
			return nil, cfg, &usageError{msg: err.Error()}
		}
	}
	if err := o.Filter.CheckGlobs(); err != nil {
		return nil, cfg, &usageError{msg: "--include/--exclude: " + err.Error()}
	}
	o.APIURL = os.Getenv("GITHUB_API_URL")
	o.Token = os.Getenv("GITHUB_TOKEN")
	o.Log = stderr
	return of, cfg, nil
}

// splitFlags separates the flags named in own (and their values) from the
// rest of args, keeping both in order; "--" ends the flags.
func splitFlags(args []string, own map[string]bool) (mine, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return mine, append(rest, args[i:]...), nil
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takesValue, ok := own[name]
		if !strings.HasPrefix(a, "-") || !ok {
			rest = append(rest, a)
			continue
		}
		mine = append(mine, a)
		if takesValue && !hasValue {
			if i+1 == len(args) {
				return nil, nil, &usageError{msg: fmt.Sprintf("flag needs an argument: -%s (see keysweep org --help)", name)}
			}
			i++
			mine = append(mine, args[i])
		}
	}
	return mine, rest, nil
}

func mergeCommand(args []string, stdout, stderr io.Writer) int {
	cfg := pipeline.Config{}
	fs := flag.NewFlagSet("keysweep merge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.Format, "format", "text", "")
	fs.StringVar(&cfg.Output, "output", "", "")
	fs.BoolVar(&cfg.AllowPartial, "allow-partial", false, "")
	failOn := fs.String("fail-on", "high", "")
	color := fs.String("color", "auto", "")
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, mergeUsage)
				return ExitClean
			}
			fmt.Fprintf(stderr, "keysweep: %s (see keysweep merge --help)\n", err)
			return ExitError
		}
		if args = fs.Args(); len(args) == 0 {
			break
		}
		files, args = append(files, args[0]), args[1:]
	}
	usage := func(msg string) int { fmt.Fprintf(stderr, "keysweep: %s\n", msg); return ExitError }
	if len(files) == 0 {
		return usage("merge needs at least one JSON report: keysweep merge REPORT.json...")
	}
	switch cfg.Format {
	case "text", "json", "sarif", "markdown":
	default:
		return usage(fmt.Sprintf("--format %q: want text, json, sarif or markdown", cfg.Format))
	}
	sev, err := finding.ParseSeverity(*failOn)
	if err != nil || sev == finding.SeverityInfo {
		return usage(fmt.Sprintf("--fail-on %q: want critical, high, medium, low or none", *failOn))
	}
	cfg.FailOn = sev
	switch *color {
	case "auto":
		cfg.Color = cfg.Output == "" && cfg.Format == "text" && isTerminal(os.Stdout)
	case "always":
		cfg.Color = true
	case "never":
	default:
		return usage(fmt.Sprintf("--color %q: want auto, always or never", *color))
	}
	var reps []*finding.Report
	for _, f := range files {
		r, err := pipeline.ReadReport(f)
		if err != nil {
			printError(stderr, err)
			return ExitError
		}
		reps = append(reps, r)
	}
	rep, err := pipeline.Merge(reps)
	if err != nil {
		printError(stderr, err)
		return ExitError
	}
	return finish(rep, cfg, stdout, stderr)
}
