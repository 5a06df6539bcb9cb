// Command releasetool makes and checks what a keysweep release publishes,
// for scripts/release.sh: reproducible archives, a CycloneDX SBOM read from
// a binary's build information, the multi-arch container image as an OCI
// image layout (no Docker daemon, no registry), a module proxy of the
// checkout for testing `go install …@version` offline, and, in the release
// workflow, the image's push and an anonymous pull of what was pushed.
//
// It is its own module so that its dependencies (go-containerregistry,
// golang.org/x/mod) never reach keysweep's go.mod or its users.
//
//	releasetool archive OUT.tar.gz|OUT.zip NAME=FILE...
//	releasetool sbom -o OUT.cdx.json -version V -created RFC3339 BINARY
//	releasetool image -o LAYOUT -version V -revision SHA -source URL -created RFC3339 -certs FILE linux/amd64=BIN...
//	releasetool inspect -layout LAYOUT [-extract PLATFORM=FILE]
//	releasetool modproxy -o DIR -module PATH -version V -created RFC3339 SRC
//	releasetool push -layout LAYOUT REF...
//	releasetool pull REF DIGEST
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "releasetool:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: releasetool archive|sbom|image|inspect|modproxy|push|pull ARGS")
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	switch cmd {
	case "archive":
		if len(args) < 2 {
			return errors.New("usage: releasetool archive OUT.tar.gz|OUT.zip NAME=FILE [NAME=FILE]")
		}
		created, err := sourceDateEpoch()
		if err != nil {
			return err
		}
		return writeArchive(args[0], args[1:], created)
	case "sbom":
		out := fs.String("o", "", "output file")
		version := fs.String("version", "", "the binary's version")
		created := fs.String("created", "", "timestamp (RFC 3339)")
		if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *out == "" || *version == "" {
			return errors.New("usage: releasetool sbom -o OUT -version V -created RFC3339 BINARY")
		}
		t, err := time.Parse(time.RFC3339, *created)
		if err != nil {
			return fmt.Errorf("-created: %w", err)
		}
		return writeSBOM(*out, fs.Arg(0), *version, t)
	case "image":
		var o imageOptions
		fs.StringVar(&o.layout, "o", "", "OCI layout directory to write")
		fs.StringVar(&o.version, "version", "", "version (label)")
		fs.StringVar(&o.revision, "revision", "", "commit (label)")
		fs.StringVar(&o.source, "source", "", "repository URL (label)")
		created := fs.String("created", "", "timestamp (RFC 3339)")
		fs.StringVar(&o.certs, "certs", "/etc/ssl/certs/ca-certificates.crt", "CA certificate bundle")
		if err := fs.Parse(args); err != nil || fs.NArg() == 0 || o.layout == "" || o.version == "" {
			return errors.New("usage: releasetool image -o LAYOUT -version V -revision SHA -source URL -created RFC3339 OS/ARCH=BINARY [OS/ARCH=BINARY]")
		}
		t, err := time.Parse(time.RFC3339, *created)
		if err != nil {
			return fmt.Errorf("-created: %w", err)
		}
		o.created = t
		o.binaries = fs.Args()
		return writeImage(o)
	case "inspect":
		layoutDir := fs.String("layout", "", "OCI layout directory")
		extract := fs.String("extract", "", "PLATFORM=FILE: write that platform's /keysweep to FILE")
		if err := fs.Parse(args); err != nil || *layoutDir == "" {
			return errors.New("usage: releasetool inspect -layout LAYOUT [-extract OS/ARCH=FILE]")
		}
		return inspectImage(*layoutDir, *extract, stdout)
	case "modproxy":
		out := fs.String("o", "", "proxy directory")
		mod := fs.String("module", "", "module path")
		version := fs.String("version", "", "module version")
		created := fs.String("created", "", "timestamp (RFC 3339)")
		if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *out == "" || *mod == "" || *version == "" {
			return errors.New("usage: releasetool modproxy -o DIR -module PATH -version V -created RFC3339 SRC")
		}
		t, err := time.Parse(time.RFC3339, *created)
		if err != nil {
			return fmt.Errorf("-created: %w", err)
		}
		return writeModProxy(*out, *mod, *version, t, fs.Arg(0))
	case "push":
		layoutDir := fs.String("layout", "", "OCI layout directory")
		if err := fs.Parse(args); err != nil || *layoutDir == "" || fs.NArg() == 0 {
			return errors.New("usage: releasetool push -layout LAYOUT REF [REF]")
		}
		return push(ctx, *layoutDir, fs.Args(), stdout)
	case "pull":
		if len(args) != 2 {
			return errors.New("usage: releasetool pull REF DIGEST")
		}
		return pullAnonymously(ctx, args[0], args[1], stdout)
	}
	return fmt.Errorf("unknown command %q", cmd)
}

// sourceDateEpoch is the time every file of an archive is dated:
// SOURCE_DATE_EPOCH (the commit's time, from release.sh), so the same
// commit gives the same bytes.
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, errors.New("SOURCE_DATE_EPOCH is not set")
	}
	var sec int64
	if _, err := fmt.Sscan(s, &sec); err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}
