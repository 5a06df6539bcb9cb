package judge

import "github.com/keysweep/keysweep/finding"

// Rule IDs of committed keys, one per row of the severity table: GitHub reads
// security-severity from the rule, not the result.
const (
	RuleActive       = finding.Family + "/active"
	RuleInactive     = finding.Family + "/inactive"
	RuleUnverified   = finding.Family + "/unverified"
	RuleNotInAccount = finding.Family + "/not-in-account"
	RuleIDOnly       = finding.Family + "/id-only"
	// Verification (--verify) and the canary list.
	RuleLive    = finding.Family + "/live"
	RuleInvalid = finding.Family + "/invalid"
	RuleCanary  = finding.Family + "/canary"
)

var tags = []string{"security", "secret", "aws", "credentials", "external/cwe/cwe-798"}

// placeholder stands where a finding's remediation names the real key, user
// and date, so the rule help and every remediation come from one text.
var placeholder = steps{key: "ACCESS_KEY_ID", user: "USER_NAME", since: "COMMIT_DATE"}

var rules = []finding.Rule{
	{
		ID:          RuleActive,
		Title:       "Active AWS access key committed to git history",
		Severity:    finding.SeverityCritical,
		Description: "An access key ID found in git history is an active key of the scanned AWS account. Anyone who can read the repository, or any of its clones and forks, can use it with the permissions of its IAM user until it is deactivated.",
	},
	{
		ID:          RuleLive,
		Title:       "Working AWS access key committed to git history (verified)",
		Severity:    finding.SeverityCritical,
		Description: "An access key ID and its secret found in git history signed sts:GetCallerIdentity (keysweep --verify): the pair works, as the identity the result names. Anyone who can read the repository can use it until its owner deactivates it.",
	},
	{
		ID:          RuleInactive,
		Title:       "Inactive AWS access key committed to git history",
		Severity:    finding.SeverityHigh,
		Description: "An access key ID found in git history is an inactive key of the scanned AWS account. It cannot sign requests, but anyone allowed iam:UpdateAccessKey can turn it back on: delete it.",
	},
	{
		ID:          RuleUnverified,
		Title:       "AWS access key and secret committed to git history (not verified)",
		Severity:    finding.SeverityHigh,
		Description: "An access key ID and its secret access key are in git history, and no account inventory was available to say whether the key still works. Until proven otherwise, treat it as active.",
	},
	{
		ID:          RuleNotInAccount,
		Title:       "AWS access key and secret committed to git history (not a key of this account)",
		Severity:    finding.SeverityMedium,
		Description: "An access key ID and its secret are in git history, but the key is not in the scanned account: it was deleted, or it belongs to another AWS account whose owner must rotate it.",
	},
	{
		ID:          RuleIDOnly,
		Title:       "AWS access key ID committed to git history without its secret",
		Severity:    finding.SeverityLow,
		Description: "An access key ID is in git history without a secret access key near it, and it is not a key of the scanned account. A key ID alone cannot sign requests, but it names an account and invites a search for the secret.",
	},
	{
		ID:          RuleInvalid,
		Title:       "AWS access key committed to git history that AWS rejects (verified)",
		Severity:    finding.SeverityLow,
		Description: "An access key ID and its secret found in git history did not sign sts:GetCallerIdentity (keysweep --verify): AWS rejected the pair because the key does not exist (deleted), the committed secret is not its secret, or the session token expired. The pair as committed cannot sign requests.",
	},
	{
		ID:          RuleCanary,
		Title:       "AWS canary token committed to git history",
		Severity:    finding.SeverityInfo,
		Description: "An access key found in git history belongs to an AWS account that a canary-token service (canarytokens.org and the like) uses for trap credentials: a canary token: using it alerts its owner. keysweep never signs a request with it.",
	},
}

// Rules returns the committed-key rules, most severe first.
func Rules() []finding.Rule {
	out := make([]finding.Rule, len(rules))
	for i, r := range rules {
		out[i] = complete(r)
	}
	return out
}

// severityOf is the severity of the rule with the given ID, which is always
// one of ours; unlike ruleFor it builds no help text, once per finding.
func severityOf(id string) finding.Severity {
	for _, r := range rules {
		if r.ID == id {
			return r.Severity
		}
	}
	panic("judge: unknown rule " + id)
}

// ruleFor returns the rule with the given ID, which is always one of ours.
func ruleFor(id string) finding.Rule {
	for _, r := range rules {
		if r.ID == id {
			return complete(r)
		}
	}
	panic("judge: unknown rule " + id)
}

