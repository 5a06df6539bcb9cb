package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Repo is an opened repository: its layout, not its contents.
type Repo struct {
	// GitDir is the git directory of the work tree the path named: for a
	// linked work tree, .git/worktrees/<id> of the main repository.
	GitDir string
	// CommonDir holds what every work tree shares: objects, refs, config.
	CommonDir string
	// HashSize is the length of a raw object name: 20 (SHA-1) or 32
	// (SHA-256).
	HashSize int
	// ObjectDirs are the object directories to read: the repository's
	// own first, then every alternate, each once.
	ObjectDirs []string
	// Promisor is set for a partial clone: objects it lacks may be left
	// out on purpose, to be fetched from the promisor remote it names.
	Promisor string
	// Bare is a repository without a work tree (and so without an index).
	Bare bool
	// WorkTree is the top of the work tree the path is in, where its
	// .git is; "" for a bare repository or a path inside a git directory.
	WorkTree string
	// Quarantine is the object directory git receive-pack holds a push's
	// objects in while the pre-receive hook decides
	// (GIT_QUARANTINE_PATH), "" outside one. It is ObjectDirs[0]: git
	// names it GIT_OBJECT_DIRECTORY and the repository's own directory an
	// alternate. An object only it holds is new in the push.
	Quarantine string
	// Problems are parts of the layout that could not be read, such as
	// an alternate that does not exist. The objects they hold are missing.
	Problems []string
}

// Error is a repository that cannot be read, in one line.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// ErrNotRepository is returned, wrapped, when path is in no repository.
var ErrNotRepository = errors.New("not a git repository")

// maxSmallFile bounds the files read whole here (config, HEAD, .git,
// alternates, packed-refs is read by lines): a hostile repository cannot
// make the scan allocate without limit.
const maxSmallFile = 1 << 20

// Open finds the repository at path: a work tree (or any directory in
// one), a .git directory, a bare repository, or a linked work tree. It
// reads the configuration and refuses what cannot be scanned.
func Open(path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotRepository, path)
	}
	gitDir, workTree, err := findGitDir(abs)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotRepository, path)
	}
	r := &Repo{GitDir: gitDir, CommonDir: gitDir, WorkTree: workTree}
	if b, err := readSmall(filepath.Join(gitDir, "commondir")); err == nil {
		common := strings.TrimSpace(string(b))
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitDir, common)
		}
		r.CommonDir = filepath.Clean(common)
	}
	cfgText, err := readSmall(filepath.Join(r.CommonDir, "config"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, &Error{Msg: "read the configuration of " + r.CommonDir + ": " + err.Error()}
	}
	cfg := parseConfig(cfgText)
	if err := r.extensions(cfg); err != nil {
		return nil, err
	}
	// git's rule: core.bare if set, else bare unless the git directory is
	// a work tree's .git. A linked work tree is never bare.
	if v, ok := cfg.get("core.bare"); ok {
		r.Bare = isTrue(v) && r.GitDir == r.CommonDir
	} else {
		r.Bare = r.GitDir == r.CommonDir && filepath.Base(r.GitDir) != ".git"
	}
	if r.Bare {
		r.WorkTree = ""
	}
	r.objectDirs()
	if r.Promisor == "" {
		r.Promisor = promisorRemote(cfg)
	}
	if r.Promisor == "" {
		for _, dir := range r.ObjectDirs {
			if m, _ := filepath.Glob(filepath.Join(dir, "pack", "*.promisor")); len(m) > 0 {
				r.Promisor = "(promisor packs)"
				break
			}
		}
	}
	return r, nil
}

// findGitDir walks up from dir to the git directory that governs it, and
// the work tree whose .git it is ("" when dir is in the git directory). As
// git does, a directory's .git is looked at before the directory itself
// is taken for a bare repository: a work tree whose files happen to look
// like a git directory (a committed HEAD, objects/ and refs/) is still
// the work tree.
func findGitDir(dir string) (string, string, error) {
	for {
		dotgit := filepath.Join(dir, ".git")
		if fi, err := os.Stat(dotgit); err == nil {
			if fi.IsDir() && isGitDir(dotgit) {
				return dotgit, dir, nil
			}
			// A linked work tree or a submodule: "gitdir: <path>".
			if fi.Mode().IsRegular() {
				if b, err := readSmall(dotgit); err == nil {
					if rest, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir:"); ok {
						target := strings.TrimSpace(rest)
						if !filepath.IsAbs(target) {
							target = filepath.Join(dir, target)
						}
						if isGitDir(target) {
							return filepath.Clean(target), dir, nil
						}
					}
				}
			}
		}
		if isGitDir(dir) {
			return dir, "", nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", "", ErrNotRepository
		}
		dir = parent
	}
}

// isGitDir reports whether dir is a git directory by git's own test: a
// HEAD that names a ref or a commit, and objects and refs directories of
// its own or a commondir pointing at them.
func isGitDir(dir string) bool {
	b, err := readSmall(filepath.Join(dir, "HEAD"))
	if err != nil {
		return false
	}
	head := strings.TrimSpace(string(b))
	var id ID
	if !strings.HasPrefix(head, "ref: refs/") && !id.SetHex([]byte(head)) {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, "commondir")); err == nil {
		return true
	}
	for _, sub := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// extensions applies core.repositoryformatversion and extensions.*, the
