package action

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/gittest"
)

// A repository with 2,000 leaked keys: the summary stays under GitHub's
// 1 MiB (over it, GitHub shows nothing), the annotations within what
// GitHub shows per step, the most severe first, with a count of the rest.
func TestTwoThousandKeysStayWithinGitHubsLimits(t *testing.T) {
	const withSecret, idOnly = 1500, 500
	repo := gittest.New(t)
	var sample []planted
	// Twenty keys a file, each with its own profile: 2,000 findings from
	// 100 files (writing 2,000 files costs seconds on a busy machine).
	files := map[string]*strings.Builder{}
	for i := range withSecret + idOnly {
		id, secret := gittest.FakeKey(20000 + i)
		name := fmt.Sprintf("ids/%03d.txt", i/20)
		entry := fmt.Sprintf("key %s\n\n", id)
		if i < withSecret {
			name = fmt.Sprintf("creds/%03d.ini", i/20)
			entry = fmt.Sprintf("[profile p%d]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", i, id, secret)
			if i%50 == 0 {
				sample = append(sample, planted{id, secret})
			}
		}
		if files[name] == nil {
			files[name] = &strings.Builder{}
		}
		files[name].WriteString(entry)
	}
	for name, b := range files {
		repo.Write(name, b.String())
	}
	repo.Commit("many keys")
	r := newRunner(t, repo, "schedule", map[string]any{"schedule": "0 5 * * 1"})
	r.env["INPUT_UPLOAD-SARIF"] = "false"
	r.secrets = sample
	start := time.Now()
	r.run()
	took := time.Since(start)
	r.wantCode(1)

	summary := r.file("summary")
	t.Logf("2,000 keys: summary %d bytes, log %d bytes, run %s", len(summary), len(r.out), took.Round(time.Millisecond))
	if len(summary) >= 1<<20 {
		t.Errorf("summary is %d bytes, GitHub drops a step summary over 1 MiB", len(summary))
	}
	for _, want := range []string{
		"## keysweep: 2000 leaked AWS keys",
		"| high | 1500 |", "| low | 500 |",
		"The 100 most severe of 2000 findings",
		"… and 1900 more:",
		"keysweep.sarif",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	// The table lists the most severe first: 100 rows, all high.
	if rows := regexp.MustCompile("(?m)^\\| high \\| `AKIA").FindAllString(summary, -1); len(rows) != 100 {
		t.Errorf("%d high rows in the table, want 100:\n%s", len(rows), summary[:2000])
	}
	if strings.Contains(summary, "| low | `AKIA") {
		t.Error("a low finding is listed before all high ones are")
	}

	count := func(pattern string) int { return len(regexp.MustCompile(pattern).FindAllString(r.out, -1)) }
	if n := count(`(?m)^::error `); n > annotationsPerLevel-1 {
		t.Errorf("%d error annotations, GitHub shows %d (one kept for the step's own)", n, annotationsPerLevel)
	}
	if n := count(`(?m)^::notice `); n > annotationsPerLevel-1 {
		t.Errorf("%d notice annotations", n)
	}
	r.wantLog(`(?m)^::error title=1492 more leaked AWS key findings::1492 more findings at this level are not annotated`)
	r.wantLog(`(?m)^::notice title=492 more leaked AWS key findings::`)
	if n := count(`(?m)^::error col=\d+,file=creds/\d+\.ini,line=\d+,title=AWS access key AKIA\w+ committed \[high\]`); n != 8 {
		t.Errorf("%d key annotations at error level, want 8:\n%s", n, strings.Join(regexp.MustCompile(`(?m)^::error .*$`).FindAllString(r.out, 3), "\n"))
	}
}
