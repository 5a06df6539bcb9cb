package org_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/githubtest"
	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/org"
	"github.com/keysweep/keysweep/pipeline"
	"github.com/keysweep/keysweep/report"
	"github.com/keysweep/keysweep/sarif"
)

const token = "ghs_orgtesttoken0123456789abcdefABCDEF"

// fixture is an organization of real bare repositories behind the fake
// API: keys in several repositories (one key in two of them), a clean
// repository, one that cannot be cloned, one only reachable over HTTP
// with the token, an archived one and a fork.
type fixture struct {
	api                    *githubtest.Org
	shared, webOnly, httpK string // key IDs
	archivedK, forkK       string
	sources                map[string]*gittest.Repo
}

func bare(t *testing.T, r *gittest.Repo) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bare.git")
	if out, err := exec.Command("git", "clone", "--bare", "-q", r.Dir, dir).CombinedOutput(); err != nil {
		t.Fatalf("git clone --bare: %v\n%s", err, out)
	}
	return dir
}

func leaky(t *testing.T, files map[string]string) *gittest.Repo {
	t.Helper()
	r := gittest.New(t)
	r.Write("README.md", "service\n")
	r.Commit("init")
	for p, c := range files {
		r.Write(p, c)
	}
	r.Commit("config")
	return r
}

func pair(seed int) (id, content string) {
	id, secret := gittest.FakeKey(seed)
	return id, "aws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{api: githubtest.NewOrg(t, "acme", token, 2), sources: map[string]*gittest.Repo{}}
	var sharedC, webC, httpC, archC, forkC string
	f.shared, sharedC = pair(1801)
	f.webOnly, webC = pair(1802)
	f.httpK, httpC = pair(1803)
	f.archivedK, archC = pair(1804)
	f.forkK, forkC = pair(1805)

	add := func(name string, r *gittest.Repo, archived, fork bool) {
		f.sources[name] = r
		f.api.Add(githubtest.OrgRepo{Name: name, CloneURL: githubtest.FileURL(bare(t, r)), Archived: archived, Fork: fork})
	}
	add("app", leaky(t, map[string]string{"deploy/prod.env": sharedC}), false, false)
	add("web", leaky(t, map[string]string{"config/aws.ini": sharedC, "old/keys.txt": webC}), false, false)
	add("docs", leaky(t, map[string]string{"index.md": "nothing secret\n"}), false, false)
	f.api.Add(githubtest.OrgRepo{Name: "broken", CloneURL: githubtest.FileURL(filepath.Join(t.TempDir(), "missing.git"))})
	httpRepo := leaky(t, map[string]string{"ci/creds": httpC})
	f.sources["private"] = httpRepo
	f.api.Add(githubtest.OrgRepo{Name: "private", CloneURL: f.api.ServeGit("private", bare(t, httpRepo))})
	add("legacy", leaky(t, map[string]string{"a.env": archC}), true, false)
	add("forked-lib", leaky(t, map[string]string{"b.env": forkC}), false, true)
	// An empty repository (created, never pushed) is scanned, not failed.
	empty := filepath.Join(t.TempDir(), "empty.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", empty).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	f.api.Add(githubtest.OrgRepo{Name: "empty", CloneURL: githubtest.FileURL(empty)})
	for i := range 3 {
		add(fmt.Sprintf("tool-%d", i), leaky(t, map[string]string{"x.txt": "clean\n"}), false, false)
	}
	return f
}

func (f *fixture) opts(log *bytes.Buffer) org.Options {
	return org.Options{Org: "acme", APIURL: f.api.URL, Token: token, Concurrency: 3, Log: log}
}

