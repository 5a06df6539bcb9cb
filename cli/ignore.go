package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

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
func ignoreCommand(args []string, now time.Time, stdout, stderr io.Writer) int {
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
	return ExitClean
}
