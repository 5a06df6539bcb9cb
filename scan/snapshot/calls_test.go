package snapshot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/scan/checks"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// regions17 are the regions enabled by default in a commercial account.
var regions17 = []string{
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
	"ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// TestCallsPerAccount counts, through the counting proxy, the AWS calls one
// account's checks cost at 1,000 IAM users (half of them with a console
// password and an access key) and 17 enabled regions: every check but
// Trusted Advisor and Access Advisor (whose costs docs/account-checks.md
// states apart). The per-user rules read the credential report, so the
// budget is 20 calls plus 5 a region whatever the number of users.
func TestCallsPerAccount(t *testing.T) {
	srv := freshMoto(t)
	cfg := testConfig(srv.Endpoint)
	ic := iam.NewFromConfig(cfg)
	const users = 1000
	start := time.Now()
	idx := make([]int, users)
	for i := range idx {
		idx[i] = i
	}
	snapshot.FanOut(context.Background(), 8, idx, func(ctx context.Context, i int) {
		name := aws.String(fmt.Sprintf("user-%04d", i))
		if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
			t.Error(err)
			return
		}
		if i%2 == 1 {
			return
		}
		if _, err := ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: name, Password: aws.String("correct-Horse-battery-staple-1")}); err != nil {
			t.Error(err)
		}
		if _, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name}); err != nil {
			t.Error(err)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d users created in %s", users, time.Since(start).Round(time.Millisecond))

	sel, err := checks.NewSelection(nil, []string{"trusted-advisor", "iam-unused-services"})
	if err != nil {
		t.Fatal(err)
	}
	opts := fastOptions
	opts.Regions = nil // every region DescribeRegions names, as in production
	// moto builds a thousand users' report slowly on a loaded machine.
	opts.JobTimeout = snapshot.DefaultJobTimeout
	opts.Sources = sel.Sources()
	regional := 0
	snap, calls := collectCounted(t, srv, opts, mototest.EnabledRegions(regions17...))
	for _, op := range calls.Ops() {
		switch op {
		case "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstances", "ec2:DescribeAddresses", "cloudtrail:DescribeTrails":
			regional += calls.Get(op)
		}
	}
	n := len(snap.Regions)
	t.Logf("%d regions, %d users: %s (%s)", n, users, calls, snap.Duration.Round(time.Millisecond))
	if n != len(regions17) {
		t.Fatalf("%d regions collected, want the %d enabled", n, len(regions17))
	}
	if len(snap.Failures) > 0 {
		t.Errorf("failures: %+v", snap.Failures)
	}
	if len(snap.CredentialReport) != users+1 {
		t.Errorf("credential report has %d rows, want %d users and root", len(snap.CredentialReport), users)
	}
	if got, limit := calls.Total(), 20+5*n; got > limit {
		t.Errorf("%d calls for %d regions, want at most 20 + 5 a region = %d", got, n, limit)
	}
	if regional != 5*n {
		t.Errorf("%d regional calls in %d regions, want 5 a region", regional, n)
	}
	if iamCalls := calls.Service("iam"); iamCalls > 12 {
		t.Errorf("%d IAM calls at %d users: the per-user rules must not call per user (%s)", iamCalls, users, calls)
	}
	for _, perUser := range []string{"iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:ListUsers", "iam:GetLoginProfile"} {
		if calls.Get(perUser) != 0 {
			t.Errorf("%s called %d times", perUser, calls.Get(perUser))
		}
	}
	rs := checks.Run(snap, sel, checks.Thresholds{}, snap.CollectedAt)
	if got := byRule(rs)["iam-user-mfa"][finding.CheckFail]; got != users/2 {
		t.Errorf("iam-user-mfa failed %d users, want the %d with a password", got, users/2)
	}
}
