package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/internal/gittest"
)

// TestActionOutsideActionsRefuses: `keysweep action` without
// GITHUB_ACTIONS=true would print ::add-mask::<secret> and write
// keysweep.sarif into the current directory; it refuses in one line.
func TestActionOutsideActionsRefuses(t *testing.T) {
	repo := gittest.New(t)
	id, secret := gittest.FakeKey(7)
	repo.Write("creds.env", "aws_access_key_id = "+id+"\naws_secret_access_key = "+secret+"\n")
	repo.Commit("creds")
	for _, env := range []map[string]string{
		{},
		{"GITHUB_ACTIONS": "false", "INPUT_PATH": "."},
	} {
		p := run(t, repo.Dir, env, nil, "action")
		p.oneLine(t, "keysweep: action runs only inside GitHub Actions")
		if strings.Contains(p.stdout+p.stderr, secret) || strings.Contains(p.stdout, "::") {
			t.Errorf("wrote workflow commands or the secret:\n%s%s", p.stdout, p.stderr)
		}
		if _, err := os.Stat(filepath.Join(repo.Dir, "keysweep.sarif")); err == nil {
			t.Error("keysweep.sarif was written into the current directory")
		}
	}
}
