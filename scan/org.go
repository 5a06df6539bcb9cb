package scan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"
)

// DefaultMemberRole is the role keysweep assumes in each member account
// of an organization (docs/aws-organizations.md deploys it as a StackSet).
const DefaultMemberRole = "keysweep-audit"

// Account is one AWS account keysweep reads.
type Account struct {
	ID   string
	Name string
}

// listAccounts reads the organization's active accounts with their names
// (organizations:ListAccounts, paginated), sorted by ID. It needs the
// credentials of the management account or of a delegated administrator.
func listAccounts(ctx context.Context, s *Session) ([]Account, []string, error) {
	p := organizations.NewListAccountsPaginator(organizations.NewFromConfig(s.cfg), &organizations.ListAccountsInput{})
	var (
		accounts []Account
		gaps     []string
	)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, classifyOrg(err)
		}
		for _, a := range page.Accounts {
			acct := Account{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name)}
			// A suspended or closing account cannot be signed in to.
			state := string(a.State)
			if state == "" {
				state = string(a.Status) // the older field moto and older APIs fill
			}
			if state != "" && state != string(orgtypes.AccountStateActive) {
				gaps = append(gaps, fmt.Sprintf("account %s not read: it is %s in the organization", label(acct.ID, acct.Name), strings.ToLower(state)))
				continue
			}
			accounts = append(accounts, acct)
		}
	}
	slices.SortFunc(accounts, func(a, b Account) int { return strings.Compare(a.ID, b.ID) })
	// The caller is always an account of its organization: a listing
	// without it is not the organization (an emulator's empty answer).
	if !slices.ContainsFunc(accounts, func(a Account) bool { return a.ID == s.Account }) {
		return nil, nil, &Error{Op: "organizations:ListAccounts", Cause: fmt.Sprintf("the account is not in an AWS Organization (the %d accounts listed do not include the caller's %s)", len(accounts), s.Account),
			Hint: "drop --org, or run with credentials of the organization's management account"}
	}
	return accounts, gaps, nil
}

// classifyOrg explains the two ways --org fails at the start.
func classifyOrg(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch {
		case api.ErrorCode() == "AWSOrganizationsNotInUseException":
			return &Error{Op: "organizations:ListAccounts", Cause: "the account is not in an AWS Organization", Hint: "drop --org, or run with credentials of the organization's management account", Err: err}
		case IsAccessDenied(err):
			return &Error{Op: "organizations:ListAccounts", Cause: "access denied (" + api.ErrorCode() + ")",
				Hint: "run --org with credentials of the management account or of a delegated administrator, allowed organizations:ListAccounts", Err: err}
		}
	}
	return Classify("organizations:ListAccounts", err)
}

// selectAccounts applies --accounts and --exclude-accounts. An ID named
// there that is not in the organization is an error: a typo must not
// silently leave an account unread.
func selectAccounts(all []Account, only, exclude []string) ([]Account, error) {
	known := func(list []string, flag string) error {
		for _, id := range list {
			if !slices.ContainsFunc(all, func(a Account) bool { return a.ID == id }) {
				return fmt.Errorf("%s: account %q is not an active account of the organization", flag, oneLine(id, 40))
			}
		}
		return nil
	}
	if err := errors.Join(known(only, "--accounts"), known(exclude, "--exclude-accounts")); err != nil {
		return nil, err
	}
	var out []Account
	for _, a := range all {
		if (len(only) == 0 || slices.Contains(only, a.ID)) && !slices.Contains(exclude, a.ID) {
			out = append(out, a)
		}
	}
	return out, nil
}

// label names an account for people: "210987654321 (prod)".
func label(id, name string) string {
	if name == "" {
		return id
	}
	return id + " (" + name + ")"
}

// assumeFailure says why a member role could not be assumed and what
// fixes it, for the gap that names the account.
func assumeFailure(role, arn string, err error) string {
	var api smithy.APIError
	code := "error"
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	switch {
	case IsAccessDenied(err):
		return fmt.Sprintf("cannot assume %s (%s): deploy the %s role to the account (docs/aws-organizations.md) with a trust policy that allows this caller, and check that no SCP denies sts:AssumeRole", arn, code, role)
	case code == "RegionDisabledException":
		return fmt.Sprintf("cannot assume %s (%s): activate STS in the region, or use a region enabled for the account", arn, code)
	}
	var e *Error
	if errors.As(Classify("sts:AssumeRole", err), &e) {
		return fmt.Sprintf("cannot assume %s: %s", arn, e.Cause)
	}
	return fmt.Sprintf("cannot assume %s: %s", arn, oneLine(err.Error(), 200))
}
