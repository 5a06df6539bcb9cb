package sarif

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v88/github"
	"github.com/keysweep/keysweep/internal/sleep"
)

// Upload limits and defaults.
const (
	// MaxUploadBytes is GitHub's limit on the gzip-compressed SARIF of one
	// upload; bigger uploads are refused with 413.
	MaxUploadBytes = 10 << 20
	// DefaultWait bounds how long Upload waits for GitHub to process an
	// upload. Processing usually takes seconds; a job should not hang on it.
	DefaultWait = 2 * time.Minute
	// DefaultPollInterval is the pause between processing-status requests.
	DefaultPollInterval = 3 * time.Second
	// DefaultAPIURL is github.com's REST API, used when APIURL is empty.
	DefaultAPIURL = "https://api.github.com"
	// DefaultRetryBudget bounds the time Upload waits between attempts
	// when GitHub answers 5xx or 429 (or a rate limit): Retry-After is
	// honoured while the waits add up to no more than this.
	DefaultRetryBudget = 60 * time.Second
	// DefaultRetryBackoff is the first wait when GitHub names none; each
	// further wait doubles it.
	DefaultRetryBackoff = 2 * time.Second
)

// Processing statuses GitHub reports for an upload.
const (
	StatusPending  = "pending"
	StatusComplete = "complete"
	StatusFailed   = "failed"
)

// UploadOptions say what to upload to GitHub code scanning and where.
type UploadOptions struct {
	// APIURL is the REST API root: GITHUB_API_URL in Actions, such as
	// https://api.github.com or https://ghes.example.com/api/v3.
	APIURL string
	// Token authorizes the upload; it needs security_events write.
	Token string
	// Repository is "owner/name".
	Repository string
	// CommitSHA is the 40-hex commit the analysis is for, and Ref the full
	// ref it belongs to: refs/heads/<branch>, refs/tags/<tag>, or
	// refs/pull/<n>/merge (or /head) for a pull request.
	CommitSHA string
	Ref       string
	// CheckoutURI is the file:// URI of the analysed checkout.
	CheckoutURI string
	// ToolName is shown in the Security tab; "keysweep" if empty.
	ToolName string
	// StartedAt is when the analysis started; zero omits it.
	StartedAt time.Time
	// Log is the SARIF log to upload, uncompressed JSON.
	Log []byte
	// Wait bounds the wait for processing: zero means DefaultWait, a
	// negative value returns as soon as GitHub has accepted the upload.
	Wait time.Duration
	// PollInterval is the pause between status requests; zero means
	// DefaultPollInterval.
	PollInterval time.Duration
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// RetryBudget bounds the total wait between attempts of the upload
	// (zero means DefaultRetryBudget, negative never retries);
	// RetryBackoff is the first wait when GitHub names none (zero means
	// DefaultRetryBackoff).
	RetryBudget  time.Duration
	RetryBackoff time.Duration
}

// UploadResult is what GitHub said about an upload.
type UploadResult struct {
	// ID and URL identify the upload (GET URL for its status).
	ID  string
	URL string
	// Status is the last processing status seen: pending (still
	// processing when the wait ran out), complete or failed; "" if Upload
	// did not wait.
	Status string
	// Errors are GitHub's reasons when processing failed.
	Errors []string
	// AnalysesURL lists the analyses the upload produced.
	AnalysesURL string
	// GzipBytes is the size of the compressed SARIF sent.
	GzipBytes int
}

// UploadError is a refused upload, with what to change.
type UploadError struct {
	// StatusCode is the HTTP status; 0 when the request never got one.
	StatusCode int
	// Message is GitHub's message, or the local reason.
	Message string
	// Hint says what to change; may be empty.
	Hint string
	// RateLimited marks GitHub's rate limits, which a 403 can be too:
	// a wait, not a permission to grant.
	RateLimited bool
	// Attempts counts the requests made when retries ran out; 0 or 1
	// when there was no retry.
	Attempts int
	Err      error
}

func (e *UploadError) Error() string {
	var b strings.Builder
	b.WriteString("code scanning upload")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (%d attempts)", e.Attempts)
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *UploadError) Unwrap() error { return e.Err }

// Forbidden reports whether GitHub refused the upload for lack of
// permission (a read-only token, a fork's pull request, code scanning not
// enabled): a configuration to change, not a failure of the scan. A rate
// limit answered with 403 is not.
func (e *UploadError) Forbidden() bool {
	return e.StatusCode == http.StatusForbidden && !e.RateLimited
}

