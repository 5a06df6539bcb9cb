package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/go-git/go-git/v5"

	"github.com/keysweep/keysweep/config"
	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/fileerr"
	"github.com/keysweep/keysweep/suppress"
)

// Settings are what a scan reads besides the repository's history: its
// .keysweep.yml, its .keysweepignore and the --baseline report.
type Settings struct {
	Config   *config.Config
	Ignores  *suppress.Ignores
	Baseline *suppress.Baseline
}

// LoadSettings reads the settings cfg names: --config or the
// repository root's .keysweep.yml, the root's .keysweepignore, and
// --baseline. Files at the root are optional; named files are not.
func LoadSettings(cfg Config) (*Settings, error) {
	s := &Settings{Config: &config.Config{}, Ignores: &suppress.Ignores{}}
	root := repoRoot(cfg.Path)
	var err error
	switch {
	case cfg.ConfigFile != "":
		s.Config, err = config.LoadIn(root, cfg.ConfigFile)
	case root != "":
		s.Config, err = config.Find(root)
	}
	if err != nil {
		return nil, err
	}
	if root != "" {
		if s.Ignores, err = suppress.ReadIgnores(filepath.Join(root, suppress.IgnoreFileName)); err != nil {
			return nil, err
		}
	}
	if cfg.Baseline != "" {
		if s.Baseline, err = suppress.ReadBaseline(cfg.Baseline); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// repoRoot is the top of the work tree holding path, where .keysweep.yml
// and .keysweepignore live; "" for a bare repository or no repository
// (the scan itself reports the latter).
func repoRoot(path string) string {
	repo, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return ""
	}
	wt, err := repo.Worktree()
	if err != nil {
		return ""
	}
	return wt.Filesystem.Root()
}

// excludePaths drops the leaks the configuration's exclude-paths cover,
// before the inventory is asked about them.
func excludePaths(leaks []finding.Leak, c *config.Config) ([]finding.Leak, int) {
	if len(c.ExcludePaths) == 0 {
		return leaks, 0
	}
	n := len(leaks)
	leaks = slices.DeleteFunc(leaks, func(l finding.Leak) bool { return c.Excluded(l.Path) })
	return leaks, n - len(leaks)
}

// printError writes err as the one line of the CLI contract. An error at a
// line of an input file starts with FILE:LINE:, as compilers print them,
// so editors and CI logs link to it.
func printError(w io.Writer, err error) {
	var fe *fileerr.Error
	if errors.As(err, &fe) {
		fmt.Fprintln(w, oneLine(err))
		return
	}
	fmt.Fprintf(w, "keysweep: %s\n", oneLine(err))
}
