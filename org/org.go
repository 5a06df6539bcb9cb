package org

import (
	"context"
	"fmt"
	"github.com/keysweep/keysweep/internal/escape"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/pipeline"
)

// Options are what keysweep org takes besides the scan's own settings.
type Options struct {
	Org    string
	APIURL string // GITHUB_API_URL; DefaultAPIURL if empty
	Token  string // GITHUB_TOKEN; "" lists and clones without one
	Filter Filter
	// CloneDir keeps the bare clones, fetched into on the next run;
	// "" clones into a temporary directory removed as each repository
	// is done.
	CloneDir     string
	Concurrency  int           // repositories cloned and scanned at once; default 4
	CloneTimeout time.Duration // per repository; DefaultCloneTimeout if zero
	// Log gets one line per repository that could not be scanned and
	// one closing line.
	Log io.Writer
}

// DefaultConcurrency keeps a 2-core runner busy while clones wait on
// the network.
const DefaultConcurrency = 4

func (o Options) withDefaults() Options {
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.CloneTimeout <= 0 {
		o.CloneTimeout = DefaultCloneTimeout
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// Selected lists the organization and returns the repositories opts
// selects (keysweep org --list).
func Selected(ctx context.Context, opts Options) ([]Repo, error) {
	opts = opts.withDefaults()
	if err := opts.Filter.CheckGlobs(); err != nil {
		return nil, err
	}
	repos, err := List(ctx, opts.APIURL, opts.Token, opts.Org)
	if err != nil {
		return nil, err
	}
	listed := len(repos)
	if listed == 0 {
		// Fail closed: an empty list is more often a token that sees
		// nothing than an organization without repositories.
		return nil, fmt.Errorf("GitHub API %s: no repositories of %s are visible to the token: give it read access to them (an organization without repositories has nothing to scan)", opts.APIURL, opts.Org)
	}
	repos = opts.Filter.Select(repos)
	if len(repos) == 0 && opts.Filter.Shard.Count <= 1 {
		return nil, fmt.Errorf("none of the %d repositories of %s is selected (archived and forks are left out unless asked for; check --include and --exclude)", listed, opts.Org)
	}
	// By name, whatever order the API used: reports and --list are stable.
	slices.SortFunc(repos, func(a, b Repo) int { return strings.Compare(a.Name, b.Name) })
	return repos, nil
}

// Run scans every selected repository of the organization and returns
// one report. cfg is the scan's configuration after pipeline.Prepare;
// its Path is ignored. The AWS session is opened before anything is
// listed, so bad credentials fail in a second, and the inventory is
// collected once for the leaks of all the repositories. A repository
// that cannot be cloned or read is named in the report (Repositories,
// Skipped) and the others go on; the caller's exit code makes that a
// failure unless --allow-partial.
func Run(ctx context.Context, opts Options, cfg pipeline.Config) (*finding.Report, error) {
	opts = opts.withDefaults()
	start := time.Now()
	if cfg.Now.IsZero() {
		cfg.Now = start
	}
	sess, err := pipeline.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	repos, err := Selected(ctx, opts)
	if err != nil {
		return nil, err
	}
	cl := &cloner{dir: opts.CloneDir, token: opts.Token, host: webHost(opts.APIURL), timeout: opts.CloneTimeout}
	if cl.dir == "" {
		if cl.dir, err = os.MkdirTemp("", "keysweep-org-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(cl.dir)
	}

	results := make([]repoResult, len(repos))
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	for i, r := range repos {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = scanOne(ctx, cl, cfg, r, opts.CloneDir == "")
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	rep := pipeline.NewReport(cfg)
	rep.Repo = orgName(opts.APIURL, opts.Org)
	var leaks []finding.Leak
	failed := 0
	for _, res := range results {
		rs := res.scan
		rep.Repositories = append(rep.Repositories, rs)
		rep.Stats.Refs += rs.Stats.Refs
		rep.Stats.Commits += rs.Stats.Commits
		rep.Stats.Blobs += rs.Stats.Blobs
		rep.Stats.Bytes += rs.Stats.Bytes
		rep.Skipped = append(rep.Skipped, res.skipped...)
		leaks = append(leaks, res.leaks...)
		if rs.Error != "" {
			failed++
			fmt.Fprintf(opts.Log, "keysweep: %s: %s\n", logSafe(rs.Name), logSafe(rs.Error))
		}
	}
	rep.Stats.Duration = time.Since(start)
	if err := sess.Conclude(ctx, cfg, pipeline.Scanned{Report: rep, Leaks: leaks, Verify: true}); err != nil {
		return nil, err
	}
	for _, res := range results {
		if res.settings != nil {
			pipeline.SuppressRepository(rep, res.scan.Name, res.settings, cfg.Now)
		}
	}
	fmt.Fprintf(opts.Log, "keysweep: %d of %d repositories scanned completely (%s) in %s\n",
		len(repos)-failed, len(repos), shardNote(opts.Filter.Shard), rep.Stats.Duration.Round(time.Millisecond))
	return rep, nil
}

type repoResult struct {
	scan    finding.RepoScan
	leaks   []finding.Leak
	skipped []string
	// settings are the repository's own .keysweep.yml and .keysweepignore
	// at its HEAD (its reviewed default branch); nil for an empty one.
	settings *pipeline.Settings
}

// scanOne clones or fetches one repository and runs the history stage
// on it. Its failures are its own: they end up in its RepoScan.
func scanOne(ctx context.Context, cl *cloner, cfg pipeline.Config, r Repo, temporary bool) repoResult {
	out := repoResult{scan: finding.RepoScan{Name: r.Name}}
	fail := func(format string, args ...any) repoResult {
		out.scan.Error = fmt.Sprintf(format, args...)
		out.skipped = append(out.skipped, "repository "+r.Name+": "+out.scan.Error)
		return out
	}
	if ctx.Err() != nil {
		return fail("not scanned: interrupted")
	}
	dir, err := cl.path(r.Name)
	if err != nil {
		return fail("not cloned: %v", err)
	}
	t := time.Now()
	err = cl.fetch(ctx, r.CloneURL, dir)
	out.scan.Fetch = time.Since(t)
	if temporary {
		defer os.RemoveAll(dir)
	}
	if err != nil {
		return fail("could not clone: %v", err)
	}
	cfg.Path = dir
	res, err := pipeline.History(ctx, cfg)
	if err != nil {
		return fail("could not read: %v", oneLine(err))
	}
	out.scan.Head, out.scan.Stats = res.Head, res.Stats
	for i := range res.Leaks {
		res.Leaks[i].Repository = r.Name
	}
	out.leaks = res.Leaks
	if res.Head != "" {
		// The repository's reviewed suppressions count as in a scan of it
		// alone; a settings file it cannot read fails the repository
		// (closed: its keys stay reported), never the run.
		rs, err := repoSettings(cfg)
		if err != nil {
			out.scan.Error = "settings: " + oneLine(err)
			out.skipped = append(out.skipped, "repository "+r.Name+": "+out.scan.Error)
		} else {
			out.settings = rs
			out.leaks, _ = rs.Exclude(out.leaks)
			for _, l := range out.leaks {
				if l.InlineAllow {
					// Decided now, while the clone is still on disk.
					rs.InlineAllowed(l.Path, l.KeyID)
				}
			}
		}
	}
	if len(res.Skipped) > 0 {
		out.scan.Error = fmt.Sprintf("%d object(s) could not be read: the scan of this repository is partial", len(res.Skipped))
		for _, s := range res.Skipped {
			out.skipped = append(out.skipped, r.Name+": "+s)
		}
	}
	return out
}

// repoSettings reads a cloned repository's own settings from its HEAD
// commit through git objects (a bare clone has no work tree); the run's
// --config, --baseline and --known-keys apply to every repository and are
// not read again.
func repoSettings(cfg pipeline.Config) (*pipeline.Settings, error) {
	cfg.ConfigFile, cfg.Baseline, cfg.KnownKeys, cfg.KnownKeysComplete = "", "", "", false
	return pipeline.LoadSettings(cfg, pipeline.Source{Rev: "HEAD"})
}

// orgName is how the report names the organization: host/org.
func orgName(apiURL, org string) string {
	if h := webHost(apiURL); h != "" {
		return h + "/" + org
	}
	return org
}

func shardNote(s Shard) string {
	if s.Count <= 1 {
		return "all shards"
	}
	return "shard " + s.String()
}

func oneLine(err error) string {
	s, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
	return s
}

// logSafe keeps a name or a git message from a server to one printable
// line in the job log: no control characters (terminal escapes, a
// newline starting a workflow command), bounded length.
func logSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	return escape.Cut(s, 400)
}
