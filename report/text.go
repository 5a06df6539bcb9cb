package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
)

// Text writes r for people: what was scanned, each committed key once with
// every place it was found, skipped objects, account checks and a summary.
// color turns on ANSI styles; the caller decides (a terminal, not a pipe).
func Text(w io.Writer, r *finding.Report, color bool) error {
	// Streamed through the scrubber a line at a time: the report is
	// never held whole (docs/architecture.md, "Cost model").
	sw := r.Scrubber().Writer(w)
	p := &printer{w: bufio.NewWriter(sw), color: color}
	p.header(r)
	p.skipped(r.Skipped)
	if r.Remedy != "" {
		p.printf("  %s %s\n", p.paint(bold, "fix:"), r.Remedy)
	}
	p.unreached(r.Unreached)
	p.keys(r.Keys)
	p.checks(r.Checks)
	p.summary(r)
	if err := p.w.Flush(); err != nil {
		return err
	}
	return sw.Close()
}

// printer writes to a bufio.Writer, whose sticky error Text checks once.
type printer struct {
	w     *bufio.Writer
	color bool
}

func (p *printer) printf(format string, args ...any) { fprintf(p.w, format, args...) }

func (p *printer) header(r *finding.Report) {
	tool := cmp.Or(r.Tool, "keysweep")
	// The repository scanned, by its top directory: a path inside it
	// scans all of its history, so the report says which repository that
	// was and to which directory the findings are kept.
	p.printf("%s %s  %s\n", p.paint(bold, tool), r.Version, cmp.Or(r.Root, r.Repo))
	if r.Scope != "" {
		p.printf("scope:     only %s/ (the path given); %s elsewhere in the repository not reported\n",
			r.Scope, plural(r.OutOfScope, "key finding"))
	}
	switch {
	case r.Staged && r.Head != "":
		p.printf("range:     staged changes: the index against HEAD (%s)\n", short(r.Head))
	case r.Staged:
		p.printf("range:     staged changes: the index (no commit yet)\n")
	case r.Since != "" && r.Head != "":
		p.printf("range:     commits reachable from HEAD (%s) and not from %s\n", short(r.Head), r.Since)
	case r.Since != "":
		p.printf("range:     commits reachable from HEAD and not from %s\n", r.Since)
	default:
		p.printf("range:     full history, every ref\n")
	}
	s := r.Stats
	p.repositories(r.Repositories)
	p.printf("scanned:   %s, %s, %s from %s in %s\n",
		plural(s.Commits, "commit"), plural(s.Blobs, "blob"), humanBytes(s.Bytes), plural(s.Refs, "ref"), s.Duration.Round(time.Millisecond))
	switch r.InventorySource {
	case "aws":
		p.printf("inventory: live IAM access keys of account %s\n", cmp.Or(r.Account, "(unknown)"))
	case "known-keys":
		p.printf("inventory: --known-keys file (offline: no last-used data)\n")
	default:
		p.printf("inventory: %s\n", p.paint(yellow, "none: key IDs not verified (use --aws or --known-keys)"))
	}
	if v := r.Verify; v != nil {
		p.verify(v)
	}
	for _, g := range r.Gaps {
		p.printf("%s %s\n", p.paint(yellow, "warning:"), g)
	}
	p.settings(r)
}

// repositories counts the repositories of a run over many; those not
// scanned are listed with the reason under SKIPPED.
func (p *printer) repositories(repos []finding.RepoScan) {
	if len(repos) == 0 {
		return
	}
	failed := 0
	for _, r := range repos {
		if r.Error != "" {
			failed++
		}
	}
	p.printf("repos:     %s", countOf(len(repos), "repository", "repositories"))
	if failed > 0 {
		p.printf(", %s", p.paint(red, fmt.Sprintf("%d not scanned completely", failed)))
	}
	p.printf("\n")
}

// verify says what --verify did and how many canaries were left alone.
func (p *printer) verify(v *finding.VerifyStats) {
	switch {
	case v.Requested:
		p.printf("verified:  %s with sts:GetCallerIdentity (%s): %d live, %d invalid",
			plural(v.Keys, "key"), plural(v.Calls, "call"), v.Live, v.Invalid)
		if v.Failed > 0 {
			p.printf(", %d without an answer", v.Failed)
		}
		if v.Canaries > 0 {
			p.printf("; %s never used", plural(v.Canaries, "canary token"))
		}
		p.printf("\n")
	case v.Canaries > 0:
		p.printf("canaries:  %s recognised, never used\n", plural(v.Canaries, "canary token"))
	}
}

// settings says which files shaped the report, and what they left out.
func (p *printer) settings(r *finding.Report) {
	if r.Config != "" {
		p.printf("config:    %s", r.Config)
		if r.PathsExcluded > 0 {
			p.printf(" (%s in excluded paths not reported)", plural(r.PathsExcluded, "key finding"))
		}
		p.printf("\n")
	}
	if r.IgnoreFile != "" {
		p.printf("ignores:   %s\n", r.IgnoreFile)
	}
	if line := unmatchedLine(r); line != "" {
		p.printf("stale:     %s\n", line)
	}
	if r.Baseline != "" {
		p.printf("baseline:  %s: %s already in it %s hidden, only new findings are reported\n",
			r.Baseline, plural(r.BaselineHidden, "finding"), map[bool]string{true: "is", false: "are"}[r.BaselineHidden == 1])
	}
}

