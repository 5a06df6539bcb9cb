package scan

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/scan/checks"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// BenchmarkOrganization is issue 15's measure: an organization of 50
// accounts of 200 users each, behind a proxy adding 25 ms a call (about a
// runner's round trip to AWS). It matches 5 leaked keys of 5 accounts, then
// runs every check in all 50 accounts (one region: moto takes seconds to
// build each region's EC2 backend of each account). Run:
//
//	go test ./scan -run '^$' -bench Organization -benchtime 1x -v
//
// Setting up 10,000 users in moto takes a minute or two.
func BenchmarkOrganization(b *testing.B) {
	const accounts, users = 50, 200
	srv, _, _ := motoEnv(b, nil)
	ctx := context.Background()
	admin := adminConfig(b)
	org := organizations.NewFromConfig(admin)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: "ALL"}); err != nil {
		b.Fatal(err)
	}
	ids := []string{motoAccount}
	for i := 1; i < accounts; i++ {
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(fmt.Sprintf("acct-%02d", i)), Email: aws.String(fmt.Sprintf("a%d@example.com", i))})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.CreateAccountStatus.AccountId))
	}
	keys := make([][]string, accounts)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for a, id := range ids {
		client := iam.NewFromConfig(admin, func(o *iam.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-moto-account-id", id))
		})
		keys[a] = make([]string, users)
		for u := range users {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				keys[a][u] = createUser(b, client, fmt.Sprintf("user-%03d", u), 1)[0]
			})
		}
	}
	wg.Wait()
	var leaks []finding.Leak
	for _, a := range []int{3, 11, 24, 37, 49} {
		leaks = append(leaks, leaked(keys[a][a])...)
	}

	var calls mototest.Counter
	mototest.EnvFor(b, srv.Proxy(b, mototest.Chain(calls.Count, mototest.Latency(25*time.Millisecond))).URL)
	s, err := Open(ctx, Options{})
	if err != nil {
		b.Fatal(err)
	}
	// The checks that read no user's keys and start no Access Advisor job.
	light, err := checks.ParseSelection("iam-password-policy,iam-root-*,iam-user-mfa,iam-admin-policy,cloudtrail-*,billing-alarm,ec2-*", "")
	if err != nil {
		b.Fatal(err)
	}
	for _, run := range []struct {
		name string
		req  Request
	}{
		{"match-5-keys", Request{Org: true, NoChecks: true}},
		{"checks-50-accounts-without-per-user-reads", Request{Org: true, Checks: light, Snapshot: snapshot.Options{Regions: []string{"us-east-1"}}}},
		{"checks-50-accounts", Request{Org: true, Snapshot: snapshot.Options{Regions: []string{"us-east-1"}}}},
	} {
		b.Run(run.name, func(b *testing.B) {
			calls.Reset()
			var res *Result
			start := time.Now()
			for b.Loop() {
				if res, err = Collect(ctx, s, leaks, run.req); err != nil {
					b.Fatal(err)
				}
			}
			wall := time.Since(start) / time.Duration(b.N)
			matched := len(res.Inventory.Members)
			b.ReportMetric(float64(calls.Total()/b.N), "calls/op")
			b.ReportMetric(float64(calls.Get("sts:AssumeRole")/b.N), "assumerole/op")
			b.ReportMetric(float64(calls.Service("iam")/b.N), "iam/op")
			b.Logf("%s: %v wall, %d member inventories, %d check results, %s", run.name, wall.Round(time.Millisecond), matched, len(res.Checks), &calls)
			if run.req.NoChecks && matched != 5 {
				b.Errorf("%d member accounts matched, want 5", matched)
			}
		})
	}
}