func prepared(t *testing.T) pipeline.Config {
	t.Helper()
	cfg, err := pipeline.Prepare(pipeline.Config{Format: "json", FailOn: finding.SeverityHigh})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// place is one finding as the tests compare them.
type place struct{ Repo, Key, Path, Fingerprint string }

func places(rep *finding.Report) []place {
	var out []place
	for _, k := range rep.Keys {
		out = append(out, place{k.Repository, k.KeyID, k.Path, k.Fingerprint})
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

func repoNames(rep *finding.Report) []string {
	var out []string
	for _, r := range rep.Repositories {
		out = append(out, r.Name)
	}
	sort.Strings(out)
	return out
}

func TestOrgFull(t *testing.T) {
	f := newFixture(t)
	var log bytes.Buffer
	cfg := prepared(t)
	rep, err := org.Run(context.Background(), f.opts(&log), cfg)
	if err != nil {
		t.Fatal(err)
	}
	wantRepos := []string{"acme/app", "acme/broken", "acme/docs", "acme/empty", "acme/private", "acme/tool-0", "acme/tool-1", "acme/tool-2", "acme/web"}
	if got := repoNames(rep); !slices.Equal(got, wantRepos) {
		t.Errorf("repositories = %v, want %v (archived and forks left out)", got, wantRepos)
	}
	// The listing came in pages of 2 through the Link header.
	if n := f.api.Requests("GET /orgs/acme/repos"); n != 6 {
		t.Errorf("listing requests = %d, want 6 pages of 2 for 11 repositories", n)
	}
	want := []place{
		{"acme/app", f.shared, "deploy/prod.env", ""},
		{"acme/private", f.httpK, "ci/creds", ""},
		{"acme/web", f.shared, "config/aws.ini", ""},
		{"acme/web", f.webOnly, "old/keys.txt", ""},
	}
	got := places(rep)
	for i := range got {
		if got[i].Fingerprint == "" {
			t.Errorf("%v has no fingerprint", got[i])
		}
		got[i].Fingerprint = ""
	}
	sort.Slice(want, func(i, j int) bool { return fmt.Sprint(want[i]) < fmt.Sprint(want[j]) })
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %v\nwant %v", got, want)
	}
	for _, r := range rep.Repositories {
		switch {
		case r.Name == "acme/broken":
			if !strings.Contains(r.Error, "could not clone") || !strings.Contains(r.Error, "does not appear to be a git repository") {
				t.Errorf("broken repository's reason = %q, want git's own reason", r.Error)
			}
		case r.Error != "":
			t.Errorf("%s: unexpected error %q", r.Name, r.Error)
		case r.Name == "acme/empty":
			if r.Stats.Commits != 0 {
				t.Errorf("empty repository: %+v", r)
			}
		case r.Head == "" || r.Stats.Commits != 2:
			t.Errorf("%s: head %q, %d commits; want a head and 2 commits", r.Name, r.Head, r.Stats.Commits)
		}
	}
	if !strings.Contains(log.String(), "acme/broken: could not clone") {
		t.Errorf("log does not name the broken repository:\n%s", log.String())
	}
	if rep.Repo != "127.0.0.1:"+strings.Split(f.api.URL, ":")[2]+"/acme" {
		t.Errorf("report names %q", rep.Repo)
	}

	// Exit 2 for the broken repository, unless partial is accepted;
	// then the keys decide.
	code, why := pipeline.ExitCode(rep, cfg)
	if code != pipeline.ExitError || !strings.Contains(why, "1 of 9 repositories") {
		t.Errorf("exit = %d %q, want 2 naming 1 of 9 repositories", code, why)
	}
	cfg.AllowPartial = true
	if code, _ := pipeline.ExitCode(rep, cfg); code != pipeline.ExitFindings {
		t.Errorf("exit with --allow-partial = %d, want 1 (keys with secrets)", code)
	}

	// Every output names the repositories; none holds the token.
	outputs := map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return report.Text(b, rep, false) },
		"json":     func(b *bytes.Buffer) error { return report.JSON(b, rep) },
		"sarif":    func(b *bytes.Buffer) error { return sarif.Write(b, rep, sarif.Options{}) },
		"markdown": func(b *bytes.Buffer) error { return report.Markdown(b, rep) },
	}
	for name, write := range outputs {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := b.String()
		if strings.Contains(out, token) {
			t.Errorf("%s output holds the token", name)
		}
		for _, repo := range []string{"app", "web", "private"} {
			if !strings.Contains(out, "acme/"+repo) && !strings.Contains(out, `acme/`+repo) && !strings.Contains(out, `acme/`+strings.ReplaceAll(repo, "-", `\-`)) {
				t.Errorf("%s output does not name acme/%s", name, repo)
			}
		}
	}
	if strings.Contains(log.String(), token) {
		t.Error("log holds the token")
	}
	validSARIF(t, rep)
}

