// Package verify finds out whether committed AWS key pairs work, by
// calling sts:GetCallerIdentity signed with the committed pair, as
// trufflehog and GitHub's validity checks do — opt-in (keysweep --verify),
// because it uses a leaked credential. It also recognises canary tokens,
// which are never used for anything.
//
// NewPlan decides which keys may be used at all; Run makes the calls. A
// Plan is the only way to get a pair to Run, so the rules below hold for
// every request verification signs:
//
//   - a key of a canary-token account (package canary) is never used;
//   - a key an inventory holds is never verified again;
//   - a key of an allowed or verify-denied account is never used;
//   - without --verify nothing is used at all;
//   - a call that gets no answer (network, throttling, timeout) leaves the
//     key's verdict as it was, with a gap line.
package verify

import (
	"slices"
	"strings"

	"github.com/keysweep/keysweep/canary"
	"github.com/keysweep/keysweep/finding"
)

// Policy is what NewPlan needs besides the leaks and the inventory.
type Policy struct {
	// Verify is --verify: without it the plan holds no pair.
	Verify bool
	// Canaries lists canary-token accounts; nil means canary.Builtin().
	Canaries *canary.List
	// Allowed (.keysweep.yml allowed-accounts) and Deny
	// (verify-deny-accounts) name accounts whose keys are never used.
	Allowed []string
	Deny    []string
}

// Plan is what verification will do: the canary facts, known without any
// call, and the pairs it may sign with.
type Plan struct {
	// Canaries are the facts about canary keys (status canary).
	Canaries finding.Verifications
	// keys are the key IDs to verify, each with its distinct pairs, in
	// key ID order; unexported so only NewPlan builds them.
	keys []keyPairs
	// Skipped counts keys with a usable pair not verified because of
	// Allowed or Deny.
	Skipped int
}

// keyPairs is one key ID with every distinct secret (and session token)
// committed with it: one working pair makes the key live.
type keyPairs struct {
	id    string
	pairs []pair
	// more counts the pairs beyond maxPairs, never tried: with them the
	// key can be live but not proved invalid.
	more int
}

// maxPairs bounds the distinct secrets tried for one key ID.
const maxPairs = 4

type pair struct {
	secret, token finding.Secret
}

// Keys is the number of key IDs the plan verifies.
func (p *Plan) Keys() int { return len(p.keys) }

// KeyIDs are the key IDs the plan verifies, sorted.
func (p *Plan) KeyIDs() []string {
	out := make([]string, len(p.keys))
	for i, k := range p.keys {
		out[i] = k.id
	}
	return out
}

// NewPlan decides, for every leak, whether it is a canary, whether it may
// be verified, or neither. inv may be nil (no inventory).
func NewPlan(leaks []finding.Leak, inv *finding.Inventory, pol Policy) *Plan {
	list := pol.Canaries
	if list == nil {
		list = canary.Builtin()
	}
	p := &Plan{Canaries: finding.Verifications{}}
	byKey := map[string]*keyPairs{}
	skipped := map[string]bool{}
	for _, l := range leaks {
		if inv != nil {
			if _, ok := inv.Keys[l.KeyID]; ok {
				continue // an inventory resolves it: never re-verified
			}
		}
		accounts := keyAccounts(l, inv)
		if c, ok := canaryOf(list, accounts); ok {
			p.Canaries[l.KeyID] = c
			continue
		}
		if !pol.Verify || l.Secret.IsZero() || isSession(l.KeyID) && l.SessionToken.IsZero() {
			continue
		}
		if anyIn(accounts, pol.Allowed) || anyIn(accounts, pol.Deny) {
			skipped[l.KeyID] = true
			continue
		}
		k := byKey[l.KeyID]
		if k == nil {
			k = &keyPairs{id: l.KeyID}
			byKey[l.KeyID] = k
		}
		pr := pair{secret: l.Secret, token: l.SessionToken}
		switch {
		case slices.Contains(k.pairs, pr):
		case len(k.pairs) == maxPairs:
			k.more++
		default:
			k.pairs = append(k.pairs, pr)
		}
	}
	for _, k := range byKey {
		p.keys = append(p.keys, *k)
	}
	slices.SortFunc(p.keys, func(a, b keyPairs) int { return strings.Compare(a.id, b.id) })
	for id := range skipped {
		if _, ok := byKey[id]; !ok {
			p.Skipped++
		}
	}
	return p
}

// keyAccounts are the accounts a key may belong to: decoded from its ID
// offline, and as sts:GetAccessKeyInfo (signed with the scan's own
// credentials) confirmed it. Both count, so a disagreement never lets a
// canary or a denied account through.
func keyAccounts(l finding.Leak, inv *finding.Inventory) []string {
	var out []string
	if l.Account != "" {
		out = append(out, l.Account)
	}
	if inv != nil {
		if a := inv.KeyAccounts[l.KeyID]; a != "" && a != l.Account {
			out = append(out, a)
		}
	}
	return out
}

func canaryOf(list *canary.List, accounts []string) (finding.Verification, bool) {
	for _, a := range accounts {
		if service, ok := list.Lookup(a); ok {
			return finding.Verification{Status: finding.StatusCanary, Canary: service, CanaryAccount: a}, true
		}
	}
	return finding.Verification{}, false
}

func anyIn(accounts, list []string) bool {
	for _, a := range accounts {
		if slices.Contains(list, a) {
			return true
		}
	}
	return false
}

// isSession reports whether a key ID is of temporary credentials, which
// sign only with their session token.
func isSession(id string) bool { return strings.HasPrefix(id, "ASIA") }
