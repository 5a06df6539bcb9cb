// Command repogen generates a large git repository with planted AWS
// credentials, for benchmarking and recall checks:
//
//	go run ./internal/repogen/cmd/repogen -commits 50000 -out /tmp/big
//
// The repository is written to -out and its manifest (every planted key,
// where and in which commit it was introduced) to -out/repogen-manifest.json,
// which .git/info/exclude hides from git status. With -check, it instead
// compares a keysweep JSON report against a manifest:
//
//	keysweep scan /tmp/big --format json --fail-on none > report.json
//	go run ./internal/repogen/cmd/repogen -check report.json -manifest /tmp/big/repogen-manifest.json
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/keysweep/keysweep/internal/repogen"
)

// ManifestName is the manifest's file name inside -out.
const manifestName = "repogen-manifest.json"

func main() {
	var o repogen.Options
	flag.IntVar(&o.Commits, "commits", 50000, "number of commits")
	flag.IntVar(&o.Files, "files", 0, "files in the first commit (0: commits/30, 100 to 1500)")
	flag.IntVar(&o.Branches, "branches", 0, "feature branches (0: commits/150)")
	flag.IntVar(&o.Merges, "merges", 0, "feature branches merged back (0: all but one)")
	flag.IntVar(&o.Tags, "tags", 0, "release tags (0: commits/2000)")
	flag.Int64Var(&o.Seed, "seed", 1, "seed: the same seed gives the same hashes")
	flag.IntVar(&o.PlantKeys, "plant", 0, "planted-credential scenarios (0: one of each kind)")
	flag.IntVar(&o.LargeFileLines, "large-lines", 0, "lines of the large file (0: commits/3, 500 to 15000)")
	flag.BoolVar(&o.Bare, "bare", false, "make a bare repository (manifest goes next to it as OUT.manifest.json)")
	flag.BoolVar(&o.Repack, "repack", true, "git repack -adf --depth=50 --window=50 afterwards")
	out := flag.String("out", "", "directory to create (required unless -check)")
	check := flag.String("check", "", "keysweep JSON report to check against -manifest instead of generating")
	manifest := flag.String("manifest", "", "manifest for -check")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch {
	case *check != "":
		err = runCheck(*check, *manifest)
	case *out == "":
		err = fmt.Errorf("-out is required")
	default:
		err = generate(ctx, *out, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "repogen:", err)
		os.Exit(2)
	}
}

func generate(ctx context.Context, out string, o repogen.Options) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	start := time.Now()
	m, err := repogen.Generate(ctx, out, o)
	if err != nil {
		return err
	}
	mpath := filepath.Join(out, manifestName)
	if o.Bare {
		mpath = strings.TrimSuffix(out, string(filepath.Separator)) + ".manifest.json"
	} else {
		exclude := filepath.Join(out, ".git", "info", "exclude")
		f, err := os.OpenFile(exclude, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(f, "/"+manifestName)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if err := m.WriteFile(mpath); err != nil {
		return err
	}
	fmt.Printf("repository  %s\n", out)
	fmt.Printf("manifest    %s (%d planted keys, %d look-alikes)\n", mpath, len(m.Keys), len(m.Negatives))
	fmt.Printf("commits     %d (HEAD %s, %d refs)\n", m.Commits, m.Head, len(m.Refs))
	fmt.Printf("fast-import %.1fs\n", m.ImportSeconds)
	if o.Repack {
		fmt.Printf("repack      %.1fs\n", m.RepackSeconds)
	}
	if size, err := exec.Command("git", "-C", out, "count-objects", "-vH").Output(); err == nil {
		for l := range strings.Lines(string(size)) {
			if strings.HasPrefix(l, "size-pack") || strings.HasPrefix(l, "in-pack") {
				fmt.Printf("%-11s %s", strings.TrimSuffix(strings.Fields(l)[0], ":"), strings.Join(strings.Fields(l)[1:], " ")+"\n")
			}
		}
	}
	fmt.Printf("total       %.1fs\n", time.Since(start).Seconds())
	return nil
}

func runCheck(reportPath, manifestPath string) error {
	if manifestPath == "" {
		return fmt.Errorf("-check needs -manifest")
	}
	m, err := repogen.ReadManifest(manifestPath)
	if err != nil {
		return err
	}
	report, err := os.ReadFile(reportPath)
	if err != nil {
		return err
	}
	problems, err := repogen.Compare(m, report)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 {
		fmt.Printf("recall check: %d problem(s) against %d planted keys\n", len(problems), len(m.Keys))
		os.Exit(1)
	}
	fmt.Printf("recall check: all %d planted keys found, attributed and placed right; no look-alike reported\n", len(m.Keys))
	return nil
}
