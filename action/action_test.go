package action

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/githubtest"
	"github.com/keysweep/keysweep/internal/gittest"
)

const apiToken = "ghs_actiontesttoken"

// planted credentials, assembled at run time so no scanner reports this
// file. Each is a syntactically real key ID with its secret.
type planted struct{ id, secret string }

var (
	oldKey  = planted{"AKIA" + "Q3OLDHISTORYKEY2", "aWd0ZXN0c2VjcmV0b2xkaGlzdG9yeWtleTAw" + "OLD1"}
	newKey  = planted{"AKIA" + "Q3NEWLEAKINPRKEY", "aWd0ZXN0c2VjcmV0bmV3bGVha2lucHJrZXkw" + "NEW1"}
	fastKey = planted{"AKIA" + "Q3ADDEDTHENGONE2", "aWd0ZXN0c2VjcmV0YWRkZWR0aGVuZ29uZTAw" + "GONE"}
	allKeys = []planted{oldKey, newKey, fastKey}
)

func (k planted) file() string {
	return "[default]\nregion = eu-west-1\naws_access_key_id = " + k.id + "\naws_secret_access_key = " + k.secret + "\n"
}

// runner simulates the GitHub Actions runner around one step: the
// environment it sets, the files it provides and reads back.
type runner struct {
	t   testing.TB
	env map[string]string
	dir string
	api *githubtest.API
	// secrets must appear nowhere but in ::add-mask:: lines.
	secrets []planted
	code    int
	out     string
}

func newRunner(t testing.TB, repo *gittest.Repo, eventName string, payload map[string]any) *runner {
	t.Helper()
	dir := t.TempDir()
	r := &runner{t: t, dir: dir, api: githubtest.NewAPI(t, apiToken), secrets: allKeys}
	payload["repository"] = map[string]any{"full_name": "octo/app", "default_branch": "main"}
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	eventPath := filepath.Join(dir, "event.json")
	if err := os.WriteFile(eventPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"output", "summary"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.env = map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_EVENT_NAME":   eventName,
		"GITHUB_EVENT_PATH":   eventPath,
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_REPOSITORY":   "octo/app",
		"GITHUB_API_URL":      r.api.URL,
		"GITHUB_SHA":          repo.Git("rev-parse", "HEAD"),
		"GITHUB_REF":          "refs/heads/main",
		"GITHUB_WORKFLOW_REF": "octo/app/.github/workflows/keysweep.yml@refs/heads/main",
		"GITHUB_RUN_ID":       "4242",
		"GITHUB_WORKSPACE":    repo.Dir,
		// Inputs as the runner sets them: INPUT_ + the name upper-cased,
		// hyphens kept; defaults from action.yml filled in.
		"INPUT_PATH":           ".",
		"INPUT_AWS-REGION":     "us-east-1",
		"INPUT_AUDIENCE":       "sts.amazonaws.com",
		"INPUT_ACCOUNT-CHECKS": "true",
		"INPUT_FAIL-ON":        "high",
		"INPUT_SARIF-FILE":     filepath.Join(dir, "keysweep.sarif"),
		"INPUT_UPLOAD-SARIF":   "true",
		"INPUT_TOKEN":          apiToken,
	}
	// A Docker action's working directory is the workspace.
	t.Chdir(repo.Dir)
	noAWS(t)
	return r
}

// noAWS keeps the developer's AWS setup out of the test.
func noAWS(t testing.TB) {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"} {
		t.Setenv(v, "")
	}
}

func (r *runner) run() {
	r.t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return r.env[k] }
	r.code = MainWith(context.Background(), &stdout, &stderr, getenv, Options{
		UploadWait: 5 * time.Second, PollInterval: 5 * time.Millisecond,
		RetryBudget: 3 * time.Second, RetryBackoff: 5 * time.Millisecond,
		Now: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
	})
	r.out = stdout.String() + stderr.String()
	r.noSecrets()
}

func (r *runner) file(name string) string {
	b, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil && !os.IsNotExist(err) {
		r.t.Fatal(err)
	}
	return string(b)
}

