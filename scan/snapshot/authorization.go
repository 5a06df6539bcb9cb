package snapshot

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Authorization is what iam:GetAccountAuthorizationDetails says of an
// account: every user, group and role with its inline policies, the
// managed policies attached to it and its permissions boundary, and the
// documents of those managed policies. Documents are kept as IAM returns
// them (URL-encoded); package scan/iampolicy parses and evaluates them.
type Authorization struct {
	Users  []UserAuth  `json:"users,omitempty"`
	Groups []GroupAuth `json:"groups,omitempty"`
	Roles  []RoleAuth  `json:"roles,omitempty"`
	// Policies are the default version documents of the managed policies:
	// every one of the account's own, and the AWS managed policies
	// attached to a user, group or role (or used as a boundary).
	Policies map[string]string `json:"policies,omitempty"`
	// Failures are the AWS managed policies whose document could not be
	// read (their ARN is the Failure's Resource).
	Failures []Failure `json:"failures,omitempty"`
}

// InlinePolicy is an inline policy's name and document.
type InlinePolicy struct {
	Name     string `json:"name"`
	Document string `json:"document"`
}

// UserAuth is an IAM user's authorization details.
type UserAuth struct {
	Name     string         `json:"name"`
	ARN      string         `json:"arn"`
	Path     string         `json:"path,omitempty"`
	Created  time.Time      `json:"created,omitzero"`
	Inline   []InlinePolicy `json:"inline,omitempty"`
	Attached []string       `json:"attached,omitempty"` // managed policy ARNs
	Groups   []string       `json:"groups,omitempty"`
	// Boundary is the ARN of the permissions boundary policy, "" if none.
	Boundary string `json:"boundary,omitempty"`
}

// GroupAuth is an IAM group's authorization details.
type GroupAuth struct {
	Name     string         `json:"name"`
	ARN      string         `json:"arn"`
	Path     string         `json:"path,omitempty"`
	Created  time.Time      `json:"created,omitzero"`
	Inline   []InlinePolicy `json:"inline,omitempty"`
	Attached []string       `json:"attached,omitempty"`
}

// RoleAuth is an IAM role's authorization details.
type RoleAuth struct {
	Name     string         `json:"name"`
	ARN      string         `json:"arn"`
	Path     string         `json:"path,omitempty"`
	Created  time.Time      `json:"created,omitzero"`
	Inline   []InlinePolicy `json:"inline,omitempty"`
	Attached []string       `json:"attached,omitempty"`
	Boundary string         `json:"boundary,omitempty"`
	// Trust is the role's trust (assume-role) policy document.
	Trust string `json:"trust,omitempty"`
}

// User returns the named user's details.
func (a *Authorization) User(name string) (UserAuth, bool) {
	i := slices.IndexFunc(a.Users, func(u UserAuth) bool { return u.Name == name })
	if i < 0 {
		return UserAuth{}, false
	}
	return a.Users[i], true
}

// Group returns the named group's details.
func (a *Authorization) Group(name string) (GroupAuth, bool) {
	i := slices.IndexFunc(a.Groups, func(g GroupAuth) bool { return g.Name == name })
	if i < 0 {
		return GroupAuth{}, false
	}
	return a.Groups[i], true
}

// PolicyFailure returns why the managed policy's document could not be
// read, if it could not.
func (a *Authorization) PolicyFailure(arn string) (Failure, bool) {
	i := slices.IndexFunc(a.Failures, func(f Failure) bool { return f.Resource == arn })
	if i < 0 {
		return Failure{}, false
	}
	return a.Failures[i], true
}

type authFacts struct {
	auth    *Authorization
	failure *Failure
}

// Authorization reads the account's authorization details once per Reader
// (the account checks and the triage of committed keys share it): one
// paginated iam:GetAccountAuthorizationDetails, plus one GetPolicy and
// GetPolicyVersion per distinct AWS managed policy attached. AWS managed
// policies are left out of the call's filter: asked for, it returns every
// one of them (over a thousand, several MB). A failure of the call itself
// is returned; failures of single AWS managed policies are in the result.
func (r *Reader) Authorization(ctx context.Context) (*Authorization, *Failure) {
	f := r.auth.get(func() authFacts { return r.readAuthorization(ctx) })
	return f.auth, f.failure
}

