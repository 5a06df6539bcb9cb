package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/scan/checks"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// Request says what one collection reads. The zero value matches the
// committed keys in the caller's account and runs every check there.
type Request struct {
	// Checks selects the account checks; NoChecks runs none.
	Checks     checks.Selection
	NoChecks   bool
	Thresholds checks.Thresholds

	// NoTriage leaves out the triage of the matched keys: what each key's
	// user can do (iam:GetAccountAuthorizationDetails) and what CloudTrail
	// saw the key do since it was committed (cloudtrail:LookupEvents).
	NoTriage bool

	// Org reads the caller's AWS Organization: keys are matched in the
	// account that owns each, and the checks run in every account.
	Org bool
	// MemberRole is the role assumed in member accounts; "" means
	// DefaultMemberRole.
	MemberRole string
	// Accounts and Exclude restrict the organization's accounts (IDs).
	Accounts, Exclude []string
	// Parallel bounds the accounts read at once (each reads its regions
	// and users with Snapshot.Parallel): AWS throttles per account, so
	// accounts are where concurrency is free. Default DefaultParallel.
	Parallel int
	// Snapshot tunes each account's reading (regions, polling).
	Snapshot snapshot.Options
	// Now is the time check ages are measured against; zero means now.
	Now time.Time
}

// DefaultParallel is how many accounts are read at once.
const DefaultParallel = 8

// Result is everything a collection read, as plain values for the judge
// and the report.
type Result struct {
	// Inventory is what the committed keys are matched against: the
	// caller's account, with the organization's other accounts in Members.
	Inventory *finding.Inventory
	// Checks are the results of the account checks in every account read,
	// by account then catalogue order; Rules the check rules (nil when no
	// check ran).
	Checks []finding.CheckResult
	Rules  []finding.Rule
	// Accounts are the accounts the checks ran in, or would have.
	Accounts []Account
	// Gaps are what the checks could not read (the inventory's gaps are in
	// Inventory.Gaps).
	Gaps []string
}

// Collect reads from AWS what the committed keys leaks and the selected
// checks need, in the caller's account or, with req.Org, in every account
// of its organization. A key is matched in the account that owns it
// (decoded offline from its ID, confirmed by sts:GetAccessKeyInfo) with a
// few calls per key. Failures inside an account are gaps, never errors:
// an account that cannot be read leaves its keys unverified. Collect
// fails only when AWS cannot be used at all, or the organization cannot
// be listed.
func Collect(ctx context.Context, s *Session, leaks []finding.Leak, req Request) (*Result, error) {
	if req.MemberRole == "" {
		req.MemberRole = DefaultMemberRole
	}
	if req.Parallel <= 0 {
		req.Parallel = DefaultParallel
	}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	c := &collection{s: s, req: req, readers: map[string]*member{}}
	inv := &finding.Inventory{Source: "aws", Account: s.Account, Keys: map[string]finding.AccessKey{}, Complete: true}
	accounts := []Account{{ID: s.Account}}
	if req.Org {
		var err error
		if accounts, err = c.organization(ctx, inv); err != nil {
			return nil, err
		}
	}
	byAccount, err := c.owners(ctx, inv, leaks, accounts)
	if err != nil {
		return nil, err
	}
	c.matchAll(ctx, inv, byAccount)
	if err := ctx.Err(); err != nil {
		return nil, Classify("match keys", err)
	}
	if req.NoTriage {
		if matched(inv) {
			inv.Gaps = append(inv.Gaps, "access and activity of committed keys not looked up: --no-triage")
		}
	} else {
		c.triageAll(ctx, inv, leaks)
		if err := ctx.Err(); err != nil {
			return nil, Classify("triage keys", err)
		}
	}
	res := &Result{Inventory: inv, Accounts: accounts}
	if req.NoChecks {
		return res, nil
	}
	res.Rules = checks.Rules()
	if req.Org && slices.Contains(req.Checks.Sources(), snapshot.SrcOrgFeatures) {
		// Only the management account (or IAM's delegated administrator)
		// can read centralized root access; members are judged by its
		// answer.
		if r, _ := c.reader(ctx, s.Account); r != nil {
			c.orgFeatures, _ = r.OrgFeatures(ctx)
		}
	}
	results := make([][]finding.CheckResult, len(accounts))
	checkGaps := make([][]string, len(accounts))
	snapshot.FanOut(ctx, req.Parallel, indexes(len(accounts)), func(ctx context.Context, i int) {
		results[i], checkGaps[i] = c.check(ctx, accounts[i])
	})
	if err := ctx.Err(); err != nil {
		return nil, Classify("account checks", err)
	}
	for i := range accounts {
		res.Checks = append(res.Checks, results[i]...)
		res.Gaps = append(res.Gaps, checkGaps[i]...)
	}
	return res, nil
}

