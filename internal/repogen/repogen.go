// Package repogen generates large, deterministic git repositories with
// credentials planted at known places, for measuring the history scan's
// speed and recall.
//
// The history is written through a single `git fast-import` process, so
// fifty thousand commits take seconds rather than the minutes a git process
// per commit would. Every commit edits a few lines of a few files, which
// gives git deltas like those of real projects; feature branches are merged,
// some are left unmerged, releases are tagged, files are added, renamed and
// deleted. Author and committer dates are fixed, so one seed always yields
// the same hashes.
//
// The Manifest names every planted key, the path and commit that introduced
// it and whether HEAD still holds it, plus the look-alikes that must not be
// reported. CheckRecall compares a keysweep JSON report against it.
package repogen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Options shape the generated history. Zero values pick the defaults.
type Options struct {
	// Commits is the number of commits, merges included (default 50000).
	// Planted scenarios still pending at the end add a few more.
	Commits int
	// Files is the number of files in the first commit (default Commits/30,
	// between 100 and 1500). Later commits add, rename and delete files.
	Files int
	// Branches is the number of feature branches (default Commits/150, at
	// least 2).
	Branches int
	// Merges is how many of them are merged back into main (default
	// Branches-1); the others keep their refs unmerged.
	Merges int
	// Tags is the number of release tags on main, alternately annotated and
	// lightweight (default Commits/2000, at least 2).
	Tags int
	// Seed selects the history and the planted keys.
	Seed int64
	// PlantKeys is the number of planted-credential scenarios (default one
	// of each kind; more cycle through the kinds again).
	PlantKeys int
	// LargeFileLines is the length of the one large file, which a key is
	// appended to (default Commits/3, between 500 and 15000 lines).
	LargeFileLines int
	// Bare makes a bare repository; otherwise HEAD is checked out.
	Bare bool
	// Repack runs `git repack -adf --depth=50 --window=50` afterwards, so
	// the deltas are the ones git itself would choose.
	Repack bool
}

func (o *Options) defaults() {
	if o.Commits <= 0 {
		o.Commits = 50000
	}
	if o.Files <= 0 {
		o.Files = min(max(o.Commits/30, 100), 1500)
	}
	if o.Branches <= 0 {
		o.Branches = max(o.Commits/150, 2)
	}
	if o.Merges <= 0 || o.Merges > o.Branches {
		o.Merges = o.Branches - 1
	}
	if o.Tags <= 0 {
		o.Tags = max(o.Commits/2000, 2)
	}
	if o.PlantKeys <= 0 {
		o.PlantKeys = len(scenarios)
	}
	if o.LargeFileLines <= 0 {
		o.LargeFileLines = min(max(o.Commits/3, 500), 15000)
	}
}

// Manifest is what was generated: where every planted key was introduced
// and the look-alikes that must not be reported.
type Manifest struct {
	Seed    int64  `json:"seed"`
	Commits int    `json:"commits"`
	Head    string `json:"head"`
	// Refs maps every ref to the commit or tag object it points at.
	Refs map[string]string `json:"refs"`
	// Keys has one entry per distinct (key ID, path), as keysweep reports
	// them.
	Keys      []PlantedKey `json:"keys"`
	Negatives []Negative   `json:"negatives"`
	// Timings of the generation steps.
	ImportSeconds float64 `json:"importSeconds"`
	RepackSeconds float64 `json:"repackSeconds,omitempty"`
}

// PlantedKey is one access key ID at one path.
type PlantedKey struct {
	Kind  string `json:"kind"`
	KeyID string `json:"keyId"`
	// Secret is the fake secret planted next to the ID; PairedSecret says
	// whether a scanner is expected to pair it.
	Secret       string `json:"secret,omitempty"`
	PairedSecret bool   `json:"pairedSecret"`
	Path         string `json:"path"`
	// Commit is the oldest commit (by committer date, as keysweep orders
	// them) whose tree holds KeyID at Path; Mark is its fast-import mark.
	Commit string `json:"commit"`
	Mark   int    `json:"mark"`
	// Ref is where that commit is reachable from.
	Ref    string `json:"ref"`
	InHead bool   `json:"inHead"`
}

// Negative is text that looks like a credential but is not one.
type Negative struct {
	Kind string `json:"kind"`
	// KeyID is the 20-character look-alike a careless scanner would
	// report, or "" when there is none (hex digests).
	KeyID string `json:"keyId,omitempty"`
	Text  string `json:"text"`
	Path  string `json:"path"`
}

