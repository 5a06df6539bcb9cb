package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/pipeline"
)

const inventoryUsage = `usage: keysweep inventory --aws > keys.json

Lists every access key of the AWS account the standard credential chain
reaches (all IAM users' keys, the root user's from the credential report)
and writes it as JSON that says it is complete. Give the file to
'keysweep scan --known-keys keys.json' where AWS cannot be reached (a fork's
pull request, an air-gapped run): a committed key the file lacks is then
judged "not in account", which a partial list can never say.
`

// inventoryCommand is `keysweep inventory`: the pipeline's AWS inventory
// stage, written out.
func inventoryCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keysweep inventory", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	useAWS := fs.Bool("aws", false, "")
	if code, ok := parseFlags(fs, args, inventoryUsage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "keysweep: inventory takes no arguments, got %q (see keysweep inventory --help)\n", fs.Arg(0))
		return ExitError
	}
	if !*useAWS {
		fmt.Fprintln(stderr, "keysweep: inventory reads the live account: pass --aws (see keysweep inventory --help)")
		return ExitError
	}
	inv, err := pipeline.Inventory(ctx, pipeline.AWSConfig{Enabled: true})
	if err != nil {
		printError(stderr, err)
		return ExitError
	}
	if err := judge.WriteInventory(stdout, inv, time.Now()); err != nil {
		fmt.Fprintf(stderr, "keysweep: write inventory: %s\n", oneLine(err))
		return ExitError
	}
	for _, g := range inv.Gaps {
		fmt.Fprintf(stderr, "keysweep: note: %s\n", oneLine(errors.New(g)))
	}
	return ExitClean
}