// validSARIF checks the report's SARIF against the official schema.
func validSARIF(t *testing.T, rep *finding.Report) {
	t.Helper()
	var b bytes.Buffer
	if err := sarif.Write(&b, rep, sarif.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := githubtest.NewAPI(t, "unused").Validate(b.Bytes()); err != nil {
		t.Errorf("SARIF does not validate: %v", err)
	}
	if !strings.Contains(b.String(), `"repository": "acme/`) {
		t.Error("SARIF results do not name their repository")
	}
}

// The token reaches git only as a header: the HTTP repository (whose
// server refuses requests without it) was cloned, and neither a URL, a
// clone's configuration nor any file of the clone directory holds it.
func TestOrgTokenStaysOutOfClones(t *testing.T) {
	// Configuration the environment already passes to git is kept.
	t.Setenv("GIT_CONFIG_COUNT", "1")
	t.Setenv("GIT_CONFIG_KEY_0", "http.extraHeader")
	t.Setenv("GIT_CONFIG_VALUE_0", "X-Keysweep-Test: kept")
	f := newFixture(t)
	dir := t.TempDir()
	opts := f.opts(new(bytes.Buffer))
	opts.CloneDir = dir
	opts.Filter.Include = []string{"private", "app"}
	rep, err := org.Run(context.Background(), opts, prepared(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := repoNames(rep); !slices.Equal(got, []string{"acme/app", "acme/private"}) {
		t.Fatalf("--include selected %v", got)
	}
	for _, r := range rep.Repositories {
		if r.Error != "" {
			t.Fatalf("%s: %s", r.Name, r.Error)
		}
	}
	if f.api.Requests("GET /git/private.git/info/refs") == 0 {
		t.Fatal("the HTTP repository was not fetched over HTTP")
	}
	if h := f.api.GitHeader("X-Keysweep-Test"); len(h) == 0 || h[0] != "kept" {
		t.Errorf("the environment's own git configuration was lost: %v", h)
	}
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(token)) {
			t.Errorf("%s holds the token", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// The token goes to the API's host only: a clone URL on another
	// host (another server's port) gets no token, and its 401 fails the
	// clone at once, with no prompt, naming the repository.
	other := githubtest.NewOrg(t, "elsewhere", token, 2)
	f.api.Add(githubtest.OrgRepo{Name: "mirror", CloneURL: other.ServeGit("mirror", bare(t, f.sources["private"]))})
	opts.Filter.Include = []string{"mirror"}
	rep, err = org.Run(context.Background(), opts, prepared(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Repositories) != 1 || !strings.Contains(rep.Repositories[0].Error, "terminal prompts disabled") {
		t.Errorf("clone from another host: %+v, want git's 'terminal prompts disabled'", rep.Repositories)
	}
}

func TestOrgBadToken(t *testing.T) {
	f := newFixture(t)
	for _, tok := range []string{"", "ghs_wrong"} {
		opts := f.opts(new(bytes.Buffer))
		opts.Token = tok
		_, err := org.Run(context.Background(), opts, prepared(t))
		if err == nil || !strings.Contains(err.Error(), "bad credentials (401)") || strings.Contains(err.Error(), "\n") {
			t.Errorf("token %q: %v, want one line saying bad credentials", tok, err)
		}
	}
	opts := f.opts(new(bytes.Buffer))
	opts.Org = "nobody"
	if _, err := org.Run(context.Background(), opts, prepared(t)); err == nil || !strings.Contains(err.Error(), `"nobody" not found (404)`) {
		t.Errorf("unknown organization: %v", err)
	}
}

// Nothing to scan is a failure, never a clean report: a token that sees
// no repository, or filters that leave none.
func TestOrgNothingSelected(t *testing.T) {
	api := githubtest.NewOrg(t, "void", token, 2)
	opts := org.Options{Org: "void", APIURL: api.URL, Token: token}
	if _, err := org.Run(context.Background(), opts, prepared(t)); err == nil || !strings.Contains(err.Error(), "no repositories of void are visible to the token") {
		t.Errorf("empty listing: %v", err)
	}
	f := newFixture(t)
	opts = f.opts(new(bytes.Buffer))
	opts.Filter.Include = []string{"nothing-*"}
	if _, err := org.Run(context.Background(), opts, prepared(t)); err == nil || !strings.Contains(err.Error(), "none of the 11 repositories of acme is selected") {
		t.Errorf("filters leave none: %v", err)
	}
	// An empty shard is fine: the other shards have the repositories.
	opts.Filter.Shard = org.Shard{Index: 1, Count: 2}
	rep, err := org.Run(context.Background(), opts, prepared(t))
	if err != nil || len(rep.Repositories) != 0 {
		t.Errorf("empty shard: %v, %d repositories", err, len(rep.Repositories))
	}
}

func TestOrgArchivedAndForks(t *testing.T) {
	f := newFixture(t)
	opts := f.opts(new(bytes.Buffer))
	opts.Filter = org.Filter{Archived: true, Forks: true, Include: []string{"legacy", "acme/forked-*"}}
	rep, err := org.Run(context.Background(), opts, prepared(t))
	if err != nil {
		t.Fatal(err)
	}
	got := places(rep)
	if len(got) != 2 || got[0].Key != f.forkK || got[0].Repo != "acme/forked-lib" || got[1].Key != f.archivedK || got[1].Repo != "acme/legacy" {
		t.Errorf("archived and fork keys: %v", got)
	}
}

// Three shards cover every repository exactly once, and merging their
// JSON reports gives the full run's findings.
func TestOrgShardsMerge(t *testing.T) {
	f := newFixture(t)
	cfg := prepared(t)
	full, err := org.Run(context.Background(), f.opts(new(bytes.Buffer)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var shards []*finding.Report
	seen := map[string]int{}
	for i := 1; i <= 3; i++ {
		opts := f.opts(new(bytes.Buffer))
		opts.Filter.Shard = org.Shard{Index: i, Count: 3}
		rep, err := org.Run(context.Background(), opts, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range repoNames(rep) {
			seen[n]++
		}
		if len(rep.Repositories) == len(full.Repositories) {
			t.Errorf("shard %d/3 has every repository", i)
		}
		// Through JSON, as the workflow's artifacts carry them.
		path := filepath.Join(t.TempDir(), "shard.json")
		var b bytes.Buffer
		if err := report.JSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		back, err := pipeline.ReadReport(path)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, back)
	}
	for _, n := range repoNames(full) {
		if seen[n] != 1 {
			t.Errorf("%s is in %d shards, want exactly 1", n, seen[n])
		}
	}
	if len(seen) != len(full.Repositories) {
		t.Errorf("shards hold %d repositories, the full run %d", len(seen), len(full.Repositories))
	}
	merged, err := pipeline.Merge(shards)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := places(merged), places(full); !slices.Equal(got, want) {
		t.Errorf("merged findings:\n got %v\nwant %v", got, want)
	}
	if !slices.Equal(repoNames(merged), repoNames(full)) || len(merged.Skipped) != len(full.Skipped) {
		t.Errorf("merged repositories %v (%d skipped), full %v (%d)", repoNames(merged), len(merged.Skipped), repoNames(full), len(full.Skipped))
	}
	if merged.Repo != full.Repo || merged.Stats.Commits != full.Stats.Commits {
		t.Errorf("merged names %q with %d commits, full %q with %d", merged.Repo, merged.Stats.Commits, full.Repo, full.Stats.Commits)
	}
	validSARIF(t, merged) // rules come back after the JSON round trip
	// Merging is idempotent: a shard merged twice changes nothing.
	again, err := pipeline.Merge(append(shards, shards...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(places(again), places(full)) {
		t.Errorf("merging every shard twice: %v", places(again))
	}
}

// A clone directory is reused: the second run fetches into it and finds
// the key committed since.
func TestOrgCloneDirFetches(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	opts := f.opts(new(bytes.Buffer))
	opts.CloneDir = dir
	opts.Filter.Include = []string{"docs"}
	rep, err := org.Run(context.Background(), opts, prepared(t))
	if err != nil || len(rep.Keys) != 0 {
		t.Fatalf("first run: %v, %d keys", err, len(rep.Keys))
	}
	clone := filepath.Join(dir, "acme", "docs.git")
	marker := filepath.Join(clone, "keysweep-marker")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The listing serves a bare copy; push the new commit to it.
	src := f.sources["docs"]
	id, content := pair(1806)
	src.Write("later.env", content)
	src.Commit("later")
	bareURL := ""
	for _, r := range reposOf(t, f) {
		if r.Name == "acme/docs" {
			bareURL = r.CloneURL
		}
	}
	src.Git("push", "-q", bareURL, "main")

	rep, err = org.Run(context.Background(), opts, prepared(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Keys) != 1 || rep.Keys[0].KeyID != id || rep.Keys[0].Repository != "acme/docs" {
		t.Fatalf("second run: %v", places(rep))
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the clone was not reused (made anew): %v", err)
	}
}

func reposOf(t *testing.T, f *fixture) []org.Repo {
	t.Helper()
	repos, err := org.List(context.Background(), f.api.URL, token, "acme")
	if err != nil {
		t.Fatal(err)
	}
	return repos
}

// GitHub Enterprise Server: the API under /api/v3 (GITHUB_API_URL as
// Actions sets it there), clones on the same host, which gets the token.
func TestOrgEnterpriseServer(t *testing.T) {
	f := newFixture(t)
	opts := f.opts(new(bytes.Buffer))
	opts.APIURL = f.api.URL + "/api/v3"
	opts.Filter.Include = []string{"private", "docs"}
	rep, err := org.Run(context.Background(), opts, prepared(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := places(rep); len(got) != 1 || got[0].Key != f.httpK || len(rep.Repositories) != 2 || rep.Repositories[1].Error != "" {
		t.Errorf("GHES run: %v %+v", got, rep.Repositories)
	}
}

// A clone that hangs is killed at --clone-timeout and named; the run
// goes on.
func TestOrgCloneTimeout(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	f := newFixture(t)
	f.api.Add(githubtest.OrgRepo{Name: "slow", CloneURL: hang.URL + "/acme/slow.git"})
	opts := f.opts(new(bytes.Buffer))
	opts.Filter.Include = []string{"slow", "docs"}
	opts.CloneTimeout = time.Second
	t0 := time.Now()
	rep, err := org.Run(context.Background(), opts, prepared(t))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("the run took %s", d)
	}
	if len(rep.Repositories) != 2 || rep.Repositories[0].Error != "" || rep.Repositories[1].Error != "could not clone: git clone timed out after 1s" {
		t.Errorf("repositories %+v", rep.Repositories)
	}
}