// ErrProcessingFailed is returned (wrapped, with GitHub's reasons) when
// GitHub accepted an upload but could not process it.
var ErrProcessingFailed = errors.New("code scanning could not process the SARIF upload")

var (
	shaPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)
	refPattern = regexp.MustCompile(`^refs/(heads|tags|pull)/.+`)
)

// Upload sends one SARIF log to the code scanning API
// (POST /repos/{owner}/{repo}/code-scanning/sarifs) gzip-compressed and
// base64-encoded as the API requires, then polls the upload's processing
// status until it is complete or failed, or o.Wait runs out, which is not
// an error: the result then says "pending".
//
// A log should hold one run, or runs with distinct categories; SplitRuns
// makes one log per run.
func Upload(ctx context.Context, o UploadOptions) (*UploadResult, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	owner, repo, _ := strings.Cut(o.Repository, "/")
	payload, err := encodeLog(o.Log)
	if err != nil {
		return nil, &UploadError{Message: err.Error(), Err: err}
	}
	res := &UploadResult{GzipBytes: payload.gzipBytes}
	if payload.gzipBytes > MaxUploadBytes {
		return res, &UploadError{
			Message: fmt.Sprintf("the SARIF is %.1f MB gzipped, more than GitHub's %d MB", float64(payload.gzipBytes)/(1<<20), MaxUploadBytes>>20),
			Hint:    "scan a narrower range (since) or suppress known findings",
		}
	}

	client, err := newClient(o)
	if err != nil {
		return nil, &UploadError{Message: err.Error(), Err: err}
	}
	analysis := &github.SarifAnalysis{
		CommitSHA:   github.Ptr(o.CommitSHA),
		Ref:         github.Ptr(o.Ref),
		Sarif:       github.Ptr(payload.encoded),
		CheckoutURI: optional(o.CheckoutURI),
		ToolName:    github.Ptr(cmp.Or(o.ToolName, "keysweep")),
	}
	if !o.StartedAt.IsZero() {
		analysis.StartedAt = &github.Timestamp{Time: o.StartedAt.UTC()}
	}
	var id *github.SarifID
	if err := retry(ctx, o, func() error {
		var err error
		id, _, err = client.CodeScanning.UploadSarif(ctx, owner, repo, analysis)
		return err
	}); err != nil {
		return res, err
	}
	if id == nil || id.ID == nil || *id.ID == "" {
		return res, &UploadError{StatusCode: http.StatusAccepted, Message: "GitHub accepted the upload but returned no id"}
	}
	res.ID = *id.ID
	res.URL = id.GetURL()
	if o.Wait < 0 {
		return res, nil
	}
	return res, poll(ctx, client, owner, repo, o, res)
}

// sarifStatus is GET .../code-scanning/sarifs/{id}. go-github's
// SARIFUpload lacks the errors field, the only explanation of a failure.
type sarifStatus struct {
	ProcessingStatus string   `json:"processing_status"`
	AnalysesURL      string   `json:"analyses_url"`
	Errors           []string `json:"errors"`
}

func poll(ctx context.Context, client *github.Client, owner, repo string, o UploadOptions, res *UploadResult) error {
	wait := o.Wait
	if wait == 0 {
		wait = DefaultWait
	}
	interval := o.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	deadline := time.Now().Add(wait)
	res.Status = StatusPending
	u := fmt.Sprintf("repos/%s/%s/code-scanning/sarifs/%s", url.PathEscape(owner), url.PathEscape(repo), url.PathEscape(res.ID))
	for {
		req, err := client.NewRequest(ctx, http.MethodGet, u, nil)
		if err != nil {
			return &UploadError{Message: err.Error(), Err: err}
		}
		var st sarifStatus
		_, err = client.Do(req, &st)
		var er *github.ErrorResponse
		switch {
		case err == nil:
			res.AnalysesURL = st.AnalysesURL
			switch st.ProcessingStatus {
			case StatusComplete:
				res.Status = StatusComplete
				return nil
			case StatusFailed:
				res.Status, res.Errors = StatusFailed, st.Errors
				reasons := "no reason given"
				if len(st.Errors) > 0 {
					reasons = strings.Join(st.Errors, "; ")
				}
				return fmt.Errorf("%w (upload %s): %s", ErrProcessingFailed, res.ID, reasons)
			}
		case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound:
			// The status can lag the upload for a moment: keep polling.
		case transient(err) >= -1:
			// GitHub is busy: keep polling until the wait runs out, at
			// its pace if it names one.
			interval = max(interval, transient(err))
		default:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return apiError(err, o)
		}
		if time.Now().Add(interval).After(deadline) {
			return nil
		}
		if err := sleep.For(ctx, interval); err != nil {
			return err
		}
	}
}

