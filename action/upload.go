package action

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/sarif"
)

// uploadOutcome is what happened to one analysis's upload, for the summary.
type uploadOutcome struct {
	Category string
	Results  int
	// ID is the upload's id (the sarif-id output); "" if not uploaded.
	ID string
	// State is uploaded, processing, forbidden or failed.
	State  string
	Detail string
	// Failed marks an upload that went wrong in a way the job must not
	// pass over (GitHub rejected the SARIF, the API failed).
	Failed bool
}

// readOnlyToken reports whether the event's GITHUB_TOKEN is read-only
// whatever the workflow's permissions: a pull request from a fork, or one
// Dependabot opened, on the pull_request event.
func (r *run) readOnlyToken(sc *scope) bool {
	return r.getenv("GITHUB_EVENT_NAME") == "pull_request" && (sc.Fork || r.getenv("GITHUB_ACTOR") == dependabot)
}

func (r *run) readOnlyWhy(sc *scope) string {
	if sc.Fork {
		return "pull requests from forks"
	}
	return "Dependabot's pull requests"
}

const dependabot = "dependabot[bot]"

// upload sends each analysis (SARIF run) to code scanning on its own, so
// each carries one category and one that did not run is never uploaded
// (an empty analysis would close that category's alerts). rep is the
// full-history report: an analysis of part of the history would mark
// every alert outside it as fixed.
func (r *run) upload(ctx context.Context, rep *finding.Report, in inputs, sc *scope, log []byte) []uploadOutcome {
	runs, err := sarif.SplitRuns(log)
	if err != nil {
		r.gha.Errorf("code scanning upload: %s", err)
		return []uploadOutcome{{State: "failed", Detail: err.Error(), Failed: true}}
	}
	commit := cmp.Or(in.SHA, rep.Head, r.getenv("GITHUB_SHA"))
	ref := cmp.Or(in.Ref, sc.Ref, r.getenv("GITHUB_REF"))
	wait := r.opts.UploadWait
	if !in.WaitForProcessing {
		wait = -1 // return once GitHub has accepted the upload
	}
	client := r.opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	checkout := ""
	if abs, err := filepath.Abs(repoRoot(in.Path)); err == nil {
		checkout = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	}

	var out []uploadOutcome
	for _, run := range runs {
		o := uploadOutcome{Category: run.Category, Results: run.Results}
		res, err := sarif.Upload(ctx, sarif.UploadOptions{
			APIURL:       r.getenv("GITHUB_API_URL"),
			Token:        in.Token,
			Repository:   r.getenv("GITHUB_REPOSITORY"),
			CommitSHA:    commit,
			Ref:          ref,
			CheckoutURI:  checkout,
			ToolName:     "keysweep",
			StartedAt:    rep.Started,
			Log:          run.Log,
			Wait:         wait,
			PollInterval: r.opts.PollInterval,
			HTTPClient:   client,
			RetryBudget:  r.opts.RetryBudget,
			RetryBackoff: r.opts.RetryBackoff,
		})
		if res != nil {
			o.ID = res.ID
		}
		var ue *sarif.UploadError
		switch {
		case err == nil && !in.WaitForProcessing:
			o.State = "uploaded"
			o.Detail = fmt.Sprintf("upload %s accepted; not waiting for processing (wait-for-processing: false)", res.ID)
			r.gha.Infof("code scanning: %s %s", run.Category, o.Detail)
		case err == nil && res.Status == sarif.StatusPending:
			o.State = "processing"
			o.Detail = fmt.Sprintf("upload %s accepted, still processing when keysweep stopped waiting", res.ID)
			r.gha.Noticef("code scanning: %s %s", run.Category, o.Detail)
		case err == nil:
			o.State = "uploaded"
			o.Detail = fmt.Sprintf("upload %s, %s", res.ID, cmp.Or(res.Status, "accepted"))
			r.gha.Infof("code scanning: %s uploaded (%d results, %s)", run.Category, run.Results, o.Detail)
		case errors.As(err, &ue) && ue.Forbidden() && r.readOnlyToken(sc):
			// Nothing the workflow can grant: the event's token is
			// read-only whatever its permissions say.
			o.State = "forbidden"
			o.Detail = fmt.Sprintf("HTTP 403 (%s): %s get a read-only token and cannot upload to code scanning; the job's status and annotations still report the leak. Set upload-sarif: ${{ !github.event.pull_request.head.repo.fork }} to skip it, or use pull_request_target only if the workflow never runs the pull request's code", ue.Message, r.readOnlyWhy(sc))
			r.gha.WithFieldsMap(map[string]string{"title": "keysweep code scanning upload refused"}).Warningf("%s", o.Detail)
		case errors.As(err, &ue) && ue.Forbidden():
			// An event that can upload was refused: the workflow lacks
			// the permission (or code scanning is off), which would leave
			// code scanning silently stale. The hint is the fix.
			o.State, o.Detail, o.Failed = "forbidden", ue.Error(), true
			r.gha.WithFieldsMap(map[string]string{"title": "keysweep code scanning upload refused"}).Errorf("%s", oneLine(ue.Error()))
		default:
			o.State, o.Detail, o.Failed = "failed", err.Error(), true
			r.gha.WithFieldsMap(map[string]string{"title": "keysweep code scanning upload failed"}).Errorf("%s", oneLine(err.Error()))
		}
		out = append(out, o)
	}
	return out
}
