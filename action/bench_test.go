package action

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/gittest"
)

// bigHistory imports n commits on main with git fast-import, each changing
// one of 1,000 files, with a leak (added, then removed) early on.
func bigHistory(tb testing.TB, n int) *gittest.Repo {
	tb.Helper()
	repo := gittest.New(tb)
	var s strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&s, "commit refs/heads/main\nmark :%d\ncommitter Dev <dev@example.com> %d +0000\n", i, 1700000000+i*60)
		msg := fmt.Sprintf("change %d", i)
		fmt.Fprintf(&s, "data %d\n%s\n", len(msg), msg)
		if i > 1 {
			fmt.Fprintf(&s, "from :%d\n", i-1)
		}
		content := fmt.Sprintf("package p%d\n\n// revision %d\nvar v = %q\n", i%100, i, strings.Repeat("x", i%200))
		fmt.Fprintf(&s, "M 100644 inline dir%02d/file%d.go\ndata %d\n%s\n", i%100, i%1000, len(content), content)
		switch i {
		case 100:
			fmt.Fprintf(&s, "M 100644 inline old/creds\ndata %d\n%s\n", len(oldKey.file()), oldKey.file())
		case 101:
			s.WriteString("D old/creds\n")
		}
	}
	repo.GitInput(s.String(), "fast-import", "--quiet")
	repo.Git("reset", "-q", "--hard", "main")
	repo.Git("repack", "-adq")
	return repo
}

// BenchmarkActionOn10kCommits times whole action runs (scan, annotations,
// SARIF, summary, upload to the fake API) on a 10,000-commit repository:
// a pull request of three commits, and the scheduled full-history scan.
func BenchmarkActionOn10kCommits(b *testing.B) {
	start := time.Now()
	repo := bigHistory(b, 10000)
	payload, _, _, merge := openPullRequest(b, repo, func() {
		repo.Write("app/service.go", "package app\n")
		repo.Commit("service")
		repo.Write("config/.env", newKey.file())
		repo.Commit("configure")
		repo.Write("app/service.go", "package app\n\nfunc Run() {}\n")
		repo.Commit("run")
	})
	b.Logf("built the repository in %v", time.Since(start))

	for _, c := range []struct {
		name, event string
		want        int
	}{
		{"pull_request", "pull_request", 1},
		{"schedule-full-history", "schedule", 1},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				r := newRunner(b, repo, c.event, payload)
				r.env["GITHUB_SHA"] = merge
				r.run()
				r.wantCode(c.want)
			}
		})
	}
}
