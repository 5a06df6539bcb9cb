package action

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/pipeline"
	"github.com/keysweep/keysweep/report"
	"github.com/keysweep/keysweep/sarif"
)

// GitHub shows at most annotationsPerLevel errors, as many warnings and as
// many notices per step on the run page and drops the rest. The keys get
// all but one of each level, the most severe first; the last is kept for
// the step's own message (a partial scan, failed account checks).
const annotationsPerLevel = 10

// annotate writes one annotation per leaked key, on the file and line of
// the commit that introduced it, at the level its severity calls for, the
// most severe keys first; beyond what GitHub shows it writes one
// annotation saying how many more there are. Every key is in the SARIF
// file and the summary's counts.
func (r *run) annotate(rep *finding.Report, repoPath string) {
	root := repoRoot(repoPath)
	scrub := rep.Scrubber()
	byLevel := map[string][]finding.KeyFinding{}
	for _, k := range bySeverity(rep.Keys) {
		lvl := k.Severity.SARIFLevel()
		byLevel[lvl] = append(byLevel[lvl], k)
	}
	for _, lvl := range []string{"error", "warning", "note"} {
		keys := byLevel[lvl]
		shown := keys
		if budget := annotationsPerLevel - 1; len(keys) > budget {
			shown = keys[:budget-1]
		}
		for _, k := range shown {
			r.annotation(lvl, r.keyProps(k, root), scrub.Replace(k.Message))
		}
		if more := len(keys) - len(shown); more > 0 {
			r.annotation(lvl, map[string]string{"title": fmt.Sprintf("%d more leaked AWS key findings", more)},
				fmt.Sprintf("%d more findings at this level are not annotated (GitHub shows %d per step): every one is in the job summary's counts, the SARIF file %s and code scanning", more, annotationsPerLevel, r.sarifName()))
		}
	}
	if n := failedChecks(rep); len(n) > 0 {
		r.gha.Warningf("%d AWS account check(s) failed; see the job summary", len(n))
	}
}

// keyProps places a key's annotation on the file and line that introduced
// it. The values are escaped for the log as Text does; go-githubactions
// adds the workflow-command escaping of properties.
func (r *run) keyProps(k finding.KeyFinding, root string) map[string]string {
	props := map[string]string{"title": fmt.Sprintf("AWS access key %s committed [%s] %s", k.KeyID, k.Severity, k.RuleID)}
	if !k.Unreachable && k.Path != "" {
		file := k.Path
		if root != "." && root != "" {
			file = path.Join(root, k.Path)
		}
		props["file"] = escape.Text(file)
		if k.Line > 0 {
			props["line"] = strconv.Itoa(k.Line)
		}
		if k.Column > 0 {
			props["col"] = strconv.Itoa(k.Column)
		}
	}
	return props
}

// annotation writes one annotation; msg is escaped here.
func (r *run) annotation(level string, props map[string]string, msg string) {
	a := r.gha.WithFieldsMap(props)
	msg = escape.Text(msg)
	switch level {
	case "error":
		a.Errorf("%s", msg)
	case "warning":
		a.Warningf("%s", msg)
	default:
		a.Noticef("%s", msg)
	}
}

func (r *run) sarifName() string {
	return cmp.Or(r.getenv("INPUT_SARIF-FILE"), "keysweep.sarif")
}

