package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/pipeline"
	"github.com/keysweep/keysweep/suppress"
)

const ignoreUsage = `usage: keysweep ignore FINGERPRINT --reason "why" [--until YYYY-MM-DD] [PATH]

Appends FINGERPRINT to the .keysweepignore at the root of the repository at
PATH (default .). The finding stays in reports, marked suppressed with the
reason, and no longer fails the scan; after --until it counts again.
Use a key's fingerprint (shown under it in the text report, keyFingerprint
in JSON) to accept the key at every path, through renames.
`

// ignoreCommand is `keysweep ignore`.
func ignoreCommand(ctx context.Context, args []string, now time.Time, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keysweep ignore", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	reason := fs.String("reason", "", "")
	until := fs.String("until", "", "")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, ignoreUsage)
				return ExitClean
			}
			fmt.Fprintf(stderr, "keysweep: %s (see keysweep ignore --help)\n", flagError(err))
			return ExitError
		}
		if args = fs.Args(); len(args) == 0 {
			break
		}
		positional, args = append(positional, args[0]), args[1:]
	}
	if len(positional) < 1 || len(positional) > 2 {
		fmt.Fprintln(stderr, `keysweep: usage: keysweep ignore FINGERPRINT --reason "why" [--until YYYY-MM-DD] [PATH]`)
		return ExitError
	}
	ig := suppress.Ignore{Fingerprint: strings.ToLower(positional[0]), Reason: *reason}
	if *until != "" {
		d, err := time.Parse(time.DateOnly, *until)
		if err != nil {
			fmt.Fprintf(stderr, "keysweep: --until %s: expected a date YYYY-MM-DD\n", escape.Excerpt(*until))
			return ExitError
		}
		ig.Until = d
		if ig.Expired(now) {
			fmt.Fprintf(stderr, "keysweep: --until %s is in the past: the ignore would never hold\n", *until)
			return ExitError
		}
	}
	path := "."
	if len(positional) == 2 {
		path = positional[1]
	}
	root := pipeline.RepoRoot(path)
	if root == "" {
		fmt.Fprintf(stderr, "keysweep: %s is not inside a git work tree: .keysweepignore lives at the repository root\n", escape.Text(path))
		return ExitError
	}
	name, err := suppress.Append(root, ig)
	if err != nil {
		printError(stderr, err)
		return ExitError
	}
	fmt.Fprintf(stdout, "%s: %s\n", name, ig)
	if warning := unmatchedFingerprint(ctx, root, ig.Fingerprint); warning != "" {
		fmt.Fprintf(stderr, "keysweep: warning: %s\n", warning)
	}
	return ExitClean
}

// unmatchedFingerprint scans the repository's history (no AWS) and says
// so when fp names none of its key findings: a fingerprint copied from
// another repository or cut short would otherwise sit in the file and
// accept nothing. An account check's fingerprint is only known to a run
// with --aws, so the entry is kept either way.
func unmatchedFingerprint(ctx context.Context, root, fp string) string {
	cfg, err := pipeline.Prepare(pipeline.Config{Path: root, Format: "json", FailOn: finding.SeverityNone})
	if err != nil {
		return "could not check the fingerprint against the history: " + oneLine(err)
	}
	rep, err := pipeline.Run(ctx, cfg)
	if err != nil {
		return "could not check the fingerprint against the history: " + oneLine(err)
	}
	for _, k := range rep.Keys {
		if k.Fingerprint == fp || k.KeyFingerprint == fp {
			return ""
		}
	}
	return fmt.Sprintf("%s matches none of the %d key findings in this repository's history: check it was copied whole from the report (an account check's fingerprint is listed only by a scan with --aws)",
		fp, len(rep.Keys))
}
