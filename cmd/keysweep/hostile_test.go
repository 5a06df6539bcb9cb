package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/gittest"
)

// jobSecrets are what a job running keysweep has in its environment:
// AWS credentials an earlier step exported, the action's token input,
// the OIDC request token and the job's GitHub token. A pull request must
// not be able to make keysweep print a byte of them.
var jobSecrets = map[string]string{
	"AWS_ACCESS_KEY_ID":              "AKIA" + "Q3JOBCREDENTIALS",
	"AWS_SECRET_ACCESS_KEY":          "jobSecretAccessKey" + "/0123456789+abcdefghijKL",
	"AWS_SESSION_TOKEN":              "FwoGZXIvYXdzE" + "JobSessionToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ/+",
	"INPUT_TOKEN":                    "ghs_" + "JobInputToken0123456789abcdefghijklmno",
	"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9" + ".JobIdTokenRequest0123456789abcdefghij.sig0123456789",
	"GITHUB_TOKEN":                   "ghs_" + "JobGitHubToken0123456789abcdefghijklmn",
}

// leaked reports every 8-byte piece of a job secret found in text.
func leaked(text string) []string {
	var found []string
	for name, v := range jobSecrets {
		for i := 0; i+8 <= len(v); i++ {
			if strings.Contains(text, v[i:i+8]) {
				found = append(found, fmt.Sprintf("%s (%q)", name, v[i:i+8]))
				break
			}
		}
	}
	return found
}

// job is a simulated runner for `keysweep action` around repo: the
// environment and files a GitHub-hosted runner gives a step.
type job struct {
	dir string
	env map[string]string
}

func newJob(t *testing.T, repo string) *job {
	t.Helper()
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	payload, _ := json.Marshal(map[string]any{"repository": map[string]any{"full_name": "octo/app", "default_branch": "main"}})
	for name, b := range map[string][]byte{"event.json": payload, "output": nil, "summary": nil} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	j := &job{dir: dir, env: map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": event,
		"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_REPOSITORY": "octo/app", "GITHUB_REF": "refs/heads/main", "GITHUB_WORKSPACE": repo,
		"INPUT_PATH": ".", "INPUT_FAIL-ON": "high", "INPUT_SARIF-FILE": filepath.Join(dir, "keysweep.sarif"),
		"INPUT_UPLOAD-SARIF": "false", "INPUT_ACCOUNT-CHECKS": "false", "INPUT_AWS-REGION": "us-east-1",
		// Nothing may reach AWS: a refused loopback port.
		"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_REGION": "us-east-1",
	}}
	for k, v := range jobSecrets {
		j.env[k] = v
	}
	return j
}

