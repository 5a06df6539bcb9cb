package scan

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/scan/checks"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// jsonError answers a JSON-protocol call (Organizations) with an AWS error.
func jsonError(op string, status int, code, msg string) mototest.AnswerFunc {
	return func(w http.ResponseWriter, c *mototest.Call) bool {
		if c.Operation() != op {
			return false
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
		return true
	}
}

func TestOrganizationListingFails(t *testing.T) {
	for _, tc := range []struct {
		code, want string
	}{
		{"AccessDeniedException", "organizations:ListAccounts: access denied (AccessDeniedException): run --org with credentials of the management account or of a delegated administrator"},
		{"AWSOrganizationsNotInUseException", "organizations:ListAccounts: the account is not in an AWS Organization: drop --org"},
	} {
		motoEnv(t, jsonError("organizations:ListAccounts", http.StatusBadRequest, tc.code, "You don't have permissions to access this resource."))
		s, err := Open(context.Background(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Collect(context.Background(), s, leaked("AKIAQYLPMN5HHHFPZAM2"), Request{Org: true, NoChecks: true}) // keysweep:allow made-up ID
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.code, err, tc.want)
		}
	}
}

func TestSelectAccounts(t *testing.T) {
	all := []Account{{"111111111111", "a"}, {"222222222222", "b"}, {"333333333333", "c"}}
	for _, tc := range []struct {
		only, exclude []string
		want          string
	}{
		{nil, nil, "111111111111 222222222222 333333333333"},
		{[]string{"222222222222", "333333333333"}, nil, "222222222222 333333333333"},
		{nil, []string{"111111111111"}, "222222222222 333333333333"},
		{[]string{"222222222222"}, []string{"222222222222"}, ""},
		{[]string{"444444444444"}, nil, "error"},
		{nil, []string{"444444444444"}, "error"},
	} {
		got, err := selectAccounts(all, tc.only, tc.exclude)
		var ids []string
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		s := strings.Join(ids, " ")
		if err != nil {
			s = "error"
		}
		if s != tc.want {
			t.Errorf("only %v exclude %v: %q (%v), want %q", tc.only, tc.exclude, s, err, tc.want)
		}
	}
}

// Centralized root access is read where it can be, in the management
// account the run has credentials for, and lent to each member: a member
// cannot read it (AccountNotManagementOrDelegatedAdministrator) and
// cannot fix it, so its result names the management account.
func TestOrganizationRootAccessLentToMembers(t *testing.T) {
	for _, tc := range []struct {
		features   []string
		management finding.CheckState
		member     finding.CheckState
		memberMsg  string
	}{
		{[]string{"RootCredentialsManagement"}, finding.CheckPass, finding.CheckPass, "(management account 123456789012) manages member accounts' root credentials"},
		{nil, finding.CheckFail, finding.CheckNotApplicable, "the fix belongs in management account 123456789012"},
	} {
		features := func(w http.ResponseWriter, c *mototest.Call) bool {
			if c.AccessKeyID() == "testing" { // the caller: the management account
				return mototest.OrganizationsFeatures("", tc.features...)(w, c)
			}
			return mototest.OrganizationsFeatures("AccountNotManagementOrDelegatedAdministrator")(w, c)
		}
		motoEnv(t, features)
		ctx := context.Background()
		org := organizations.NewFromConfig(adminConfig(t))
		if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: "ALL"}); err != nil {
			t.Fatal(err)
		}
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("member"), Email: aws.String("m@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		member := aws.ToString(out.CreateAccountStatus.AccountId)
		s, err := Open(ctx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		sel, _ := checks.ParseSelection("iam-root-credentials-management", "")
		res, err := Collect(ctx, s, nil, Request{Org: true, Checks: sel, Snapshot: snapshot.Options{Regions: []string{"us-east-1"}}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]finding.CheckResult{}
		for _, r := range res.Checks {
			got[r.Account] = r
		}
		if r := got[motoAccount]; r.State != tc.management {
			t.Errorf("features %v: management account %s: %s", tc.features, r.State, r.Message)
		}
		if r := got[member]; r.State != tc.member || !strings.Contains(r.Message, tc.memberMsg) {
			t.Errorf("features %v: member %s: %s; want %s containing %q", tc.features, r.State, r.Message, tc.member, tc.memberMsg)
		}
	}
}

// An organization trail lives in the management account and shows in every
// member, which cannot change it: when it records no management events,
// the management account fails cloudtrail-enabled and each member is told
// the fix belongs there instead of failing too.
func TestOrganizationTrailJudgedWhereItCanBeFixed(t *testing.T) {
	const trailARN = "arn:aws:cloudtrail:us-east-1:" + motoAccount + ":trail/org"
	// moto has no shadow trails in members: a member's calls are answered
	// as CloudTrail answers a member of an organization with this trail.
	member := func(w http.ResponseWriter, c *mototest.Call) bool {
		if c.AccessKeyID() == "testing" || !strings.HasPrefix(c.Operation(), "cloudtrail:") {
			return false
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch c.Operation() {
		case "cloudtrail:DescribeTrails":
			fmt.Fprintf(w, `{"trailList":[{"Name":"org","TrailARN":%q,"HomeRegion":"us-east-1","IsMultiRegionTrail":true,"IsOrganizationTrail":true,"LogFileValidationEnabled":false,"S3BucketName":"org-trail"}]}`, trailARN)
		case "cloudtrail:GetTrailStatus":
			fmt.Fprintf(w, `{"IsLogging":true,"StartLoggingTime":%d,"LatestDeliveryTime":%d}`, time.Now().Add(-48*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix())
		case "cloudtrail:GetEventSelectors":
			fmt.Fprintf(w, `{"TrailARN":%q,"EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]}`, trailARN)
		default:
			return false
		}
		return true
	}
	motoEnv(t, member)
	ctx := context.Background()
	admin := adminConfig(t)
	org := organizations.NewFromConfig(admin)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: "ALL"}); err != nil {
		t.Fatal(err)
	}
	out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("member"), Email: aws.String("m@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	memberID := aws.ToString(out.CreateAccountStatus.AccountId)
	// The management account's own trail: logging data events only.
	bucket, err := http.NewRequest(http.MethodPut, aws.ToString(admin.BaseEndpoint)+"/org-trail", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(bucket)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ct := cloudtrail.NewFromConfig(admin)
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org"), S3BucketName: aws.String("org-trail"),
		IsMultiRegionTrail: aws.Bool(true), IsOrganizationTrail: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("org"), EventSelectors: []cttypes.EventSelector{{
		IncludeManagementEvents: aws.Bool(false), ReadWriteType: cttypes.ReadWriteTypeAll,
		DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3"}}}}}}); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sel, _ := checks.ParseSelection("cloudtrail-enabled,cloudtrail-log-validation", "")
	res, err := Collect(ctx, s, nil, Request{Org: true, Checks: sel, Snapshot: snapshot.Options{Regions: []string{"us-east-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]finding.CheckResult{}
	for _, r := range res.Checks {
		got[r.Account+" "+r.RuleID] = r
	}
	for key, want := range map[string]struct {
		state finding.CheckState
		msg   string
	}{
		motoAccount + " cloudtrail-enabled":        {finding.CheckFail, "org (multi-region, records no management events)"},
		motoAccount + " cloudtrail-log-validation": {finding.CheckFail, "does not validate"},
		memberID + " cloudtrail-enabled":           {finding.CheckNotApplicable, "only its owner, management account " + motoAccount + ", can change it"},
		memberID + " cloudtrail-log-validation":    {finding.CheckNotApplicable, "belongs to account " + motoAccount},
	} {
		if r := got[key]; r.State != want.state || !strings.Contains(r.Message, want.msg) {
			t.Errorf("%s: %s %q; want %s containing %q", key, r.State, r.Message, want.state, want.msg)
		}
	}
}
