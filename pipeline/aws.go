package pipeline

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan"
	"github.com/keysweep/keysweep/scan/checks"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// AWSConfig is the AWS side of a scan.
type AWSConfig struct {
	Enabled bool
	// Checks selects account checks by rule id or glob; nil means all.
	Checks []string
	// SkipChecks removes rules from the selection (.keysweep.yml).
	SkipChecks []string
	NoChecks   bool
	// Thresholds of the account checks; zero fields take the defaults.
	Thresholds checks.Thresholds
	// RoleToAssume, Audience and Region configure GitHub OIDC (or
	// sts:AssumeRole outside Actions); empty means the standard chain.
	RoleToAssume  string
	Audience      string
	Region        string
	GitHubActions bool
}

// awsSession is a verified connection to one AWS account.
type awsSession struct {
	cfg     aws.Config
	sel     checks.Selection
	account string
	arn     string
	calls   *scan.CallCounter
}

// openAWS resolves credentials and proves them with sts:GetCallerIdentity,
// so a bad setup fails before the history scan, in one line.
func openAWS(ctx context.Context, c AWSConfig) (*awsSession, error) {
	s := &awsSession{calls: &scan.CallCounter{}}
	var err error
	// An unknown rule id is a usage error: say so before any AWS call.
	if s.sel, err = checks.NewSelection(c.Checks, c.SkipChecks); err != nil {
		return nil, fmt.Errorf("--checks: %w", err)
	}
	cfg, err := scan.LoadConfig(ctx, scan.Options{
		Region:        c.Region,
		RoleToAssume:  c.RoleToAssume,
		Audience:      c.Audience,
		GitHubActions: c.GitHubActions,
		Counter:       s.calls,
	})
	if err != nil {
		return nil, err
	}
	s.cfg = cfg
	if s.account, s.arn, err = scan.CallerIdentity(ctx, cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// inventory lists the account's keys and asks STS which account owns
// each committed key that is not among them.
func (s *awsSession) inventory(ctx context.Context, leaks []finding.Leak) (*finding.Inventory, error) {
	inv, err := scan.Inventory(ctx, s.cfg, scan.InventoryOptions{Account: s.account})
	if err != nil {
		return nil, err
	}
	// scan.Inventory fails rather than return a partial list of keys.
	inv.Complete = true
	var unknown []string
	seen := map[string]bool{}
	for _, l := range leaks {
		if _, ok := inv.Keys[l.KeyID]; !ok && !seen[l.KeyID] {
			seen[l.KeyID] = true
			unknown = append(unknown, l.KeyID)
		}
	}
	if len(unknown) > 0 {
		accounts, gaps, err := scan.KeyAccounts(ctx, s.cfg, unknown)
		if err != nil {
			return nil, err
		}
		inv.KeyAccounts = accounts
		inv.Gaps = append(inv.Gaps, gaps...)
	}
	return inv, nil
}

// checks collects one snapshot of the account and runs the selected
// checks on it. AWS errors are not returned: each one becomes the
// could-not-run result of the checks it prevented.
func (s *awsSession) checks(ctx context.Context, c AWSConfig, now time.Time) ([]finding.CheckResult, []finding.Rule, []string, error) {
	snap, err := snapshot.Collect(ctx, s.cfg, snapshot.Options{
		// moto speaks CloudWatch's query protocol, not the SDK's default
		// CBOR; AWS accepts both.
		CloudWatchQuery: os.Getenv("AWS_ENDPOINT_URL") != "",
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return checks.Run(snap, s.sel, c.Thresholds, now), checks.Rules(), nil, nil
}

// Inventory opens the AWS account c names and lists its keys: the live
// inventory `keysweep inventory --aws` exports for offline runs.
func Inventory(ctx context.Context, c AWSConfig) (*finding.Inventory, error) {
	c.NoChecks = true
	s, err := openAWS(ctx, c)
	if err != nil {
		return nil, err
	}
	return s.inventory(ctx, nil)
}