func (r *Reader) readAuthorization(ctx context.Context) authFacts {
	cl := r.iam()
	p := iam.NewGetAccountAuthorizationDetailsPaginator(cl, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeUser, types.EntityTypeRole, types.EntityTypeGroup, types.EntityTypeLocalManagedPolicy},
		// The most a page may hold (the default is 100): a thousand
		// users are a page or two, not ten.
		MaxItems: aws.Int32(1000),
	})
	pages, err := drain(ctx, p, func(o *iam.GetAccountAuthorizationDetailsOutput) []*iam.GetAccountAuthorizationDetailsOutput {
		return []*iam.GetAccountAuthorizationDetailsOutput{o}
	})
	if err != nil {
		f := newFailure(SrcPolicies, "", "", "iam:GetAccountAuthorizationDetails", err)
		return authFacts{failure: &f}
	}
	a := &Authorization{Policies: map[string]string{}}
	wanted := map[string]bool{}
	want := func(arns []string, boundary string) {
		for _, arn := range arns {
			wanted[arn] = true
		}
		if boundary != "" {
			wanted[boundary] = true
		}
	}
	for _, o := range pages {
		for _, u := range o.UserDetailList {
			ua := UserAuth{Name: aws.ToString(u.UserName), ARN: aws.ToString(u.Arn), Path: aws.ToString(u.Path), Created: aws.ToTime(u.CreateDate), Inline: inline(u.UserPolicyList),
				Attached: attachedARNs(u.AttachedManagedPolicies), Groups: u.GroupList, Boundary: boundaryARN(u.PermissionsBoundary)}
			want(ua.Attached, ua.Boundary)
			a.Users = append(a.Users, ua)
		}
		for _, g := range o.GroupDetailList {
			ga := GroupAuth{Name: aws.ToString(g.GroupName), ARN: aws.ToString(g.Arn), Path: aws.ToString(g.Path), Created: aws.ToTime(g.CreateDate), Inline: inline(g.GroupPolicyList),
				Attached: attachedARNs(g.AttachedManagedPolicies)}
			want(ga.Attached, "")
			a.Groups = append(a.Groups, ga)
		}
		for _, ro := range o.RoleDetailList {
			ra := RoleAuth{Name: aws.ToString(ro.RoleName), ARN: aws.ToString(ro.Arn), Path: aws.ToString(ro.Path), Created: aws.ToTime(ro.CreateDate),
				Inline: inline(ro.RolePolicyList), Attached: attachedARNs(ro.AttachedManagedPolicies),
				Boundary: boundaryARN(ro.PermissionsBoundary), Trust: aws.ToString(ro.AssumeRolePolicyDocument)}
			want(ra.Attached, ra.Boundary)
			a.Roles = append(a.Roles, ra)
		}
		for _, pol := range o.Policies {
			for _, v := range pol.PolicyVersionList {
				if v.IsDefaultVersion {
					a.Policies[aws.ToString(pol.Arn)] = aws.ToString(v.Document)
				}
			}
		}
	}
	var missing []string
	for _, arn := range slices.Sorted(maps.Keys(wanted)) {
		if _, ok := a.Policies[arn]; !ok {
			missing = append(missing, arn)
		}
	}
	docs := make([]string, len(missing))
	fails := make([]*Failure, len(missing))
	FanOut(ctx, r.opts.Parallel, indexes(len(missing)), func(ctx context.Context, i int) {
		docs[i], fails[i] = r.defaultPolicyVersion(ctx, cl, missing[i])
	})
	for i, arn := range missing {
		if fails[i] != nil {
			a.Failures = append(a.Failures, *fails[i])
			continue
		}
		a.Policies[arn] = docs[i]
	}
	return authFacts{auth: a}
}

// defaultPolicyVersion reads the default version of a managed policy that
// GetAccountAuthorizationDetails did not return (an AWS managed one).
func (r *Reader) defaultPolicyVersion(ctx context.Context, cl *iam.Client, arn string) (string, *Failure) {
	pol, err := cl.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &arn})
	if err != nil {
		f := newFailure(SrcPolicies, "", arn, "iam:GetPolicy", err)
		return "", &f
	}
	v, err := cl.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &arn, VersionId: pol.Policy.DefaultVersionId})
	if err != nil {
		f := newFailure(SrcPolicies, "", arn, "iam:GetPolicyVersion", err)
		return "", &f
	}
	return aws.ToString(v.PolicyVersion.Document), nil
}

func inline(ds []types.PolicyDetail) []InlinePolicy {
	var out []InlinePolicy
	for _, d := range ds {
		out = append(out, InlinePolicy{Name: aws.ToString(d.PolicyName), Document: aws.ToString(d.PolicyDocument)})
	}
	return out
}

func attachedARNs(as []types.AttachedPolicy) []string {
	var out []string
	for _, a := range as {
		out = append(out, aws.ToString(a.PolicyArn))
	}
	return out
}

func boundaryARN(b *types.AttachedPermissionsBoundary) string {
	if b == nil {
		return ""
	}
	return aws.ToString(b.PermissionsBoundaryArn)
}

// indexes is 0, 1, …, n-1.
func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
