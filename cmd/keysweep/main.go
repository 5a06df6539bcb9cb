// Command keysweep finds AWS access keys in a repository's git history,
// tells which are still live, and audits the AWS account. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/keysweep/keysweep/action"
	"github.com/keysweep/keysweep/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if len(os.Args) == 2 && os.Args[1] == "action" {
		// The GitHub Action's entry point (action.yml: args: [action]);
		// `action --help` and other arguments are the CLI's to answer.
		code = action.Main(ctx, os.Stdout, os.Stderr, os.Getenv)
	} else {
		code = cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}