// outputs parses GITHUB_OUTPUT (name<<DELIM / value / DELIM).
func (r *runner) outputs() map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(r.file("output")))
	for sc.Scan() {
		name, delim, ok := strings.Cut(sc.Text(), "<<")
		if !ok {
			continue
		}
		var val []string
		for sc.Scan() && sc.Text() != delim {
			val = append(val, sc.Text())
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

// noSecrets fails the test if a planted secret appears anywhere the job
// shows or keeps, except in the ::add-mask:: line that registers it.
func (r *runner) noSecrets() {
	r.t.Helper()
	var uploaded []string
	for _, u := range r.api.Uploads() {
		uploaded = append(uploaded, string(u.SARIF))
	}
	places := map[string]string{
		"summary":        r.file("summary"),
		"outputs":        r.file("output"),
		"SARIF file":     r.file("keysweep.sarif"),
		"uploaded SARIF": strings.Join(uploaded, "\n"),
	}
	var log []string
	for _, line := range strings.Split(r.out, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			log = append(log, line)
		}
	}
	places["log"] = strings.Join(log, "\n")
	for where, text := range places {
		for _, k := range r.secrets {
			if strings.Contains(text, k.secret) {
				r.t.Errorf("the secret of %s appears in the %s", k.id, where)
			}
		}
	}
}

func (r *runner) wantCode(code int) {
	r.t.Helper()
	if r.code != code {
		r.t.Fatalf("exit %d, want %d; log:\n%s", r.code, code, r.out)
	}
}

func (r *runner) wantLog(pattern string) {
	r.t.Helper()
	if !regexp.MustCompile(pattern).MatchString(r.out) {
		r.t.Errorf("log does not match %q; log:\n%s", pattern, r.out)
	}
}

func (r *runner) wantNoLog(pattern string) {
	r.t.Helper()
	if regexp.MustCompile(pattern).MatchString(r.out) {
		r.t.Errorf("log matches %q; log:\n%s", pattern, r.out)
	}
}

// mask returns the ::add-mask:: line for a secret.
func mask(k planted) string { return "(?m)^::add-mask::" + regexp.QuoteMeta(k.secret) + "$" }

// history builds main with an old leak (committed and removed before any
// pull request), the situation range scans must not re-report.
func history(t testing.TB) *gittest.Repo {
	t.Helper()
	repo := gittest.New(t)
	repo.Write("README.md", "# app\n")
	repo.Commit("initial")
	repo.Write("old/creds", oldKey.file())
	repo.Commit("add credentials")
	repo.Remove("old/creds")
	repo.Commit("remove credentials")
	repo.Write("main.go", "package main\n")
	repo.Commit("code")
	return repo
}

// openPullRequest opens a pull request from feature into main and checks out
// the merge commit the way actions/checkout does for pull_request
// (refs/pull/N/merge: first parent base, second parent head).
func openPullRequest(t testing.TB, repo *gittest.Repo, feature func()) (payload map[string]any, base, head, merge string) {
	t.Helper()
	base = repo.Git("rev-parse", "main")
	repo.Git("checkout", "-q", "-b", "feature")
	feature()
	head = repo.Git("rev-parse", "HEAD")
	repo.Git("checkout", "-q", "--detach", base)
	repo.Git("merge", "-q", "--no-ff", "-m", "Merge "+head+" into "+base, head)
	merge = repo.Git("rev-parse", "HEAD")
	repo.Git("update-ref", "refs/remotes/origin/main", base)
	return prPayload(7, base, head, "octo/app"), base, head, merge
}

func prPayload(n int, base, head, headRepo string) map[string]any {
	return map[string]any{
		"number": n,
		"pull_request": map[string]any{
			"number": n,
			"base":   map[string]any{"sha": base, "ref": "main", "repo": map[string]any{"full_name": "octo/app"}},
			"head":   map[string]any{"sha": head, "ref": "feature", "repo": map[string]any{"full_name": headRepo, "fork": headRepo != "octo/app"}},
		},
	}
}

func TestPullRequestThatLeaksAKeyFails(t *testing.T) {
	repo := history(t)
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("app/service.go", "package app\n")
		repo.Commit("service")
		repo.Write("config/.env", newKey.file())
		repo.Commit("configure")
	})
	r := newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_REF"] = "refs/pull/7/merge"
	r.env["GITHUB_SHA"] = merge
	r.run()

	r.wantCode(1)
	r.wantLog(mask(newKey))
	// The mask comes before anything else is printed.
	if !strings.HasPrefix(r.out, "::add-mask::") {
		t.Errorf("the log does not start with ::add-mask::\n%s", r.out)
	}
	r.wantLog(`(?m)^::error col=\d+,file=config/\.env,line=3,title=AWS access key ` + newKey.id + `[^:]*::key ` + newKey.id + ` with its secret could not be verified`)
	// The range is the pull request's: the old leak on main is not its doing.
	r.wantNoLog(oldKey.id)

	sum := r.file("summary")
	for _, want := range []string{"## keysweep: 1 leaked AWS key", "| high | 1 |", "### Leaked keys", "`" + newKey.id + "`", "`config/.env:3`", "unverified", "### How to fix", "pull request #7"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	out := r.outputs()
	if out["findings"] != "1" || out["max-severity"] != "high" || out["sarif-file"] != r.env["INPUT_SARIF-FILE"] {
		t.Errorf("outputs = %v", out)
	}

	ups := r.api.Uploads()
	if len(ups) != 1 {
		t.Fatalf("%d uploads, want 1 (git history; no account checks ran)", len(ups))
	}
	up := ups[0]
	if up.Ref != "refs/pull/7/merge" || up.CommitSHA != merge || len(up.Categories) != 1 || up.Categories[0] != "keysweep/git-history/" {
		t.Errorf("upload ref=%s sha=%s categories=%v; want refs/pull/7/merge, the merge commit %s, [keysweep/git-history/]", up.Ref, up.CommitSHA, up.Categories, merge)
	}
	// The gate judged the pull request's commits; the upload is the
	// whole history's, so the base's old alert is not "fixed" by the PR.
	if !strings.Contains(string(up.SARIF), newKey.id) || !strings.Contains(string(up.SARIF), oldKey.id) {
		t.Error("uploaded SARIF should hold the pull request's key and the base history's")
	}
	if !strings.Contains(sum, "The upload is a full-history analysis of every ref") || !strings.Contains(sum, "The gate judged pull request #7: the commits in") {
		t.Errorf("summary does not say what the gate judged and what was uploaded:\n%s", sum)
	}
	if !strings.HasPrefix(up.CheckoutURI, "file:///") {
		t.Errorf("checkout_uri = %q", up.CheckoutURI)
	}
}

