package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// OrgRepo is one repository the fake organization API lists.
type OrgRepo struct {
	Name     string // the repository's name, without the owner
	CloneURL string // what the listing gives as clone_url
	Archived bool
	Fork     bool
}

// Org is a fake of the REST API's organization repository listing
// (GET /orgs/{org}/repos, also under /api/v3 as GitHub Enterprise
// Server has it) and of git's smart HTTP protocol for the
// repositories it serves (real `git http-backend` under /git/). Both
// check the token as GitHub does: the API wants "Authorization: Bearer
// T" (or "token T") and answers 401 Bad credentials otherwise; git over
// HTTP wants Basic auth with T as the password and answers 401 with a
// WWW-Authenticate challenge otherwise. Listings are paginated with at
// most PerPage repositories a page and a Link header, as GitHub's are.
type Org struct {
	*httptest.Server
	Login string
	Token string
	// PerPage caps per_page (GitHub: 100, default 30).
	PerPage int

	t        testing.TB
	root     string // GIT_PROJECT_ROOT of the git server
	git      http.Handler
	mu       sync.Mutex
	repos    []OrgRepo
	requests map[string]int
	gitHdrs  []http.Header
}

var orgReposURL = regexp.MustCompile(`^/orgs/([^/]+)/repos$`)

// NewOrg starts the fake for organization login, closed when the test ends.
func NewOrg(t testing.TB, login, token string, perPage int) *Org {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git not installed: %v", err)
	}
	o := &Org{Login: login, Token: token, PerPage: perPage, t: t, root: t.TempDir(), requests: map[string]int{}}
	o.git = &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Root: "/git",
		Env:  []string{"GIT_PROJECT_ROOT=" + o.root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.Close)
	return o
}

// Add lists r in the organization.
func (o *Org) Add(r OrgRepo) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.repos = append(o.repos, r)
}

// ServeGit serves the bare repository at dir over HTTP as name and
// returns its clone URL.
func (o *Org) ServeGit(name, dir string) string {
	o.t.Helper()
	if err := os.Symlink(dir, filepath.Join(o.root, name+".git")); err != nil {
		o.t.Fatal(err)
	}
	return o.URL + "/git/" + name + ".git"
}

// GitHeader returns the values of header name in the git requests seen.
func (o *Org) GitHeader(name string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, h := range o.gitHdrs {
		out = append(out, h.Values(name)...)
	}
	return out
}

// Requests returns how many requests "METHOD path" got.
func (o *Org) Requests(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.requests[key]
}

func (o *Org) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.requests[r.Method+" "+r.URL.Path]++
	o.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/git/") {
		o.serveGit(w, r)
		return
	}
	auth := r.Header.Get("Authorization")
	if auth != "Bearer "+o.Token && auth != "token "+o.Token {
		apiError(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	// GitHub Enterprise Server serves the same API under /api/v3.
	m := orgReposURL.FindStringSubmatch(strings.TrimPrefix(r.URL.Path, "/api/v3"))
	if m == nil || r.Method != http.MethodGet {
		apiError(w, http.StatusNotFound, "Not Found")
		return
	}
	if !strings.EqualFold(m[1], o.Login) {
		apiError(w, http.StatusNotFound, "Not Found")
		return
	}
	q := r.URL.Query()
	perPage, page := 30, 1
	if v := q.Get("per_page"); v != "" {
		perPage, _ = strconv.Atoi(v)
	}
	if v := q.Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	perPage = min(max(perPage, 1), o.PerPage)
	page = max(page, 1)
	o.mu.Lock()
	repos := append([]OrgRepo(nil), o.repos...)
	o.mu.Unlock()
	last := max((len(repos)+perPage-1)/perPage, 1)
	var links []string
	link := func(p int, rel string) {
		u := *r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(perPage))
		u.RawQuery = v.Encode()
		links = append(links, fmt.Sprintf(`<%s%s>; rel="%s"`, o.URL, u.RequestURI(), rel))
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(1, "first")
		link(page-1, "prev")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	var body []map[string]any
	for i := (page - 1) * perPage; i < len(repos) && i < page*perPage; i++ {
		rp := repos[i]
		full := o.Login + "/" + rp.Name
		body = append(body, map[string]any{
			"id": i + 1, "name": rp.Name, "full_name": full, "private": true,
			"owner":     map[string]any{"login": o.Login, "type": "Organization"},
			"html_url":  o.URL + "/" + full,
			"clone_url": rp.CloneURL, "archived": rp.Archived, "fork": rp.Fork,
			"default_branch": "main",
		})
	}
	if body == nil {
		body = []map[string]any{}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(body)
}

// serveGit runs git http-backend for a request that carries the token
// as GitHub wants it over HTTPS: Basic auth, the token as the password.
func (o *Org) serveGit(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.gitHdrs = append(o.gitHdrs, r.Header.Clone())
	o.mu.Unlock()
	_, pass, ok := r.BasicAuth()
	if !ok || pass != o.Token {
		w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
		http.Error(w, "Authentication failed", http.StatusUnauthorized)
		return
	}
	if strings.Contains(r.URL.RawQuery, o.Token) || strings.Contains(r.URL.Path, o.Token) {
		http.Error(w, "token in URL", http.StatusBadRequest)
		return
	}
	o.git.ServeHTTP(w, r)
}

// FileURL is the file:// clone URL of a local repository.
func FileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}
