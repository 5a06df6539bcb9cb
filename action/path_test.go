package action

import (
	"strings"
	"testing"
)

// TestPathInput: a path that does not exist fails in one line instead of
// scanning the workspace's repository; a directory inside the repository
// keeps the findings (annotations, summary, SARIF) to that directory.
func TestPathInput(t *testing.T) {
	repo := history(t)
	repo.Write("svc/a/creds.env", newKey.file())
	repo.Write("svc/b/readme.md", "nothing here\n")
	repo.Commit("services")

	t.Run("missing", func(t *testing.T) {
		r := newRunner(t, repo, "workflow_dispatch", map[string]any{})
		r.env["INPUT_PATH"] = "srcc"
		r.run()
		r.wantCode(2)
		r.wantLog(`(?m)^::error title=keysweep could not run::input path: srcc does not exist: give the path of a git repository or of a directory in one$`)
		if len(r.api.Uploads()) != 0 {
			t.Error("uploaded an analysis of the enclosing repository")
		}
	})
	t.Run("directory with a leak", func(t *testing.T) {
		r := newRunner(t, repo, "workflow_dispatch", map[string]any{})
		r.env["INPUT_PATH"] = "svc/a"
		r.env["INPUT_CATEGORY"] = "svc-a"
		r.run()
		r.wantCode(1)
		r.wantLog(`::error col=\d+,file=svc/a/creds\.env,line=3,`)
		r.wantNoLog(`file=old/creds`)
		r.wantLog(`(?m)^scope:     only svc/a/ \(the path given\); 1 key finding elsewhere in the repository not reported$`)
		if !strings.Contains(r.file("summary"), "Only findings under `svc/a/` are reported") {
			t.Errorf("summary does not name the scope:\n%s", r.file("summary"))
		}
		ups := r.api.Uploads()
		if len(ups) != 1 || strings.Contains(string(ups[0].SARIF), "old/creds") || !strings.Contains(string(ups[0].SARIF), "svc/a/creds.env") {
			t.Errorf("uploads %d; want one analysis holding svc/a only", len(ups))
		}
	})
	t.Run("directory without a leak", func(t *testing.T) {
		r := newRunner(t, repo, "workflow_dispatch", map[string]any{})
		r.env["INPUT_PATH"] = "svc/b"
		r.run()
		r.wantCode(0)
		r.wantNoLog(`::error`)
	})
}
