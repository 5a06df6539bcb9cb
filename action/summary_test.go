package action

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/sarif"
)

// TestSummaryAtOrganizationScale: 120 accounts with 250 failed checks
// each exceed code scanning's 25,000 results per upload and would make a
// job summary GitHub truncates; the summary stays bounded and says what
// was left out.
func TestSummaryAtOrganizationScale(t *testing.T) {
	rep := &finding.Report{InventorySource: "aws", Account: "123456789012"}
	for a := range 120 {
		id := fmt.Sprintf("%012d", 100000000000+a)
		for i := range 250 {
			sev := finding.SeverityMedium
			if i == 0 {
				sev = finding.SeverityCritical
			}
			rep.Checks = append(rep.Checks, finding.CheckResult{RuleID: "iam-user-mfa", Severity: sev, State: finding.CheckFail,
				Account: id, AccountName: fmt.Sprintf("acct-%03d", a), Resource: fmt.Sprintf("arn:aws:iam::%s:user/u%d", id, i), Message: "no MFA",
				Controls: []string{"CIS v7.0 2.10", "CIS v4.0 1.10", "FSBP IAM.5"}})
		}
	}
	sum := summaryMarkdown(rep, rep, inputs{FailOn: finding.SeverityHigh}, &scope{Describe: "the whole history"}, nil, nil, 1)
	total := len(rep.Checks)
	for _, want := range []string{
		fmt.Sprintf("**%d of %d account check results left out of code scanning**", total-sarif.MaxResultsPerRun, total),
		fmt.Sprintf("… and %d more failed checks", total-summaryChecks),
		"account checks in 120 accounts",
		"100000000099 (acct-099) arn:aws:iam::100000000099:user/u0", // the critical ones come first: the 100th of 120
		// the compliance table: one row per control, however many results
		"| CIS v7\\.0 2\\.10 | 1.10 | `iam-user-mfa` | 0 | 120 | 0 | critical: 100000000000 arn\\:aws\\:iam\\:\\:100000000000\\:user/u0 |",
		"| FSBP IAM\\.5 | — | `iam-user-mfa` | 0 | 120 | 0 |",
	} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if len(sum) > 1<<20 || strings.Count(sum, "| medium | `iam-user-mfa`") > summaryChecks {
		t.Errorf("summary of %d bytes, %d rows: want under 1 MiB and %d rows", len(sum), strings.Count(sum, "\n"), summaryChecks)
	}
}
