package scan

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Session is a proven connection to AWS: the caller's credentials, the
// account they act in, and the means to act in the other accounts of its
// organization.
type Session struct {
	cfg aws.Config
	// Account is the caller's 12-digit account ID, ARN its identity.
	Account string
	ARN     string
	session string
}

// Open resolves credentials as o describes and proves them with
// sts:GetCallerIdentity, so a bad setup fails in one line before any
// long work.
func Open(ctx context.Context, o Options) (*Session, error) {
	cfg, err := LoadConfig(ctx, o)
	if err != nil {
		return nil, err
	}
	account, arn, err := CallerIdentity(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Session{cfg: cfg, Account: account, ARN: arn, session: sessionName(o.SessionName)}, nil
}

// partition is the caller's AWS partition (aws, aws-cn, aws-us-gov), for
// the ARNs of member roles.
func (s *Session) partition() string {
	if p := strings.Split(s.ARN, ":"); len(p) > 2 && strings.HasPrefix(s.ARN, "arn:") && p[1] != "" {
		return p[1]
	}
	return "aws"
}

// roleARN is the member role's ARN in account.
func (s *Session) roleARN(account, role string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", s.partition(), account, role)
}

// assume returns a config acting as role in account, with credentials
// fetched now (one sts:AssumeRole) so that a refusal is known before the
// account is read, and refreshed by the SDK when they expire.
func (s *Session) assume(ctx context.Context, account, role string) (aws.Config, error) {
	cfg := s.cfg.Copy()
	arn := s.roleARN(account, role)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(s.cfg), arn,
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = s.session }))
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, err
	}
	return cfg, nil
}