func TestCleanPullRequestPasses(t *testing.T) {
	repo := history(t)
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("app/service.go", "package app\n// AKIA is how AWS key IDs start.\n")
		repo.Commit("service")
	})
	r := newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_SHA"] = merge
	r.run()
	r.wantCode(0)
	r.wantNoLog(`::(error|warning)`)
	// The only secret masked is the base history's, which the upload holds.
	r.wantLog(mask(oldKey))
	r.wantNoLog(`::add-mask::[^\n]*` + regexp.QuoteMeta(newKey.secret))
	if out := r.outputs(); out["findings"] != "0" || out["max-severity"] != "none" {
		t.Errorf("outputs = %v", out)
	}
	if !strings.Contains(r.file("summary"), "## keysweep: 0 leaked AWS keys") {
		t.Errorf("summary:\n%s", r.file("summary"))
	}
	// The full-history analysis is uploaded: the base's alert stays open.
	if ups := r.api.Uploads(); len(ups) != 1 || ups[0].Ref != "refs/pull/7/merge" || !strings.Contains(string(ups[0].SARIF), oldKey.id) {
		t.Errorf("uploads = %+v", ups)
	}
}

// A key added and removed within one pull request never shows in the
// merged tree, so code scanning alone cannot block it: the job must.
func TestLeakAddedAndRemovedInPullRequestFails(t *testing.T) {
	repo := history(t)
	payload, _, head, _ := openPullRequest(t, repo, func() {
		repo.Write("deploy.sh", "#!/bin/sh\n"+fastKey.file())
		repo.Commit("deploy")
		repo.Remove("deploy.sh")
		repo.Commit("oops, remove")
	})
	// Checked out at the head, as a workflow with ref: head.sha does.
	repo.Git("checkout", "-q", "--detach", head)
	r := newRunner(t, repo, "pull_request", payload)
	r.run()
	r.wantCode(1)
	r.wantLog(mask(fastKey))
	r.wantLog(`(?m)^::error col=\d+,file=deploy\.sh,line=4,`)
	if !strings.Contains(r.file("summary"), "| no |") {
		t.Errorf("summary should say the key is not in HEAD:\n%s", r.file("summary"))
	}
	if ups := r.api.Uploads(); len(ups) != 1 || ups[0].Ref != "refs/pull/7/head" || ups[0].CommitSHA != head {
		t.Errorf("uploads = %+v, want refs/pull/7/head at %s", ups, head)
	}
}