// bySeverity returns the unsuppressed findings, the most urgent first
// (finding.KeyFinding.Urgency: live and used keys, then by severity),
// then by key and path so the choice is the same on every run.
func bySeverity(keys []finding.KeyFinding) []finding.KeyFinding {
	var out []finding.KeyFinding
	for _, k := range keys {
		if k.Suppressed == nil {
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, func(a, b finding.KeyFinding) int {
		return cmp.Or(cmp.Compare(b.Urgency(), a.Urgency()), strings.Compare(a.KeyID, b.KeyID), strings.Compare(a.Path, b.Path))
	})
	return out
}

func failedChecks(rep *finding.Report) []finding.CheckResult {
	var out []finding.CheckResult
	for _, c := range rep.Checks {
		if c.State == finding.CheckFail && c.Suppressed == nil {
			out = append(out, c)
		}
	}
	// Most severe first: the summary and the annotations show the top.
	slices.SortStableFunc(out, func(a, b finding.CheckResult) int { return cmp.Compare(b.Severity, a.Severity) })
	return out
}

// summary writes the job summary: counts, the leaked keys with their live
// status and owner, the failed account checks, what could not be checked,
// and what to do. Skipped outside Actions (no GITHUB_STEP_SUMMARY).
func (r *run) summary(rep, full *finding.Report, in inputs, sc *scope, changed []string, uploads []uploadOutcome, code int) error {
	if r.getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	md := summaryMarkdown(rep, full, in, sc, changed, uploads, code)
	return r.appendRunnerFile("GITHUB_STEP_SUMMARY", report.MarkdownScrubber(full).Replace(report.MarkdownScrubber(rep).Replace(md))+"\n")
}

// Bounds of the job summary. GitHub drops a step summary over 1 MiB, so
// the user would see nothing: the summary lists the most severe findings,
// counts every one, and points to the SARIF file for the rest.
const (
	summaryLimit   = 1 << 20
	summaryKeys    = 100 // rows of the leaked-keys table
	summaryDetails = 10  // remediation blocks
	summaryChecks  = 100 // rows of the failed-checks table
	summaryGaps    = 30  // "could not check" items
)

// summaryMarkdown is the job summary. rep is the gate's report (what the
// event adds), full the whole history's, which code scanning receives.
func summaryMarkdown(rep, full *finding.Report, in inputs, sc *scope, changed []string, uploads []uploadOutcome, code int) string {
	var b strings.Builder
	leaked := bySeverity(rep.Keys)
	keys := len(leaked)
	failed := failedChecks(rep)
	verdict := "passed"
	switch code {
	case pipeline.ExitFindings:
		verdict = fmt.Sprintf("failed: findings at or above fail-on (%s)", in.FailOn)
	case pipeline.ExitError:
		verdict = "failed: the job could not be completed (see the annotations)"
	}
	fmt.Fprintf(&b, "## keysweep: %d leaked AWS %s, %d failed account %s — %s\n\n",
		keys, plural(keys, "key", "keys"), len(failed), plural(len(failed), "check", "checks"), verdict)
	fmt.Fprintf(&b, "The gate judged %s: %d %s, %d %s", escape.Markdown(sc.Describe), rep.Stats.Commits, plural(rep.Stats.Commits, "commit", "commits"), rep.Stats.Blobs, plural(rep.Stats.Blobs, "blob", "blobs"))
	if rep.Head != "" {
		fmt.Fprintf(&b, " (HEAD %s)", escape.Code(short(rep.Head)))
	}
	b.WriteString(".")
	if rep.Scope != "" {
		fmt.Fprintf(&b, " Only findings under %s are reported (the path input); %d elsewhere in the repository are not.", escape.Code(rep.Scope+"/"), rep.OutOfScope)
	}
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
		fmt.Fprintf(&b, " Keys matched against the live IAM keys of account %s.", escape.Code(cmp.Or(rep.Account, "unknown")))
	case "known-keys":
		b.WriteString(" Keys matched against the known-keys list.")
		for _, k := range rep.Keys {
			if k.Status == finding.StatusUnverified {
				b.WriteString(" The list is not declared complete, so a key it lacks stays unverified (use a `keysweep inventory --aws` export, or known-keys-complete).")
				break
			}
		}
	default:
		b.WriteString(" Keys not matched against any account (no role-to-assume or known-keys): a key with its secret counts as high.")
	}
	if v := rep.Verify; v != nil && v.Requested {
		fmt.Fprintf(&b, " %d %s verified with sts:GetCallerIdentity (verify-keys): %d live, %d invalid.", v.Keys, plural(v.Keys, "key", "keys"), v.Live, v.Invalid)
	}
	if sc.SettingsRev != "" {
		fmt.Fprintf(&b, " Settings and suppressions (`.keysweep.yml`, `.keysweepignore`, inline allows) were read from %s (`%s`).", sc.SettingsWhy, short(sc.SettingsRev))
	}
	b.WriteString("\n\n")
	for _, f := range changed {
		fmt.Fprintf(&b, "> **%s**\n\n", changedLine(f, sc))
	}

	b.WriteString("| Severity | Findings |\n|---|---:|\n")
	for s := finding.SeverityCritical; s >= finding.SeverityInfo; s-- {
		n := rep.Count(s) - rep.Count(s+1)
		fmt.Fprintf(&b, "| %s | %d |\n", s, n)
	}
	b.WriteString("\n")
	sarifNote := fmt.Sprintf("the SARIF file %s (step output `sarif-file`; keep it with `actions/upload-artifact`) and code scanning list every one", escape.Code(in.SARIFFile))

	if keys > 0 {
		b.WriteString("### Leaked keys\n\n")
		if keys > summaryKeys {
			fmt.Fprintf(&b, "The %d most severe of %d findings; %s.\n\n", summaryKeys, keys, sarifNote)
		}
		b.WriteString("| Severity | Key ID | Status | Owner | Last used | Introduced at | First commit | In HEAD | Triage |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
		for _, k := range leaked[:min(keys, summaryKeys)] {
			where := "unreachable object"
			if !k.Unreachable {
				where = escape.Code(fmt.Sprintf("%s:%d", k.Path, k.Line))
				if n := k.OtherPaths; n > 0 {
					where += fmt.Sprintf(" (+%d %s)", n, plural(n, "path", "paths"))
				}
			}
			commit := "—"
			if k.Commit != "" {
				commit = fmt.Sprintf("%s %s, %s", escape.Code(short(k.Commit)), escape.Markdown(k.Author), k.Date.UTC().Format(time.DateOnly))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				k.Severity, escape.Code(k.KeyID), escape.Markdown(string(k.Status)), escape.Markdown(keyOwner(k)), escape.Markdown(lastUsed(k)),
				where, commit, yesNo(k.InHead), cmp.Or(escape.Markdown(k.Triage), "—"))
		}
		if more := keys - summaryKeys; more > 0 {
			fmt.Fprintf(&b, "\n… and %d more: %s.\n", more, sarifNote)
		}
		b.WriteString("\n")
	}

	if len(failed) > 0 {
		b.WriteString("### Failed account checks\n\n| Severity | Rule | Resource | Region | Finding |\n|---|---|---|---|---|\n")
		for _, c := range failed[:min(len(failed), summaryChecks)] {
			resource := cmp.Or(c.Resource, "account")
			if c.AccountName != "" {
				resource = c.Account + " (" + c.AccountName + ") " + resource
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.Severity, escape.Code(c.RuleID), escape.Markdown(resource), escape.Markdown(cmp.Or(c.Region, "global")), escape.Markdown(oneLine(c.Message)))
		}
		if more := len(failed) - summaryChecks; more > 0 {
			fmt.Fprintf(&b, "\n… and %d more failed checks: %s.\n", more, sarifNote)
		}
		b.WriteString("\n")
	}

	b.WriteString(report.ComplianceMarkdown(rep))

	var gaps []string
	for _, c := range rep.Checks {
		if c.State == finding.CheckCouldNotRun {
			gaps = append(gaps, escape.Code(c.RuleID)+": "+escape.Markdown(oneLine(c.Message)))
		}
	}
	for _, g := range rep.Gaps {
		gaps = append(gaps, escape.Markdown(oneLine(g)))
	}
	if len(rep.Skipped) > 0 {
		gaps = append(gaps, fmt.Sprintf("%d git object(s) could not be read: the scan is partial", len(rep.Skipped)))
	}
	if rep.Remedy != "" {
		gaps = append(gaps, rep.Remedy)
	}
	if len(gaps) > 0 {
		b.WriteString("### Could not check\n\n")
		for _, g := range gaps[:min(len(gaps), summaryGaps)] {
			fmt.Fprintf(&b, "- %s\n", g)
		}
		if more := len(gaps) - summaryGaps; more > 0 {
			fmt.Fprintf(&b, "- … and %d more, in the SARIF file and the log\n", more)
		}
		b.WriteString("\n")
	}

	if keys > 0 {
		b.WriteString("### How to fix\n\n")
		b.WriteString("Removing the file, or the commit, does not help: the key is in the history, in every clone and fork, and may already have been copied.\n\n")
		b.WriteString("1. **Deactivate the key now** (`aws iam update-access-key --access-key-id KEY --status Inactive --user-name USER`), then check CloudTrail for its use since it was committed.\n")
		b.WriteString("2. **Rotate**: create a new key for the owner, move its users over, delete the old key (`aws iam delete-access-key`).\n")
		b.WriteString("3. Keep credentials out of the repository: GitHub OIDC (`role-to-assume`) or a secrets manager instead of keys in files.\n")
		b.WriteString("4. Once the key is deleted, the alert (one per key and path, whatever its status) says `not-in-account`; dismiss it in the Security tab, or rewrite history (`git filter-repo`) if the repository must not keep it.\n\n")
		details, seen := 0, map[string]bool{}
		for _, k := range leaked {
			if seen[k.KeyID] {
				continue
			}
			if details == summaryDetails {
				fmt.Fprintf(&b, "Steps for the other keys are in the SARIF file's rule help and in `keysweep scan --format json`.\n\n")
				break
			}
			seen[k.KeyID] = true
			details++
			fmt.Fprintf(&b, "<details><summary>Steps for %s</summary>\n\n%s\n\n</details>\n\n", escape.Code(k.KeyID), remediation(judge.Remediation(&k, rep.Account)))
		}
	}

	if n := len(failedOrUnrun(rep)); n > sarif.MaxResultsPerRun {
		fmt.Fprintf(&b, "**%d of %d account check results left out of code scanning** (GitHub accepts %d results per upload; the least severe were dropped). The JSON report (`keysweep scan --format json`) lists them all.\n\n",
			n-sarif.MaxResultsPerRun, n, sarif.MaxResultsPerRun)
	}

	if len(uploads) > 0 {
		b.WriteString("### Code scanning\n\n")
		fmt.Fprintf(&b, "The upload is a full-history analysis of every ref (%d %s, %d %s", full.Stats.Commits, plural(full.Stats.Commits, "commit", "commits"), len(full.Keys), plural(len(full.Keys), "key", "keys"))
		if full.Head != "" {
			fmt.Fprintf(&b, ", HEAD %s", escape.Code(short(full.Head)))
		}
		b.WriteString("), whatever the gate judged: an alert this run did not judge is never marked fixed.\n\n")
		for _, u := range uploads {
			fmt.Fprintf(&b, "- %s (%d results): %s — %s\n", escape.Code(cmp.Or(u.Category, "run")), u.Results, escape.Markdown(string(u.State)), escape.Markdown(oneLine(u.Detail)))
		}
		b.WriteString("\n")
	}
	return bound(b.String(), summaryLimit/2)
}

// remediation keeps judge's markdown (lists, code, bold) but lets no
// HTML through: an owner name read from a known-keys file could close the
// <details> block or open a tag.
func remediation(md string) string {
	lines := strings.Split(strings.TrimSpace(md), "\n")
	for i, l := range lines {
		l = escape.Text(l)
		lines[i] = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(l)
	}
	return strings.Join(lines, "\n")
}

// bound cuts markdown longer than limit at a line end, saying so: the
// tables are capped already, so only pathological inputs get here.
func bound(md string, limit int) string {
	if len(md) <= limit {
		return md
	}
	cut := strings.LastIndexByte(md[:limit], '\n')
	if cut < 0 {
		cut = limit
	}
	return md[:cut] + "\n\n… summary cut at " + strconv.Itoa(limit>>10) + " KiB; the SARIF file has every finding.\n"
}

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

// keyOwner is the key's user (or, verified, the identity it signs as, or
// the canary service) and, with an organization, its account:
// "deploy-bot in 210987654321 (prod)".
func keyOwner(k finding.KeyFinding) string {
	s := cmp.Or(k.User, k.ARN, k.Canary, "—")
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