// retry makes the request call until it succeeds, fails for a reason a
// retry cannot change, or the waits GitHub asks for (Retry-After, a rate
// limit's reset) or the backoff would take the total wait past the
// budget. Each failure is explained by apiError.
func retry(ctx context.Context, o UploadOptions, call func() error) error {
	budget := cmp.Or(o.RetryBudget, DefaultRetryBudget)
	backoff := cmp.Or(o.RetryBackoff, DefaultRetryBackoff)
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		err := call()
		if err == nil {
			return nil
		}
		wait := transient(err)
		if wait < -1 || ctx.Err() != nil {
			return apiError(err, o)
		}
		if wait == -1 {
			wait, backoff = backoff, 2*backoff
		}
		if budget < 0 || waited+wait > budget {
			e := apiError(err, o)
			if ue, ok := e.(*UploadError); ok {
				ue.Attempts = attempt
				ue.Hint = fmt.Sprintf("GitHub did not take the upload within keysweep's retry bound (%s of waiting); re-run the job later", budget)
				if wait > budget {
					ue.Hint = fmt.Sprintf("GitHub asked to retry after %s, longer than keysweep waits (%s); re-run the job later", wait.Round(time.Second), budget)
				}
			}
			return e
		}
		if err := sleep.For(ctx, wait); err != nil {
			return err
		}
		waited += wait
	}
}

// transient says whether a failed request may succeed if repeated: it
// returns the wait GitHub asked for (Retry-After, a rate limit's reset),
// -1 for a transient failure that names no wait (a 5xx), and -2 for a
// failure a retry cannot change.
func transient(err error) time.Duration {
	var er *github.ErrorResponse
	var rl *github.RateLimitError
	var arl *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		return max(time.Until(rl.Rate.Reset.Time), 0)
	case errors.As(err, &arl):
		if arl.RetryAfter != nil {
			return max(*arl.RetryAfter, 0)
		}
		return -1
	case errors.As(err, &er) && er.Response != nil:
		code := er.Response.StatusCode
		if code != http.StatusTooManyRequests && code < 500 {
			return -2
		}
		if d, ok := retryAfter(er.Response.Header.Get("Retry-After")); ok {
			return d
		}
		return -1
	}
	return -2
}

// retryAfter parses Retry-After: delay seconds or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 32); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

func (o UploadOptions) check() error {
	bad := func(msg string) error { return &UploadError{Message: msg} }
	switch {
	case o.Token == "":
		return bad("no token: pass `token: ${{ github.token }}` (the default) with `permissions: security-events: write`")
	case strings.Count(o.Repository, "/") != 1 || strings.HasPrefix(o.Repository, "/") || strings.HasSuffix(o.Repository, "/"):
		return bad(fmt.Sprintf("repository %q is not owner/name (GITHUB_REPOSITORY)", o.Repository))
	case !shaPattern.MatchString(o.CommitSHA):
		return bad(fmt.Sprintf("commit_sha %q is not a 40-hex commit", o.CommitSHA))
	case !refPattern.MatchString(o.Ref):
		return bad(fmt.Sprintf("ref %q is not a full ref (refs/heads/…, refs/tags/… or refs/pull/N/merge)", o.Ref))
	case len(o.Log) == 0:
		return bad("empty SARIF log")
	}
	return nil
}

type encodedLog struct {
	encoded   string
	gzipBytes int
}