// matched reports whether the inventory holds any key, in any account.
func matched(inv *finding.Inventory) bool {
	if len(inv.Keys) > 0 {
		return true
	}
	for _, m := range inv.Members {
		if len(m.Keys) > 0 {
			return true
		}
	}
	return false
}

// organization lists the organization's accounts into inv (names, and the
// accounts left out as unread) and returns the selected ones.
func (c *collection) organization(ctx context.Context, inv *finding.Inventory) ([]Account, error) {
	all, gaps, err := listAccounts(ctx, c.s)
	if err != nil {
		return nil, err
	}
	inv.Gaps = append(inv.Gaps, gaps...)
	inv.Names = map[string]string{}
	for _, a := range all {
		inv.Names[a.ID] = a.Name
	}
	inv.AccountName = inv.Names[c.s.Account]
	accounts, err := selectAccounts(all, c.req.Accounts, c.req.Exclude)
	if err != nil {
		return nil, &Error{Op: "--org", Cause: err.Error()}
	}
	inv.Unread = map[string]string{}
	for _, a := range all {
		if !slices.ContainsFunc(accounts, func(b Account) bool { return a.ID == b.ID }) {
			inv.Unread[a.ID] = "excluded by --accounts/--exclude-accounts"
		}
	}
	return accounts, nil
}

// owners finds the account of each committed key (the offline decode,
// confirmed or corrected by sts:GetAccessKeyInfo, whose answers go into
// inv.KeyAccounts) and returns the keys to match by account: those of the
// caller's account and of the selected accounts. A key of another account
// (outside the organization) is judged on its owner alone; one of an
// excluded account stays unverified, which a gap says.
func (c *collection) owners(ctx context.Context, inv *finding.Inventory, leaks []finding.Leak, accounts []Account) (map[string][]string, error) {
	ids := keyIDs(leaks)
	confirmed, gaps, err := keyAccounts(ctx, c.s.cfg, ids)
	if err != nil {
		return nil, err
	}
	inv.Gaps = append(inv.Gaps, gaps...)
	byAccount := map[string][]string{}
	excluded := map[string]int{}
	for _, id := range ids {
		a := confirmed[id]
		if a != "" {
			inv.KeyAccounts = setKey(inv.KeyAccounts, id, a)
		} else {
			a, _ = detect.DecodeAccount(id)
		}
		switch _, out := inv.Unread[a]; {
		case a == c.s.Account || slices.ContainsFunc(accounts, func(b Account) bool { return b.ID == a }):
			byAccount[a] = append(byAccount[a], id)
		case out:
			excluded[a]++
		}
	}
	for _, a := range slices.Sorted(maps.Keys(excluded)) {
		inv.Gaps = append(inv.Gaps, unmatched(a, inv.Names[a], excluded[a], inv.Unread[a]))
	}
	return byAccount, nil
}