// skipped is loud on purpose: a partial scan must not pass for a clean one.
func (p *printer) skipped(objs []string) {
	if len(objs) == 0 {
		return
	}
	p.printf("\n%s\n", p.paint(bold+red, fmt.Sprintf("SKIPPED %s: this scan is PARTIAL", plural(len(objs), "object"))))
	for _, o := range objs {
		p.printf("  %s\n", o)
	}
}

// unreached lists key IDs found only in objects no ref reaches.
func (p *printer) unreached(objs []string) {
	if len(objs) == 0 {
		return
	}
	p.printf("\n%s\n", p.paint(bold+yellow, fmt.Sprintf("NOT REPORTED: %s no ref reaches holds key IDs", plural(len(objs), "object"))))
	for _, o := range objs {
		p.printf("  %s\n", o)
	}
}

// group is one key ID with every path it was found at.
// It points into the report's keys: a copy of each finding would double
// the report's memory while it renders.
type group struct {
	key      string
	findings []*finding.KeyFinding
	top      *finding.KeyFinding // the most severe, unsuppressed if any
}

func groupByKey(keys []finding.KeyFinding) []*group {
	var groups []*group
	byKey := map[string]*group{}
	for i := range keys {
		k := &keys[i]
		g := byKey[k.KeyID]
		if g == nil {
			g = &group{key: k.KeyID, top: k}
			byKey[k.KeyID] = g
			groups = append(groups, g)
		}
		g.findings = append(g.findings, k)
		if rank(*k) > rank(*g.top) {
			g.top = k
		}
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		return cmp.Or(cmp.Compare(rank(*b.top), rank(*a.top)), strings.Compare(a.key, b.key))
	})
	return groups
}

// rank orders findings by urgency (finding.KeyFinding.Urgency):
// suppressed ones below every open one, live and used keys first.
func rank(k finding.KeyFinding) int { return k.Urgency() }

func (p *printer) keys(keys []finding.KeyFinding) {
	if len(keys) == 0 {
		p.printf("\nNo AWS access keys found in the scanned history.\n")
		return
	}
	groups := groupByKey(keys)
	p.printf("\n%s found at %s\n", plural(len(groups), "AWS access key"), plural(len(keys), "place"))
	for _, g := range groups {
		p.key(g)
	}
}

func (p *printer) key(g *group) {
	t := g.top
	p.printf("\n%s %s  %s", p.severityLabel(t.Severity), p.paint(bold, g.key), t.Status)
	if t.User != "" {
		p.printf("  user %s", t.User)
	}
	if t.Account != "" {
		p.printf("  account %s", t.Account)
		if t.AccountName != "" {
			p.printf(" (%s)", t.AccountName)
		}
	}
	if t.ARN != "" {
		p.printf("  arn %s", t.ARN)
	}
	if t.Suppressed != nil {
		// The top finding is suppressed only when all of them are.
		p.printf("  %s", p.paint(dim, "SUPPRESSED"))
	}
	p.printf("\n  %s\n", t.Message)
	if t.Triage != "" {
		p.printf("  %s %s\n", p.paint(bold, "triage:"), t.Triage)
	}
	if t.Access != nil {
		p.printf("  access:   %s\n", accessLine(t.Access))
	}
	if t.Activity != nil {
		p.printf("  activity: %s\n", activityLine(t.Activity))
	}
	if t.Suppressed == nil {
		p.printf("  %s %s\n", p.paint(bold, "next:"), judge.NextStep(t))
	}
	if fp := t.KeyFingerprint; fp != "" {
		p.printf("  fingerprint %s (every path of this key)\n", fp)
	}

	// A key's other paths are its other findings; only those the report
	// left out (exclude-paths) are counted in a place's notes. Counted
	// per repository, once per key: linear in the places.
	shown := map[string]int{}
	for _, f := range g.findings {
		shown[f.Repository]++
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	for _, f := range g.findings {
		repo := ""
		if f.Repository != "" {
			// One key in several repositories is still one key: each
			// place names its repository.
			repo = f.Repository + ": "
		}
		fprintf(tw, "  %s%s:%d:%d\t%s\t%s\t%s\t%s\t%s\t%s\n",
			repo, f.Path, f.Line, f.Column, cmp.Or(short(f.Commit), "-"), cmp.Or(f.Author, "-"), date(f.Date),
			plural(f.Commits, "commit"), place(&f.Leak), notes(f, t, f.OtherPaths-(shown[f.Repository]-1)))
	}
	tw.Flush()
}

func date(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateOnly)
}

func place(l *finding.Leak) string {
	switch {
	case l.Unreachable:
		return "unreachable"
	case l.Commit == finding.StagedCommit:
		return "in the index"
	case l.InHead:
		return "in HEAD"
	}
	return "not in HEAD"
}

// notes says what sets one path apart from its key's headline; others
// counts the key's paths in f's repository the report does not list.
func notes(f, top *finding.KeyFinding, others int) string {
	var n []string
	if f.Secret.IsZero() {
		n = append(n, "id only")
	} else {
		n = append(n, "with secret")
	}
	if f.Decoded != "" {
		n = append(n, "decoded: "+f.Decoded)
	}
	if f.Severity != top.Severity || f.RuleID != top.RuleID {
		n = append(n, f.Severity.String()+" ("+f.RuleID+")")
	}
	if others > 0 {
		n = append(n, "+"+plural(others, "other path"))
	}
	if s := f.Suppressed; s != nil {
		n = append(n, "suppressed ("+s.Kind+": "+s.Justification+")")
	}
	if f.SuppressionNote != "" {
		n = append(n, f.SuppressionNote)
	}
	return strings.Join(n, ", ")
}
