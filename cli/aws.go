package cli

import (
	"context"
	"errors"
	"time"

	"github.com/keysweep/keysweep/finding"
)

// AWSConfig is the AWS side of a scan.
type AWSConfig struct {
	Enabled bool
	// Checks selects account checks by rule id; nil means all.
	Checks   []string
	NoChecks bool
	// RoleToAssume, Audience and Region configure GitHub OIDC.
	RoleToAssume string
	Audience     string
	Region       string
}

// awsSession is a verified connection to one AWS account.
type awsSession struct{}

func openAWS(ctx context.Context, c AWSConfig) (*awsSession, error) {
	return nil, errors.New("--aws is not wired yet")
}

func (s *awsSession) inventory(ctx context.Context, leaks []finding.Leak) (*finding.Inventory, error) {
	return nil, errors.New("not wired")
}

func (s *awsSession) checks(ctx context.Context, c AWSConfig, now time.Time) ([]finding.CheckResult, []finding.Rule, []string, error) {
	return nil, nil, nil, errors.New("not wired")
}
