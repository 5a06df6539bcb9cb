package scan

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/judge"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// userWith creates a user with one access key and an inline policy.
func userWith(t *testing.T, cl *iam.Client, name, policy string) string {
	t.Helper()
	id := createUser(t, cl, name, 1)[0]
	if _, err := cl.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(name + "-policy"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":` + policy + `}`)}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestTriage: each committed key the inventory holds gets what it can do
// and what CloudTrail saw it do since it was committed, and the findings
// rank by urgency with one line that says why.
func TestTriage(t *testing.T) {
	var (
		boundaries mototest.Boundaries
		signers    mototest.Recorder
	)
	srv, cfg, counter := motoEnv(t, mototest.Chain(signers.Answer, boundaries.Answer))
	ctx := context.Background()
	admin := iam.NewFromConfig(adminConfig(t))
	adminKey := userWith(t, admin, "deployer", `{"Effect":"Allow","Action":"*","Resource":"*"}`)
	// An admin policy held to reading S3 by its permissions boundary.
	boundedKey := userWith(t, admin, "bounded", `{"Effect":"Allow","Action":"*","Resource":"*"}`)
	boundary, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("s3-read-boundary"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iam.NewFromConfig(cfg).PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: boundary.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	escKey := userWith(t, admin, "ci", `[{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::123456789012:policy/*"},{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]`)
	readKey := userWith(t, admin, "reader", `{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}`)
	oldKey := userWith(t, admin, "legacy", `{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::legacy/*"}`)

	now := time.Now()
	leakDate := now.Add(-72 * time.Hour)
	tr := srv.Trail()
	tr.Add(
		// Before the leak: not counted.
		mototest.TrailEvent{Region: "us-east-1", Time: leakDate.Add(-time.Hour), Name: "GetCallerIdentity", Source: "sts.amazonaws.com", AccessKeyID: adminKey, SourceIP: "192.0.2.1"},
		mototest.TrailEvent{Region: "us-east-1", Time: now.Add(-48 * time.Hour), Name: "GetCallerIdentity", Source: "sts.amazonaws.com", AccessKeyID: adminKey, SourceIP: "198.51.100.7", UserAgent: "aws-cli/2.15"},
		mototest.TrailEvent{Region: "us-east-1", Time: now.Add(-47 * time.Hour), Name: "CreateAccessKey", Source: "iam.amazonaws.com", AccessKeyID: adminKey, SourceIP: "198.51.100.7", UserAgent: "aws-cli/2.15"},
		mototest.TrailEvent{Region: "eu-west-1", Time: now.Add(-2 * time.Hour), Name: "ListBuckets", Source: "s3.amazonaws.com", AccessKeyID: adminKey, SourceIP: "203.0.113.9", UserAgent: "Boto3/1.34"},
		// Another key's event in the same region is not this key's.
		mototest.TrailEvent{Region: "us-east-1", Time: now.Add(-time.Hour), Name: "GetObject", Source: "s3.amazonaws.com", AccessKeyID: "AKIAOTHERKEY00000000"},
		// The old key: used 10 days ago, leaked 200 days ago.
		mototest.TrailEvent{Region: "us-east-1", Time: now.Add(-240 * time.Hour), Name: "PutObject", Source: "s3.amazonaws.com", AccessKeyID: oldKey, SourceIP: "192.0.2.44"},
	)
	for i := range 12 {
		tr.Add(mototest.TrailEvent{Region: "us-east-1", Time: now.Add(-30*time.Hour + time.Duration(i)*time.Second), Name: "ListUsers", Source: "iam.amazonaws.com", AccessKeyID: escKey, SourceIP: "203.0.113.50", ErrorCode: "AccessDenied"})
	}

	leaks := leaked(adminKey, escKey, readKey, oldKey, boundedKey)
	for i := range leaks {
		leaks[i].Date = leakDate
		if leaks[i].KeyID == oldKey {
			leaks[i].Date = now.Add(-200 * 24 * time.Hour)
		}
	}
	s, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	counter.Reset()
	start := time.Now()
	res, err := Collect(ctx, s, leaks, Request{NoChecks: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	inv := res.Inventory
	if n := counter.Get("iam:GetAccountAuthorizationDetails"); n != 1 {
		t.Errorf("GetAccountAuthorizationDetails called %d times, want once for the account", n)
	}
	if tr.Throttled() != 0 {
		t.Errorf("%d LookupEvents calls throttled: the rate limit was not kept", tr.Throttled())
	}
	// keysweep's own credentials asked about the keys; none signed anything.
	for id := range signers.Signed() {
		if slices.Contains([]string{adminKey, escKey, readKey, oldKey, boundedKey}, id) {
			t.Errorf("a request was signed with committed key %s", id)
		}
	}
	// Every call the triage made is in the documented read-only policy.
	raw, err := os.ReadFile("../docs/iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range counter.Ops() {
		if !strings.Contains(strings.ToLower(string(raw)), `"`+strings.ToLower(op)+`"`) {
			t.Errorf("docs/iam-policy.json lacks %s", op)
		}
	}
	regions := counter.Get("ec2:DescribeRegions")
	t.Logf("%d lookups in %s; %s", tr.Lookups(), took.Round(time.Millisecond), counter)
	if regions != 1 {
		t.Errorf("DescribeRegions called %d times", regions)
	}

	// The admin key: used after the leak from two IPs, with a CreateAccessKey.
	a := inv.Triage[adminKey]
	if a.Access == nil || a.Access.Level != "admin" || a.Access.Principal != "arn:aws:iam::123456789012:user/deployer" {
		t.Fatalf("admin access = %+v", a.Access)
	}
	act := a.Activity
	if act == nil || act.Events != 3 || !act.CoversLeak || !act.Since.Equal(leakDate.UTC()) ||
		!slices.Equal(act.SourceIPs, []string{"198.51.100.7", "203.0.113.9"}) ||
		!slices.Equal(act.Regions, []string{"eu-west-1", "us-east-1"}) ||
		!slices.Equal(act.Persistence, []string{"iam:CreateAccessKey ×1"}) ||
		act.EventNames["s3:ListBuckets"] != 1 || act.Truncated {
		t.Errorf("admin activity = %+v", act)
	}
	// The escalation key: CreatePolicyVersion, and an AccessDenied burst.
	e := inv.Triage[escKey]
	if e.Access == nil || e.Access.Level != "privilege-escalation" || len(e.Access.Escalations) == 0 || !strings.Contains(e.Access.Escalations[0], "iam:CreatePolicyVersion") {
		t.Errorf("escalation access = %+v", e.Access)
	}
	if e.Activity == nil || e.Activity.Errors != 12 || !e.Activity.DeniedBurst {
		t.Errorf("escalation activity = %+v", e.Activity)
	}
	// The read-only key, never used since.
	r := inv.Triage[readKey]
	if r.Access == nil || r.Access.Level != "read" || r.Activity == nil || r.Activity.Events != 0 || !r.Activity.CoversLeak {
		t.Errorf("read-only triage = %+v %+v", r.Access, r.Activity)
	}
	// The old leak: the history does not reach it.
	o := inv.Triage[oldKey]
	if o.Activity == nil || o.Activity.CoversLeak || o.Activity.Events != 1 || o.Activity.Since.Before(now.Add(-91*24*time.Hour)) {
		t.Errorf("old leak activity = %+v", o.Activity)
	}
	if o.Access == nil || o.Access.Level != "write" {
		t.Errorf("old leak access = %+v", o.Access)
	}

	// The boundary holds the admin policy to reading S3.
	if b := inv.Triage[boundedKey].Access; b == nil || b.Level != "read" {
		t.Errorf("bounded access = %+v", b)
	}

	// The judge ranks them: used admin first, then the used escalation,
	// the used write key, the unused read key; each says why.
	fs := judge.JudgeAt(leaks[:4], inv, now)
	var order []string
	for _, f := range fs {
		order = append(order, f.User)
	}
	if want := []string{"deployer", "ci", "legacy", "reader"}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	want := "ACTIVE, admin, used 3 times since it was committed on " + leakDate.UTC().Format(time.DateOnly) + ", from 2 source IPs, last 2 hours ago; CreateAccessKey seen"
	if fs[0].Triage != want {
		t.Errorf("why = %q\nwant  %q", fs[0].Triage, want)
	}
	if !strings.Contains(fs[3].Triage, "ACTIVE, read, not used since it was committed") {
		t.Errorf("read why = %q", fs[3].Triage)
	}
	if !strings.Contains(fs[2].Triage, "the leak is older") {
		t.Errorf("old why = %q", fs[2].Triage)
	}
}

// TestTriageDenied: a reader refused the authorization details leaves the
// key's access unknown, naming what was refused, in the key and the gaps;
// --no-triage looks nothing up and says so.
func TestTriageDenied(t *testing.T) {
	deny := func(w http.ResponseWriter, c *mototest.Call) bool {
		if c.Action != "GetAccountAuthorizationDetails" {
			return false
		}
		mototest.WriteError(w, http.StatusForbidden, "AccessDenied", "User is not authorized to perform: iam:GetAccountAuthorizationDetails")
		return true
	}
	_, _, counter := motoEnv(t, deny)
	admin := iam.NewFromConfig(adminConfig(t))
	key := userWith(t, admin, "hidden", `{"Effect":"Allow","Action":"*","Resource":"*"}`)
	s, err := Open(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Collect(context.Background(), s, leaked(key), Request{NoChecks: true, Snapshot: fastLookups})
	if err != nil {
		t.Fatal(err)
	}
	acc := res.Inventory.Triage[key].Access
	if acc == nil || acc.Level != "unknown" || !slices.Equal(acc.Unreadable, []string{"AccessDenied on iam:GetAccountAuthorizationDetails"}) {
		t.Errorf("access = %+v", acc)
	}
	if !slices.ContainsFunc(res.Inventory.Gaps, func(g string) bool {
		return strings.Contains(g, "access of 1 committed key unknown: AccessDenied on iam:GetAccountAuthorizationDetails")
	}) {
		t.Errorf("gaps %q lack the refusal", res.Inventory.Gaps)
	}

	counter.Reset()
	res, err = Collect(context.Background(), s, leaked(key), Request{NoChecks: true, NoTriage: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inventory.Triage != nil || counter.Get("cloudtrail:LookupEvents") != 0 || counter.Get("iam:GetAccountAuthorizationDetails") != 0 {
		t.Errorf("--no-triage looked up: %v %s", res.Inventory.Triage, counter)
	}
	if !slices.Contains(res.Inventory.Gaps, "access and activity of committed keys not looked up: --no-triage") {
		t.Errorf("gaps %q", res.Inventory.Gaps)
	}
}

// fastLookups searches one region, for tests that do not look at activity.
var fastLookups = snapshot.Options{Regions: []string{"us-east-1"}}
