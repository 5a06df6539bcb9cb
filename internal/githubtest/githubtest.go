// Package githubtest serves, over httptest, the parts of GitHub a keysweep
// run talks to — the code scanning SARIF upload API and the Actions OIDC
// token endpoint — checking requests the way the real services do, so that
// a test passing here means a request GitHub would accept.
package githubtest

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Upload is one accepted SARIF upload as the API received it.
type Upload struct {
	ID          string
	Owner, Repo string
	CommitSHA   string
	Ref         string
	CheckoutURI string
	ToolName    string
	StartedAt   string
	// SARIF is the decoded (base64, then gunzip) log.
	SARIF []byte
	// Categories are the runs' automationDetails.id values.
	Categories []string
}

// API is a fake GitHub REST API for code scanning uploads.
type API struct {
	*httptest.Server
	// Token is the bearer token every request must carry.
	Token string
	// Forbidden answers uploads with 403, as for a fork's read-only token.
	Forbidden bool
	// Busy answers the next uploads, one status each, before any is
	// accepted, as GitHub does under load: 429 (with RetryAfter as its
	// Retry-After header, if set) or a 5xx.
	Busy       []int
	RetryAfter string
	// PendingPolls is how many status requests answer "pending" before
	// "complete"; FailProcessing answers "failed" instead of "complete".
	PendingPolls   int
	FailProcessing bool

	t      testing.TB
	schema *jsonschema.Schema
	mu     sync.Mutex
	ups    []Upload
	polls  map[string]int
	// Requests counts every request, by "METHOD path".
	requests map[string]int
}

var (
	sha40     = regexp.MustCompile(`^[0-9a-f]{40}$`)
	fullRef   = regexp.MustCompile(`^refs/(heads|tags|pull)/[^\s]+$`)
	prRef     = regexp.MustCompile(`^refs/pull/\d+/(merge|head)$`)
	uploadURL = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/code-scanning/sarifs$`)
	statusURL = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/code-scanning/sarifs/([^/]+)$`)
)

// NewAPI starts the fake API, closed when the test ends.
func NewAPI(t testing.TB, token string) *API {
	t.Helper()
	a := &API{Token: token, t: t, schema: loadSchema(t), polls: map[string]int{}, requests: map[string]int{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

// Uploads returns the uploads accepted so far.
func (a *API) Uploads() []Upload {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Upload(nil), a.ups...)
}

// Requests returns how many requests "METHOD /path" got.
func (a *API) Requests(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests[key]
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.requests[r.Method+" "+r.URL.Path]++
	a.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+a.Token {
		apiError(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	switch m := uploadURL.FindStringSubmatch(r.URL.Path); {
	case m != nil && r.Method == http.MethodPost:
		a.upload(w, r, m[1], m[2])
		return
	}
	if m := statusURL.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		a.status(w, m[3])
		return
	}
	apiError(w, http.StatusNotFound, "Not Found")
}

func (a *API) upload(w http.ResponseWriter, r *http.Request, owner, repo string) {
	a.mu.Lock()
	busy := 0
	if len(a.Busy) > 0 {
		busy, a.Busy = a.Busy[0], a.Busy[1:]
	}
	a.mu.Unlock()
	if busy != 0 {
		if busy == http.StatusTooManyRequests && a.RetryAfter != "" {
			w.Header().Set("Retry-After", a.RetryAfter)
		}
		apiError(w, busy, http.StatusText(busy))
		return
	}
	if a.Forbidden {
		apiError(w, http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		apiError(w, http.StatusUnsupportedMediaType, "want application/json, got "+ct)
		return
	}
	var body map[string]any
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&body); err != nil {
		apiError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	str := func(k string) (string, bool) {
		v, ok := body[k].(string)
		return v, ok
	}
	for _, k := range []string{"commit_sha", "ref", "sarif"} {
		if _, ok := str(k); !ok {
			apiError(w, http.StatusUnprocessableEntity, k+" is missing or not a string")
			return
		}
	}
	for k := range body {
		switch k {
		case "commit_sha", "ref", "sarif", "checkout_uri", "started_at", "tool_name", "validate":
		default:
			apiError(w, http.StatusUnprocessableEntity, k+" is not a permitted key")
			return
		}
	}
	up := Upload{Owner: owner, Repo: repo}
	up.CommitSHA, _ = str("commit_sha")
	up.Ref, _ = str("ref")
	up.CheckoutURI, _ = str("checkout_uri")
	up.ToolName, _ = str("tool_name")
	up.StartedAt, _ = str("started_at")
	if !sha40.MatchString(up.CommitSHA) {
		apiError(w, http.StatusUnprocessableEntity, "commit_sha does not match ^[0-9a-fA-F]{40}$")
		return
	}
	if !fullRef.MatchString(up.Ref) || (strings.HasPrefix(up.Ref, "refs/pull/") && !prRef.MatchString(up.Ref)) {
		apiError(w, http.StatusUnprocessableEntity, "ref must be refs/heads/<branch>, refs/tags/<tag>, refs/pull/<n>/merge or refs/pull/<n>/head")
		return
	}
	if up.CheckoutURI != "" && !strings.HasPrefix(up.CheckoutURI, "file://") {
		apiError(w, http.StatusUnprocessableEntity, "checkout_uri must be a file URI")
		return
	}
	encoded, _ := str("sarif")
	gz, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		apiError(w, http.StatusBadRequest, "sarif is not base64")
		return
	}
	if len(gz) > 10<<20 {
		apiError(w, http.StatusRequestEntityTooLarge, "sarif is larger than 10 MB gzipped")
		return
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		apiError(w, http.StatusBadRequest, "sarif is not gzip-compressed")
		return
	}
	up.SARIF, err = io.ReadAll(zr)
	if err != nil {
		apiError(w, http.StatusBadRequest, "sarif: bad gzip stream")
		return
	}
	if err := a.validate(up.SARIF); err != nil {
		apiError(w, http.StatusBadRequest, "sarif does not validate: "+err.Error())
		return
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Name string `json:"name"`
				} `json:"driver"`
			} `json:"tool"`
			AutomationDetails struct {
				ID string `json:"id"`
			} `json:"automationDetails"`
		} `json:"runs"`
	}
	_ = json.Unmarshal(up.SARIF, &log)
	seen := map[string]bool{}
	for _, run := range log.Runs {
		// Since June 2025 GitHub rejects runs of one tool and category
		// in one upload instead of combining them.
		key := run.Tool.Driver.Name + "\x00" + category(run.AutomationDetails.ID)
		if seen[key] {
			apiError(w, http.StatusBadRequest, "multiple SARIF runs with the same tool and category")
			return
		}
		seen[key] = true
		up.Categories = append(up.Categories, run.AutomationDetails.ID)
	}

	a.mu.Lock()
	up.ID = "sarif-" + strconv.Itoa(len(a.ups)+1)
	a.ups = append(a.ups, up)
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]string{
		"id":  up.ID,
		"url": fmt.Sprintf("%s/repos/%s/%s/code-scanning/sarifs/%s", a.URL, owner, repo, up.ID),
	})
}

