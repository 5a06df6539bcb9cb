// Command leakshapes writes the leakshapes repository to a directory, for
// comparing scanners on it, and prints one line per case: its name, its
// commit and the key IDs to find.
//
//	go run ./internal/leakshapes/cmd/leakshapes -out /tmp/shapes
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/keysweep/keysweep/internal/leakshapes"
)

type repo struct{ dir string }

func (r repo) Git(args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Alice Example", "GIT_AUTHOR_EMAIL=alice@example.com",
		"GIT_COMMITTER_NAME=Alice Example", "GIT_COMMITTER_EMAIL=alice@example.com", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "leakshapes: git %s: %v\n%s", strings.Join(args, " "), err, out)
		os.Exit(2)
	}
	return strings.TrimSpace(string(out))
}

func (r repo) Write(path, content string) {
	full := filepath.Join(r.dir, filepath.FromSlash(path))
	err := os.MkdirAll(filepath.Dir(full), 0o755)
	if err == nil {
		err = os.WriteFile(full, []byte(content), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "leakshapes:", err)
		os.Exit(2)
	}
}

func (r repo) Commit(msg string) string {
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}

func main() {
	out := flag.String("out", "", "directory to create the repository in")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: leakshapes -out DIR")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "leakshapes:", err)
		os.Exit(2)
	}
	r := repo{*out}
	r.Git("init", "-q", "-b", "main")
	cases := leakshapes.Cases()
	commits := leakshapes.Build(r, cases)
	for _, c := range cases {
		var ids []string
		for _, w := range c.Want {
			ids = append(ids, w.KeyID)
		}
		fmt.Printf("%s\t%s\t%s\n", c.Name, commits[c.Name], strings.Join(ids, ","))
	}
}
