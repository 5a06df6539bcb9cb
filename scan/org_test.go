package scan

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