// category is the part of an automationDetails.id GitHub groups by.
func category(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[:i+1]
	}
	return id
}

func (a *API) status(w http.ResponseWriter, id string) {
	a.mu.Lock()
	known := false
	for _, u := range a.ups {
		known = known || u.ID == id
	}
	a.polls[id]++
	n := a.polls[id]
	a.mu.Unlock()
	if !known {
		apiError(w, http.StatusNotFound, "Not Found")
		return
	}
	resp := map[string]any{"processing_status": "pending"}
	if n > a.PendingPolls {
		resp["processing_status"] = "complete"
		resp["analyses_url"] = a.URL + "/repos/o/r/code-scanning/analyses?sarif_id=" + id
		if a.FailProcessing {
			resp["processing_status"] = "failed"
			resp["errors"] = []string{"locationFromSarifResult: expected artifact location"}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func apiError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest/code-scanning/code-scanning#upload-an-analysis-as-sarif-data",
	})
}

func (a *API) validate(doc []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return a.schema.Validate(inst)
}

// Validate checks doc against the official SARIF 2.1.0 schema.
func (a *API) Validate(doc []byte) error { return a.validate(doc) }

const schemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, errors.New("offline: refusing to fetch " + url)
}

// loadSchema compiles testdata/sarif-schema-2.1.0.json at the module root.
func loadSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "sarif-schema-2.1.0.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("SARIF schema: %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("SARIF schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(offline{})
	if err := c.AddResource(schemaURI, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaURI)
	if err != nil {
		t.Fatalf("SARIF schema: %v", err)
	}
	return s
}

// TokenServer is a fake of the Actions ID token endpoint
// (ACTIONS_ID_TOKEN_REQUEST_URL): it checks the request token and answers
// a JWT whose aud is the requested audience.
type TokenServer struct {
	*httptest.Server
	// RequestToken is what ACTIONS_ID_TOKEN_REQUEST_TOKEN must hold.
	RequestToken string
	// Audience is the only audience it issues tokens for.
	Audience string
	// Subject is the sub claim, as GitHub writes it.
	Subject string

	mu       sync.Mutex
	requests int
}

// NewTokenServer starts the endpoint, closed when the test ends.
func NewTokenServer(t testing.TB, requestToken, audience, subject string) *TokenServer {
	t.Helper()
	s := &TokenServer{RequestToken: requestToken, Audience: audience, Subject: subject}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Requests is how many tokens were issued.
func (s *TokenServer) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *TokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.RequestToken {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	aud := r.URL.Query().Get("audience")
	if aud != s.Audience {
		http.Error(w, `{"message":"audience not allowed"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	jwt := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "test"}) + "." +
		enc(map[string]any{"iss": "https://token.actions.githubusercontent.com", "aud": aud, "sub": s.Subject, "exp": 4102444800}) +
		".c2lnbmF0dXJl"
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"value": jwt})
}
