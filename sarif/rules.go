package sarif

import (
	"cmp"
	"slices"
	"strings"

	gosarif "github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
)

// ruleSet finds the definition of every rule a result names: the report's
// own list first, then the judge's, then a minimal one so that a rule
// nobody described still uploads.
type ruleSet map[string]finding.Rule

func newRuleSet(r *finding.Report) ruleSet {
	rs := ruleSet{}
	for _, list := range [][]finding.Rule{judge.Rules(), judge.AlertRules(), r.Rules} {
		for _, rule := range list {
			rs[rule.ID] = rule
		}
	}
	return rs
}

func (rs ruleSet) get(id string, sev finding.Severity) finding.Rule {
	if rule, ok := rs[id]; ok {
		return rule
	}
	return finding.Rule{ID: id, Title: id, Severity: sev}
}

// problemSeverity is GitHub's name for the level of a non-security alert.
var problemSeverity = map[string]string{"error": "error", "warning": "warning", "note": "recommendation", "none": "recommendation"}

func descriptor(rule finding.Rule) *gosarif.ReportingDescriptor {
	title := cmp.Or(rule.Title, rule.ID)
	full := cmp.Or(rule.Description, title)
	help := cmp.Or(rule.Help, full)
	level := rule.Severity.SARIFLevel()
	tags := slices.Clone(rule.Tags)
	if !slices.Contains(tags, "security") {
		tags = append([]string{"security"}, tags...)
	}
	d := gosarif.NewRule(rule.ID).
		WithShortDescription(gosarif.NewMultiformatMessageString(title)).
		WithFullDescription(gosarif.NewMultiformatMessageString(full)).
		WithHelp(gosarif.NewMultiformatMessageString(plainText(help)).WithMarkdown(help)).
		WithDefaultConfiguration(gosarif.NewReportingConfiguration().WithLevel(level))
	d.Properties = gosarif.Properties{
		"tags":             tags,
		"precision":        "very-high",
		"problem.severity": problemSeverity[level],
	}
	// GitHub reads a security-severity of 0.0 as a security alert of no
	// severity at all; a rule below low is a plain recommendation instead.
	if rule.Severity >= finding.SeverityLow {
		d.Properties["security-severity"] = rule.Severity.SecurityScore()
	}
	return d
}

// plainText is markdown without the marks that read badly as text.
func plainText(md string) string {
	return strings.NewReplacer("**", "", "`", "").Replace(md)
}