// matchAll matches each account's keys in that account, the accounts side
// by side, into inv: the caller's account at the top, the others as
// Members, and an account that could not be read as Unread with a gap.
func (c *collection) matchAll(ctx context.Context, inv *finding.Inventory, byAccount map[string][]string) {
	in := slices.Sorted(maps.Keys(byAccount))
	invs := make([]*finding.Inventory, len(in))
	snapshot.FanOut(ctx, c.req.Parallel, indexes(len(in)), func(ctx context.Context, i int) {
		invs[i] = c.match(ctx, in[i], byAccount[in[i]], inv.Names[in[i]])
	})
	for i, a := range in {
		m := invs[i]
		switch why, unread := c.unread(a); {
		case unread:
			inv.Unread = setKey(inv.Unread, a, why)
			inv.Gaps = append(inv.Gaps, unmatched(a, inv.Names[a], len(byAccount[a]), why))
		case a == c.s.Account:
			inv.Keys, inv.RootKeys, inv.RootKeysKnown = m.Keys, m.RootKeys, m.RootKeysKnown
			inv.Gaps = append(inv.Gaps, m.Gaps...)
		default:
			inv.Gaps = append(inv.Gaps, m.Gaps...)
			if inv.Members == nil {
				inv.Members = map[string]*finding.Inventory{}
			}
			inv.Members[a] = m
		}
	}
}

// unmatched is the gap of an account whose n committed keys stay unverified.
func unmatched(account, name string, n int, why string) string {
	return fmt.Sprintf("account %s: %d committed key%s not matched, left unverified: %s", label(account, name), n, plural(n), why)
}

