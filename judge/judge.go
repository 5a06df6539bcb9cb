package judge

import (
	"cmp"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
)

// Judge matches committed keys against the account's inventory (nil when
// there is none) and returns one finding per leak, most severe first.
func Judge(leaks []finding.Leak, inv *finding.Inventory) []finding.KeyFinding {
	return JudgeAt(leaks, inv, time.Now())
}

// JudgeAt is Judge with the clock given, for the ages in messages.
func JudgeAt(leaks []finding.Leak, inv *finding.Inventory, now time.Time) []finding.KeyFinding {
	return JudgeVerified(leaks, inv, nil, now)
}

// JudgeVerified is JudgeAt with what verification (--verify) and the
// canary list found out about keys the inventory does not hold. An
// inventory match always beats a verification: keys matched in an
// inventory are never verified.
func JudgeVerified(leaks []finding.Leak, inv *finding.Inventory, ver finding.Verifications, now time.Time) []finding.KeyFinding {
	out := make([]finding.KeyFinding, 0, len(leaks))
	for _, l := range leaks {
		out = append(out, judge(l, inv, ver, now))
	}
	Order(out)
	return out
}

// verdict is where a key falls in the severity table.
type verdict struct {
	rule    string
	status  finding.KeyStatus
	key     finding.AccessKey // the inventory's entry, when inInv
	inInv   bool
	unknown bool   // in a known-keys list that gives no status
	root    bool   // may be a root user key, whose IDs IAM does not list
	account string // account owning the key, when known
	// unread says why the owning account of the organization could not be
	// read: the key stays unverified.
	unread string
	// in is the inventory the key was judged against: the caller's
	// account's, or the owning member account's (--org).
	in *finding.Inventory
	// ver is what verification or the canary list said, when verified.
	ver      finding.Verification
	verified bool
}

func unverified(l finding.Leak, v verdict) verdict {
	v.status = finding.StatusUnverified
	v.rule = RuleIDOnly
	if !l.Secret.IsZero() {
		v.rule = RuleUnverified
	}
	return v
}

func decide(l finding.Leak, inv *finding.Inventory, ver finding.Verifications) verdict {
	v := verdict{account: l.Account, in: inv}
	if inv != nil {
		if a := inv.KeyAccounts[l.KeyID]; a != "" {
			v.account = a // sts:GetAccessKeyInfo beats the offline decode
		}
		// With an organization, the key is judged in the account that
		// owns it.
		if m := inv.Members[v.account]; m != nil && v.account != inv.Account {
			inv, v.in = m, m
		}
		if k, ok := inv.Keys[l.KeyID]; ok {
			return inInventory(v, k, inv)
		}
	}
	if f, ok := ver[l.KeyID]; ok {
		if r := verifiedRule(f); r != "" {
			v.ver, v.verified = f, true
			v.rule, v.status = r, f.Status
			v.account = cmp.Or(f.Account, f.CanaryAccount, v.account)
			return v
		}
	}
	if inv == nil {
		return unverified(l, v)
	}
	// An account of the organization that could not be read never
	// downgrades its keys.
	if why, ok := inv.Unread[v.account]; ok && v.account != "" {
		v.unread = why
		return unverified(l, v)
	}
	if k, ok := rootKey(inv, v.account, l.Date); ok {
		v.key, v.inInv, v.root = k, true, true
		v.rule, v.status = RuleActive, finding.StatusActive
		if k.Status == "Inactive" {
			v.rule, v.status = RuleInactive, finding.StatusInactive
		}
		return v
	}
	if !inv.Complete {
		// Only a complete inventory may say a key is not in the account:
		// a partial list (one user's keys, one unrelated ID) says nothing
		// about the keys it does not name.
		return unverified(l, v)
	}
	v.status = finding.StatusNotInAccount
	if v.account != "" && inv.Account != "" && v.account != inv.Account {
		v.status = finding.StatusOtherAccount // outside the organization, if one was read
	}
	v.rule = RuleIDOnly
	if !l.Secret.IsZero() {
		v.rule = RuleNotInAccount
	}
	return v
}

