package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/keysweep/keysweep/contain"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/internal/safefile"
	"github.com/keysweep/keysweep/scan"
)

const containUsage = `usage: keysweep contain KEY_ID (--deactivate | --quarantine) [--yes] [--audit FILE]
                        [--role-to-assume ARN] [--region R]

Contains one leaked access key, in the account the credentials act in and
only if that account holds the key:
  --deactivate        set the key Inactive (iam:UpdateAccessKey)
  --quarantine        attach AWS's managed quarantine policy to the key's
                      user (` + contain.QuarantinePolicy + `)
  --yes               make the change; without it, only print what would be done
  --audit FILE        write the JSON audit record to FILE (default
                      keysweep-contain-KEY_ID-TIME.json); it says what was done
                      and how to undo it
  --role-to-assume ARN  the write-capable containment role (the scanning role
                      stays read-only; see docs/incident-response.md)
  --region R          region for STS (default: the environment's, else us-east-1)

Exit status: 0 when done (or dry run), 2 when refused or failed.
`

// containFlagValues are the flags of keysweep contain.
type containFlagValues struct {
	deactivate, quarantine, yes *bool
	audit, role, region         *string
}

// containFlags defines the flags of keysweep contain: the one list that
// parsing and shell completion read.
func containFlags() (*flag.FlagSet, containFlagValues) {
	fs := flag.NewFlagSet("keysweep contain", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs, containFlagValues{
		deactivate: fs.Bool("deactivate", false, ""),
		quarantine: fs.Bool("quarantine", false, ""),
		yes:        fs.Bool("yes", false, ""),
		audit:      fs.String("audit", "", ""),
		role:       fs.String("role-to-assume", "", ""),
		region:     fs.String("region", "", ""),
	}
}

// containCommand is `keysweep contain`: the one command that changes an
// AWS account, through package contain, which the scan path never imports.
func containCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, v := containFlags()
	deactivate, quarantine, yes, audit, role, region := v.deactivate, v.quarantine, v.yes, v.audit, v.role, v.region
	// The key ID may come before or after the flags.
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if code, ok := parseFlags(fs, args, containUsage, stdout, stderr); !ok {
		return code
	}
	rest := fs.Args()
	if id == "" && len(rest) > 0 {
		id, rest = rest[0], rest[1:]
	}
	if id == "" || len(rest) > 0 {
		fmt.Fprintln(stderr, "keysweep: contain takes one access key ID (see keysweep contain --help)")
		return ExitError
	}
	var action contain.Action
	switch {
	case *deactivate && *quarantine:
		fmt.Fprintln(stderr, "keysweep: contain: choose one of --deactivate and --quarantine")
		return ExitError
	case *deactivate:
		action = contain.Deactivate
	case *quarantine:
		action = contain.Quarantine
	default:
		fmt.Fprintln(stderr, "keysweep: contain: say what to do: --deactivate or --quarantine (see keysweep contain --help)")
		return ExitError
	}
	cfg, err := scan.LoadConfig(ctx, scan.Options{Region: *region, RoleToAssume: *role})
	if err != nil {
		printError(stderr, err)
		return ExitError
	}
	account, arn, err := scan.CallerIdentity(ctx, cfg)
	if err != nil {
		printError(stderr, err)
		return ExitError
	}
	now := time.Now()
	name := *audit
	if name == "" {
		name = fmt.Sprintf("keysweep-contain-%s-%s.json", id, now.UTC().Format("20060102T150405Z"))
	}
	// The audit record's file is opened before anything is changed: a
	// path that cannot hold it (a link, a missing directory) stops
	// containment instead of leaving a change nobody recorded.
	var f *os.File
	created := false
	if contain.ValidKeyID(id) {
		_, statErr := os.Lstat(name)
		created = os.IsNotExist(statErr)
		if f, err = safefile.Create(name); err != nil {
			printError(stderr, err)
			return ExitError
		}
	}
	rec, err := contain.Run(ctx, cfg, account, arn, contain.Request{KeyID: id, Action: action, Yes: *yes}, now)
	if err != nil {
		if f != nil {
			f.Close()
			if created {
				os.Remove(name)
			}
		}
		printError(stderr, err)
		return ExitError
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	err = enc.Encode(rec)
	if err == nil {
		_, err = f.Write(b.Bytes())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		printRecord(stdout, rec, name)
		what := "nothing was changed"
		if !rec.DryRun && rec.Note == "" {
			what = "the change WAS made (see above for how to undo it)"
		}
		fmt.Fprintf(stderr, "keysweep: %s; the audit record could not be written to %s: %s\n", what, escape.Text(name), oneLine(err))
		return ExitError
	}
	printRecord(stdout, rec, name)
	return ExitClean
}

// printRecord says what containment did, for people.
func printRecord(w io.Writer, r contain.Record, audit string) {
	switch {
	case r.Note != "":
		fmt.Fprintf(w, "%s: %s (user %s, account %s)\n", r.KeyID, r.Note, r.User, r.Account)
	case r.DryRun:
		fmt.Fprintf(w, "DRY RUN: would %s key %s of user %s in account %s (add --yes to do it)\n", r.Action, r.KeyID, r.User, r.Account)
	default:
		fmt.Fprintf(w, "done: %s key %s of user %s in account %s\n", r.Action, r.KeyID, r.User, r.Account)
	}
	fmt.Fprintf(w, "  before: %s\n", r.Before)
	if r.After != "" {
		fmt.Fprintf(w, "  after:  %s\n", r.After)
	}
	for _, c := range r.Calls {
		fmt.Fprintf(w, "  call:   %s\n", c)
	}
	for _, u := range r.Undo {
		fmt.Fprintf(w, "  undo:   %s\n", u)
	}
	fmt.Fprintf(w, "  audit record: %s\n", audit)
}
