package scan

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan/iampolicy"
	"github.com/keysweep/keysweep/scan/snapshot"
	"github.com/keysweep/keysweep/scan/triage"
)

// maxRegionsAtOnce bounds the regions searched side by side for one
// account; each region's calls are spaced by its own rate limiter.
const maxRegionsAtOnce = 32

// triageAll reads, for every key the inventory matched in an account it
// could read, what the key's user can do (one authorization-details read
// per account) and what CloudTrail saw the key do since it was committed
// (LookupEvents by access key ID in every enabled region, under the rate
// limit). It never signs with a committed key: the caller's (or the member
// role's) credentials ask about it.
func (c *collection) triageAll(ctx context.Context, inv *finding.Inventory, leaks []finding.Leak) {
	committed := map[string]time.Time{}
	for _, l := range leaks {
		// The earliest commit of the key anywhere is when it leaked.
		if d := committed[l.KeyID]; !l.Date.IsZero() && (d.IsZero() || l.Date.Before(d)) {
			committed[l.KeyID] = l.Date
		}
	}
	invs := []*finding.Inventory{inv}
	for _, a := range slices.Sorted(maps.Keys(inv.Members)) {
		invs = append(invs, inv.Members[a])
	}
	gaps := make([][]string, len(invs))
	snapshot.FanOut(ctx, c.req.Parallel, indexes(len(invs)), func(ctx context.Context, i int) {
		gaps[i] = c.triageAccount(ctx, invs[i], committed)
	})
	for _, g := range gaps {
		inv.Gaps = append(inv.Gaps, g...)
	}
}

// triageAccount triages the keys of one account's inventory and returns
// the gaps: what could not be looked up, and why.
func (c *collection) triageAccount(ctx context.Context, inv *finding.Inventory, committed map[string]time.Time) []string {
	if len(inv.Keys) == 0 {
		return nil
	}
	r, why := c.reader(ctx, inv.Account)
	if r == nil {
		return prefixGaps(inv.Account, inv.AccountName, []string{"access and activity of committed keys not looked up: " + why})
	}
	ids := slices.Sorted(maps.Keys(inv.Keys))
	inv.Triage = make(map[string]finding.Triage, len(ids))
	var gaps []string

	auth, fail := r.Authorization(ctx)
	if fail != nil {
		gaps = append(gaps, fmt.Sprintf("access of %d committed key%s unknown: %s", len(ids), plural(len(ids)), fail.Reason()))
	}
	// With --org, the service control policies that apply to the account
	// bound what its users can do. SCPs only take away, so unread ones
	// leave the levels upper bounds, which a gap says.
	var levels [][]iampolicy.Policy
	if c.req.Org {
		var why string
		if levels, why = c.scpLevels(ctx, inv.Account); why != "" {
			gaps = append(gaps, "service control policies not read, access levels are upper bounds: "+why)
		}
	}
	regions, rfail := r.Regions(ctx)
	if rfail != nil {
		// Without the list, the home region is still worth a search.
		regions = []string{r.HomeRegion()}
		gaps = append(gaps, "activity searched in "+r.HomeRegion()+" only: "+rfail.Reason())
	}
	now := c.req.Now
	// One key at a time, its regions side by side: each region's calls
	// are spaced by its limiter anyway, and only one key's events (at most
	// LookupPages pages per region) are held before they are summarised.
	unread := map[string][]string{} // cause -> regions
	for _, id := range ids {
		key := inv.Keys[id]
		t := finding.Triage{}
		if key.User != "" && key.User != finding.RootUser {
			t.Access = triage.Access(auth, fail, key.User, levels)
		}
		since, covers := triage.Window(committed[id], now)
		lookups := make([]snapshot.Lookup, len(regions))
		snapshot.FanOut(ctx, min(len(regions), maxRegionsAtOnce), indexes(len(regions)), func(ctx context.Context, i int) {
			lookups[i] = r.LookupEvents(ctx, id, regions[i], since)
		})
		t.Activity = triage.Activity(lookups, since, covers)
		for _, l := range lookups {
			if l.Failure != nil {
				unread[l.Failure.Reason()] = append(unread[l.Failure.Reason()], l.Region)
			}
		}
		inv.Triage[id] = t
	}
	for _, cause := range slices.Sorted(maps.Keys(unread)) {
		regs := slices.Compact(slices.Sorted(slices.Values(unread[cause])))
		gaps = append(gaps, fmt.Sprintf("activity of committed keys not searched in %d region%s (%s): %s",
			len(regs), plural(len(regs)), joinMax(regs, 5), cause))
	}
	return prefixGaps(inv.Account, inv.AccountName, gaps)
}

// joinMax joins at most n items, then says how many more.
func joinMax(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s, +%d more", strings.Join(items[:n], ", "), len(items)-n)
}