func TestForkPullRequestUploadRefusedIsAWarning(t *testing.T) {
	repo := history(t)
	_, base, head, merge := openPullRequest(t, repo, func() {
		repo.Write("config/.env", newKey.file())
		repo.Commit("configure")
	})
	r := newRunner(t, repo, "pull_request", prPayload(9, base, head, "mallory/app"))
	r.env["GITHUB_SHA"] = merge
	r.env["INPUT_ROLE-TO-ASSUME"] = "arn:aws:iam::123456789012:role/keysweep"
	r.api.Forbidden = true
	r.run()
	// Still failed by the leak, not crashed by the upload.
	r.wantCode(1)
	r.wantLog(`(?m)^::warning[^:]*::pull request from a fork: no OIDC ID token`)
	r.wantLog(`(?m)^::warning title=keysweep code scanning upload refused::HTTP 403.*forks get a read-only token`)
	r.wantLog(`::error col=\d+,file=config/\.env,line=3,`)
}

// TestUploadRefusedWithoutPermissionFails: a 403 on an event whose token
// can upload is the workflow's missing permission, which would leave code
// scanning stale: the job fails, in one line that says the fix.
func TestUploadRefusedWithoutPermissionFails(t *testing.T) {
	repo := history(t)
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("x.txt", "x\n")
		repo.Commit("x")
	})
	r := newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_SHA"] = merge
	r.api.Forbidden = true
	r.run()
	r.wantCode(2)
	r.wantLog("(?m)^::error title=keysweep code scanning upload refused::code scanning upload \\(HTTP 403\\): Resource not accessible by integration: add `permissions: security-events: write` to the job[^\n]*$")
	r.wantNoLog(`::warning title=keysweep code scanning upload refused`)
	if sum := r.file("summary"); !strings.Contains(sum, "failed: the job could not be completed") || !strings.Contains(sum, "security-events: write") {
		t.Errorf("summary does not say the job failed and why:\n%s", sum)
	}
}

// TestDependabotUploadRefusedIsAWarning: Dependabot's pull requests get a
// read-only token, as forks do: nothing to fix, so a warning.
func TestDependabotUploadRefusedIsAWarning(t *testing.T) {
	repo := history(t)
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("x.txt", "x\n")
		repo.Commit("x")
	})
	r := newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_SHA"] = merge
	r.env["GITHUB_ACTOR"] = "dependabot[bot]"
	r.api.Forbidden = true
	r.run()
	r.wantCode(0)
	r.wantLog(`::warning title=keysweep code scanning upload refused::HTTP 403.*Dependabot's pull requests get a read-only token`)
}

// TestUploadRetriedWhenGitHubIsBusy: 502 and 429 (Retry-After) are
// retried; the job passes once GitHub takes the upload, and fails (exit 2,
// not a warning with exit 0) when the wait GitHub asks for is beyond the
// bound.
func TestUploadRetriedWhenGitHubIsBusy(t *testing.T) {
	repo := history(t)
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("x.txt", "x\n")
		repo.Commit("x")
	})
	t.Run("502 then 429 then accepted", func(t *testing.T) {
		r := newRunner(t, repo, "pull_request", payload)
		r.env["GITHUB_SHA"] = merge
		r.api.Busy, r.api.RetryAfter = []int{502, 429}, "0"
		r.run()
		r.wantCode(0)
		if n := r.api.Requests("POST /repos/octo/app/code-scanning/sarifs"); n != 3 || len(r.api.Uploads()) != 1 {
			t.Errorf("%d upload requests, %d accepted; want 3 and 1", n, len(r.api.Uploads()))
		}
	})
	t.Run("429 asking for more than the bound", func(t *testing.T) {
		r := newRunner(t, repo, "pull_request", payload)
		r.env["GITHUB_SHA"] = merge
		r.api.Busy, r.api.RetryAfter = []int{429}, "3600"
		r.run()
		r.wantCode(2)
		r.wantLog(`(?m)^::error title=keysweep code scanning upload failed::code scanning upload \(HTTP 429\): Too Many Requests: GitHub asked to retry after 1h0m0s, longer than keysweep waits`)
		r.wantNoLog(`::warning title=keysweep code scanning upload`)
	})
}

