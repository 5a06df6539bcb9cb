package report

import (
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
)

func TestCompliance(t *testing.T) {
	mfa := []string{"CIS v7.0 2.5", "CIS v4.0 1.5", "FSBP IAM.9"}
	sg := []string{"CIS v7.0 6.3", "CIS v4.0 5.3", "FSBP EC2.18"}
	reuse := []string{"CIS v7.0 2.9", "CIS v4.0 1.9", "FSBP IAM.16"}
	r := &finding.Report{Checks: []finding.CheckResult{
		{RuleID: "iam-root-mfa", Account: "111111111111", State: finding.CheckPass, Severity: finding.SeverityCritical, Controls: mfa},
		{RuleID: "iam-root-mfa", Account: "222222222222", State: finding.CheckFail, Severity: finding.SeverityCritical, Resource: "arn:aws:iam::222222222222:root", Controls: mfa},
		{RuleID: "ec2-security-group-open", Account: "111111111111", Region: "eu-west-1", State: finding.CheckPass, Severity: finding.SeverityHigh, Resource: "sg-1", Controls: sg},
		{RuleID: "ec2-security-group-open", Account: "111111111111", Region: "eu-west-1", State: finding.CheckFail, Severity: finding.SeverityHigh, Resource: "sg-[evil](x)", Controls: sg},
		{RuleID: "ec2-security-group-open", Account: "222222222222", Region: "eu-west-1", State: finding.CheckFail, Severity: finding.SeverityHigh, Resource: "sg-3",
			Suppressed: &finding.Suppression{Kind: "config"}, Controls: sg},
		{RuleID: "iam-password-reuse", Account: "111111111111", State: finding.CheckCouldNotRun, Severity: finding.SeverityMedium, Controls: reuse},
		{RuleID: "iam-password-reuse", Account: "222222222222", State: finding.CheckPass, Severity: finding.SeverityMedium, Controls: reuse},
		{RuleID: "ec2-outdated-ami", Account: "111111111111", State: finding.CheckFail, Severity: finding.SeverityMedium},
	}}
	rows := Compliance(r)
	var got []string
	for _, row := range rows {
		got = append(got, row.Control)
	}
	if want := "CIS v7.0 2.5,CIS v7.0 2.9,CIS v7.0 6.3,FSBP EC2.18,FSBP IAM.9,FSBP IAM.16"; strings.Join(got, ",") != want {
		t.Fatalf("controls %v, want %s", got, want)
	}
	byControl := map[string]ControlRow{}
	for _, row := range rows {
		byControl[row.Control] = row
	}
	for ctl, want := range map[string][3]int{
		"CIS v7.0 2.5": {1, 1, 0}, // one account passes, one fails
		"CIS v7.0 6.3": {1, 1, 0}, // a suppressed failure is accepted
		"CIS v7.0 2.9": {1, 0, 1}, // could not run is neither
	} {
		row := byControl[ctl]
		if got := [3]int{row.Passing, row.Failing, row.Unknown}; got != want {
			t.Errorf("%s: passing/failing/unknown %v, want %v", ctl, got, want)
		}
	}
	if w := byControl["CIS v7.0 2.5"].Worst; w == nil || w.Account != "222222222222" {
		t.Errorf("worst of 2.5: %+v", w)
	}
	if also := byControl["CIS v7.0 6.3"].Also; len(also) != 1 || also[0] != "5.3" {
		t.Errorf("v4.0 sections beside 6.3: %v", also)
	}

	var b strings.Builder
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"### Compliance (CIS AWS Foundations v7.0, AWS FSBP)",
		"| CIS v7\\.0 2\\.5 | 1.5 | `iam-root-mfa` | 1 | 1 | 0 | critical: 222222222222 arn\\:aws\\:iam\\:\\:222222222222\\:root |",
		"| 1 | 1 | 0 | high: 111111111111 sg\\-\\[evil\\]\\(x\\) \\(eu\\-west\\-1\\) |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "[evil](x)") {
		t.Error("a resource name made a link")
	}
	var j strings.Builder
	if err := JSON(&j, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(j.String(), `"controls": [
        "CIS v7.0 2.5",
        "CIS v4.0 1.5",
        "FSBP IAM.9"
      ]`) {
		t.Errorf("the JSON report does not carry each result's controls:\n%s", j.String())
	}
	if ComplianceMarkdown(&finding.Report{}) != "" {
		t.Error("a report without controls has a compliance table")
	}
}
