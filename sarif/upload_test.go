package sarif_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/githubtest"
	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/sarif"
)

const token = "ghs_testtoken"

var (
	commit = strings.Repeat("4f2a1c7d9e", 4)
	// Assembled at run time so that no scanner reports this file.
	plantedKey    = "AKIA" + "Q3UPLOADTESTKEYA"
	plantedSecret = "wJalrXUtnFEMIK7MDENGbPxRfiCYz" + "UPLOADTEST1"
)

// testLog is a SARIF log of a report with a key and its secret and, if
// checks, an account check: two runs, two categories.
func testLog(t *testing.T, checks bool) []byte {
	t.Helper()
	now := time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)
	leak := finding.Leak{KeyID: plantedKey, Secret: finding.NewSecret(plantedSecret), Path: "config/.env", Commit: commit,
		Author: "alice", Date: now.Add(-48 * time.Hour), Line: 3, Column: 19, Commits: 1, InHead: true}
	rep := &finding.Report{Tool: "keysweep", Version: "0.1.0", Started: now, Repo: ".", Head: commit,
		Keys: judge.JudgeAt([]finding.Leak{leak}, nil, now), Rules: judge.Rules()}
	if checks {
		rep.Checks = []finding.CheckResult{{RuleID: "iam-root-mfa", Severity: finding.SeverityCritical, State: finding.CheckFail,
			Message: "the root user has no MFA", Fingerprint: "fp1"}}
		rep.Rules = append(rep.Rules, finding.Rule{ID: "iam-root-mfa", Title: "Root user without MFA", Severity: finding.SeverityCritical,
			Description: "The root user can sign in without MFA.", Help: "Enable MFA."})
	}
	var b bytes.Buffer
	if err := sarif.Write(&b, rep, sarif.Options{}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func options(api *githubtest.API, log []byte) sarif.UploadOptions {
	return sarif.UploadOptions{
		APIURL: api.URL, Token: token, Repository: "octo/app",
		CommitSHA: commit, Ref: "refs/pull/7/merge", CheckoutURI: "file:///github/workspace",
		StartedAt: time.Now(), Log: log,
		Wait: 5 * time.Second, PollInterval: 5 * time.Millisecond,
	}
}

func TestUploadPollsUntilComplete(t *testing.T) {
	api := githubtest.NewAPI(t, token)
	api.PendingPolls = 2
	runs, err := sarif.SplitRuns(testLog(t, false))
	if err != nil || len(runs) != 1 {
		t.Fatalf("SplitRuns: %d runs, %v", len(runs), err)
	}
	res, err := sarif.Upload(context.Background(), options(api, runs[0].Log))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != sarif.StatusComplete || res.ID == "" || res.AnalysesURL == "" {
		t.Errorf("result = %+v, want complete with id and analyses URL", res)
	}
	ups := api.Uploads()
	if len(ups) != 1 {
		t.Fatalf("%d uploads, want 1", len(ups))
	}
	up := ups[0]
	if up.Owner != "octo" || up.Repo != "app" || up.CommitSHA != commit || up.Ref != "refs/pull/7/merge" ||
		up.ToolName != "keysweep" || up.CheckoutURI != "file:///github/workspace" || up.StartedAt == "" {
		t.Errorf("upload fields = %+v", up)
	}
	if len(up.Categories) != 1 || up.Categories[0] != sarif.HistoryCategory {
		t.Errorf("categories = %q, want [%s]", up.Categories, sarif.HistoryCategory)
	}
	if !bytes.Contains(up.SARIF, []byte(plantedKey)) {
		t.Error("uploaded SARIF lacks the key ID")
	}
	if bytes.Contains(up.SARIF, []byte(plantedSecret)) {
		t.Error("uploaded SARIF contains the secret access key")
	}
	if n := api.Requests("GET /repos/octo/app/code-scanning/sarifs/" + res.ID); n != 3 {
		t.Errorf("%d status polls, want 3 (pending, pending, complete)", n)
	}
}

func TestSplitRunsOnePerCategory(t *testing.T) {
	api := githubtest.NewAPI(t, token)
	log := testLog(t, true)
	runs, err := sarif.SplitRuns(log)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Category != sarif.HistoryCategory || runs[1].Category != sarif.AccountCategory {
		t.Fatalf("runs = %+v", runs)
	}
	if runs[0].Results != 1 || runs[1].Results != 1 {
		t.Errorf("results per run = %d, %d; want 1, 1", runs[0].Results, runs[1].Results)
	}
	for _, r := range runs {
		if err := api.Validate(r.Log); err != nil {
			t.Errorf("run %s does not validate alone: %v", r.Category, err)
		}
		var top struct {
			Schema  string            `json:"$schema"`
			Version string            `json:"version"`
			Runs    []json.RawMessage `json:"runs"`
		}
		if err := json.Unmarshal(r.Log, &top); err != nil || len(top.Runs) != 1 || top.Version != "2.1.0" || top.Schema == "" {
			t.Errorf("run %s: log = %+v, %v", r.Category, top, err)
		}
		opts := options(api, r.Log)
		opts.Ref = "refs/heads/main"
		if _, err := sarif.Upload(context.Background(), opts); err != nil {
			t.Errorf("upload %s: %v", r.Category, err)
		}
	}
	if n := len(api.Uploads()); n != 2 {
		t.Errorf("%d uploads, want 2", n)
	}
}

func TestUploadForbiddenSaysWhatToChange(t *testing.T) {
	api := githubtest.NewAPI(t, token)
	api.Forbidden = true
	_, err := sarif.Upload(context.Background(), options(api, testLog(t, false)))
	var ue *sarif.UploadError
	if !errors.As(err, &ue) || !ue.Forbidden() {
		t.Fatalf("err = %v, want a forbidden *UploadError", err)
	}
	for _, want := range []string{"403", "add `permissions: security-events: write`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestUploadRetriesWhenGitHubIsBusy: 5xx and 429 are retried with backoff,
// Retry-After is honoured within the retry budget, and a wait beyond the
// budget (or a budget spent) is an error that says so, never a success.
func TestUploadRetriesWhenGitHubIsBusy(t *testing.T) {
	tests := []struct {
		name       string
		busy       []int
		retryAfter string
		budget     time.Duration
		wantErr    string
		attempts   int
		minWait    time.Duration
	}{
		{"502 then accepted", []int{502}, "", 0, "", 2, 0},
		{"503, 500 then accepted", []int{503, 500}, "", 0, "", 3, 0},
		{"429 with Retry-After 1 is honoured", []int{429}, "1", 0, "", 2, time.Second},
		{"Retry-After beyond the budget", []int{429}, "120", 0, "asked to retry after 2m0s, longer than keysweep waits", 1, 0},
		{"budget spent", []int{502, 502, 502, 502, 502, 502, 502, 502}, "", 50 * time.Millisecond, "(HTTP 502): Bad Gateway (", 0, 0},
		{"no retries", []int{503}, "", -1, "(HTTP 503)", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := githubtest.NewAPI(t, token)
			api.Busy, api.RetryAfter = tt.busy, tt.retryAfter
			opts := options(api, testLog(t, false))
			// A tiny backoff and budget: the test counts attempts, it
			// does not wait a minute.
			opts.RetryBackoff = 5 * time.Millisecond
			opts.RetryBudget = cmp.Or(tt.budget, 5*time.Second)
			start := time.Now()
			res, err := sarif.Upload(context.Background(), opts)
			elapsed := time.Since(start)
			posts := api.Requests("POST /repos/octo/app/code-scanning/sarifs")
			if tt.wantErr == "" {
				if err != nil || res.Status != sarif.StatusComplete {
					t.Fatalf("err %v, result %+v; want a complete upload", err, res)
				}
			} else {
				var ue *sarif.UploadError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) || ue.Forbidden() {
					t.Fatalf("err %v, want an *UploadError saying %q, not forbidden", err, tt.wantErr)
				}
				if len(api.Uploads()) != 0 {
					t.Error("an upload was accepted")
				}
			}
			if tt.attempts > 0 && posts != tt.attempts {
				t.Errorf("%d upload requests, want %d", posts, tt.attempts)
			}
			if tt.attempts == 0 && posts < 3 {
				t.Errorf("%d upload requests, want retries until the budget is spent", posts)
			}
			if elapsed < tt.minWait || elapsed > 4*time.Second {
				t.Errorf("took %s, want at least %s and well within the budget", elapsed, tt.minWait)
			}
		})
	}
}

func TestUploadBadToken(t *testing.T) {
	api := githubtest.NewAPI(t, token)
	opts := options(api, testLog(t, false))
	opts.Token = "wrong"
	_, err := sarif.Upload(context.Background(), opts)
	var ue *sarif.UploadError
	if !errors.As(err, &ue) || ue.StatusCode != http.StatusUnauthorized || ue.Forbidden() {
		t.Fatalf("err = %v, want a 401 *UploadError", err)
	}
}

func TestUploadRejectsBadFieldsLocally(t *testing.T) {
	api := githubtest.NewAPI(t, token)
	log := testLog(t, false)
	for name, mutate := range map[string]func(*sarif.UploadOptions){
		"short sha":       func(o *sarif.UploadOptions) { o.CommitSHA = "4f2a1c7" },
		"upper sha":       func(o *sarif.UploadOptions) { o.CommitSHA = strings.ToUpper(commit) },
		"bare branch":     func(o *sarif.UploadOptions) { o.Ref = "main" },
		"no token":        func(o *sarif.UploadOptions) { o.Token = "" },
		"no repository":   func(o *sarif.UploadOptions) { o.Repository = "app" },
		"not JSON":        func(o *sarif.UploadOptions) { o.Log = []byte("{") },
		"empty":           func(o *sarif.UploadOptions) { o.Log = nil },
		"bad API URL":     func(o *sarif.UploadOptions) { o.APIURL = "ftp://x" },
		"API URL no host": func(o *sarif.UploadOptions) { o.APIURL = "/api/v3" },
	} {
		opts := options(api, log)
		mutate(&opts)
		if _, err := sarif.Upload(context.Background(), opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := api.Requests("POST /repos/octo/app/code-scanning/sarifs"); n != 0 {
		t.Errorf("%d requests reached the API, want 0", n)
	}
}

func TestUploadProcessingFailed(t *testing.T) {
	api := githubtest.NewAPI(t, token)
	api.FailProcessing = true
	res, err := sarif.Upload(context.Background(), options(api, testLog(t, false)))
	if !errors.Is(err, sarif.ErrProcessingFailed) {
		t.Fatalf("err = %v, want ErrProcessingFailed", err)
	}
	if res.Status != sarif.StatusFailed || len(res.Errors) == 0 || !strings.Contains(err.Error(), res.Errors[0]) {
		t.Errorf("result = %+v, err = %v: want failed with GitHub's reasons", res, err)
	}
}

func TestUploadWaitIsBounded(t *testing.T) {
	api := githubtest.NewAPI(t, token)
	api.PendingPolls = 1 << 30
	opts := options(api, testLog(t, false))
	opts.Wait = 100 * time.Millisecond
	start := time.Now()
	res, err := sarif.Upload(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != sarif.StatusPending {
		t.Errorf("status = %q, want pending", res.Status)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Upload took %v with a 100ms wait", d)
	}

	// A negative wait returns as soon as the upload is accepted.
	opts.Wait = -1
	res, err = sarif.Upload(context.Background(), opts)
	if err != nil || res.Status != "" || res.ID == "" {
		t.Errorf("no-wait upload: %+v, %v", res, err)
	}
}

func TestUploadEnterpriseAPIURL(t *testing.T) {
	api := githubtest.NewAPI(t, token)
	// GitHub Enterprise Server serves the REST API under /api/v3.
	ghes := httptest.NewServer(http.StripPrefix("/api/v3", api.Config.Handler))
	defer ghes.Close()
	opts := options(api, testLog(t, false))
	opts.APIURL = ghes.URL + "/api/v3"
	res, err := sarif.Upload(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != sarif.StatusComplete || len(api.Uploads()) != 1 {
		t.Errorf("result = %+v, %d uploads", res, len(api.Uploads()))
	}
}

func TestUploadTooLarge(t *testing.T) {
	api := githubtest.NewAPI(t, token)
	// Random text does not compress: 14 MB of it is over 10 MB gzipped.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	rng := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 14<<20)
	for i := range junk {
		junk[i] = alphabet[rng.IntN(len(alphabet))]
	}
	log := []byte(`{"version":"2.1.0","runs":[],"x":"` + string(junk) + `"}`)
	_, err := sarif.Upload(context.Background(), options(api, log))
	if err == nil || !strings.Contains(err.Error(), "10 MB") {
		t.Fatalf("err = %v, want the 10 MB limit", err)
	}
	if n := api.Requests("POST /repos/octo/app/code-scanning/sarifs"); n != 0 {
		t.Errorf("%d requests reached the API, want 0", n)
	}
}

// TestFakeAPIIsStrict proves the fake API refuses what GitHub refuses, so
// the tests above passing means something.
func TestFakeAPIIsStrict(t *testing.T) {
	api := githubtest.NewAPI(t, token)
	for name, log := range map[string]string{
		"schema-invalid": `{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[]}]}`,
		"same category twice": `{"version":"2.1.0","runs":[` +
			`{"tool":{"driver":{"name":"keysweep"}},"automationDetails":{"id":"keysweep/git-history/"},"results":[]},` +
			`{"tool":{"driver":{"name":"keysweep"}},"automationDetails":{"id":"keysweep/git-history/2"},"results":[]}]}`,
	} {
		_, err := sarif.Upload(context.Background(), options(api, []byte(log)))
		var ue *sarif.UploadError
		if !errors.As(err, &ue) || ue.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: err = %v, want HTTP 400", name, err)
		}
	}
}