func TestUploadProcessingFailureFailsTheJob(t *testing.T) {
	repo := history(t)
	payload, _, _, _ := openPullRequest(t, repo, func() {
		repo.Write("x.txt", "x\n")
		repo.Commit("x")
	})
	r := newRunner(t, repo, "pull_request", payload)
	r.api.FailProcessing = true
	r.run()
	r.wantCode(2)
	r.wantLog(`::error title=keysweep code scanning upload failed::`)
}

func pushPayload(ref, before, after string, forced bool) map[string]any {
	return map[string]any{"ref": ref, "before": before, "after": after, "forced": forced}
}

func TestPushScansThePushedCommits(t *testing.T) {
	repo := history(t)
	before := repo.Git("rev-parse", "HEAD")
	repo.Write("config/.env", newKey.file())
	after := repo.Commit("configure")
	r := newRunner(t, repo, "push", pushPayload("refs/heads/main", before, after, false))
	r.run()
	r.wantCode(1)
	r.wantLog(`::error col=\d+,file=config/\.env,line=3,`)
	r.wantNoLog(oldKey.id)
	// The gate judged the pushed commits; the upload is the full history,
	// so main's older alerts stay open and the new one appears at once.
	ups := r.api.Uploads()
	if len(ups) != 1 || ups[0].Ref != "refs/heads/main" || ups[0].CommitSHA != after {
		t.Fatalf("uploads = %+v, want one for refs/heads/main at %s", ups, after)
	}
	if sarif := string(ups[0].SARIF); !strings.Contains(sarif, oldKey.id) || !strings.Contains(sarif, newKey.id) {
		t.Error("the push's upload lacks the old or the new key")
	}
}

func TestPushOfNewBranchScansWhatTheDefaultBranchLacks(t *testing.T) {
	repo := history(t)
	repo.Git("update-ref", "refs/remotes/origin/main", "main")
	repo.Git("checkout", "-q", "-b", "topic")
	repo.Write("config/.env", newKey.file())
	after := repo.Commit("configure")
	r := newRunner(t, repo, "push", pushPayload("refs/heads/topic", zero, after, false))
	r.run()
	r.wantCode(1)
	r.wantLog(newKey.id)
	r.wantNoLog(oldKey.id)
}

func TestPushCreatingTheDefaultBranchScansEverything(t *testing.T) {
	repo := history(t)
	after := repo.Git("rev-parse", "HEAD")
	r := newRunner(t, repo, "push", pushPayload("refs/heads/main", zero, after, false))
	r.run()
	r.wantCode(1)
	r.wantLog(`::error col=\d+,file=old/creds,line=3,`)
	// A full-history analysis is uploaded, for the pushed ref and commit.
	if ups := r.api.Uploads(); len(ups) != 1 || ups[0].Ref != "refs/heads/main" || ups[0].CommitSHA != after {
		t.Errorf("uploads = %+v", ups)
	}
}

const zero = "0000000000000000000000000000000000000000"

func TestForcePushScansTheNewCommits(t *testing.T) {
	repo := history(t)
	repo.Git("update-ref", "refs/remotes/origin/main", "main")
	repo.Git("checkout", "-q", "-b", "topic")
	repo.Write("config/.env", fastKey.file())
	before := repo.Commit("first attempt")
	repo.Git("reset", "-q", "--hard", "main")
	repo.Write("config/.env", newKey.file())
	after := repo.Commit("second attempt")

	t.Run("old tip present", func(t *testing.T) {
		r := newRunner(t, repo, "push", pushPayload("refs/heads/topic", before, after, true))
		r.run()
		r.wantCode(1)
		r.wantLog(newKey.id)
		r.wantNoLog(fastKey.id) // only in the discarded commit
	})
	t.Run("old tip gone", func(t *testing.T) {
		gone := strings.Repeat("ab", 20)
		r := newRunner(t, repo, "push", pushPayload("refs/heads/topic", gone, after, true))
		r.run()
		r.wantCode(1)
		r.wantLog(`::notice::the commit before the force push \(abababababab\) is not in the checkout`)
		r.wantLog(newKey.id)
		r.wantNoLog(oldKey.id)
	})
}

