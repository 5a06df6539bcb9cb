// Command keysweep finds AWS access keys in a repository's git history,
// tells which are still live, and audits the AWS account. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/keysweep/keysweep/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
