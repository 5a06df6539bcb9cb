package action

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCodeScanningInputs: codeql-action's conventions (category,
// wait-for-processing, ref/sha, the sarif-id output) do what they say at
// the strict fake API.
func TestCodeScanningInputs(t *testing.T) {
	repo := history(t)
	t.Run("category names its own analyses", func(t *testing.T) {
		r := newRunner(t, repo, "schedule", map[string]any{})
		r.env["INPUT_CATEGORY"] = "/services/api/"
		r.run()
		r.wantCode(1)
		ups := r.api.Uploads()
		if len(ups) != 1 || len(ups[0].Categories) != 1 || ups[0].Categories[0] != "keysweep/git-history/services/api/" {
			t.Fatalf("uploads %+v", ups)
		}
		if got := r.outputs()["sarif-id"]; got != ups[0].ID {
			t.Errorf("sarif-id %q, want %q", got, ups[0].ID)
		}
		// By default the upload is polled until processed (this is the
		// request the wait-for-processing case must not make).
		if n := r.api.Requests("GET /repos/octo/app/code-scanning/sarifs/" + ups[0].ID); n == 0 {
			t.Error("no status poll")
		}
	})
	t.Run("ref and sha file the analysis elsewhere", func(t *testing.T) {
		r := newRunner(t, repo, "schedule", map[string]any{})
		sha := repo.Git("rev-parse", "HEAD~1")
		r.env["INPUT_REF"], r.env["INPUT_SHA"] = "refs/heads/release", sha
		r.run()
		r.wantCode(1)
		ups := r.api.Uploads()
		if len(ups) != 1 || ups[0].Ref != "refs/heads/release" || ups[0].CommitSHA != sha {
			t.Fatalf("uploads %+v", ups)
		}
	})
	t.Run("wait-for-processing false polls nothing", func(t *testing.T) {
		r := newRunner(t, repo, "schedule", map[string]any{})
		r.env["INPUT_WAIT-FOR-PROCESSING"] = "false"
		r.api.FailProcessing = true // never seen: nobody asks
		r.run()
		r.wantCode(1)
		ups := r.api.Uploads()
		if len(ups) != 1 {
			t.Fatalf("uploads %+v", ups)
		}
		if n := r.api.Requests("GET /repos/octo/app/code-scanning/sarifs/" + ups[0].ID); n != 0 {
			t.Errorf("%d status polls", n)
		}
		if !strings.Contains(r.file("summary"), "not waiting for processing") {
			t.Errorf("summary:\n%s", r.file("summary"))
		}
	})
	for name, env := range map[string]map[string]string{
		"ref without sha":      {"INPUT_REF": "refs/heads/main"},
		"sha without ref":      {"INPUT_SHA": strings.Repeat("a", 40)},
		"category with spaces": {"INPUT_CATEGORY": "my category"},
		"short sha":            {"INPUT_REF": "refs/heads/main", "INPUT_SHA": "8c176e8"},
		"branch name as ref":   {"INPUT_REF": "main", "INPUT_SHA": strings.Repeat("a", 40)},
		"category in markdown": {"INPUT_CATEGORY": "a|b"},
		"wait not a boolean":   {"INPUT_WAIT-FOR-PROCESSING": "sometimes"},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRunner(t, repo, "schedule", map[string]any{})
			for k, v := range env {
				r.env[k] = v
			}
			r.run()
			r.wantCode(2)
			r.wantLog(`(?m)^::error title=keysweep could not run::input`)
			if n := len(r.api.Uploads()); n != 0 {
				t.Errorf("%d uploads after a bad input", n)
			}
		})
	}
}

// TestSARIFFileForLaterSteps: sarif-file in a directory that does not
// exist is created, and file and directories belong to the workspace's
// owner (uid 1001 on GitHub's runners), not to the container's root.
func TestSARIFFileForLaterSteps(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test plays the Docker action's root user: run it as root, as CI does")
	}
	repo := history(t)
	r := newRunner(t, repo, "schedule", map[string]any{})
	const uid, gid = 1001, 121 // the runner user and its docker group
	if err := os.Chown(repo.Dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	r.env["INPUT_SARIF-FILE"] = "reports/keysweep/out.sarif"
	r.run()
	r.wantCode(1)
	if got := r.outputs()["sarif-file"]; got != "reports/keysweep/out.sarif" {
		t.Errorf("sarif-file output %q", got)
	}
	for _, p := range []string{"reports", "reports/keysweep", "reports/keysweep/out.sarif"} {
		fi, err := os.Stat(filepath.Join(repo.Dir, p))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != uid || st.Gid != gid {
			t.Errorf("%s owned by %d:%d, want %d:%d", p, st.Uid, st.Gid, uid, gid)
		}
		if fi.Mode().Perm()&0o002 != 0 {
			t.Errorf("%s is world-writable (%v)", p, fi.Mode())
		}
	}
}
