package org_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/githubtest"
	"github.com/keysweep/keysweep/internal/gittest"
)

// BenchmarkOrgSmallRepositories measures keysweep org's per-repository
// overhead (listing, clone, open, refs, scan, report) on an organization
// of small generated repositories (default 1,000; KEYSWEEP_ORG_BENCH_REPOS
// sets another number), served as file:// clone URLs by the fake API with
// GitHub's page size of 100. It runs the built binary twice: a cold run
// that clones everything, and a warm run that fetches into the kept
// clone directory. Not part of the test suite; run it with
//
//	go test -run '^$' -bench OrgSmallRepositories -benchtime 1x ./org
func BenchmarkOrgSmallRepositories(b *testing.B) {
	n := 1000
	if v := os.Getenv("KEYSWEEP_ORG_BENCH_REPOS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("KEYSWEEP_ORG_BENCH_REPOS=%q", v)
		}
	}
	bin := filepath.Join(b.TempDir(), "keysweep")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/keysweep/keysweep/cmd/keysweep").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	api := githubtest.NewOrg(b, "bench", token, 100)
	start := time.Now()
	root := b.TempDir()
	for i := range n {
		dir := filepath.Join(root, fmt.Sprintf("svc-%04d.git", i))
		smallRepo(b, dir, i)
		api.Add(githubtest.OrgRepo{Name: fmt.Sprintf("svc-%04d", i), CloneURL: githubtest.FileURL(dir)})
	}
	b.Logf("generated %d repositories in %s", n, time.Since(start).Round(time.Millisecond))

	clones := b.TempDir()
	for _, pass := range []string{"cold (clone)", "warm (fetch)"} {
		b.ResetTimer()
		for range b.N {
			out := filepath.Join(b.TempDir(), "report.json")
			cmd := exec.Command(bin, "org", "bench", "--clone-dir", clones, "--format", "json", "--output", out, "--fail-on", "none")
			cmd.Env = append(os.Environ(), "GITHUB_API_URL="+api.URL, "GITHUB_TOKEN="+token)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			t0 := time.Now()
			err := cmd.Run()
			wall := time.Since(t0)
			if err != nil {
				b.Fatalf("%v\n%s", err, stderr.String())
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
			fetch, scan, keys := reportTimes(b, out, n)
			load, _ := os.ReadFile("/proc/loadavg")
			b.Logf("%s: %d repositories in %s: %.1f ms per repository (median fetch %s, median scan %s), %d keys, peak RSS %.0f MB; %d CPUs, load %s",
				pass, n, wall.Round(time.Millisecond), float64(wall.Microseconds())/1000/float64(n), fetch, scan, keys,
				float64(rss)/1024, runtime.NumCPU(), strings.Join(strings.Fields(string(load))[:3], " "))
			b.ReportMetric(float64(wall.Microseconds())/1000/float64(n), "ms/repo")
			b.ReportMetric(float64(rss)/1024, "peak-MB")
		}
	}
}

// smallRepo writes a bare repository of three commits with fast-import;
// one in 50 holds a key with its secret.
func smallRepo(b *testing.B, dir string, i int) {
	b.Helper()
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", dir).CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	var s strings.Builder
	for c := 1; c <= 3; c++ {
		fmt.Fprintf(&s, "commit refs/heads/main\nmark :%d\ncommitter Dev <dev@example.com> %d +0000\ndata 7\nchange\n", c, 1700000000+c*60)
		if c > 1 {
			fmt.Fprintf(&s, "from :%d\n", c-1)
		}
		content := fmt.Sprintf("# service %d\nrevision %d\n", i, c)
		if c == 2 && i%50 == 0 {
			id, secret := gittest.FakeKey(20000 + i)
			content += "aws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
		}
		fmt.Fprintf(&s, "M 100644 inline README.md\ndata %d\n%s\n", len(content), content)
		fmt.Fprintf(&s, "M 100644 inline src/main%d.go\ndata 13\npackage main\n\n", c)
	}
	cmd := exec.Command("git", "--git-dir", dir, "fast-import", "--quiet")
	cmd.Stdin = strings.NewReader(s.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("fast-import: %v\n%s", err, out)
	}
}

// reportTimes checks the report covers every repository and returns the
// median fetch and scan time and the number of keys.
func reportTimes(b *testing.B, path string, n int) (fetch, scan time.Duration, keys int) {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var rep struct {
		Repositories []struct {
			Name  string
			Error string
			Fetch time.Duration `json:"fetchNs"`
			Stats struct {
				Duration time.Duration `json:"durationNs"`
			}
		}
		Keys []json.RawMessage
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		b.Fatal(err)
	}
	if len(rep.Repositories) != n {
		b.Fatalf("report has %d repositories, want %d", len(rep.Repositories), n)
	}
	var fs, ss []time.Duration
	for _, r := range rep.Repositories {
		if r.Error != "" {
			b.Fatalf("%s: %s", r.Name, r.Error)
		}
		fs, ss = append(fs, r.Fetch), append(ss, r.Stats.Duration)
	}
	slices.Sort(fs)
	slices.Sort(ss)
	return fs[n/2].Round(time.Millisecond), ss[n/2].Round(100 * time.Microsecond), len(rep.Keys)
}
