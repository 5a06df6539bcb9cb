package judge

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
)

// UnknownStatus is said of a key listed without a status in --known-keys.
const UnknownStatus = "status unknown (from known-keys list): treated as active"

// message is the one line a person reads first: whose key, its state, where.
// It names the key ID (an identifier) but never a secret.
func message(kf *finding.KeyFinding, v verdict, inv *finding.Inventory, now time.Time) string {
	parts := []string{state(kf, v, inv)}
	if kf.User != "" && !v.root {
		if kf.User == rootUser {
			parts = append(parts, "belongs to the root user")
		} else {
			parts = append(parts, "belongs to IAM user "+kf.User)
		}
	}
	if v.inInv && inv.Source == "aws" {
		parts = append(parts, lastUsed(kf, now))
	}
	parts = append(parts, where(kf.Leak))
	if kf.InHead {
		parts = append(parts, "still in HEAD")
	} else if !kf.Unreachable && kf.Commit != finding.StagedCommit {
		parts = append(parts, "no longer in HEAD")
	}
	if n := kf.OtherPaths; n > 0 {
		parts = append(parts, fmt.Sprintf("also at %d other %s", n, plural(n, "path")))
	}
	return strings.Join(parts, ", ")
}

func state(kf *finding.KeyFinding, v verdict, inv *finding.Inventory) string {
	key := "key " + kf.KeyID
	what := key + " with its secret"
	if !kf.SessionToken.IsZero() {
		what += " and session token"
	}
	if kf.Secret.IsZero() {
		what = "key ID " + kf.KeyID + " alone (no secret found)"
	}
	if v.root {
		// Say how sure we are: the credential report gives no key IDs.
		return key + " is not an IAM user's key but account " + inv.Account + "'s root user has an " +
			strings.ToUpper(string(kf.Status)) + " access key it may be (the credential report gives no key IDs): treated as that key"
	}
	// With an organization, say which of its accounts: "ACTIVE in
	// 210987654321 (prod)".
	in := ""
	if kf.AccountName != "" {
		in = " in " + kf.Account + " (" + kf.AccountName + ")"
	}
	switch kf.Status {
	case finding.StatusLive:
		s := what + " is LIVE: it signs requests as " + cmp.Or(kf.ARN, "account "+v.account) + " (verified with sts:GetCallerIdentity)"
		if inv != nil && inv.Account != "" && v.account != inv.Account {
			s += ", not a key of the scanned account " + inv.Account
		}
		return s
	case finding.StatusInvalid:
		return what + " does not work: " + rejected(kf.RejectedCode)
	case finding.StatusCanary:
		s := key + " is " + CanaryMessage + " (account " + v.account
		if kf.Canary != "" {
			s += ", " + kf.Canary
		}
		return s + "); keysweep did not use it"
	case finding.StatusActive:
		if v.unknown {
			return key + in + ": " + UnknownStatus
		}
		return key + " is ACTIVE" + in
	case finding.StatusInactive:
		return key + " is INACTIVE" + in
	case finding.StatusUnverified:
		if v.unread != "" {
			return what + " could not be verified: its account" + strings.TrimPrefix(in, " in") + " could not be read (" + v.unread + ")"
		}
		if inv != nil {
			// A list that is not declared complete proves no absence.
			return what + " could not be verified (not in the known-keys list, which is not declared complete: use --aws, a keysweep inventory export, or --known-keys-complete)"
		}
		return what + " could not be verified (no inventory: use --aws or --known-keys)"
	case finding.StatusOtherAccount:
		return what + " belongs to another AWS account (" + v.account + ")"
	}
	if inv.Account != "" && v.account == inv.Account {
		return what + " is no longer in account " + inv.Account + " (deleted)"
	}
	return what + " is not in " + inventoryName(inv)
}

// CanaryMessage is what every canary finding says.
const CanaryMessage = "a canary token: using it alerts its owner"

// rejected explains an AWS error code that rejected a committed pair.
func rejected(code string) string {
	switch code {
	case "InvalidClientTokenId":
		return "AWS does not accept the key (InvalidClientTokenId): deleted, deactivated or never issued"
	case "SignatureDoesNotMatch":
		return "the key exists but the committed secret is wrong (SignatureDoesNotMatch)"
	case "ExpiredToken":
		return "the session token has expired (ExpiredToken)"
	case "":
		return "AWS rejected the pair"
	}
	return "AWS rejected the pair (" + code + ")"
}

func inventoryName(inv *finding.Inventory) string {
	switch {
	case inv.Account != "":
		return "account " + inv.Account
	case inv.Source == "known-keys":
		return "the known-keys list"
	}
	return "the account's inventory"
}

func lastUsed(kf *finding.KeyFinding, now time.Time) string {
	if kf.LastUsed.IsZero() {
		return "no recorded use"
	}
	s := "last used " + ago(kf.LastUsed, now)
	switch {
	case kf.LastUsedService != "" && kf.LastUsedRegion != "":
		s += " in " + kf.LastUsedService + "/" + kf.LastUsedRegion
	case kf.LastUsedService != "":
		s += " in " + kf.LastUsedService
	}
	return s
}

func where(l finding.Leak) string {
	if l.Unreachable || l.Commit == "" {
		s := "found in unreachable object " + short(l.Blob)
		if l.Path != "" {
			s += " at " + l.Path
		}
		return s
	}
	if l.Commit == finding.StagedCommit {
		// The commit is being made: no hash, author or date yet.
		return "staged in " + l.Path + ", not yet committed"
	}
	s := "committed in " + short(l.Commit)
	if l.Author != "" {
		s += " by " + l.Author
	}
	if !l.Date.IsZero() {
		s += " on " + l.Date.Format(time.DateOnly)
	}
	return s + " in " + l.Path
}

// short abbreviates a hash as git does by default.
func short(hash string) string {
	if len(hash) > 7 {
		return hash[:7]
	}
	return hash
}

// ago says how long before now t was, in the largest whole unit that fits.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return count(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return count(int(d/time.Hour), "hour") + " ago"
	}
	return count(int(d/(24*time.Hour)), "day") + " ago"
}

func count(n int, unit string) string { return fmt.Sprintf("%d %s", n, plural(n, unit)) }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
