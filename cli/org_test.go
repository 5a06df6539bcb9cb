package cli

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keysweep/keysweep/internal/githubtest"
	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/mototest"
)

// newOrgAPI serves an organization of three bare repositories, two with
// the same key and its secret, and one clone URL that does not exist.
func newOrgAPI(t *testing.T) (api *githubtest.Org, key, secret string) {
	t.Helper()
	const token = "ghs_clitesttoken0123456789"
	api = githubtest.NewOrg(t, "acme", token, 2)
	key, secret = gittest.FakeKey(1850)
	for _, name := range []string{"api", "site", "clean"} {
		r := gittest.New(t)
		if name != "clean" {
			r.Write("conf/"+name+".env", "AWS_ACCESS_KEY_ID="+key+"\nAWS_SECRET_ACCESS_KEY="+secret+"\n")
		} else {
			r.Write("README", "nothing\n")
		}
		r.Commit("init")
		dir := filepath.Join(t.TempDir(), name+".git")
		if out, err := exec.Command("git", "clone", "--bare", "-q", r.Dir, dir).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		api.Add(githubtest.OrgRepo{Name: name, CloneURL: githubtest.FileURL(dir)})
	}
	api.Add(githubtest.OrgRepo{Name: "gone", CloneURL: githubtest.FileURL(filepath.Join(t.TempDir(), "gone.git"))})
	t.Setenv("GITHUB_API_URL", api.URL)
	t.Setenv("GITHUB_TOKEN", token)
	return api, key, secret
}

func readKeys(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Keys []struct{ Repository, KeyID, Path string }
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range rep.Keys {
		out = append(out, k.Repository+" "+k.KeyID+" "+k.Path)
	}
	slices.Sort(out)
	return out
}

func TestOrgCommand(t *testing.T) {
	api, key, secret := newOrgAPI(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "full.json")

	code, _, stderr := run(t, "org", "acme", "--format", "json", "--output", full, "--no-progress")
	if code != ExitError || !strings.Contains(stderr, "acme/gone: could not clone") || !strings.Contains(stderr, "1 of 4 repositories") {
		t.Fatalf("org with an unclonable repository: exit %d, stderr:\n%s", code, stderr)
	}
	want := []string{"acme/api " + key + " conf/api.env", "acme/site " + key + " conf/site.env"}
	if got := readKeys(t, full); !slices.Equal(got, want) {
		t.Errorf("keys = %v, want %v", got, want)
	}
	code, _, _ = run(t, "org", "acme", "--allow-partial", "--format", "json", "--output", full)
	if code != ExitFindings {
		t.Errorf("--allow-partial: exit %d, want 1 for the keys", code)
	}

	code, stdout, _ := run(t, "org", "--list", "acme", "--exclude", "gone")
	if code != ExitClean || stdout != "acme/api\nacme/clean\nacme/site\n" {
		t.Errorf("--list: exit %d\n%s", code, stdout)
	}

	var shards []string
	for _, s := range []string{"1/2", "2/2"} {
		p := filepath.Join(dir, "shard"+s[:1]+".json")
		shards = append(shards, p)
		if code, _, stderr := run(t, "org", "acme", "--shard", s, "--allow-partial", "--fail-on", "none", "--format", "json", "--output", p); code != ExitClean {
			t.Fatalf("shard %s: exit %d\n%s", s, code, stderr)
		}
	}
	merged := filepath.Join(dir, "merged.json")
	code, _, stderr = run(t, append([]string{"merge", "--format", "json", "--output", merged}, shards...)...)
	if code != ExitError || !strings.Contains(stderr, "1 of 4 repositories") {
		t.Errorf("merge: exit %d, want 2 for the unclonable repository\n%s", code, stderr)
	}
	if got := readKeys(t, merged); !slices.Equal(got, want) {
		t.Errorf("merged keys = %v, want %v", got, want)
	}
	code, md, _ := run(t, append([]string{"merge", "--format", "markdown", "--allow-partial"}, shards...)...)
	if code != ExitFindings || !strings.Contains(md, `acme/api\: conf/api\.env\:1`) || !strings.Contains(md, "acme/gone: could not clone") {
		t.Errorf("merge markdown: exit %d\n%s", code, md)
	}
	// One key in two repositories is one row.
	if n := strings.Count(md, "`"+key+"`"); n != 1 {
		t.Errorf("the key has %d rows in the summary, want 1:\n%s", n, md)
	}
	for _, f := range append(shards, full, merged) {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), secret) || strings.Contains(string(b), api.Token) {
			t.Errorf("%s holds the secret or the token", f)
		}
	}
	if strings.Contains(md, secret) || strings.Contains(md, api.Token) {
		t.Error("markdown holds the secret or the token")
	}
}

func TestOrgUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"org"},
		{"org", "acme", "other"},
		{"org", "../etc"},
		{"org", "acme", "--shard", "0/3"},
		{"org", "acme", "--shard"},
		{"org", "acme", "--since", "HEAD~1"},
		{"org", "acme", "--concurrency", "0"},
		{"org", "acme", "--include", "[x"},
		{"org", "acme", "--format", "yaml"},
		{"merge"},
		{"merge", "--format", "yaml", "a.json"},
		{"merge", "missing.json"},
	} {
		code, stdout, stderr := run(t, args...)
		if code != ExitError || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "keysweep: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, stdout, stderr)
		}
	}
	notReport := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(notReport, []byte(`{"tool":"other"}`), 0o644)
	if code, _, stderr := run(t, "merge", notReport); code != ExitError || !strings.Contains(stderr, "not a keysweep report") {
		t.Errorf("merge of a foreign JSON file: %d %q", code, stderr)
	}
}

// With --aws the session and the inventory serve every repository: the
// AWS calls for three repositories holding the same keys are those for
// one, with a single sts:GetCallerIdentity.
func TestOrgAWSInventoryOnce(t *testing.T) {
	srv := moto.Get(t)
	srv.Reset(t)
	var mu sync.Mutex
	calls := map[string]int{}
	proxy := srv.Proxy(t, func(_ http.ResponseWriter, c *mototest.Call) bool {
		mu.Lock()
		calls[c.Action]++
		mu.Unlock()
		return false
	})
	mototest.EnvFor(t, proxy.URL)
	srv.Env(t) // setup calls go straight to moto
	c := iamClient(t, "")
	live, liveSecret := motoKey(t, c, "deploy-bot", types.StatusTypeActive)
	foreign, foreignSecret := motoKey(t, iamClient(t, "111122223333"), "vendor", types.StatusTypeActive)
	mototest.EnvFor(t, proxy.URL)

	api := githubtest.NewOrg(t, "acme", "ghs_awstest", 2)
	content := "AWS_ACCESS_KEY_ID=" + live + "\nAWS_SECRET_ACCESS_KEY=" + liveSecret + "\n" +
		"vendor_key = " + foreign + "\nvendor_secret = " + foreignSecret + "\n"
	for _, name := range []string{"a", "b", "c"} {
		r := gittest.New(t)
		r.Write("deploy.env", content)
		r.Commit("init")
		dir := filepath.Join(t.TempDir(), name+".git")
		if out, err := exec.Command("git", "clone", "--bare", "-q", r.Dir, dir).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		api.Add(githubtest.OrgRepo{Name: name, CloneURL: githubtest.FileURL(dir)})
	}
	t.Setenv("GITHUB_API_URL", api.URL)
	t.Setenv("GITHUB_TOKEN", "ghs_awstest")

	out := filepath.Join(t.TempDir(), "org.json")
	// One repository, then three holding the same keys: the same calls.
	code, _, stderr := run(t, "org", "acme", "--include", "a", "--aws", "--no-checks", "--format", "json", "--output", out)
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	mu.Lock()
	one := maps.Clone(calls)
	clear(calls)
	mu.Unlock()
	code, _, stderr = run(t, "org", "acme", "--aws", "--no-checks", "--format", "json", "--output", out)
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	var rep struct {
		Keys []struct {
			Repository, KeyID, Status, User string
		}
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	active := map[string]bool{}
	for _, k := range rep.Keys {
		switch k.KeyID {
		case live:
			if k.Status != "active" || k.User != "deploy-bot" {
				t.Errorf("%s in %s: %s %s, want active deploy-bot", k.KeyID, k.Repository, k.Status, k.User)
			}
			active[k.Repository] = true
		case foreign:
			if k.Status != "other-account" {
				t.Errorf("foreign key in %s: %s", k.Repository, k.Status)
			}
		}
	}
	if len(active) != 3 {
		t.Errorf("the live key is judged active in %v, want all 3 repositories", active)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("AWS calls: 1 repository %v, 3 repositories %v", one, calls)
	if calls["GetCallerIdentity"] != 1 || !maps.Equal(one, calls) {
		t.Errorf("AWS calls for 3 repositories %v, for 1 %v: want the same, one GetCallerIdentity", calls, one)
	}
}
