package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/keysweep/keysweep/canary"
	"github.com/keysweep/keysweep/config"
	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/verify"
)

// Verify is the verification stage, between the inventory and the judge:
// the canary facts (always, with no call) and, with cfg.Verify, what
// sts:GetCallerIdentity signed with each committed pair no inventory
// resolves says about it. It records what it did in rep (Verify, Gaps);
// a call without an answer leaves the key to the judge as it was.
func Verify(ctx context.Context, rep *finding.Report, leaks []finding.Leak, inv *finding.Inventory, cfg Config) finding.Verifications {
	c := &config.Config{}
	if cfg.Settings != nil && cfg.Settings.Config != nil {
		c = cfg.Settings.Config
	}
	plan := verify.NewPlan(leaks, inv, verify.Policy{
		Verify:   cfg.Verify,
		Canaries: canary.Builtin().With(c.CanaryAccounts),
		Allowed:  c.AllowedAccounts,
		Deny:     c.VerifyDenyAccounts,
	})
	res := verify.Run(ctx, plan, verify.Options{
		Endpoint: verify.EndpointFromEnv(os.Getenv),
		Region:   cmp.Or(cfg.AWS.Region, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION")),
	})
	stats := &finding.VerifyStats{
		Requested: cfg.Verify,
		Keys:      res.Keys,
		Canaries:  len(plan.Canaries),
		Failed:    res.Failed,
		Calls:     res.Calls,
		Skipped:   plan.Skipped,
	}
	for _, v := range res.Verified {
		switch v.Status {
		case finding.StatusLive:
			stats.Live++
		case finding.StatusInvalid:
			stats.Invalid++
		}
	}
	if cfg.Verify || stats.Canaries > 0 {
		rep.Verify = stats
	}
	rep.Gaps = append(rep.Gaps, res.Gaps...)
	if stats.Skipped > 0 {
		rep.Gaps = append(rep.Gaps, fmt.Sprintf("%d committed key%s of allowed or verify-denied accounts not verified (.keysweep.yml)", stats.Skipped, map[bool]string{true: "", false: "s"}[stats.Skipped == 1]))
	}
	return res.Verified
}

// JudgeVerified is Judge with the verification stage's facts.
func JudgeVerified(rep *finding.Report, leaks []finding.Leak, inv *finding.Inventory, ver finding.Verifications, now time.Time) []finding.KeyFinding {
	if inv != nil {
		rep.Account = inv.Account
		rep.InventorySource = inv.Source
		rep.Gaps = append(rep.Gaps, inv.Gaps...)
	}
	rep.Rules = append(rep.Rules, judge.Rules()...)
	return judge.JudgeVerified(leaks, inv, ver, now)
}