func (j *job) file(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(j.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// linkRepo is a repository whose last commit makes name a symbolic link
// to target, as a pull request can.
func linkRepo(t *testing.T, name, target string) *gittest.Repo {
	t.Helper()
	repo := gittest.New(t)
	repo.Write("README.md", "# app\n")
	repo.Commit("initial")
	if err := os.Symlink(target, filepath.Join(repo.Dir, name)); err != nil {
		t.Fatal(err)
	}
	repo.Commit("settings")
	if mode := repo.Git("ls-files", "-s", name); !strings.HasPrefix(mode, "120000") {
		t.Fatalf("%s is not committed as a link: %s", name, mode)
	}
	return repo
}

func TestSettingsLinkedOutOfTheTreeLeakNothing(t *testing.T) {
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	passwdLine, _, _ := strings.Cut(string(passwd), "\n")
	for _, tc := range []struct{ name, target string }{
		{".keysweepignore", "/proc/self/environ"},
		{".keysweep.yml", "/etc/passwd"},
		{".keysweep.yml", "/proc/self/environ"},
		{".keysweepignore", "/etc/passwd"},
	} {
		t.Run(tc.name+"->"+tc.target, func(t *testing.T) {
			repo := linkRepo(t, tc.name, tc.target)
			cliEnv := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
			for k, v := range jobSecrets {
				cliEnv[k] = v
			}
			p := run(t, repo.Dir, cliEnv, nil, "scan", ".", "--no-progress", "--aws")
			p.oneLine(t, tc.name+": is a symbolic link, which keysweep never follows")
			places := map[string]string{"scan stdout": p.stdout, "scan stderr": p.stderr}

			j := newJob(t, repo.Dir)
			a := run(t, repo.Dir, j.env, nil, "action")
			if a.code != 2 || !strings.Contains(a.stdout, "symbolic link") {
				t.Errorf("action: exit %d, want 2 with the reason; stdout:\n%s\nstderr:\n%s", a.code, a.stdout, a.stderr)
			}
			places["action stdout"], places["action stderr"] = a.stdout, a.stderr
			places["GITHUB_OUTPUT"], places["GITHUB_STEP_SUMMARY"] = j.file(t, "output"), j.file(t, "summary")
			if !strings.Contains(places["GITHUB_STEP_SUMMARY"], "symbolic link") {
				t.Errorf("the summary does not say why:\n%s", places["GITHUB_STEP_SUMMARY"])
			}
			for where, text := range places {
				if l := leaked(text); len(l) > 0 {
					t.Errorf("%s shows %v:\n%s", where, l, text)
				}
				if strings.Contains(text, passwdLine) || strings.Contains(text, "/bin/bash") {
					t.Errorf("%s quotes /etc/passwd:\n%s", where, text)
				}
			}
		})
	}
}

// A regular, committed copy of an environment (say, a debug dump) is read:
// its error quotes an excerpt with every secret-shaped value removed.
func TestSettingsHoldingSecretsAreNotQuoted(t *testing.T) {
	var environ strings.Builder
	for k, v := range jobSecrets {
		environ.WriteString(k + "=" + v + "\x00")
	}
	for _, name := range []string{".keysweepignore", ".keysweep.yml"} {
		repo := gittest.New(t)
		repo.Write(name, environ.String())
		repo.Commit("dump")
		p := run(t, repo.Dir, nil, nil, "scan", ".")
		p.oneLine(t, name+":")
		if l := leaked(p.stdout + p.stderr); len(l) > 0 {
			t.Errorf("%s: the error shows %v: %s", name, l, p.stderr)
		}
	}
}

func TestUnboundedInputsEndWithinSeconds(t *testing.T) {
	fifoRepo := gittest.New(t)
	fifoRepo.Write("README.md", "# app\n")
	fifoRepo.Commit("initial")
	fifo := filepath.Join(t.TempDir(), "keys.fifo")
	for _, p := range []string{fifo, filepath.Join(fifoRepo.Dir, ".keysweepignore")} {
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	big := gittest.New(t)
	big.Write(".keysweep.yml", "fail-on: high\n# "+strings.Repeat("x", 2<<20)+"\n")
	big.Commit("big settings")
	long := gittest.New(t)
	long.Write(".keysweepignore", "# reviewed\n"+strings.Repeat("0", 70<<10)+" # r\n")
	long.Commit("long line")
	multi := gittest.New(t)
	multi.Write(".keysweep.yml", "fail-on: high\n---\nfail-on: none\n")
	multi.Commit("two documents")

	// A pipe nobody writes to, for /dev/stdin (an *os.File, which the
	// child gets as it is).
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdinR.Close()
	defer stdinW.Close()
	for _, tc := range []struct {
		name string
		dir  string
		args []string
		want string
	}{
		{".keysweep.yml -> /dev/zero", linkRepo(t, ".keysweep.yml", "/dev/zero").Dir, []string{"scan", "."}, ".keysweep.yml: is a symbolic link"},
		{".keysweep.yml -> /dev/stdin", linkRepo(t, ".keysweep.yml", "/dev/stdin").Dir, []string{"scan", "."}, ".keysweep.yml: is a symbolic link"},
		{".keysweepignore is a FIFO", fifoRepo.Dir, []string{"scan", "."}, ".keysweepignore: is a named pipe (FIFO)"},
		{"--known-keys FIFO", big.Dir, []string{"scan", ".", "--config", "/dev/null", "--known-keys", fifo}, "is a named pipe"},
		{"--config /dev/zero", fifoRepo.Dir, []string{"scan", ".", "--config", "/dev/zero"}, "/dev/zero: is a device"},
		{"--known-keys /dev/stdin", multi.Dir, []string{"scan", ".", "--config", "/dev/null", "--known-keys", "/dev/stdin"}, "/dev/stdin: is a symbolic link"},
		{"--baseline /dev/zero", big.Dir, []string{"scan", ".", "--config", "/dev/null", "--baseline", "/dev/zero"}, "/dev/zero: is a device"},
		{"--config through a link out of the tree", linkRepo(t, "ci", "/etc").Dir, []string{"scan", ".", "--config", "ci/passwd"}, "ci/passwd: leads out of the repository through a symbolic link"},
		{"2 MiB .keysweep.yml", big.Dir, []string{"scan", "."}, ".keysweep.yml: larger than 1 MiB"},
		{"70 KB line", long.Dir, []string{"scan", "."}, ".keysweepignore:2: line longer than 64 KiB"},
		{"two YAML documents", multi.Dir, []string{"scan", "."}, ".keysweep.yml:2: a second YAML document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := run(t, tc.dir, nil, stdinR, tc.args...)
			p.oneLine(t, tc.want)
			t.Logf("%s: exit %d in %s", tc.name, p.code, p.took.Round(time.Millisecond))
			if p.took > 5*time.Second {
				t.Errorf("took %s", p.took)
			}
		})
	}
}

func TestSignalsEndTheProcessPromptly(t *testing.T) {
	repo := gittest.New(t)
	repo.Write("README.md", "# app\n")
	repo.Commit("initial")
	// An AWS endpoint that never answers holds keysweep in its first call.
	arrived := make(chan struct{}, 10)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGINT, 130, "SIGINT"}, {syscall.SIGTERM, 143, "SIGTERM"}} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := execKeysweep(repo.Dir, map[string]string{
				"AWS_ENDPOINT_URL": srv.URL, "AWS_ACCESS_KEY_ID": "AKIA" + "Q3SIGNALTESTKEY1", "AWS_SECRET_ACCESS_KEY": "signal-test-secret", "AWS_REGION": "us-east-1",
			}, "scan", ".", "--aws", "--no-progress")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-arrived:
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				t.Fatal("keysweep never called AWS")
			}
			start := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("%s: still running after 5 s", tc.name)
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			took := time.Since(start)
			t.Logf("%s: exit %d, %s after the signal", tc.name, cmd.ProcessState.ExitCode(), took.Round(time.Millisecond))
			if took > 3*time.Second {
				t.Errorf("ended %s after the signal", took)
			}
			want := "keysweep: interrupted by " + tc.name + ", nothing reported\n"
			if stderr.String() != want {
				t.Errorf("stderr %q, want the one line %q", stderr.String(), want)
			}
		})
	}
}

