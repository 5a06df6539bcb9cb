package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/internal/gittest"
)

func TestParseConfig(t *testing.T) {
	cfg := parseConfig([]byte(`# comment
[core]
	repositoryformatversion = 1 ; trailing
	bare
[Extensions]
	objectFormat = "sha256" # quoted
[remote "Origin"]
	promisor = true
[section.Sub] key = v\
alue
`))
	for key, want := range map[string]string{
		"core.repositoryformatversion": "1",
		"core.bare":                    "true",
		"extensions.objectformat":      "sha256",
		"remote.Origin.promisor":       "true",
		"section.sub.key":              "value",
	} {
		if got, ok := cfg.get(key); !ok || got != want {
			t.Errorf("%s = %q (%v), want %q", key, got, ok, want)
		}
	}
	if got := promisorRemote(cfg); got != "Origin" {
		t.Errorf("promisor remote %q", got)
	}
}

func TestExtensions(t *testing.T) {
	for _, tc := range []struct {
		config, err string
		hashSize    int
	}{
		{"[extensions]\nworktreeConfig = true\npreciousObjects = true\nnoop = x\n", "", 20},
		{"[extensions]\nobjectFormat = sha256\n", "", 32},
		{"[extensions]\nrefStorage = reftable\n", "reftable", 0},
		{"[extensions]\nfoo = 1\nbar = 2\n", "extensions.foo, extensions.bar", 0},
		{"[core]\nrepositoryformatversion = 2\n", "format version 2", 0},
	} {
		r := &Repo{}
		err := r.extensions(parseConfig([]byte(tc.config)))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.config, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one naming %q", tc.config, err, tc.err)
		case tc.err == "" && r.HashSize != tc.hashSize:
			t.Errorf("%q: hash size %d", tc.config, r.HashSize)
		}
	}
}

// Alternates of alternates are followed, relative to the directory that
// names them, and one that does not exist is a problem, not an error.
func TestNestedAlternates(t *testing.T) {
	a, b, c := gittest.New(t), gittest.New(t), gittest.New(t)
	objs := func(r *gittest.Repo) string { return filepath.Join(r.Dir, ".git", "objects") }
	rel, err := filepath.Rel(objs(b), objs(c))
	if err != nil {
		t.Fatal(err)
	}
	write := func(dir, text string) {
		if err := os.WriteFile(filepath.Join(dir, "info", "alternates"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(objs(a), objs(b)+"\n# comment\n/does/not/exist\n")
	write(objs(b), rel+"\n")
	r, err := Open(a.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ObjectDirs) != 3 || r.ObjectDirs[1] != objs(b) || r.ObjectDirs[2] != objs(c) {
		t.Fatalf("object dirs %q", r.ObjectDirs)
	}
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "/does/not/exist") {
		t.Fatalf("problems %q", r.Problems)
	}
}

// A work tree whose committed files look like a git directory is still
// read as the work tree of its .git.
func TestWorkTreeLookingLikeGitDir(t *testing.T) {
	r := gittest.New(t)
	r.Write("HEAD", "ref: refs/heads/main\n")
	r.Write("objects/info/x", "x\n")
	r.Write("refs/heads/main", "x\n")
	r.Commit("decoy")
	got, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(r.Dir, ".git"); got.GitDir != want {
		t.Fatalf("git dir %s, want %s", got.GitDir, want)
	}
}

// WorkTree is where the settings files live: the top of the work tree from
// anywhere in it, a linked work tree's own top, none for a bare repository
// or a path inside the git directory.
func TestWorkTree(t *testing.T) {
	r := gittest.New(t)
	r.Write("a/b/c.txt", "c\n")
	r.Commit("init")
	r.Git("config", "extensions.worktreeConfig", "true")
	linked := filepath.Join(t.TempDir(), "linked")
	r.Git("worktree", "add", "-q", "--detach", linked)
	bare := filepath.Join(t.TempDir(), "bare.git")
	r.Git("clone", "-q", "--bare", r.Dir, bare)
	for _, c := range []struct{ path, want string }{
		{r.Dir, r.Dir},
		{filepath.Join(r.Dir, "a", "b"), r.Dir},
		{filepath.Join(r.Dir, ".git"), ""},
		{linked, linked},
		{bare, ""},
	} {
		got, err := Open(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got.WorkTree != c.want {
			t.Errorf("Open(%s).WorkTree = %q, want %q", c.path, got.WorkTree, c.want)
		}
	}
}

// TestQuarantine: in a pre-receive hook git names the push's quarantine
// GIT_OBJECT_DIRECTORY (and GIT_QUARANTINE_PATH) and the repository's own
// objects an alternate: the quarantine is read first and named, the
// repository's objects and their alternates after it, each once.
func TestQuarantine(t *testing.T) {
	g := gittest.New(t)
	g.Write("a", "a\n")
	g.Commit("a")
	pool := t.TempDir()
	objects := filepath.Join(g.Dir, ".git", "objects")
	if err := os.WriteFile(filepath.Join(objects, "info", "alternates"), []byte(pool+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(objects, "tmp_objdir-incoming-x")
	if err := os.Mkdir(q, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_OBJECT_DIRECTORY", q)
	t.Setenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", objects)
	t.Setenv("GIT_QUARANTINE_PATH", q)
	r, err := Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{q, objects, pool}
	if r.Quarantine != q || strings.Join(r.ObjectDirs, " ") != strings.Join(want, " ") {
		t.Fatalf("quarantine %q, object dirs %v; want %q, %v", r.Quarantine, r.ObjectDirs, q, want)
	}
	// GIT_OBJECT_DIRECTORY alone (not a quarantine) is the object
	// directory, as in git, and nothing is called a quarantine.
	t.Setenv("GIT_QUARANTINE_PATH", "")
	if r, err = Open(g.Dir); err != nil || r.Quarantine != "" || r.ObjectDirs[0] != q {
		t.Fatalf("%v: quarantine %q, object dirs %v", err, r.Quarantine, r.ObjectDirs)
	}
}
