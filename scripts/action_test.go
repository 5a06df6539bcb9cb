// Package scripts holds the tests of the project's shell scripts: the
// composite action's entry (action.sh) against a local release host and a
// local git remote, and its build of a ref's own source.
package scripts

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildKeysweep builds cmd/keysweep stamped as version, with the flags
// action.sh's source build uses, so the two share the build cache with
// each other and with go test (other flags, -trimpath or CGO_ENABLED=0,
// recompile every dependency: minutes on a busy machine).
func buildKeysweep(t *testing.T, dir, version string) string {
	t.Helper()
	bin := filepath.Join(dir, "keysweep")
	cmd := exec.Command("go", "build", "-ldflags", "-s -w -X github.com/keysweep/keysweep/version.stamped="+version, "-o", bin, "github.com/keysweep/keysweep/cmd/keysweep")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// sandboxPath is a PATH of only the tools action.sh may use, so whether
// cosign is installed is the test's choice, not the machine's.
func sandboxPath(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"bash", "curl", "awk", "sha256sum", "tar", "gzip", "unzip", "mkdir", "rm", "dirname", "basename", "git", "tr", "sort", "tail", "cat", "go"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s is not installed: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return strings.Join(append(extra, dir), string(os.PathListSeparator))
}

// step runs `bash action.sh CMD` as the composite step would, and returns
// what it wrote to GITHUB_OUTPUT, its combined output and its error.
func step(t *testing.T, cmd string, env map[string]string) (map[string]string, string, error) {
	t.Helper()
	outFile := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(outFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := exec.Command("bash", "action.sh", cmd)
	c.Env = []string{"HOME=" + os.Getenv("HOME"), "GITHUB_OUTPUT=" + outFile, "RUNNER_OS=Linux", "RUNNER_ARCH=X64"}
	for _, k := range []string{"GOPATH", "GOMODCACHE", "GOCACHE", "GOTOOLCHAIN", "GOPROXY"} {
		if v, ok := os.LookupEnv(k); ok {
			c.Env = append(c.Env, k+"="+v)
		}
	}
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	out, err := c.CombinedOutput()
	b, rerr := os.ReadFile(outFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	outputs := map[string]string{}
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		outputs[k] = v
	}
	return outputs, string(out), err
}

func tarGz(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, b := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// publish writes a release the way release.sh lays it out: archives and
// SHA256SUMS under DIR/VERSION/. sums overrides a file's checksum line.
func publish(t *testing.T, root, version string, archives map[string][]byte, sums map[string]string) {
	t.Helper()
	dir := filepath.Join(root, version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var lines strings.Builder
	for name, b := range archives {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		if s, ok := sums[name]; ok {
			h = s
		}
		fmt.Fprintf(&lines, "%s  %s\n", h, name)
	}
	for _, f := range []struct{ name, body string }{{"SHA256SUMS", lines.String()}, {"SHA256SUMS.sigstore.json", `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestActionRelease: a release ref downloads that release's archive from
// the release host (here a loopback file server), checks it against
// SHA256SUMS (and the signature when cosign is there) and the binary's
// own version, and refuses anything that does not match.
func TestActionRelease(t *testing.T) {
	work := t.TempDir()
	good, err := os.ReadFile(buildKeysweep(t, t.TempDir(), "v9.9.9"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(buildKeysweep(t, t.TempDir(), "v9.9.8"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{"LICENSE": []byte("Apache"), "README.md": []byte("keysweep")}
	with := func(name string, bin []byte) map[string][]byte {
		m := map[string][]byte{name: bin}
		for k, v := range docs {
			m[k] = v
		}
		return m
	}
	root := filepath.Join(work, "download")
	publish(t, root, "v9.9.9", map[string][]byte{
		"keysweep_v9.9.9_linux_amd64.tar.gz": tarGz(t, with("keysweep", good)),
		// A Linux binary under a Windows name: the test runs it here, and
		// what is under test is the zip's handling.
		"keysweep_v9.9.9_windows_amd64.zip": zipOf(t, with("keysweep.exe", good)),
	}, nil)
	// A release whose archive is not what SHA256SUMS says.
	publish(t, root, "v9.9.7", map[string][]byte{"keysweep_v9.9.7_linux_amd64.tar.gz": tarGz(t, with("keysweep", good))},
		map[string]string{"keysweep_v9.9.7_linux_amd64.tar.gz": strings.Repeat("ab", 32)})
	// A release whose checksum matches but whose binary is another version.
	publish(t, root, "v9.9.6", map[string][]byte{"keysweep_v9.9.6_linux_amd64.tar.gz": tarGz(t, with("keysweep", other))}, nil)
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests = append(requests, r.URL.Path)
		http.StripPrefix("/keysweep/keysweep/releases/download", http.FileServer(http.Dir(root))).ServeHTTP(w, r)
	}))
	defer srv.Close()

	// cosign stand-ins: the real one cannot reach Sigstore from here. They
	// record their arguments, so the test sees what the script asks cosign
	// to prove, and pass or fail as told.
	stub := func(code int) string {
		dir := t.TempDir()
		script := fmt.Sprintf("#!/bin/sh\necho \"$@\" > %q\nexit %d\n", filepath.Join(dir, "args"), code)
		if err := os.WriteFile(filepath.Join(dir, "cosign"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	cosignOK, cosignBad := stub(0), stub(1)

	tests := []struct {
		name      string
		version   string
		runnerOS  string
		path      string
		require   string
		wantErr   string // in the output; "" for success
		wantCheck string // a line the run prints
	}{
		{name: "linux archive, no cosign", version: "v9.9.9", runnerOS: "Linux", path: sandboxPath(t), wantCheck: "cosign is not installed: checked the download against the release's SHA256SUMS only"},
		{name: "windows zip", version: "v9.9.9", runnerOS: "Windows", path: sandboxPath(t), wantCheck: "keysweep v9.9.9"},
		{name: "signature verified", version: "v9.9.9", runnerOS: "Linux", path: sandboxPath(t, cosignOK), wantCheck: "keysweep v9.9.9"},
		{name: "signature refused", version: "v9.9.9", runnerOS: "Linux", path: sandboxPath(t, cosignBad), wantErr: "the signature of SHA256SUMS of v9.9.9 does not verify"},
		{name: "signature required, no cosign", version: "v9.9.9", runnerOS: "Linux", path: sandboxPath(t), require: "true", wantErr: "cosign is not installed"},
		{name: "bad checksum", version: "v9.9.7", runnerOS: "Linux", path: sandboxPath(t), wantErr: "checksum mismatch for keysweep_v9.9.7_linux_amd64.tar.gz"},
		{name: "binary of another version", version: "v9.9.6", runnerOS: "Linux", path: sandboxPath(t), wantErr: `the binary says "keysweep v9.9.8", expected keysweep v9.9.6`},
		{name: "no such release", version: "v9.9.5", runnerOS: "Linux", path: sandboxPath(t), wantErr: "could not download"},
		{name: "not a version", version: "main", runnerOS: "Linux", path: sandboxPath(t), wantErr: "not a release version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			temp := t.TempDir()
			out, log, err := step(t, "install", map[string]string{
				"PATH": tt.path, "RUNNER_OS": tt.runnerOS, "RUNNER_TEMP": temp,
				"KEYSWEEP_MODE": "release", "KEYSWEEP_VERSION": tt.version,
				"KEYSWEEP_ACTION_REPOSITORY": "keysweep/keysweep",
				"KEYSWEEP_RELEASE_BASE_URL":  srv.URL + "/keysweep/keysweep/releases/download",
				"KEYSWEEP_REQUIRE_SIGNATURE": tt.require,
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(log, tt.wantErr) || !strings.Contains(log, "::error") {
					t.Fatalf("want a refusal with %q, got err %v:\n%s", tt.wantErr, err, log)
				}
				if out["bin"] != "" {
					t.Errorf("a refused download still set bin=%s", out["bin"])
				}
				return
			}
			if err != nil {
				t.Fatalf("install: %v\n%s", err, log)
			}
			if !strings.Contains(log, tt.wantCheck) {
				t.Errorf("output lacks %q:\n%s", tt.wantCheck, log)
			}
			bin := out["bin"]
			if !strings.HasPrefix(bin, temp) {
				t.Fatalf("bin=%q, want a file under RUNNER_TEMP %s", bin, temp)
			}
			got, err := exec.Command(bin, "version").Output()
			if err != nil || strings.TrimSpace(string(got)) != "keysweep v9.9.9" {
				t.Errorf("%s version = %q, %v", bin, got, err)
			}
			if tt.path != "" && strings.Contains(tt.path, cosignOK) {
				args, err := os.ReadFile(filepath.Join(cosignOK, "args"))
				if err != nil {
					t.Fatal(err)
				}
				for _, want := range []string{"verify-blob", "--certificate-identity https://github.com/keysweep/keysweep/.github/workflows/release.yml@refs/tags/v9.9.9", "--certificate-oidc-issuer https://token.actions.githubusercontent.com", "SHA256SUMS.sigstore.json"} {
					if !strings.Contains(string(args), want) {
						t.Errorf("cosign was run with %q, lacking %q", args, want)
					}
				}
			}
		})
	}
	if len(requests) == 0 {
		t.Error("the release host saw no request")
	}
}

// TestActionPlan: which refs are releases. A vX.Y.Z tag is; a major tag or
// a commit SHA is when a release tag points at the same commit (read with
// git ls-remote from the action's repository, here a local one); anything
// else is built from source, and says which ref it is.
func TestActionPlan(t *testing.T) {
	remote := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		c := exec.Command("git", append([]string{"-C", remote, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("commit", "-q", "--allow-empty", "-m", "one")
	git("tag", "-a", "v9.9.9", "-m", "keysweep v9.9.9")
	git("tag", "v9.9.10-rc.1")
	git("tag", "v9")
	released := git("rev-parse", "HEAD")
	git("commit", "-q", "--allow-empty", "-m", "two")
	git("tag", "v9.9.10x") // not a version: never taken for one
	unreleased := git("rev-parse", "HEAD")

	tests := []struct {
		ref, path, runnerArch string
		wantMode, wantVersion string
	}{
		{ref: "v1.2.3", wantMode: "release", wantVersion: "v1.2.3"},
		{ref: "v9", wantMode: "release", wantVersion: "v9.9.9"},
		{ref: released, wantMode: "release", wantVersion: "v9.9.9"},
		{ref: unreleased, wantMode: "source", wantVersion: "dev+" + unreleased[:12]},
		{ref: "main", wantMode: "source", wantVersion: "dev+main"},
		{ref: "feature/x y", wantMode: "source", wantVersion: "dev+feature-x-y"},
		{ref: "v1.2.3", runnerArch: "ARM", wantMode: "source", wantVersion: "dev+v1.2.3"},
		// uses: ./ (no ref), and a ref the context lost but the path keeps.
		{ref: "", wantMode: "source", wantVersion: "dev+local"},
		{ref: "", path: "/runner/_work/_actions/keysweep/keysweep/v1.4.2", wantMode: "release", wantVersion: "v1.4.2"},
	}
	for _, tt := range tests {
		t.Run(tt.ref+tt.path, func(t *testing.T) {
			arch := tt.runnerArch
			if arch == "" {
				arch = "X64"
			}
			out, log, err := step(t, "plan", map[string]string{
				"PATH": sandboxPath(t), "RUNNER_ARCH": arch,
				"KEYSWEEP_ACTION_REF": tt.ref, "KEYSWEEP_ACTION_PATH": tt.path,
				"KEYSWEEP_ACTION_REPOSITORY": "keysweep/keysweep", "KEYSWEEP_REPOSITORY_URL": remote,
			})
			if err != nil {
				t.Fatalf("plan: %v\n%s", err, log)
			}
			if out["mode"] != tt.wantMode || out["version"] != tt.wantVersion {
				t.Errorf("plan = %s %s, want %s %s\n%s", out["mode"], out["version"], tt.wantMode, tt.wantVersion, log)
			}
		})
	}
}

// TestActionSource: a ref with no release builds the action's own source
// (the files the runner fetched for that ref) and runs it.
func TestActionSource(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	temp := t.TempDir()
	env := map[string]string{
		"PATH": sandboxPath(t), "RUNNER_TEMP": temp,
		"KEYSWEEP_ACTION_PATH": root, "KEYSWEEP_ACTION_REF": "main", "KEYSWEEP_ACTION_REPOSITORY": "keysweep/keysweep",
		// An unreachable remote: a branch never asks it anyway.
		"KEYSWEEP_REPOSITORY_URL": filepath.Join(temp, "nothing"),
	}
	plan, log, err := step(t, "plan", env)
	if err != nil || plan["mode"] != "source" {
		t.Fatalf("plan: %v %v\n%s", plan, err, log)
	}
	env["KEYSWEEP_MODE"], env["KEYSWEEP_VERSION"] = plan["mode"], plan["version"]
	out, log, err := step(t, "install", env)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, log)
	}
	got, err := exec.Command(out["bin"], "version").Output()
	if err != nil || strings.TrimSpace(string(got)) != "keysweep dev+main" {
		t.Errorf("%s version = %q, %v", out["bin"], got, err)
	}
	// And it does the action's work: an unknown input value is the one
	// line and exit 2 the action promises, not a crash.
	c := exec.Command(out["bin"], "scan", "--fail-on", "nonsense", root)
	b, err := c.CombinedOutput()
	if code := c.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(b), "fail-on") {
		t.Errorf("keysweep scan --fail-on nonsense: exit %d (%v)\n%s", code, err, b)
	}
}