func TestInjectedFileNamesThroughTheAction(t *testing.T) {
	id, secret := gittest.FakeKey(1301)
	id2, secret2 := gittest.FakeKey(1302)
	const injected = "x\n::warning title=X::forged\n::stop-commands::TOKEN\n"
	const terminal = "evil\x1b]0;pwned\x07\x1b[2J\x1b[31m.env"
	repo := gittest.New(t)
	repo.Write(injected, "aws_access_key_id = "+id+"\naws_secret_access_key = "+secret+"\n")
	repo.Write(terminal, "aws_access_key_id = "+id2+"\naws_secret_access_key = "+secret2+"\n")
	repo.Commit("::error::subject\n\n\x1b[2Jbody")

	j := newJob(t, repo.Dir)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		delete(j.env, k)
	}
	a := run(t, repo.Dir, j.env, nil, "action")
	if a.code != 1 {
		t.Fatalf("exit %d, want 1 (a leaked key); stdout:\n%s\nstderr:\n%s", a.code, a.stdout, a.stderr)
	}
	// The commands keysweep itself writes; stop-commands only with its own
	// random token.
	own := []string{"::add-mask::", "::group::", "::endgroup::", "::error ", "::error::", "::warning ", "::warning::", "::notice ", "::notice::", "::debug::", "::stop-commands::keysweep-", "::keysweep-"}
	var token string
	for _, line := range strings.Split(a.stdout+a.stderr, "\n") {
		if !strings.HasPrefix(line, "::") {
			continue
		}
		ok := false
		for _, p := range own {
			ok = ok || strings.HasPrefix(line, p)
		}
		if !ok {
			t.Errorf("a line the runner would take as a command not keysweep's: %q", line)
		}
		if strings.HasPrefix(line, "::warning title=X") || strings.HasPrefix(line, "::stop-commands::TOKEN") {
			t.Errorf("injected command: %q", line)
		}
		if t, ok := strings.CutPrefix(line, "::stop-commands::"); ok {
			token = t
		}
	}
	if token == "" || !strings.Contains(a.stdout, "\n::"+token+"::\n") {
		t.Errorf("the report is not fenced by stop-commands with a token of keysweep's:\n%s", a.stdout)
	}
	for where, text := range map[string]string{"log": a.stdout + a.stderr, "summary": j.file(t, "summary"), "outputs": j.file(t, "output")} {
		if strings.ContainsRune(text, 0x1b) || strings.ContainsRune(text, 0x07) {
			t.Errorf("%s has a raw terminal escape", where)
		}
		if strings.Contains(strings.ReplaceAll(text, "::add-mask::"+secret, ""), secret) {
			t.Errorf("%s shows the committed secret", where)
		}
	}
	if !strings.Contains(a.stdout, `x\n::warning title=X::forged\n::stop-commands::TOKEN\n`) || !strings.Contains(a.stdout, `evil\x1b]0;pwned\x07\x1b[2J\x1b[31m.env`) {
		t.Errorf("the report does not show the names escaped:\n%s", a.stdout)
	}

	// The CLI's text report on a terminal-less stdout: escapes shown, not sent.
	p := run(t, repo.Dir, nil, nil, "scan", ".", "--color", "never")
	if p.code != 1 || strings.ContainsRune(p.stdout, 0x1b) || !strings.Contains(p.stdout, `evil\x1b]0;pwned`) {
		t.Errorf("scan: exit %d, stdout:\n%q", p.code, p.stdout)
	}
}