func TestPushWithMissingBeforeSaysHowToFix(t *testing.T) {
	repo := history(t)
	after := repo.Git("rev-parse", "HEAD")
	r := newRunner(t, repo, "push", pushPayload("refs/heads/main", strings.Repeat("cd", 20), after, false))
	r.run()
	r.wantCode(2)
	r.wantLog("(?m)^::error title=keysweep could not run::the commit before the push cdcdcdcdcdcd.* is not in the checkout; check out the full history \\(actions/checkout with `fetch-depth: 0`\\)")
}

func TestShallowCheckoutFailsWithTheFix(t *testing.T) {
	src := history(t)
	payload, _, _, merge := openPullRequest(t, src, func() {
		src.Write("config/.env", newKey.file())
		src.Commit("configure")
	})
	// What actions/checkout does by default: fetch-depth 1.
	dst := filepath.Join(t.TempDir(), "shallow")
	if out, err := exec.Command("git", "clone", "-q", "--depth", "1", "file://"+src.Dir, dst).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}

	for _, event := range []string{"pull_request", "schedule"} {
		t.Run(event, func(t *testing.T) {
			r := newRunner(t, src, event, payload)
			r.env["GITHUB_SHA"] = merge
			t.Chdir(dst)
			r.run()
			r.wantCode(2)
			r.wantLog("(?m)^::error title=keysweep could not run::.*shallow clone.*`fetch-depth: 0`")
			r.wantNoLog(newKey.id)
		})
	}

	// Deep enough for the base commit, not for the range behind it: the
	// history scan itself finds the boundary.
	t.Run("range crosses the boundary", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "shallow2")
		if out, err := exec.Command("git", "clone", "-q", "--depth", "2", "file://"+src.Dir, dst).CombinedOutput(); err != nil {
			t.Fatalf("git clone: %v\n%s", err, out)
		}
		r := newRunner(t, src, "pull_request", payload)
		t.Chdir(dst)
		r.run()
		r.wantCode(2)
		r.wantLog("(?m)^::error title=keysweep could not run::shallow clone: the range .*fetch-depth: 0")
	})
}

func TestScheduleScansTheWholeHistory(t *testing.T) {
	repo := history(t)
	r := newRunner(t, repo, "schedule", map[string]any{"schedule": "0 5 * * 1"})
	r.run()
	r.wantCode(1)
	r.wantLog(mask(oldKey))
	r.wantLog(`::error col=\d+,file=old/creds,line=3,`)
	if !strings.Contains(r.file("summary"), "the whole history of every ref") {
		t.Errorf("summary:\n%s", r.file("summary"))
	}
	if ups := r.api.Uploads(); len(ups) != 1 || ups[0].Ref != "refs/heads/main" {
		t.Errorf("uploads = %+v", ups)
	}
}

