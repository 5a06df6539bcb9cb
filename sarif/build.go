package sarif

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	gosarif "github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/keysweep/keysweep/finding"
)

// SchemaURI is the OASIS schema the output validates against.
const SchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

const srcRoot = "%SRCROOT%"

// Build converts r into a SARIF log: a run for git history, always, so a
// clean scan closes old alerts; and a run for the account checks when any
// ran.
func Build(r *finding.Report, opts Options) (*gosarif.Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	log, err := gosarif.New(gosarif.Version210, false)
	if err != nil {
		return nil, err
	}
	log.Schema = SchemaURI
	b := &builder{report: r, opts: opts, rules: newRuleSet(r), scrub: r.Scrubber()}
	log.AddRun(b.historyRun())
	if len(r.Checks) > 0 {
		log.AddRun(b.accountRun())
	}
	return log, nil
}

type builder struct {
	report *finding.Report
	opts   Options
	rules  ruleSet
	scrub  *finding.Scrubber
}

// run is one SARIF run being filled, with its rules indexed as added.
type run struct {
	*gosarif.Run
	b         *builder
	ruleIndex map[string]int
	// fingerprints and notes already in the run: GitHub folds results
	// with one fingerprint into one alert, and a repeated notification
	// (one per failed batch of the same call) says nothing new.
	fingerprints, notes map[string]bool
}

// claim reports whether fp is new to the run, and records it. A second
// result with the same fingerprint would only hide the first, so it is
// left out.
func (r *run) claim(fp string) bool {
	if r.fingerprints[fp] {
		return false
	}
	r.fingerprints[fp] = true
	return true
}

// toolVersion is the driver's version: SARIF wants one that starts with a
// number (the Multitool warns, SARIF2005), so "v1.2.3" is "1.2.3" and a
// build without a release version ("dev", "dev+<commit>") is "0.0.0-dev…",
// which also sorts before every release.
func toolVersion(v string) string {
	v = strings.TrimPrefix(cmp.Or(v, "dev"), "v")
	if v[0] < '0' || v[0] > '9' {
		v = "0.0.0-" + v
	}
	return v
}

var semver = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func (b *builder) newRun(category string) *run {
	r := b.report
	v := toolVersion(r.Version)
	driver := gosarif.NewDriver("keysweep").
		WithInformationURI(b.opts.InformationURI).
		WithVersion(v)
	if semver.MatchString(v) {
		driver.SemanticVersion = &v
	}
	sr := gosarif.NewRun(*gosarif.NewTool(driver))
	sr.AutomationDetails = gosarif.NewRunAutomationDetails().WithID(AutomationID(category, b.opts.Category))
	inv := gosarif.NewInvocation().WithExecutionSuccess(true)
	if !r.Started.IsZero() {
		inv.WithStartTimeUTC(r.Started)
	}
	sr.AddInvocations(inv)
	return &run{Run: sr, b: b, ruleIndex: map[string]int{}, fingerprints: map[string]bool{}, notes: map[string]bool{}}
}

// notify adds a tool execution notification, which GitHub shows on the
// tool status page; ruleID, if set, names the rule it is about. The same
// notification twice is added once.
func (r *run) notify(level, text, ruleID string) {
	text = r.b.scrub.Replace(text)
	key := level + "\x00" + ruleID + "\x00" + text
	if r.notes[key] {
		return
	}
	r.notes[key] = true
	n := gosarif.NewNotification().WithLevel(level).WithTextMessage(text)
	if ruleID != "" {
		n.WithAssociatedRule(gosarif.NewReportingDescriptorReference().WithId(ruleID))
	}
	r.Invocations[0].AddTToolExecutionNotification(n)
}

// result starts a result for ruleID, adding the rule on first use.
func (r *run) result(ruleID string, sev finding.Severity, level, message string) *gosarif.Result {
	idx, ok := r.ruleIndex[ruleID]
	if !ok {
		idx = len(r.Tool.Driver.Rules)
		r.ruleIndex[ruleID] = idx
		r.Tool.Driver.Rules = append(r.Tool.Driver.Rules, descriptor(r.b.rules.get(ruleID, sev)))
	}
	res := gosarif.NewRuleResult(ruleID).
		WithRuleIndex(idx).
		WithLevel(level).
		WithMessage(gosarif.NewTextMessage(r.b.scrub.Replace(message)))
	r.Results = append(r.Results, res)
	return res
}

// capped returns the first max items, most severe first, and notes in the
// run how many it left out: GitHub rejects a run over its limit.
func capped[T any](r *run, items []T, max int, severity func(T) finding.Severity) []T {
	if len(items) <= max {
		return items
	}
	// Sort positions, not the items: a copy of every finding would
	// double the report's memory for a log that keeps only max of them.
	order := make([]int32, len(items))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(severity(items[b]), severity(items[a])) })
	kept := make([]T, max)
	for i, at := range order[:max] {
		kept[i] = items[at]
	}
	r.notify("warning", fmt.Sprintf("%d of %d results left out: GitHub accepts at most %d results per run; the JSON report (--format json) lists all of them",
		len(items)-max, len(items), max), "")
	return kept
}

func location(uri string, line, column, length int) *gosarif.Location {
	region := gosarif.NewRegion().WithStartLine(max(line, 1))
	if column >= 1 {
		region.WithStartColumn(column)
		if length > 0 {
			region.WithEndColumn(column + length)
		}
	}
	return gosarif.NewLocationWithPhysicalLocation(gosarif.NewPhysicalLocation().
		WithArtifactLocation(gosarif.NewSimpleArtifactLocation(uri).WithUriBaseId(srcRoot)).
		WithRegion(region))
}

// fingerprint sets primaryLocationLineHash; go-sarif's SetPartialFingerPrint
// panics on the nil map a new result has.
func fingerprint(res *gosarif.Result, fp string) {
	res.PartialFingerprints = map[string]any{"primaryLocationLineHash": fp}
}
