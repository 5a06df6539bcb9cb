package judge

import (
	"fmt"

	"github.com/keysweep/keysweep/finding"
)

// NextStep is the one line a person acts on first for k: what to do now and
// who owns the key, so a text report says it without the full remediation
// (Remediation has every step). It names the key ID, never a secret.
func NextStep(k *finding.KeyFinding) string {
	s := steps{key: k.KeyID, user: k.User}
	owner := owner(k)
	switch k.Status {
	case finding.StatusActive:
		return fmt.Sprintf("deactivate it now (`aws iam update-access-key --access-key-id %s --status Inactive%s`), then rotate it; %s", k.KeyID, s.userFlag(), owner)
	case finding.StatusInactive:
		return fmt.Sprintf("delete it (%s), after moving anything still configured with it to a new key; %s", s.deleteCmd(), owner)
	case finding.StatusLive:
		return fmt.Sprintf("the pair works: have its owner deactivate it now, or report it to AWS (%s) if they cannot be reached; %s", abuseForm, owner)
	case finding.StatusInvalid:
		return "the pair does not work: remove it from the files that hold it; " + owner
	case finding.StatusCanary:
		return "do not use it; if your team planted it, list its account under allowed-accounts in .keysweep.yml; " + owner
	case finding.StatusOtherAccount:
		return fmt.Sprintf("only account %s can deactivate it: tell its owner now; %s", k.Account, owner)
	case finding.StatusNotInAccount:
		return fmt.Sprintf("it is not a key of the scanned account (deleted, or another account's: `aws sts get-access-key-info --access-key-id %s` names it); remove it from the files; %s", k.KeyID, owner)
	}
	if k.Secret.IsZero() {
		return fmt.Sprintf("a key ID alone cannot sign requests: check whether its secret leaked elsewhere; `aws sts get-access-key-info --access-key-id %s` names its account; %s", k.KeyID, owner)
	}
	return "treat it as active until checked: run with --aws (or --known-keys, --verify) to learn its status, and rotate it if it may be yours; " + owner
}

// owner says whose key k is, as far as the run learned.
func owner(k *finding.KeyFinding) string {
	in := ""
	if k.Account != "" {
		in = " of account " + k.Account
		if k.AccountName != "" {
			in += " (" + k.AccountName + ")"
		}
	}
	switch {
	case k.User == rootUser:
		return "owner: the root user" + in
	case k.User != "":
		return "owner: IAM user " + k.User + in
	case k.ARN != "":
		return "owner: " + k.ARN
	case k.Account != "":
		return "owner: unknown user" + in
	}
	return "owner: unknown (no inventory named it)"
}
