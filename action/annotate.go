package action

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keysweep/keysweep/cli"
	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/sarif"
)

// annotate writes one annotation per leaked key, on the file and line of
// the commit that introduced it, at the level its severity calls for.
// GitHub shows at most 10 errors and 10 warnings per step on the run page;
// the rest are still in the log and the summary lists every key.
func (r *run) annotate(rep *finding.Report, repoPath string) {
	root := repoRoot(repoPath)
	scrub := rep.Scrubber()
	for _, k := range rep.Keys {
		if k.Suppressed != nil {
			continue
		}
		props := map[string]string{"title": fmt.Sprintf("AWS access key %s committed [%s] %s", k.KeyID, k.Severity, k.RuleID)}
		if !k.Unreachable && k.Path != "" {
			file := k.Path
			if root != "." && root != "" {
				file = path.Join(root, k.Path)
			}
			props["file"] = file
			if k.Line > 0 {
				props["line"] = strconv.Itoa(k.Line)
			}
			if k.Column > 0 {
				props["col"] = strconv.Itoa(k.Column)
			}
		}
		msg := scrub.Replace(k.Message)
		a := r.gha.WithFieldsMap(props)
		switch k.Severity.SARIFLevel() {
		case "error":
			a.Errorf("%s", msg)
		case "warning":
			a.Warningf("%s", msg)
		default:
			a.Noticef("%s", msg)
		}
	}
	if n := failedChecks(rep); len(n) > 0 {
		r.gha.Warningf("%d AWS account check(s) failed; see the job summary", len(n))
	}
}

func failedChecks(rep *finding.Report) []finding.CheckResult {
	var out []finding.CheckResult
	for _, c := range rep.Checks {
		if c.State == finding.CheckFail && c.Suppressed == nil {
			out = append(out, c)
		}
	}
	return out
}

// summary writes the job summary: counts, the leaked keys with their live
// status and owner, the failed account checks, what could not be checked,
// and what to do. Skipped outside Actions (no GITHUB_STEP_SUMMARY).
func (r *run) summary(rep *finding.Report, in inputs, sc *scope, uploads []uploadOutcome, code int) {
	if r.getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	r.gha.AddStepSummary(rep.Scrubber().Replace(summaryMarkdown(rep, in, sc, uploads, code)))
}

