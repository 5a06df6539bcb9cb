package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/mototest"
)

// manyUsers creates n IAM users with one access key each in moto and
// returns the key IDs and secrets.
func manyUsers(t testing.TB, c *iam.Client, n int) (ids, secrets []string) {
	t.Helper()
	ids, secrets = make([]string, n), make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx := context.Background()
			name := fmt.Sprintf("user-%03d", i)
			if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
				t.Errorf("create %s: %v", name, err)
				return
			}
			out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
			if err != nil {
				t.Errorf("key for %s: %v", name, err)
				return
			}
			ids[i], secrets[i] = aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey)
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return ids, secrets
}

// TestMatchingCostsCallsPerKey is issue 14's measure: `scan --aws
// --no-checks --no-triage` with 3 committed keys in an account of 400
// users makes a number of AWS calls that grows with the keys, not with the
// users, and `--checks iam-password-policy` reads only the password
// policy. The triage adds one authorization-details read for the account
// and a LookupEvents per key and region (issue 25).
func TestMatchingCostsCallsPerKey(t *testing.T) {
	srv := moto.Get(t)
	srv.Reset(t)
	srv.Env(t)
	ids, secrets := manyUsers(t, iamClient(t, ""), 400)
	r := gittest.New(t)
	for i, n := range []int{7, 200, 399} {
		r.Write(fmt.Sprintf("env/%d.env", i), "AWS_ACCESS_KEY_ID="+ids[n]+"\nAWS_SECRET_ACCESS_KEY="+secrets[n]+"\n")
	}
	r.Commit("three keys")

	var calls mototest.Counter
	mototest.EnvFor(t, srv.Proxy(t, calls.Count).URL)
	code, out, stderr := run(t, "scan", r.Dir, "--aws", "--no-checks", "--no-triage", "--format", "json", "--fail-on", "critical")
	if code != ExitFindings || strings.Count(out, `"status": "active"`) != 3 {
		t.Fatalf("exit %d, stderr %s; want 3 active keys in:\n%s", code, stderr, out)
	}
	t.Logf("scan --aws --no-checks, 3 keys among 400 users: %s", &calls)
	if n := calls.Total(); n > 30 {
		t.Errorf("%d AWS calls to match 3 keys, want at most 30", n)
	}

	matching := calls.Total()
	calls.Reset()
	if code, _, stderr := run(t, "scan", r.Dir, "--aws", "--no-checks", "--format", "json", "--fail-on", "none"); code != ExitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("scan --aws --no-checks (with triage): %s", &calls)
	regions := calls.Get("ec2:DescribeRegions")
	if auth := calls.Get("iam:GetAccountAuthorizationDetails"); auth != 1 || regions != 1 {
		t.Errorf("triage read the authorization details %d times and the regions %d times, want once each", auth, regions)
	}
	if lookups := calls.Get("cloudtrail:LookupEvents"); lookups%3 != 0 || lookups < 3 || lookups > 3*40 {
		t.Errorf("%d LookupEvents for 3 keys: want one per key and region", lookups)
	}
	if extra := calls.Total() - matching - calls.Get("cloudtrail:LookupEvents"); extra != 2 {
		t.Errorf("triage made %d calls besides the lookups, want 2 (authorization details, regions)", extra)
	}

	calls.Reset()
	if code, _, stderr := run(t, "scan", r.Dir, "--aws", "--no-triage", "--checks", "iam-password-policy", "--format", "json", "--fail-on", "none"); code != ExitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("scan --aws --checks iam-password-policy: %s", &calls)
	if n := calls.Service("ec2"); n != 0 {
		t.Errorf("%d EC2 calls for the password policy check, want none", n)
	}
	if n := calls.Get("iam:GenerateServiceLastAccessedDetails"); n != 0 {
		t.Errorf("%d Access Advisor jobs for the password policy check, want none", n)
	}
	if n := calls.Get("iam:GetAccountPasswordPolicy"); n != 1 {
		t.Errorf("GetAccountPasswordPolicy called %d times, want 1", n)
	}

	// Wall time through a proxy adding 25 ms a call, about a runner's
	// round trip to IAM.
	calls.Reset()
	mototest.EnvFor(t, srv.Proxy(t, mototest.Chain(calls.Count, mototest.Latency(25*time.Millisecond))).URL)
	start := time.Now()
	if code, _, stderr := run(t, "scan", r.Dir, "--aws", "--no-checks", "--no-triage", "--fail-on", "none"); code != ExitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("same through 25 ms/call: %v, %d calls", time.Since(start).Round(time.Millisecond), calls.Total())

	// With the triage: one authorization-details read and a LookupEvents
	// per key and region, each region's calls spaced under CloudTrail's
	// 2 a second.
	calls.Reset()
	start = time.Now()
	if code, _, stderr := run(t, "scan", r.Dir, "--aws", "--no-checks", "--fail-on", "none"); code != ExitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("with triage through 25 ms/call: %v, %d calls", time.Since(start).Round(time.Millisecond), calls.Total())
}
