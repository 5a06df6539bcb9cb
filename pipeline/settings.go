package pipeline

import (
	"path/filepath"
	"slices"

	"github.com/go-git/go-git/v5"

	"github.com/keysweep/keysweep/config"
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
	root := RepoRoot(cfg.Path)
	var err error
	switch {
	case cfg.ConfigFile != "":
		s.Config, err = config.Load(cfg.ConfigFile)
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

// RepoRoot is the top of the work tree holding path, where .keysweep.yml
// and .keysweepignore live; "" for a bare repository or no repository
// (the scan itself reports the latter). An empty path is no repository,
// not the working directory: a run over cloned repositories has none.
func RepoRoot(path string) string {
	if path == "" {
		return ""
	}
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

// apply folds the settings file into cfg: its fail-on unless one was
// given explicitly, and, unless an explicit check list was given, its
// enable and disable lists; its thresholds always.
func (s *Settings) apply(cfg Config) Config {
	if f := s.Config.FailOn; f != nil && !cfg.FailOnSet {
		cfg.FailOn = *f
	}
	if cfg.AWS.Checks == nil {
		if len(s.Config.Enable) > 0 {
			cfg.AWS.Checks = s.Config.Enable
		}
		cfg.AWS.SkipChecks = append(slices.Clip(cfg.AWS.SkipChecks), s.Config.Disable...)
	}
	cfg.AWS.Thresholds = s.Config.Thresholds
	return cfg
}
