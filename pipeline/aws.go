package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan"
	"github.com/keysweep/keysweep/scan/checks"
)

// AWSConfig is the AWS side of a scan.
type AWSConfig struct {
	Enabled bool
	// Checks selects account checks by rule id or glob; nil means all.
	Checks []string
	// SkipChecks removes rules from the selection (.keysweep.yml).
	SkipChecks []string
	NoChecks   bool
	// NoTriage leaves out what each matched key can do and what
	// CloudTrail saw it do since it was committed (--no-triage).
	NoTriage bool
	// Thresholds of the account checks; zero fields take the defaults.
	Thresholds checks.Thresholds
	// RoleToAssume, Audience and Region configure GitHub OIDC (or
	// sts:AssumeRole outside Actions); empty means the standard chain.
	RoleToAssume  string
	Audience      string
	Region        string
	GitHubActions bool
	// Org reads every account of the caller's AWS Organization, assuming
	// MemberRole (default keysweep-audit) in the members; Accounts and
	// ExcludeAccounts restrict them by ID.
	Org                       bool
	MemberRole                string
	Accounts, ExcludeAccounts []string
}

// awsSession is a verified connection to AWS and what to read there.
type awsSession struct {
	session *scan.Session
	req     scan.Request
}

// openAWS resolves credentials and proves them with sts:GetCallerIdentity,
// so a bad setup fails before the history scan, in one line.
func openAWS(ctx context.Context, c AWSConfig) (*awsSession, error) {
	// An unknown rule id is a usage error: say so before any AWS call.
	sel, err := checks.NewSelection(c.Checks, c.SkipChecks)
	if err != nil {
		return nil, fmt.Errorf("--checks: %w", err)
	}
	s, err := scan.Open(ctx, scan.Options{
		Region:        c.Region,
		RoleToAssume:  c.RoleToAssume,
		Audience:      c.Audience,
		GitHubActions: c.GitHubActions,
	})
	if err != nil {
		return nil, err
	}
	return &awsSession{session: s, req: scan.Request{
		Checks:     sel,
		NoChecks:   c.NoChecks,
		NoTriage:   c.NoTriage,
		Thresholds: c.Thresholds,
		Org:        c.Org,
		MemberRole: c.MemberRole,
		Accounts:   c.Accounts,
		Exclude:    c.ExcludeAccounts,
	}}, nil
}

// collect matches the committed keys in the accounts that own them and
// runs the selected account checks: the pipeline's AWS stage.
func (s *awsSession) collect(ctx context.Context, leaks []finding.Leak, now time.Time) (*scan.Result, error) {
	req := s.req
	req.Now = now
	return scan.Collect(ctx, s.session, leaks, req)
}

// Inventory opens the AWS account c names and lists its keys: the live
// inventory `keysweep inventory --aws` exports for offline runs.
func Inventory(ctx context.Context, c AWSConfig) (*finding.Inventory, error) {
	c.NoChecks = true
	s, err := openAWS(ctx, c)
	if err != nil {
		return nil, err
	}
	return scan.FullInventory(ctx, s.session)
}