func setKey(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// collection is the state of one Collect: a reader per account, shared by
// the matching and the checks so each fact is read once.
type collection struct {
	s   *Session
	req Request

	mu      sync.Mutex
	readers map[string]*member
	scp     scps
	// orgFeatures are the organization's centralized root access features
	// as the caller's account reads them (with --org), lent to members.
	orgFeatures *snapshot.OrgFeatures
}

// member is one account's reader, or why there is none.
type member struct {
	once   sync.Once
	reader *snapshot.Reader
	why    string
}

// reader returns the account's reader, assuming the member role the first
// time it is asked (the caller's own account uses the caller's
// credentials).
func (c *collection) reader(ctx context.Context, account string) (*snapshot.Reader, string) {
	c.mu.Lock()
	m := c.readers[account]
	if m == nil {
		m = &member{}
		c.readers[account] = m
	}
	c.mu.Unlock()
	m.once.Do(func() {
		if account == c.s.Account {
			m.reader = snapshot.NewReader(c.s.cfg, account, c.req.Snapshot)
			return
		}
		cfg, err := c.s.assume(ctx, account, c.req.MemberRole)
		if err != nil {
			m.why = assumeFailure(c.req.MemberRole, c.s.roleARN(account, c.req.MemberRole), err)
			return
		}
		m.reader = snapshot.NewReader(cfg, account, c.req.Snapshot)
	})
	return m.reader, m.why
}

// unread says why the account's keys could not be matched, if they could not.
func (c *collection) unread(account string) (string, bool) {
	c.mu.Lock()
	m := c.readers[account]
	c.mu.Unlock()
	if m == nil || m.why == "" {
		return "", false
	}
	return m.why, true
}

// match looks up ids in the account: two calls a key, falling back to the
// whole listing of users only when a lookup fails. An account whose keys
// cannot be known is marked unread, so its keys stay unverified.
func (c *collection) match(ctx context.Context, account string, ids []string, name string) *finding.Inventory {
	// Every committed key of the account is looked up by ID, so a key the
	// lookups do not find is not in the account: the inventory is complete
	// for the keys that matter (an account that cannot be read is unread).
	inv := &finding.Inventory{Source: "aws", Account: account, AccountName: name, Keys: map[string]finding.AccessKey{}, Complete: true}
	if len(ids) == 0 {
		return inv
	}
	r, _ := c.reader(ctx, account)
	if r == nil {
		return inv // the caller reads why from unread
	}
	// The lookups run side by side: each is two round trips.
	type lookup struct {
		key   finding.AccessKey
		found bool
		fail  *snapshot.Failure
	}
	looked := make([]lookup, len(ids))
	snapshot.FanOut(ctx, cmp.Or(c.req.Snapshot.Parallel, snapshot.DefaultParallel), indexes(len(ids)), func(ctx context.Context, i int) {
		l := &looked[i]
		l.key, l.found, l.fail = r.LookupKey(ctx, ids[i])
	})
	missing := false
	var failed []snapshot.Failure
	for i, l := range looked {
		switch {
		case l.fail != nil:
			failed = append(failed, *l.fail)
		case l.found:
			inv.Keys[ids[i]] = l.key
		default:
			missing = true
		}
	}
	if len(failed) > 0 {
		users, fails := r.Users(ctx)
		for _, f := range fails {
			if f.Permission != "iam:GetAccessKeyLastUsed" {
				// Without every user's keys, "not in the account" would be a guess.
				c.markUnread(account, "keys could not be listed: "+f.Reason())
				return inv
			}
		}
		byUser := map[string][]string{}
		for _, f := range fails {
			byUser[f.Cause()] = append(byUser[f.Cause()], userOf(users, f.Resource))
		}
		inv.Gaps = append(inv.Gaps, prefixGaps(account, name, lastUsedGaps(byUser))...)
		for _, u := range users {
			for _, k := range u.Keys {
				if slices.Contains(ids, k.ID) {
					inv.Keys[k.ID] = k
				}
			}
		}
		missing = len(inv.Keys) < len(ids)
	}
	if missing {
		// A key of the account that no user has may be the root user's.
		keys, known, why := r.RootKeys(ctx)
		inv.RootKeys, inv.RootKeysKnown = keys, known
		if !known {
			inv.Gaps = append(inv.Gaps, prefixGaps(account, name, []string{"root access keys unknown: " + why})...)
		}
	}
	return inv
}

func (c *collection) markUnread(account, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.readers[account]
	if m.why == "" {
		m.why = why
	}
}

// prefixGaps names the account in gaps of a member account; the caller's
// own account is implied, as in a run without --org.
func prefixGaps(account, name string, gaps []string) []string {
	if name == "" {
		return gaps
	}
	out := make([]string, len(gaps))
	for i, g := range gaps {
		out[i] = "account " + label(account, name) + ": " + g
	}
	return out
}

// userOf names the user owning key id among users.
func userOf(users []snapshot.User, id string) string {
	for _, u := range users {
		for _, k := range u.Keys {
			if k.ID == id {
				return u.Name
			}
		}
	}
	return id
}

// check runs the selected checks in one account, reading only the sources
// they need.
func (c *collection) check(ctx context.Context, a Account) ([]finding.CheckResult, []string) {
	r, why := c.reader(ctx, a.ID)
	if r == nil {
		return nil, []string{fmt.Sprintf("account %s: checks not run: %s", label(a.ID, a.Name), why)}
	}
	opts := c.req.Snapshot
	opts.Sources = c.req.Checks.Sources()
	snap, err := snapshot.Collect(ctx, r, opts)
	if err != nil {
		return nil, []string{fmt.Sprintf("account %s: checks not run: %v", label(a.ID, a.Name), err)}
	}
	if o := c.orgFeatures; o != nil && o.Visible && a.ID != c.s.Account && (snap.Organization == nil || !snap.Organization.Visible) {
		lent := *o
		lent.Management = c.s.Account
		snap.Organization = &lent
		// The member's own refusal is answered by the lent features.
		snap.Failures = slices.DeleteFunc(snap.Failures, func(f snapshot.Failure) bool { return f.Source == snapshot.SrcOrgFeatures })
	}
	results := checks.Run(snap, c.req.Checks, c.req.Thresholds, c.req.Now)
	for i := range results {
		results[i].AccountName = a.Name
	}
	return results, nil
}

// keyIDs are the distinct committed key IDs, sorted.
func keyIDs(leaks []finding.Leak) []string {
	var ids []string
	for _, l := range leaks {
		ids = append(ids, l.KeyID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// keyAccounts asks sts:GetAccessKeyInfo which account each key ID belongs
// to. The call needs no permission unless a policy denies it; a denial is
// a gap, not an error, since the offline decode of the key ID gives the
// answer for keys created since 2019.
func keyAccounts(ctx context.Context, cfg aws.Config, ids []string) (map[string]string, []string, error) {
	client := sts.NewFromConfig(cfg)
	accounts := make(map[string]string, len(ids))
	var gaps []string
	for i, id := range ids {
		out, err := client.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(id)})
		if err == nil {
			accounts[id] = aws.ToString(out.Account)
			continue
		}
		var api smithy.APIError
		switch {
		case ctx.Err() != nil || !errors.As(err, &api):
			// Not an answer about this key: credentials or the network.
			return nil, nil, Classify("sts:GetAccessKeyInfo", err)
		case IsAccessDenied(err):
			// A denial is for the caller, not the key: asking again for
			// the others would only be denied again.
			n := len(ids) - i
			gaps = append(gaps, fmt.Sprintf("account of %d committed key ID%s not confirmed: %s",
				n, plural(n), gapCause("sts:GetAccessKeyInfo", err)))
			return accounts, gaps, nil
		default:
			gaps = append(gaps, fmt.Sprintf("account of key %s not confirmed: %s", id, gapCause("sts:GetAccessKeyInfo", err)))
		}
	}
	return accounts, gaps, nil
}

// gapCause says briefly why op failed: "AccessDenied on iam:X" for the
// common case, the classified cause otherwise.
func gapCause(op string, err error) string {
	var api smithy.APIError
	if IsAccessDenied(err) && errors.As(err, &api) {
		return api.ErrorCode() + " on " + op
	}
	var e *Error
	if errors.As(Classify(op, err), &e) {
		return e.Cause + " on " + op
	}
	return oneLine(err.Error(), 200)
}

// maxNamedUsers is how many users a gap names one per line before the
// rest are folded into one line: a role denied GetAccessKeyLastUsed
// outright would otherwise produce a gap per user.
const maxNamedUsers = 5

func lastUsedGaps(byCause map[string][]string) []string {
	var gaps []string
	for cause, users := range byCause {
		slices.Sort(users)
		users = slices.Compact(users)
		if len(users) <= maxNamedUsers {
			for _, u := range users {
				gaps = append(gaps, fmt.Sprintf("last-used unknown for user %s: %s", u, cause))
			}
			continue
		}
		gaps = append(gaps, fmt.Sprintf("last-used unknown for %d users (%s, …): %s",
			len(users), strings.Join(users[:maxNamedUsers], ", "), cause))
	}
	slices.Sort(gaps)
	return gaps
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// FullInventory lists every IAM user's keys of the caller's account, for
// `keysweep inventory --aws`: an export that later offline runs may treat
// as complete. It fails rather than return a partial list, since a list
// with holes would later read as proof that a key is not in the account.
func FullInventory(ctx context.Context, s *Session) (*finding.Inventory, error) {
	r := snapshot.NewReader(s.cfg, s.Account, snapshot.Options{})
	users, fails := r.Users(ctx)
	for _, f := range fails {
		if f.Permission != "iam:GetAccessKeyLastUsed" {
			return nil, &Error{Op: f.Permission, Cause: "the account's keys could not be listed: " + f.Reason()}
		}
	}
	inv := &finding.Inventory{Source: "aws", Account: s.Account, Keys: map[string]finding.AccessKey{}, Complete: true}
	for _, u := range users {
		for _, k := range u.Keys {
			inv.Keys[k.ID] = k
		}
	}
	if len(fails) > 0 {
		inv.Gaps = append(inv.Gaps, fmt.Sprintf("last use of %d key(s) could not be read", len(fails)))
	}
	keys, known, why := r.RootKeys(ctx)
	inv.RootKeys, inv.RootKeysKnown = keys, known
	if !known {
		inv.Gaps = append(inv.Gaps, "root access keys unknown: "+why)
	}
	return inv, nil
}

// indexes is 0, 1, …, n-1: the items for snapshot.FanOut over a slice's
// positions.
func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