func TestCommandLineMistakes(t *testing.T) {
	repo := gittest.New(t)
	repo.Write("README.md", "# app\n")
	repo.Commit("initial")
	repo.Commit("second")
	shallow := t.TempDir()
	if out, err := execGit(shallow, "clone", "-q", "--depth", "1", "file://"+repo.Dir, "."); err != nil {
		t.Fatalf("shallow clone: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name    string
		dir     string
		args    []string
		want    string
		wantNot string
	}{
		{"unknown flag", repo.Dir, []string{"scan", "--bogus"}, "keysweep: unknown flag -bogus (see keysweep scan --help)", ""},
		{"unknown flag of ignore", repo.Dir, []string{"ignore", "--bogus"}, "keysweep: unknown flag -bogus", ""},
		{"--output and --sarif one file", repo.Dir, []string{"scan", ".", "--output", "r.sarif", "--sarif", "./r.sarif"}, "--output and --sarif both name r.sarif", ""},
		{"--since in a full clone", repo.Dir, []string{"scan", ".", "--since", "nosuchrev"}, "--since nosuchrev: no such commit", "unshallow"},
		{"--since in a shallow clone", shallow, []string{"scan", ".", "--since", "nosuchrev"}, "git fetch --unshallow", ""},
		{"terminal escape in a flag", repo.Dir, []string{"scan", "--\x1b[2Jx"}, `unknown flag -\x1b[2Jx`, "\x1b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := run(t, tc.dir, nil, nil, tc.args...)
			p.oneLine(t, tc.want)
			if tc.wantNot != "" && strings.Contains(p.stderr, tc.wantNot) {
				t.Errorf("stderr has %q: %s", tc.wantNot, p.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(repo.Dir, "r.sarif")); err == nil {
		t.Error("a refused run wrote its report")
	}
}

// The SDK logs "WARN falling back to IMDSv1" when the metadata service
// refuses a token; keysweep must not pass that to stderr. A metadata
// service on loopback refuses every token request.
func TestAWSSDKLogsDoNotReachStderr(t *testing.T) {
	repo := gittest.New(t)
	repo.Write("README.md", "# app\n")
	repo.Commit("initial")
	tokenAsked := make(chan struct{}, 100)
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			tokenAsked <- struct{}{}
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
	}))
	defer imds.Close()
	cmd := execKeysweep(repo.Dir, map[string]string{
		"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL,
		"AWS_CONFIG_FILE": filepath.Join(repo.Dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(repo.Dir, "none"),
		"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
	}, "scan", ".", "--aws", "--no-progress")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if len(tokenAsked) == 0 {
		t.Fatalf("the credential chain never asked the metadata service (err %v, stderr %s)", err, stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 2 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), "no AWS credentials") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "WARN") || strings.Contains(stderr.String(), "IMDSv1") {
		t.Errorf("an SDK log line reached stderr:\n%s", stderr.String())
	}
}

// TestGitDirectoryFIFOs: a repository directory someone else prepared may
// hold FIFOs where git keeps files. Opening one for reading would wait
// for a writer forever; the scan must end, say which file, and fail.
func TestGitDirectoryFIFOs(t *testing.T) {
	for _, tc := range []struct {
		name string
		fifo func(r *gittest.Repo) string
	}{
		{"packed-refs", func(r *gittest.Repo) string { return ".git/packed-refs" }},
		{"a pack", func(r *gittest.Repo) string {
			idx, _ := filepath.Glob(filepath.Join(r.Dir, ".git/objects/pack/*.idx"))
			copyFile(t, idx[0], filepath.Join(r.Dir, ".git/objects/pack/pack-0000000000000000000000000000000000000000.idx"))
			return ".git/objects/pack/pack-0000000000000000000000000000000000000000.pack"
		}},
		{"a pack index", func(r *gittest.Repo) string {
			copyFile(t, filepath.Join(r.Dir, "README.md"), filepath.Join(r.Dir, ".git/objects/pack/pack-0000000000000000000000000000000000000000.pack"))
			return ".git/objects/pack/pack-0000000000000000000000000000000000000000.idx"
		}},
		{"a loose object", func(r *gittest.Repo) string {
			if err := os.MkdirAll(filepath.Join(r.Dir, ".git/objects/ab"), 0o755); err != nil {
				t.Fatal(err)
			}
			return ".git/objects/ab/cdef0123456789abcdef0123456789abcdef01"
		}},
		{"a ref", func(r *gittest.Repo) string { return ".git/refs/tags/v1" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gittest.New(t)
			r.Write("README.md", "# app\n")
			r.Commit("initial")
			r.Repack()
			if err := syscall.Mkfifo(filepath.Join(r.Dir, tc.fifo(r)), 0o644); err != nil {
				t.Fatal(err)
			}
			p := run(t, r.Dir, nil, nil, "scan", ".")
			if p.code != 2 || p.took > 5*time.Second || !strings.Contains(p.stdout+p.stderr, "not a regular file (a FIFO)") {
				t.Errorf("exit %d in %s; want 2 within 5 s naming the FIFO:\n%s%s", p.code, p.took, p.stdout, p.stderr)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
