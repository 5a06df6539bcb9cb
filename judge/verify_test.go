package judge

import (
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
)

func TestVerifiedVerdicts(t *testing.T) {
	const arn = "arn:aws:iam::" + theirs + ":user/vendor"
	liveFact := finding.Verification{Status: finding.StatusLive, Account: theirs, ARN: arn}
	tests := []struct {
		name     string
		leak     finding.Leak
		inv      *finding.Inventory
		fact     finding.Verification
		rule     string
		severity finding.Severity
		status   finding.KeyStatus
		account  string
		message  []string
		help     []string
	}{
		{"live, no inventory", leak(otherKey, true, ""), nil, liveFact,
			RuleLive, finding.SeverityCritical, finding.StatusLive, theirs,
			[]string{"with its secret is LIVE: it signs requests as " + arn + " (verified with sts:GetCallerIdentity)"},
			[]string{"tell its owner now", "report it to AWS", abuseForm, "`" + arn + "`"}},
		{"live, another account than the scanned one", leak(otherKey, true, theirs), liveInventory(), liveFact,
			RuleLive, finding.SeverityCritical, finding.StatusLive, theirs,
			[]string{"is LIVE", "not a key of the scanned account " + ours},
			[]string{"tell its owner now"}},
		{"live key of the scanned account missing from its inventory", leak(goneKey, true, ours), liveInventory(),
			finding.Verification{Status: finding.StatusLive, Account: ours, ARN: "arn:aws:iam::" + ours + ":root"},
			RuleLive, finding.SeverityCritical, finding.StatusLive, ours,
			[]string{"signs requests as arn:aws:iam::" + ours + ":root"},
			[]string{"rotate it there", "aws iam update-access-key --access-key-id " + goneKey + " --status Inactive"}},
		{"deleted", leak(goneKey, true, ""), nil, finding.Verification{Status: finding.StatusInvalid, Code: "InvalidClientTokenId"},
			RuleInvalid, finding.SeverityLow, finding.StatusInvalid, "",
			[]string{"does not work: AWS does not accept the key (InvalidClientTokenId): deleted, deactivated or never issued"}, nil},
		{"wrong secret", leak(otherKey, true, theirs), liveInventory(), finding.Verification{Status: finding.StatusInvalid, Code: "SignatureDoesNotMatch"},
			RuleInvalid, finding.SeverityLow, finding.StatusInvalid, theirs,
			[]string{"the key exists but the committed secret is wrong (SignatureDoesNotMatch)"},
			[]string{"The key ID is real", "aws sts get-access-key-info --access-key-id " + otherKey}},
		{"expired session", leak(otherKey, true, ""), nil, finding.Verification{Status: finding.StatusInvalid, Code: "ExpiredToken"},
			RuleInvalid, finding.SeverityLow, finding.StatusInvalid, "",
			[]string{"the session token has expired (ExpiredToken)"}, nil},
		{"canary", leak(otherKey, true, "052310077262"), nil,
			finding.Verification{Status: finding.StatusCanary, Canary: "canarytokens.org", CanaryAccount: "052310077262"},
			RuleCanary, finding.SeverityInfo, finding.StatusCanary, "052310077262",
			[]string{"is " + CanaryMessage + " (account 052310077262, canarytokens.org); keysweep did not use it"},
			[]string{"Do not use the key", "allowed-accounts"}},
		{"canary without its secret", leak(otherKey, false, "052310077262"), liveInventory(),
			finding.Verification{Status: finding.StatusCanary, Canary: "canarytokens.org", CanaryAccount: "052310077262"},
			RuleCanary, finding.SeverityInfo, finding.StatusCanary, "052310077262",
			[]string{CanaryMessage}, nil},
		// The inventory always wins: its keys are never verified, and a
		// stray fact must not change their verdict.
		{"inventory beats a fact", leak(inactiveKey, true, ours), liveInventory(), finding.Verification{Status: finding.StatusInvalid, Code: "InvalidClientTokenId"},
			RuleInactive, finding.SeverityHigh, finding.StatusInactive, ours, []string{"is INACTIVE"}, nil},
		// A verification beats the guess that a key may be a root key.
		{"fact beats the root-key guess", leak(goneKey, true, ours), withRootKeys(liveInventory(), "Active"),
			finding.Verification{Status: finding.StatusInvalid, Code: "InvalidClientTokenId"},
			RuleInvalid, finding.SeverityLow, finding.StatusInvalid, ours, []string{"InvalidClientTokenId"}, nil},
		{"a fact of no known status is ignored", leak(otherKey, true, ""), nil, finding.Verification{Status: "bogus"},
			RuleUnverified, finding.SeverityHigh, finding.StatusUnverified, "", []string{"could not be verified"}, nil},
	}
	for _, tt := range tests {
		got := JudgeVerified([]finding.Leak{tt.leak}, tt.inv, finding.Verifications{tt.leak.KeyID: tt.fact}, now)[0]
		if got.RuleID != tt.rule || got.Severity != tt.severity || got.Status != tt.status || got.Account != tt.account {
			t.Errorf("%s: %s/%s/%s account %q; want %s/%s/%s account %q", tt.name, got.RuleID, got.Severity, got.Status, got.Account, tt.rule, tt.severity, tt.status, tt.account)
		}
		for _, m := range tt.message {
			if !strings.Contains(got.Message, m) {
				t.Errorf("%s: message %q lacks %q", tt.name, got.Message, m)
			}
		}
		scanned := ""
		if tt.inv != nil {
			scanned = tt.inv.Account
		}
		remediation := Remediation(&got, scanned)
		for _, h := range tt.help {
			if !strings.Contains(remediation, h) {
				t.Errorf("%s: remediation lacks %q:\n%s", tt.name, h, remediation)
			}
		}
		if tt.status == finding.StatusLive && got.ARN != tt.fact.ARN || tt.status == finding.StatusInvalid && got.RejectedCode != tt.fact.Code {
			t.Errorf("%s: ARN %q code %q", tt.name, got.ARN, got.RejectedCode)
		}
		if got.Fingerprint != finding.Fingerprint(finding.Family, tt.leak.KeyID, tt.leak.Path) {
			t.Errorf("%s: verification moved the fingerprint", tt.name)
		}
	}
}