func complete(r finding.Rule) finding.Rule {
	r.Help = help(r.ID, placeholder)
	r.Tags = append([]string(nil), tags...)
	return r
}

// help is the markdown for rule id, with s naming the key or placeholders.
func help(id string, s steps) string {
	switch id {
	case RuleActive:
		return "An **active** access key of the scanned account is in git history. " +
			"Rotate it now: deleting the file or rewriting history does not make it safe.\n\n" + s.rotate()
	case RuleInactive:
		return "An **inactive** access key of the scanned account is in git history. " +
			"Deactivating it stopped its use; finish the rotation by deleting it.\n\n" + s.delete()
	case RuleUnverified:
		return "An access key ID **with its secret** is in git history, and there was no inventory to check it against. " +
			"Run `keysweep scan --aws` with credentials of the account, or `--known-keys` with a complete inventory " +
			"(`keysweep inventory --aws > keys.json`), to learn whether it is active and whose it is. If the key may be yours, rotate it:\n\n" + s.rotate()
	case RuleNotInAccount:
		return "An access key ID **with its secret** is in git history, but it is not a key of the scanned account.\n\n" + s.notInAccount()
	case RuleIDOnly:
		return "An access key ID is in git history without its secret, and it is not in the scanned account's inventory.\n\n" + s.idOnly()
	case RuleLive:
		return "An access key ID **with its secret** is in git history, and the pair **works**: it signed `sts:GetCallerIdentity` as " + s.identity() + ".\n\n" + s.live()
	case RuleInvalid:
		return "An access key ID with its secret is in git history, and AWS **rejects** the pair" + s.rejection() + ".\n\n" + s.invalid()
	case RuleCanary:
		return "The key belongs to an account of a canary-token service: **a canary token: using it alerts its owner**. keysweep never signed a request with it.\n\n" + s.canary()
	}
	panic("judge: unknown rule " + id)
}

// Code-scanning rules of committed keys.
//
// GitHub keeps one alert per rule, fingerprint and analysis category, and
// reads security-severity from the rule, never the result. A rule per
// status would make one key two alerts whenever its status changes between
// runs — `unverified` in a fork's pull request (no AWS credentials),
// `active` on the scheduled run — and mark one of them fixed. So code
// scanning gets one rule per kind of evidence, a fact of the history that
// no verification changes: the key with its secret, or the key ID alone.
// The status, its severity and the status rule go in the result (level,
// message, properties), and the job's verdict still uses them.
const (
	AlertRuleSecret = finding.Family + "/key-and-secret"
	AlertRuleKeyID  = finding.Family + "/key-id"
)

var alertRules = []finding.Rule{
	{
		ID:    AlertRuleSecret,
		Title: "AWS access key and its secret committed to git history",
		// Until an inventory proves otherwise a key with its secret is
		// treated as active: the worst case, the severity of RuleActive.
		Severity:    finding.SeverityCritical,
		Description: "An access key ID and its secret access key are in git history, in every clone and fork. The alert's message says what keysweep learned of the key on this run (active, inactive, not in the scanned account, not verified); the alert stays one alert whatever that is.",
	},
	{
		ID:          AlertRuleKeyID,
		Title:       "AWS access key ID committed to git history without its secret",
		Severity:    finding.SeverityLow,
		Description: "An access key ID is in git history without a secret access key near it. A key ID alone cannot sign requests, but it names an account and invites a search for the secret. The alert's message says what keysweep learned of the key on this run.",
	},
}

// AlertRules returns the code-scanning rules of committed keys.
func AlertRules() []finding.Rule {
	out := make([]finding.Rule, len(alertRules))
	for i, r := range alertRules {
		r.Tags = append([]string(nil), tags...)
		switch r.ID {
		case AlertRuleSecret:
			r.Help = "An access key ID **with its secret** is in git history. Deleting the file or rewriting history does not make it safe. " +
				"The alert's message says whether the key is active; if it may be, rotate it:\n\n" + placeholder.rotate()
		default:
			r.Help = "An access key ID is in git history without its secret.\n\n" + placeholder.idOnly()
		}
		out[i] = r
	}
	return out
}

// AlertRuleID is the code-scanning rule of a committed key's alert, which
// depends only on what the history holds (AlertRules).
func AlertRuleID(k finding.KeyFinding) string {
	if k.Secret.IsZero() {
		return AlertRuleKeyID
	}
	return AlertRuleSecret
}
