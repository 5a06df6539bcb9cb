package action

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunnerFilesNeverBlock: GITHUB_OUTPUT or GITHUB_STEP_SUMMARY that is
// a FIFO (or a device) fails the step at once with one line naming it,
// instead of blocking until the job's timeout.
func TestRunnerFilesNeverBlock(t *testing.T) {
	repo := history(t)
	for _, env := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		for _, kind := range []string{"fifo", "device"} {
			t.Run(env+" "+kind, func(t *testing.T) {
				r := newRunner(t, repo, "schedule", map[string]any{"schedule": "0 5 * * 1"})
				name := filepath.Join(r.dir, "sink")
				if kind == "fifo" {
					if err := syscall.Mkfifo(name, 0o644); err != nil {
						t.Fatal(err)
					}
				} else if err := os.Symlink("/dev/null", name); err != nil {
					t.Fatal(err)
				}
				r.env[env] = name
				done := make(chan struct{})
				go func() { r.run(); close(done) }()
				select {
				case <-done:
				case <-time.After(2 * time.Minute):
					t.Fatal("the action blocked on a FIFO")
				}
				r.wantCode(2)
				r.wantLog(`(?m)^::error title=keysweep could not run::` + env + `: .*sink: is (a named pipe \(FIFO\)|a device); expected a regular file$`)
			})
		}
	}
}

// TestSinceWithALineBreakIsRefusedWhole: the since input is refused, whole
// and escaped, rather than reported cut at its line break.
func TestSinceWithALineBreakIsRefusedWhole(t *testing.T) {
	repo := history(t)
	r := newRunner(t, repo, "workflow_dispatch", map[string]any{})
	r.env["INPUT_SINCE"] = "main\n--output=/etc/passwd"
	r.run()
	r.wantCode(2)
	r.wantLog(`(?m)^::error title=keysweep could not run::input since: "main\\n--output=/etc/passwd" is not a revision: it holds a line break`)
	if strings.Contains(r.file("summary"), "main\n--output") {
		t.Errorf("summary holds the raw value:\n%s", r.file("summary"))
	}
}
