// Command keysweep finds AWS access keys in a repository's git history,
// tells which are still live, and audits the AWS account. See README.md.
package main

import (
	"context"
	"io"
	"os"

	"github.com/keysweep/keysweep/action"
	"github.com/keysweep/keysweep/cli"
	"github.com/keysweep/keysweep/internal/shutdown"
)

func main() {
	os.Exit(shutdown.Run(os.Stdout, os.Stderr, shutdown.Grace, func(ctx context.Context, stdout, stderr io.Writer) int {
		if len(os.Args) == 2 && os.Args[1] == "action" {
			// The GitHub Action's entry point (action.yml: args: [action]);
			// `action --help` and other arguments are the CLI's to answer.
			return action.Main(ctx, stdout, stderr, os.Getenv)
		}
		return cli.Main(ctx, os.Args[1:], stdout, stderr)
	}))
}