// settings git itself refuses to run without understanding.
func (r *Repo) extensions(cfg config) error {
	r.HashSize = 20
	if v, ok := cfg.get("core.repositoryformatversion"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1 {
			return &Error{Msg: fmt.Sprintf("repository format version %s is not one keysweep reads (git writes 0 and 1)", escape(v))}
		}
	}
	var unknown []string
	for _, kv := range cfg {
		name, ok := strings.CutPrefix(kv.key, "extensions.")
		if !ok {
			continue
		}
		val := strings.ToLower(kv.val)
		switch name {
		case "noop", "noop-v1", "preciousobjects", "worktreeconfig":
			// Rules for gc and for where settings live: objects and refs
			// are stored as usual.
		case "compatobjectformat":
			// A second name for every object, kept on the side; objects
			// are stored in the main format.
		case "partialclone":
			r.Promisor = kv.val
		case "objectformat":
			switch val {
			case "sha1":
				r.HashSize = 20
			case "sha256":
				r.HashSize = 32
			default:
				return &Error{Msg: fmt.Sprintf("unknown object format %q (extensions.objectFormat); keysweep reads sha1 and sha256", escape(kv.val))}
			}
		case "refstorage":
			switch val {
			case "files":
			case "reftable":
				return &Error{Msg: "refs stored as a reftable (extensions.refStorage=reftable) cannot be read: keysweep reads the files backend; convert with `git refs migrate --ref-format=files` (git 2.46+)"}
			default:
				return &Error{Msg: fmt.Sprintf("unknown ref storage %q (extensions.refStorage); keysweep reads the files backend", escape(kv.val))}
			}
		default:
			if !slices.Contains(unknown, name) {
				unknown = append(unknown, name)
			}
		}
	}
	if len(unknown) > 0 {
		for i, u := range unknown {
			unknown[i] = "extensions." + escape(u)
		}
		return &Error{Msg: "repository uses extensions keysweep does not know, so it cannot be read safely: " + strings.Join(unknown, ", ")}
	}
	return nil
}

// promisorRemote returns the first remote marked promisor.
func promisorRemote(cfg config) string {
	for _, kv := range cfg {
		if strings.HasPrefix(kv.key, "remote.") && strings.HasSuffix(kv.key, ".promisor") && isTrue(kv.val) {
			return strings.TrimSuffix(strings.TrimPrefix(kv.key, "remote."), ".promisor")
		}
	}
	return ""
}

// maxAlternateDepth is git's limit on alternates of alternates.
const maxAlternateDepth = 5

// objectDirs lists the repository's object directory and its alternates:
// objects/info/alternates (paths relative to the object directory that
// names them), recursively, and GIT_ALTERNATE_OBJECT_DIRECTORIES. As in
// git, GIT_OBJECT_DIRECTORY replaces the repository's own directory: in a
// pre-receive hook it is the push's quarantine, and the repository's
// objects are an alternate.
func (r *Repo) objectDirs() {
	main := filepath.Join(r.CommonDir, "objects")
	if env := os.Getenv("GIT_OBJECT_DIRECTORY"); env != "" {
		if abs, err := filepath.Abs(env); err == nil {
			main = filepath.Clean(abs)
		}
	}
	if q := os.Getenv("GIT_QUARANTINE_PATH"); q != "" {
		if abs, err := filepath.Abs(q); err == nil && filepath.Clean(abs) == main {
			r.Quarantine = main
		}
	}
	r.ObjectDirs = []string{main}
	depth := []int{0}
	add := func(dir, from string, d int) {
		dir = filepath.Clean(dir)
		if slices.Contains(r.ObjectDirs, dir) {
			return
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			r.Problems = append(r.Problems, fmt.Sprintf("alternate object directory %s (named by %s) does not exist: the objects it held are missing", escape(dir), from))
			return
		}
		r.ObjectDirs = append(r.ObjectDirs, dir)
		depth = append(depth, d)
	}
	if env := os.Getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES"); env != "" {
		for _, dir := range filepath.SplitList(env) {
			if dir == "" {
				continue
			}
			if abs, err := filepath.Abs(dir); err == nil {
				add(abs, "GIT_ALTERNATE_OBJECT_DIRECTORIES", 1)
			}
		}
	}
	for i := 0; i < len(r.ObjectDirs); i++ {
		file := filepath.Join(r.ObjectDirs[i], "info", "alternates")
		if depth[i] >= maxAlternateDepth {
			if _, err := os.Stat(file); err == nil {
				r.Problems = append(r.Problems, fmt.Sprintf("alternates nested more than %d deep at %s: not followed, as git does not", maxAlternateDepth, escape(file)))
			}
			continue
		}
		b, err := readSmall(file)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				r.Problems = append(r.Problems, fmt.Sprintf("unreadable %s: %v", file, err))
			}
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' {
				continue
			}
			if line[0] == '"' {
				if u, err := strconv.Unquote(line); err == nil {
					line = u
				}
			}
			if !filepath.IsAbs(line) {
				line = filepath.Join(r.ObjectDirs[i], line)
			}
			add(line, file, depth[i]+1)
		}
	}
}

// readSmall reads a file of at most maxSmallFile bytes.
func readSmall(path string) ([]byte, error) {
	return ReadFile(path, maxSmallFile)
}
