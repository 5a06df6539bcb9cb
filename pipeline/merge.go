package pipeline

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/scan/checks"
)

// MaxReportSize bounds a JSON report read back (merge): an org-wide
// report of ten thousand repositories is a few megabytes.
const MaxReportSize = 256 << 20

// ReadReport reads a report written by --format json. The rules, which
// JSON does not carry, are those of this version, so a merged report
// renders as SARIF too.
func ReadReport(name string) (*finding.Report, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxReportSize+1))
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", name, err)
	}
	if len(b) > MaxReportSize {
		return nil, fmt.Errorf("%s: larger than %d MiB, not a keysweep report", name, MaxReportSize>>20)
	}
	return ParseReport(name, b)
}

// ParseReport parses the JSON report b; name is for messages.
func ParseReport(name string, b []byte) (*finding.Report, error) {
	const want = "expected a report written by keysweep --format json"
	var r finding.Report
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("%s:%d: invalid JSON, %s", name, 1+bytes.Count(b[:min(int(syn.Offset), len(b))], []byte("\n")), want)
		}
		return nil, fmt.Errorf("%s: invalid JSON (%s), %s", name, firstLine(err.Error()), want)
	}
	if r.Tool != "keysweep" || r.Keys == nil {
		return nil, fmt.Errorf("%s: not a keysweep report (no \"tool\": \"keysweep\" and \"keys\"), %s", name, want)
	}
	r.Rules = judge.Rules()
	if len(r.Checks) > 0 {
		r.Rules = append(r.Rules, checks.Rules()...)
	}
	return &r, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Merge combines the reports of runs over disjoint sets of repositories
// (the shards of keysweep org) into one report, as if one run had scanned
// them all:
//
//   - every place of a key keeps its own finding, naming its repository;
//     the same key ID in several repositories is one key with all its
//     places, because renderers group findings by key ID;
//   - a finding is identified by (repository, fingerprint), so a finding
//     in two inputs (a repository scanned twice) is kept once and merging
//     a report with itself changes nothing;
//   - account-check results are identified by their fingerprint: every
//     shard that ran the checks reports the same results, kept once;
//   - counts add up (scan and --verify statistics), gaps and skipped objects are joined, and what the
//     inputs disagree on (the account, the inventory source) is said in
//     a gap rather than guessed.
func Merge(reps []*finding.Report) (*finding.Report, error) {
	if len(reps) == 0 {
		return nil, errors.New("merge: no reports")
	}
	out := &finding.Report{Tool: "keysweep", Version: reps[0].Version, Started: reps[0].Started, Since: reps[0].Since}
	seenKey := map[[2]string]bool{}
	seenCheck := map[string]bool{}
	repoAt := map[string]int{}
	var names, accounts, sources, configs []string
	for _, r := range reps {
		if !r.Started.IsZero() && (out.Started.IsZero() || r.Started.Before(out.Started)) {
			out.Started = r.Started
		}
		names = appendNew(names, r.Repo)
		accounts = appendNew(accounts, r.Account)
		sources = appendNew(sources, r.InventorySource)
		configs = appendNew(configs, r.Config)
		out.Stats.Refs += r.Stats.Refs
		out.Stats.Commits += r.Stats.Commits
		out.Stats.Blobs += r.Stats.Blobs
		out.Stats.Bytes += r.Stats.Bytes
		out.Stats.Duration += r.Stats.Duration
		out.Skipped = append(out.Skipped, r.Skipped...)
		for _, g := range r.Gaps {
			out.Gaps = appendNew(out.Gaps, g)
		}
		if v := r.Verify; v != nil {
			if out.Verify == nil {
				out.Verify = &finding.VerifyStats{}
			}
			o := out.Verify
			o.Requested = o.Requested || v.Requested
			o.Keys += v.Keys
			o.Live += v.Live
			o.Invalid += v.Invalid
			o.Canaries += v.Canaries
			o.Failed += v.Failed
			o.Calls += v.Calls
			o.Skipped += v.Skipped
		}
		out.BaselineHidden += r.BaselineHidden
		out.PathsExcluded += r.PathsExcluded
		if out.Baseline == "" {
			out.Baseline = r.Baseline
		}
		for _, rs := range r.Repositories {
			i, ok := repoAt[rs.Name]
			switch {
			case !ok:
				repoAt[rs.Name] = len(out.Repositories)
				out.Repositories = append(out.Repositories, rs)
			case out.Repositories[i].Error != "" && rs.Error == "":
				// A later, complete scan of the same repository wins.
				out.Repositories[i] = rs
			}
		}
		for _, k := range r.Keys {
			id := [2]string{k.Repository, cmp.Or(k.Fingerprint, k.KeyID+"\x00"+k.Path)}
			if !seenKey[id] {
				seenKey[id] = true
				out.Keys = append(out.Keys, k)
			}
		}
		for _, c := range r.Checks {
			if !seenCheck[c.Fingerprint] {
				seenCheck[c.Fingerprint] = true
				out.Checks = append(out.Checks, c)
			}
		}
	}
	out.Repo = strings.Join(names, ", ")
	if len(configs) == 1 {
		out.Config = configs[0]
	}
	switch {
	case len(accounts) == 1 && len(sources) == 1:
		out.Account, out.InventorySource = accounts[0], sources[0]
	default:
		out.Gaps = append(out.Gaps, fmt.Sprintf("the merged reports were judged against different inventories (%s; accounts %s): statuses are each report's own",
			strings.Join(nonEmpty(sources, "none"), ", "), strings.Join(nonEmpty(accounts, "none"), ", ")))
	}
	slices.SortStableFunc(out.Keys, func(a, b finding.KeyFinding) int {
		return cmp.Or(cmp.Compare(b.Urgency(), a.Urgency()),
			strings.Compare(a.KeyID, b.KeyID), strings.Compare(a.Repository, b.Repository), strings.Compare(a.Path, b.Path))
	})
	slices.SortStableFunc(out.Repositories, func(a, b finding.RepoScan) int { return strings.Compare(a.Name, b.Name) })
	if out.Keys == nil {
		out.Keys = []finding.KeyFinding{}
	}
	out.Rules = judge.Rules()
	if len(out.Checks) > 0 {
		out.Rules = append(out.Rules, checks.Rules()...)
	}
	return out, nil
}

// appendNew appends s unless it is already in list; "" counts too, so a
// report without an account differs from one with.
func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func nonEmpty(list []string, empty string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = cmp.Or(s, empty)
	}
	return out
}