func summaryMarkdown(rep *finding.Report, in inputs, sc *scope, uploads []uploadOutcome, code int) string {
	var b strings.Builder
	keys := 0
	for _, k := range rep.Keys {
		if k.Suppressed == nil {
			keys++
		}
	}
	failed := failedChecks(rep)
	verdict := "passed"
	switch code {
	case cli.ExitFindings:
		verdict = fmt.Sprintf("failed: findings at or above fail-on (%s)", in.FailOn)
	case cli.ExitError:
		verdict = "failed: the job could not be completed (see the annotations)"
	}
	fmt.Fprintf(&b, "## keysweep: %d leaked AWS %s, %d failed account %s — %s\n\n",
		keys, plural(keys, "key", "keys"), len(failed), plural(len(failed), "check", "checks"), verdict)
	fmt.Fprintf(&b, "Scanned %s: %d %s, %d %s", sc.Describe, rep.Stats.Commits, plural(rep.Stats.Commits, "commit", "commits"), rep.Stats.Blobs, plural(rep.Stats.Blobs, "blob", "blobs"))
	if rep.Head != "" {
		fmt.Fprintf(&b, " (HEAD `%s`)", short(rep.Head))
	}
	b.WriteString(".")
	switch rep.InventorySource {
	case "aws":
		if org, checked := orgAccounts(rep); org {
			b.WriteString(" Keys matched in the accounts of the AWS Organization that own them")
			if checked > 0 {
				fmt.Fprintf(&b, "; account checks in %d %s", checked, plural(checked, "account", "accounts"))
			}
			b.WriteString(".")
			break
		}
		fmt.Fprintf(&b, " Keys matched against the live IAM keys of account `%s`.", cmp.Or(rep.Account, "unknown"))
	case "known-keys":
		b.WriteString(" Keys matched against the known-keys list.")
	default:
		b.WriteString(" Keys not matched against any account (no role-to-assume or known-keys): a key with its secret counts as high.")
	}
	b.WriteString("\n\n")

	b.WriteString("| Severity | Findings |\n|---|---:|\n")
	for s := finding.SeverityCritical; s >= finding.SeverityInfo; s-- {
		n := rep.Count(s) - rep.Count(s+1)
		fmt.Fprintf(&b, "| %s | %d |\n", s, n)
	}
	b.WriteString("\n")

	if keys > 0 {
		b.WriteString("### Leaked keys\n\n")
		b.WriteString("| Severity | Key ID | Status | Owner | Last used | Introduced at | First commit | In HEAD |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|\n")
		for _, k := range rep.Keys {
			if k.Suppressed != nil {
				continue
			}
			where := "unreachable object"
			if !k.Unreachable {
				where = fmt.Sprintf("`%s:%d`", k.Path, k.Line)
				if n := len(k.OtherPaths); n > 0 {
					where += fmt.Sprintf(" (+%d %s)", n, plural(n, "path", "paths"))
				}
			}
			commit := "—"
			if k.Commit != "" {
				commit = fmt.Sprintf("`%s` %s, %s", short(k.Commit), k.Author, k.Date.UTC().Format(time.DateOnly))
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %s | %s |\n",
				k.Severity, k.KeyID, k.Status, cell(owner(k)), cell(lastUsed(k)),
				cell(where), cell(commit), yesNo(k.InHead))
		}
		b.WriteString("\n")
	}

	if len(failed) > 0 {
		b.WriteString("### Failed account checks\n\n| Severity | Rule | Resource | Region | Finding |\n|---|---|---|---|---|\n")
		// GitHub truncates a job summary over 1 MiB; an organization's
		// failures are bounded here, and all are in code scanning.
		more := len(failed) - maxSummaryRows
		if more > 0 {
			failed = slices.Clone(failed)
			slices.SortStableFunc(failed, func(a, b finding.CheckResult) int { return cmp.Compare(b.Severity, a.Severity) })
			failed = failed[:maxSummaryRows]
		}
		for _, c := range failed {
			resource := cmp.Or(c.Resource, "account")
			if c.AccountName != "" {
				resource = c.Account + " (" + c.AccountName + ") " + resource
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", c.Severity, c.RuleID, cell(resource), cell(cmp.Or(c.Region, "global")), cell(c.Message))
		}
		if more > 0 {
			fmt.Fprintf(&b, "\n… and %d more failed checks: see code scanning or the JSON report.\n", more)
		}
		b.WriteString("\n")
	}

	var gaps []string
	for _, c := range rep.Checks {
		if c.State == finding.CheckCouldNotRun {
			gaps = append(gaps, fmt.Sprintf("`%s`: %s", c.RuleID, c.Message))
		}
	}
	gaps = append(gaps, rep.Gaps...)
	if len(rep.Skipped) > 0 {
		gaps = append(gaps, fmt.Sprintf("%d git object(s) could not be read: the scan is partial", len(rep.Skipped)))
	}
	if len(gaps) > 0 {
		b.WriteString("### Could not check\n\n")
		for i, g := range gaps {
			if i == maxSummaryRows {
				fmt.Fprintf(&b, "- … and %d more: see the JSON report\n", len(gaps)-i)
				break
			}
			fmt.Fprintf(&b, "- %s\n", oneLine(g))
		}
		b.WriteString("\n")
	}

	if keys > 0 {
		b.WriteString("### How to fix\n\n")
		b.WriteString("Removing the file, or the commit, does not help: the key is in the history, in every clone and fork, and may already have been copied.\n\n")
		b.WriteString("1. **Deactivate the key now** (`aws iam update-access-key --access-key-id KEY --status Inactive --user-name USER`), then check CloudTrail for its use since it was committed.\n")
		b.WriteString("2. **Rotate**: create a new key for the owner, move its users over, delete the old key (`aws iam delete-access-key`).\n")
		b.WriteString("3. Keep credentials out of the repository: GitHub OIDC (`role-to-assume`) or a secrets manager instead of keys in files.\n")
		b.WriteString("4. Once the key is deleted, the alert moves to `not-in-account`; dismiss it in the Security tab, or rewrite history (`git filter-repo`) if the repository must not keep it.\n\n")
		for _, k := range rep.Keys {
			if k.Suppressed != nil || k.Remediation == "" {
				continue
			}
			fmt.Fprintf(&b, "<details><summary>Steps for %s</summary>\n\n%s\n\n</details>\n\n", k.KeyID, strings.TrimSpace(k.Remediation))
		}
	}

	if n := len(failedOrUnrun(rep)); n > sarif.MaxResultsPerRun {
		fmt.Fprintf(&b, "**%d of %d account check results left out of code scanning** (GitHub accepts %d results per upload; the least severe were dropped). The JSON report (`keysweep scan --format json`) lists them all.\n\n",
			n-sarif.MaxResultsPerRun, n, sarif.MaxResultsPerRun)
	}

	if len(uploads) > 0 {
		b.WriteString("### Code scanning\n\n")
		for _, u := range uploads {
			fmt.Fprintf(&b, "- `%s` (%d results): %s — %s\n", cmp.Or(u.Category, "run"), u.Results, u.State, oneLine(u.Detail))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// maxSummaryRows bounds the failed checks listed in the job summary.
const maxSummaryRows = 500

// failedOrUnrun are the check results code scanning receives.
func failedOrUnrun(rep *finding.Report) []finding.CheckResult {
	var out []finding.CheckResult
	for _, c := range rep.Checks {
		if c.State == finding.CheckFail || c.State == finding.CheckCouldNotRun {
			out = append(out, c)
		}
	}
	return out
}

// owner is the key's user and, with an organization, its account:
// "deploy-bot in 210987654321 (prod)".
func owner(k finding.KeyFinding) string {
	s := cmp.Or(k.User, "—")
	if k.AccountName != "" {
		s += " in " + k.Account + " (" + k.AccountName + ")"
	}
	return s
}

// orgAccounts reports whether the report covers an AWS Organization, and
// how many of its accounts the checks ran in.
func orgAccounts(rep *finding.Report) (bool, int) {
	org, seen := false, map[string]bool{}
	for _, k := range rep.Keys {
		org = org || k.AccountName != ""
	}
	for _, c := range rep.Checks {
		if c.AccountName != "" {
			org, seen[c.Account] = true, true
		}
	}
	return org, len(seen)
}

func lastUsed(k finding.KeyFinding) string {
	if k.LastUsed.IsZero() {
		if k.Status == finding.StatusActive || k.Status == finding.StatusInactive {
			return "never"
		}
		return "—"
	}
	s := k.LastUsed.UTC().Format(time.DateOnly)
	if k.LastUsedService != "" {
		s += " " + k.LastUsedService
		if k.LastUsedRegion != "" {
			s += "/" + k.LastUsedRegion
		}
	}
	return s
}

// cell keeps a value inside one markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