// WriteFile writes m as indented JSON.
func (m *Manifest) WriteFile(name string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(b, '\n'), 0o644)
}

// ReadManifest reads a manifest written by WriteFile.
func ReadManifest(name string) (*Manifest, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	m := new(Manifest)
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return m, nil
}

// Generate creates a repository in dir, which must not exist or be empty,
// and returns its manifest.
func Generate(ctx context.Context, dir string, opts Options) (*Manifest, error) {
	opts.defaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if ents, err := os.ReadDir(dir); err != nil {
		return nil, err
	} else if len(ents) > 0 {
		return nil, fmt.Errorf("repogen: %s is not empty", dir)
	}
	init := []string{"init", "-q", "-b", "main"}
	if opts.Bare {
		init = append(init, "--bare")
	}
	if err := git(ctx, dir, nil, init...); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "repogen-marks-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	marks := filepath.Join(tmp, "marks")

	start := time.Now()
	cmd := exec.CommandContext(ctx, "git", "fast-import", "--quiet", "--done",
		"--active-branches=50", "--export-marks="+marks)
	cmd.Dir = dir
	// fast-import frees and reallocates large buffers for every object;
	// glibc's default of giving them back to the kernel each time costs a
	// sixth of its time in page faults.
	cmd.Env = append(os.Environ(), "MALLOC_MMAP_THRESHOLD_=1073741824", "MALLOC_TRIM_THRESHOLD_=1073741824", "MALLOC_TOP_PAD_=67108864")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := newGen(opts, bufio.NewWriterSize(stdin, 1<<20))
	genErr := g.run(ctx)
	if genErr == nil {
		genErr = g.w.Flush()
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git fast-import: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if genErr != nil {
		return nil, genErr
	}

	if len(g.doomed) > 0 {
		var b strings.Builder
		for _, ref := range g.doomed {
			b.WriteString("delete " + ref + "\n")
		}
		if err := git(ctx, dir, strings.NewReader(b.String()), "update-ref", "--stdin"); err != nil {
			return nil, err
		}
	}
	m := &Manifest{Seed: opts.Seed, Commits: g.n, Keys: g.keys, Negatives: g.negatives}
	if err := g.resolve(marks, m); err != nil {
		return nil, err
	}
	if m.Refs, err = refs(ctx, dir); err != nil {
		return nil, err
	}
	m.Head = m.Refs["refs/heads/main"]
	m.ImportSeconds = time.Since(start).Seconds()

	if opts.Repack {
		start := time.Now()
		if err := git(ctx, dir, nil, "repack", "-adfq", "--depth=50", "--window=50"); err != nil {
			return nil, err
		}
		m.RepackSeconds = time.Since(start).Seconds()
	}
	if !opts.Bare {
		if err := git(ctx, dir, nil, "reset", "-q", "--hard"); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// resolve turns the marks of m.Keys into commit hashes.
func (g *gen) resolve(marks string, m *Manifest) error {
	b, err := os.ReadFile(marks)
	if err != nil {
		return err
	}
	hash := map[int]string{}
	for l := range strings.Lines(string(b)) {
		mark, h, ok := strings.Cut(strings.TrimSpace(l), " ")
		n, err := strconv.Atoi(strings.TrimPrefix(mark, ":"))
		if !ok || err != nil {
			return fmt.Errorf("repogen: bad marks line %q", l)
		}
		hash[n] = h
	}
	for i := range m.Keys {
		k := &m.Keys[i]
		if k.Commit = hash[k.Mark]; k.Commit == "" {
			return fmt.Errorf("repogen: no hash for mark :%d", k.Mark)
		}
		f := g.main.files.m[k.Path]
		k.InHead = f != nil && f.contains(k.KeyID)
	}
	return nil
}

func refs(ctx context.Context, dir string) (map[string]string, error) {
	out, err := gitOutput(ctx, dir, "for-each-ref", "--format=%(refname) %(objectname)")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for l := range strings.Lines(out) {
		if ref, h, ok := strings.Cut(strings.TrimSpace(l), " "); ok {
			m[ref] = h
		}
	}
	return m, nil
}

func git(ctx context.Context, dir string, stdin *strings.Reader, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(ee.Stderr))
		}
		return "", err
	}
	return string(out), nil
}

// newRand is the generator's only source of randomness.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x6b657973776565))
}
