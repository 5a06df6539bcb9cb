package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keysweep/keysweep/config"
	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitfile"
	"github.com/keysweep/keysweep/gitscan"
	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/suppress"
)

// Settings are what a scan reads besides the repository's history: its
// .keysweep.yml, its .keysweepignore and the --baseline report.
type Settings struct {
	Config   *config.Config
	Ignores  *suppress.Ignores
	Baseline *suppress.Baseline
	// Known is the --known-keys inventory, nil without one.
	Known *finding.Inventory
	// Source is where the repository's files were read; Commit is the
	// commit it names, zero for the working tree.
	Source Source
	Commit repo.ID
	// NoInlineAllow ignores every keysweep:allow comment.
	NoInlineAllow bool

	// repo stays open while the settings are in use (inline allows are
	// read during Suppress, ChangedSettings after the run); its pack
	// files are os.Files, closed when the settings are collected.
	repo *gitfile.Repo
	// allowSeen caches InlineAllowed by path and key.
	allowSeen map[[2]string]bool
}

// Source is where LoadSettings reads the repository's settings files.
//
// A pull request's verdict must not be decided by the pull request: the
// action reads them from the base commit, and a range scan (--since REV)
// from REV, through git objects. A scan of the whole history reads the
// working tree, so that `keysweep ignore` applies at once.
type Source struct {
	// Rev names the commit whose tree holds the files; "" is the working
	// tree.
	Rev string
}

// WorkTree reports whether s is the working tree.
func (s Source) WorkTree() bool { return s.Rev == "" }

// SettingsSource is where cfg's settings come from: SettingsRev when set,
// the --since revision for a range scan, else the working tree.
func (c Config) SettingsSource() Source {
	switch {
	case c.SettingsRev != "":
		return Source{Rev: c.SettingsRev}
	case c.Since != "" && !c.Staged:
		return Source{Rev: c.Since}
	}
	return Source{}
}