// verifiedRule is the rule of a verification's status; "" for a status
// verification does not give (the inventory's verdict then stands).
func verifiedRule(f finding.Verification) string {
	switch f.Status {
	case finding.StatusLive:
		return RuleLive
	case finding.StatusInvalid:
		return RuleInvalid
	case finding.StatusCanary:
		return RuleCanary
	}
	return ""
}

// inInventory is the verdict on a key the inventory lists.
func inInventory(v verdict, k finding.AccessKey, inv *finding.Inventory) verdict {
	v.key, v.inInv = k, true
	if inv.Account != "" {
		v.account = inv.Account
	}
	if strings.EqualFold(k.Status, "Inactive") {
		v.rule, v.status = RuleInactive, finding.StatusInactive
		return v
	}
	// Anything but a clear "Inactive" may sign requests: assume the worst.
	v.unknown = !strings.EqualFold(k.Status, "Active")
	v.rule, v.status = RuleActive, finding.StatusActive
	return v
}

// rootKey returns the root user's key that a key of the scanned account
// missing from the IAM users' keys may be: the credential report says the
// root user has keys but not their IDs. An active one wins (worst case).
// A root key created after the commit cannot be the committed one, which
// keeps deleted user keys of the account from reading as live root keys.
func rootKey(inv *finding.Inventory, account string, committed time.Time) (finding.AccessKey, bool) {
	if !inv.RootKeysKnown || account == "" || account != inv.Account {
		return finding.AccessKey{}, false
	}
	var found finding.AccessKey
	ok := false
	for _, k := range inv.RootKeys {
		if !committed.IsZero() && !k.Created.IsZero() && k.Created.After(committed) {
			continue
		}
		if !ok || strings.EqualFold(k.Status, "Active") {
			found, ok = k, true
		}
	}
	found.User = rootUser
	return found, ok
}

func judge(l finding.Leak, inv *finding.Inventory, ver finding.Verifications, now time.Time) finding.KeyFinding {
	v := decide(l, inv, ver)
	kf := finding.KeyFinding{
		Leak:     l,
		RuleID:   v.rule,
		Severity: severityOf(v.rule),
		Status:   v.status,
	}
	kf.Account = v.account
	if inv != nil {
		kf.AccountName = inv.Names[v.account]
	}
	if v.inInv {
		kf.User = v.key.User
		kf.KeyCreated = v.key.Created
		kf.LastUsed = v.key.LastUsed
		kf.LastUsedService = v.key.LastUsedService
		kf.LastUsedRegion = v.key.LastUsedRegion
		if v.in != nil {
			if t, ok := v.in.Triage[l.KeyID]; ok {
				kf.Access, kf.Activity = t.Access, t.Activity
			}
		}
	}
	if v.verified {
		kf.ARN, kf.RejectedCode, kf.Canary = v.ver.ARN, v.ver.Code, v.ver.Canary
	}
	kf.Message = message(&kf, v, v.in, now)
	if kf.Access != nil || kf.Activity != nil {
		kf.Triage = why(kf, now)
	}
	kf.Fingerprint = finding.Fingerprint(finding.Family, l.KeyID, l.Path)
	kf.KeyFingerprint = finding.KeyFingerprint(l.KeyID)
	return kf
}

// Remediation is the markdown with the exact steps for k. It is derived
// from the finding when a renderer needs it, never stored in it: the steps
// are about 1.5 KB per finding, more than the rest of a finding together
// (see "Cost model: findings and reports" in docs/architecture.md).
// scannedAccount is the account whose inventory judged k (the report's
// Account), so a verified key of that account is rotated there.
func Remediation(k *finding.KeyFinding, scannedAccount string) string {
	verified := verifiedRule(finding.Verification{Status: k.Status}) != ""
	return help(k.RuleID, steps{
		key:     k.KeyID,
		user:    k.User,
		since:   since(k.Leak),
		account: k.Account,
		other:   k.Status == finding.StatusOtherAccount,
		arn:     k.ARN,
		code:    k.RejectedCode,
		// A verified key of the scanned account is one its inventory
		// missed (a root user key): rotate it, it is ours.
		scanned: verified && scannedAccount != "" && k.Account == scannedAccount,
	})
}

// since is the day CloudTrail searches should start from.
func since(l finding.Leak) string {
	if l.Date.IsZero() {
		return placeholder.since
	}
	return l.Date.Format(time.DateOnly)
}
