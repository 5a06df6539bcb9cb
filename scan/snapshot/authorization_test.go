package snapshot_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// TestAuthorization reads a user's inline, attached and group policies in
// one GetAccountAuthorizationDetails (moto answers every user in one page),
// shared by every caller of the same Reader.
func TestAuthorization(t *testing.T) {
	srv := freshMoto(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(testConfig(srv.Endpoint))
	boundary := must[*iam.CreatePolicyOutput](t)(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("boundary"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}))
	ok(t)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}))
	ok(t)(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("own"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a b/*"}]}`)}))
	ok(t)(ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("dev"), PolicyArn: boundary.Policy.Arn}))
	ok(t)(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")}))
	ok(t)(ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: aws.String("dev")}))
	ok(t)(ic.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("ops"), PolicyName: aws.String("ec2"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)}))
	for i := range 120 {
		ok(t)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("filler" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)))}))
	}

	var calls mototest.Counter
	r := snapshot.NewReader(testConfig(srv.Proxy(t, calls.Count).URL), "123456789012", fastOptions)
	auth, fail := r.Authorization(ctx)
	if fail != nil {
		t.Fatal(fail.Reason())
	}
	if again, _ := r.Authorization(ctx); again != auth {
		t.Error("a second caller read again")
	}
	if n := calls.Get("iam:GetAccountAuthorizationDetails"); n != 1 {
		t.Errorf("GetAccountAuthorizationDetails called %d times, want 1", n)
	}
	u, found := auth.User("dev")
	if !found {
		t.Fatalf("no user dev among %d", len(auth.Users))
	}
	if !slices.Equal(u.Attached, []string{aws.ToString(boundary.Policy.Arn)}) || !slices.Equal(u.Groups, []string{"ops"}) ||
		len(u.Inline) != 1 || u.Inline[0].Name != "own" {
		t.Errorf("dev = %+v", u)
	}
	if g, ok := auth.Group("ops"); !ok || len(g.Inline) != 1 {
		t.Errorf("ops = %+v", g)
	}
	if doc := auth.Policies[u.Attached[0]]; !strings.Contains(doc, "s3") {
		t.Errorf("boundary document = %q", doc)
	}
	if len(auth.Users) != 121 {
		t.Errorf("%d users", len(auth.Users))
	}
}

// TestAuthorizationDenied: a reader refused the call has a failure that
// names it, and nothing else.
func TestAuthorizationDenied(t *testing.T) {
	srv := freshMoto(t)
	deny := func(w http.ResponseWriter, c *mototest.Call) bool {
		if c.Action != "GetAccountAuthorizationDetails" {
			return false
		}
		mototest.WriteError(w, http.StatusForbidden, "AccessDenied", "not authorized to perform: iam:GetAccountAuthorizationDetails")
		return true
	}
	r := snapshot.NewReader(testConfig(srv.Proxy(t, deny).URL), "123456789012", fastOptions)
	auth, fail := r.Authorization(context.Background())
	if auth != nil || fail == nil || fail.Cause() != "AccessDenied on iam:GetAccountAuthorizationDetails" {
		t.Errorf("auth %v, failure %+v", auth, fail)
	}
}