func encodeLog(log []byte) (encodedLog, error) {
	if !json.Valid(log) {
		return encodedLog{}, errors.New("the SARIF log is not valid JSON")
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(log); err != nil {
		return encodedLog{}, err
	}
	if err := zw.Close(); err != nil {
		return encodedLog{}, err
	}
	return encodedLog{encoded: base64.StdEncoding.EncodeToString(buf.Bytes()), gzipBytes: buf.Len()}, nil
}

func newClient(o UploadOptions) (*github.Client, error) {
	api := strings.TrimRight(cmp.Or(o.APIURL, DefaultAPIURL), "/") + "/"
	base, err := url.Parse(api)
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("API URL %q is not an http(s) URL (GITHUB_API_URL)", o.APIURL)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	// GITHUB_API_URL already is the API root, for GitHub Enterprise
	// Server too (…/api/v3), so it is used as is (WithURLs) rather than
	// through WithEnterpriseURLs, which would append /api/v3/ to a bare
	// host.
	return github.NewClient(github.WithHTTPClient(hc), github.WithAuthToken(o.Token), github.WithURLs(&api, &api))
}

// apiError explains a refused request in terms of what to change.
func apiError(err error, o UploadOptions) error {
	var er *github.ErrorResponse
	var rl *github.RateLimitError
	var arl *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		return &UploadError{StatusCode: statusOf(rl.Response), RateLimited: true, Message: "API rate limit exceeded", Hint: "re-run the job later", Err: err}
	case errors.As(err, &arl):
		return &UploadError{StatusCode: statusOf(arl.Response), RateLimited: true, Message: "secondary rate limit", Hint: "re-run the job later", Err: err}
	case errors.As(err, &er) && er.Response != nil:
		e := &UploadError{StatusCode: er.Response.StatusCode, Message: cmp.Or(er.Message, http.StatusText(er.Response.StatusCode)), Err: err}
		switch e.StatusCode {
		case http.StatusUnauthorized:
			e.Hint = "the token is invalid or expired; use `token: ${{ github.token }}`"
		case http.StatusForbidden:
			e.Hint = forbiddenHint(e.Message)
		case http.StatusNotFound:
			e.Hint = fmt.Sprintf("repository %s not found with this token, or code scanning is not available on this GitHub (check GITHUB_API_URL and the token's access)", o.Repository)
		case http.StatusRequestEntityTooLarge:
			e.Hint = "the SARIF exceeds GitHub's size limit; scan a narrower range or suppress known findings"
		case http.StatusTooManyRequests:
			e.RateLimited, e.Hint = true, "re-run the job later"
		case http.StatusUnprocessableEntity:
			e.Hint = "GitHub rejected the request fields or the SARIF; this is a keysweep bug, please report it with the job log"
		}
		return e
	default:
		return &UploadError{Message: err.Error(), Err: err}
	}
}

// statusOf is a rate limit response's status; GitHub answers 403 or 429.
func statusOf(r *http.Response) int {
	if r == nil {
		return http.StatusForbidden
	}
	return r.StatusCode
}

func forbiddenHint(msg string) string {
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "advanced security") || strings.Contains(lower, "code scanning is not enabled") || strings.Contains(lower, "code security"):
		return "enable code scanning for the repository (Settings → Code security; private repositories need GitHub Advanced Security), or set upload-sarif: false"
	default:
		return "add `permissions: security-events: write` to the job (or the workflow), or set upload-sarif: false"
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// RunLog is one run of a SARIF log as a log of its own.
type RunLog struct {
	// Category is the run's automationDetails.id ("" if it has none).
	Category string
	// Results is how many results the run holds.
	Results int
	// Log is the SARIF log with only this run.
	Log []byte
}

// SplitRuns makes one log per run, so each analysis (category) is its own
// upload: GitHub closes the alerts of a category that a new analysis of it
// lacks, so an analysis that did not run must not be uploaded at all, and
// separate uploads keep each under the size limit.
func SplitRuns(log []byte) ([]RunLog, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(log, &top); err != nil {
		return nil, fmt.Errorf("read SARIF log: %w", err)
	}
	var runs []json.RawMessage
	if err := json.Unmarshal(top["runs"], &runs); err != nil {
		return nil, fmt.Errorf("read SARIF runs: %w", err)
	}
	out := make([]RunLog, 0, len(runs))
	for i, run := range runs {
		var head struct {
			AutomationDetails struct {
				ID string `json:"id"`
			} `json:"automationDetails"`
			Results []json.RawMessage `json:"results"`
		}
		if err := json.Unmarshal(run, &head); err != nil {
			return nil, fmt.Errorf("read SARIF run %d: %w", i, err)
		}
		single := make(map[string]json.RawMessage, len(top))
		for k, v := range top {
			single[k] = v
		}
		single["runs"] = json.RawMessage("[" + string(run) + "]")
		b, err := json.Marshal(single)
		if err != nil {
			return nil, err
		}
		out = append(out, RunLog{Category: head.AutomationDetails.ID, Results: len(head.Results), Log: b})
	}
	return out, nil
}