// LoadSettings reads the settings cfg names from src: --config or the
// repository root's .keysweep.yml, the root's .keysweepignore, and
// --baseline. Files at the root are optional; named files are not. From a
// commit, a --config file inside the repository is read from the commit
// too; one outside it (the user's own) and --baseline from the file
// system.
func LoadSettings(cfg Config, src Source) (*Settings, error) {
	s := &Settings{Config: &config.Config{}, Ignores: &suppress.Ignores{}, Source: src, NoInlineAllow: cfg.NoInlineAllow}
	var err error
	if src.WorkTree() {
		err = s.readWorkTree(cfg)
	} else {
		err = s.readCommit(cfg, src)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Baseline != "" {
		data, name, err := s.userFile(cfg, cfg.Baseline, maxUserFile)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		if data == nil {
			s.Baseline, err = suppress.ReadBaseline(cfg.Baseline)
		} else {
			s.Baseline, err = suppress.ParseBaseline(name, data)
		}
		if err != nil {
			return nil, err
		}
	}
	if cfg.KnownKeys != "" {
		data, name, err := s.userFile(cfg, cfg.KnownKeys, maxUserFile)
		if err != nil {
			return nil, fmt.Errorf("known-keys: %w", err)
		}
		if data == nil {
			s.Known, err = KnownKeys(cfg.KnownKeys, cfg.KnownKeysComplete)
		} else {
			s.Known, err = judge.ParseKnownKeys(name, data)
			if err == nil {
				err = completeKnown(name, s.Known, cfg.KnownKeysComplete)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// maxUserFile bounds a known-keys or baseline file read from a commit.
const maxUserFile = 64 << 20

// userFile reads a file the user named (--baseline, --known-keys) from the
// settings commit when it is inside the repository, since a pull request
// could change it there like any settings file; nil data means it is to be
// read from the file system (the working tree, or a file outside the
// repository).
func (s *Settings) userFile(cfg Config, name string, limit int64) ([]byte, string, error) {
	if s.Source.WorkTree() || s.repo == nil {
		return nil, "", nil
	}
	rel, inside := inRepo(RepoRoot(cfg.Path), name)
	if !inside {
		return nil, "", nil
	}
	f, err := s.repo.Read(s.Commit, rel, limit)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s is inside the repository but not in commit %s, where the settings are read from", rel, s.Commit.Short())
	}
	if err != nil {
		return nil, "", err
	}
	return f.Data, f.Name, nil
}

func (s *Settings) readWorkTree(cfg Config) error {
	root := RepoRoot(cfg.Path)
	var err error
	switch {
	case cfg.ConfigFile != "":
		s.Config, err = config.LoadIn(root, cfg.ConfigFile)
	case root != "":
		s.Config, err = config.Find(root)
	}
	if err != nil {
		return err
	}
	if root != "" {
		if s.Ignores, err = suppress.ReadIgnores(filepath.Join(root, suppress.IgnoreFileName)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Settings) readCommit(cfg Config, src Source) error {
	commit, err := gitscan.Resolve(cfg.Path, src.Rev)
	if err != nil {
		return err // one line that names the revision
	}
	r, err := gitfile.Open(cfg.Path)
	if err != nil {
		return err
	}
	s.repo, s.Commit = r, commit
	configPath, named := config.FileName, false
	if cfg.ConfigFile != "" {
		rel, inside := inRepo(RepoRoot(cfg.Path), cfg.ConfigFile)
		if !inside {
			// The user's own file, not the repository's: nothing a pull
			// request controls.
			if s.Config, err = config.Load(cfg.ConfigFile); err != nil {
				return err
			}
			configPath = ""
		} else {
			configPath, named = rel, true
		}
	}
	if configPath != "" {
		f, err := r.Read(commit, configPath, gitfile.MaxSettings)
		switch {
		case errors.Is(err, fs.ErrNotExist) && named && !atHead(r, configPath):
			return fmt.Errorf("config: %s is not in commit %s, where the settings are read from", configPath, commit.Short())
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("config: %w", err)
		default:
			if s.Config, err = config.Parse(f.Name, f.Data); err != nil {
				return err
			}
		}
	}
	f, err := r.Read(commit, suppress.IgnoreFileName, gitfile.MaxSettings)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("ignore file: %w", err)
	default:
		if s.Ignores, err = suppress.ParseIgnores(f.Name, bytes.NewReader(f.Data)); err != nil {
			return err
		}
	}
	return nil
}

// maxInlineFile bounds the read of a file whose keysweep:allow is checked
// at the settings commit; a larger file's allows do not count.
const maxInlineFile = 16 << 20

// InlineAllowed reports whether a keysweep:allow on the line of keyID at
// path counts: always from the working tree (unless NoInlineAllow); from a
// commit only if that commit's version of the file already carries the
// allow on a line with the key, so an allow a pull request adds applies
// only once it is merged.
func (s *Settings) InlineAllowed(path, keyID string) bool {
	if s.NoInlineAllow {
		return false
	}
	if s.Source.WorkTree() || s.repo == nil {
		return true
	}
	k := [2]string{path, keyID}
	if ok, seen := s.allowSeen[k]; seen {
		return ok
	}
	ok := false
	if f, err := s.repo.Read(s.Commit, path, maxInlineFile); err == nil {
		ok = suppress.InlineAllowIn(f.Data, keyID)
	}
	if s.allowSeen == nil {
		s.allowSeen = map[[2]string]bool{}
	}
	s.allowSeen[k] = ok
	return ok
}

// SettingsFiles are the repository files that decide a verdict.
var SettingsFiles = []string{config.FileName, suppress.IgnoreFileName}

// ChangedSettings lists the settings files (and --config inside the
// repository) that HEAD holds differently from the commit s was read
// from: changes that do not apply to this run, and will once merged.
// Nothing when s is the working tree.
func ChangedSettings(cfg Config, s *Settings) ([]string, error) {
	if s.Source.WorkTree() || s.repo == nil {
		return nil, nil
	}
	head, ok := s.repo.Head()
	if !ok || head == s.Commit {
		return nil, nil
	}
	files := slices.Clone(SettingsFiles)
	if cfg.ConfigFile != "" {
		if rel, inside := inRepo(RepoRoot(cfg.Path), cfg.ConfigFile); inside {
			files[0] = rel
		}
	}
	var out []string
	for _, f := range files {
		was, err := s.repo.BlobAt(s.Commit, f)
		if err != nil {
			return nil, err
		}
		now, err := s.repo.BlobAt(head, f)
		if err != nil {
			return nil, err
		}
		if was != now {
			out = append(out, f)
		}
	}
	return out, nil
}

// atHead reports whether HEAD's commit has path: a settings file the range
// adds is not an error at the base, only not yet in force (ChangedSettings
// says so).
func atHead(r *gitfile.Repo, path string) bool {
	head, ok := r.Head()
	if !ok {
		return false
	}
	b, err := r.BlobAt(head, path)
	return err == nil && !b.IsZero()
}

// inRepo returns name relative to the repository root, slash-separated,
// and whether it is inside the repository at all.
func inRepo(root, name string) (string, bool) {
	if root == "" {
		return "", false
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", false
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if d, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(d, filepath.Base(abs))
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// RepoRoot is the top of the work tree holding path, where .keysweep.yml
// and .keysweepignore live; "" for a bare repository or no repository
// (the scan itself reports the latter). The repository is found as the
// scan finds it (package repo), so every layout the scan reads has its
// settings read too.
//
// An empty path is no repository, not the working directory: a run over
// cloned repositories has none.
func RepoRoot(path string) string {
	if path == "" {
		return ""
	}
	r, err := repo.Open(path)
	if err != nil {
		return ""
	}
	return r.WorkTree
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