func TestInputs(t *testing.T) {
	repo := history(t)
	t.Run("fail-on none passes a leak", func(t *testing.T) {
		r := newRunner(t, repo, "workflow_dispatch", map[string]any{})
		r.env["INPUT_FAIL-ON"] = "none"
		r.env["INPUT_UPLOAD-SARIF"] = "false"
		r.run()
		r.wantCode(0)
		r.wantLog(`::error col=\d+,file=old/creds`) // still annotated
		if n := len(r.api.Uploads()); n != 0 {
			t.Errorf("upload-sarif false: %d uploads", n)
		}
		if out := r.outputs(); out["findings"] != "1" || out["max-severity"] != "high" {
			t.Errorf("outputs = %v", out)
		}
	})
	t.Run("fail-on critical passes an unverified key", func(t *testing.T) {
		r := newRunner(t, repo, "workflow_dispatch", map[string]any{})
		r.env["INPUT_FAIL-ON"] = "critical"
		r.run()
		r.wantCode(0)
	})
	t.Run("since overrides the event", func(t *testing.T) {
		r := newRunner(t, repo, "schedule", map[string]any{})
		r.env["INPUT_SINCE"] = repo.Git("rev-parse", "HEAD~1")
		r.run()
		r.wantCode(0)
		r.wantNoLog(oldKey.id)
		// The upload is still the full history's, never the range's.
		if ups := r.api.Uploads(); len(ups) != 1 || !strings.Contains(string(ups[0].SARIF), oldKey.id) {
			t.Errorf("the upload is not a full-history analysis (%d uploads)", len(ups))
		}
	})
	for name, env := range map[string][2]string{
		"bad fail-on":      {"INPUT_FAIL-ON", "severe"},
		"bad boolean":      {"INPUT_UPLOAD-SARIF", "yes"},
		"not a repository": {"INPUT_PATH", "/"},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRunner(t, repo, "schedule", map[string]any{})
			r.env[env[0]] = env[1]
			r.run()
			r.wantCode(2)
			r.wantLog(`(?m)^::error title=keysweep could not run::`)
		})
	}
}

func TestBranchDeletionScansNothing(t *testing.T) {
	repo := history(t)
	r := newRunner(t, repo, "push", map[string]any{"ref": "refs/heads/topic", "before": repo.Git("rev-parse", "HEAD"), "after": zero, "deleted": true})
	r.run()
	r.wantCode(0)
	r.wantLog(`::notice::keysweep: nothing: the push deleted refs/heads/topic`)
}

func TestWorkflowPath(t *testing.T) {
	for _, c := range []struct{ ref, repo, want string }{
		{"octo/app/.github/workflows/keysweep.yml@refs/heads/main", "octo/app", ".github/workflows/keysweep.yml"},
		{"octo/shared/.github/workflows/reusable.yml@v1", "octo/app", ""},
		{"", "octo/app", ""},
	} {
		if got := workflowPath(c.ref, c.repo); got != c.want {
			t.Errorf("workflowPath(%q, %q) = %q, want %q", c.ref, c.repo, got, c.want)
		}
	}
}

func TestPullRequestTargetUploadsToThePullRequest(t *testing.T) {
	repo := history(t)
	payload, _, head, _ := openPullRequest(t, repo, func() {
		repo.Write("config/.env", newKey.file())
		repo.Commit("configure")
	})
	// pull_request_target runs in the base branch's context; the workflow
	// checks out the head explicitly.
	repo.Git("checkout", "-q", "--detach", head)
	r := newRunner(t, repo, "pull_request_target", payload)
	r.env["GITHUB_REF"] = "refs/heads/main"
	r.env["GITHUB_SHA"] = repo.Git("rev-parse", "main")
	r.run()
	r.wantCode(1)
	if ups := r.api.Uploads(); len(ups) != 1 || ups[0].Ref != "refs/pull/7/head" || ups[0].CommitSHA != head {
		t.Errorf("uploads = %+v, want refs/pull/7/head at %s", ups, head)
	}
}

// A repository checked out into a subdirectory of the workspace
// (actions/checkout with path:) is annotated with workspace-relative files.
func TestRepositoryInSubdirectory(t *testing.T) {
	repo := history(t)
	payload, _, _, _ := openPullRequest(t, repo, func() {
		repo.Write("config/.env", newKey.file())
		repo.Commit("configure")
	})
	r := newRunner(t, repo, "pull_request", payload)
	t.Chdir(filepath.Dir(repo.Dir))
	r.env["INPUT_PATH"] = filepath.Base(repo.Dir)
	r.run()
	r.wantCode(1)
	r.wantLog(`::error col=\d+,file=` + regexp.QuoteMeta(filepath.Base(repo.Dir)) + `/config/\.env,line=3,`)
	// SARIF paths stay relative to the repository root.
	if ups := r.api.Uploads(); len(ups) != 1 || !regexp.MustCompile(`"uri":\s*"config/\.env"`).Match(ups[0].SARIF) {
		t.Errorf("uploaded SARIF does not locate config/.env relative to the repository")
	}
}
