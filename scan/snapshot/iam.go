package snapshot

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func (c *collector) iam() *iam.Client { return c.r.iam() }

func (c *collector) passwordPolicy(ctx context.Context) {
	out, err := c.iam().GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	var none *types.NoSuchEntityException
	switch {
	case errors.As(err, &none):
		return // no policy: AWS's default applies, which the check reports
	case err != nil:
		c.fail(SrcPasswordPolicy, "", "", "iam:GetAccountPasswordPolicy", err)
		return
	}
	p := out.PasswordPolicy
	c.mu.Lock()
	c.snap.PasswordPolicy = &PasswordPolicy{
		MinimumLength:       int(aws.ToInt32(p.MinimumPasswordLength)),
		RequireUppercase:    p.RequireUppercaseCharacters,
		RequireLowercase:    p.RequireLowercaseCharacters,
		RequireNumbers:      p.RequireNumbers,
		RequireSymbols:      p.RequireSymbols,
		AllowUsersToChange:  p.AllowUsersToChangePassword,
		HardExpiry:          aws.ToBool(p.HardExpiry),
		MaxAgeDays:          int(aws.ToInt32(p.MaxPasswordAge)),
		ReusePreventionSize: int(aws.ToInt32(p.PasswordReusePrevention)),
	}
	c.mu.Unlock()
}

// credentialReport takes the account's credential report from the
// reader, which generates it at most once per run.
func (c *collector) credentialReport(ctx context.Context) {
	rows, generated, fail := c.r.CredentialReport(ctx)
	if fail != nil {
		c.record(*fail)
		return
	}
	c.mu.Lock()
	c.snap.CredentialReport = rows
	c.snap.ReportGenerated = generated
	c.mu.Unlock()
}

// usersAndKeys takes the users and their keys, with when each was last
// used, from the reader. The credential report has the same facts, but
// up to four hours old.
func (c *collector) usersAndKeys(ctx context.Context) {
	users, fails := c.r.Users(ctx)
	c.record(fails...)
	c.mu.Lock()
	c.snap.Users = users
	c.mu.Unlock()
}

// policiesAndAccess reads every user, role and group with its policies in
// one paginated GetAccountAuthorizationDetails, then what Access Advisor
// says each principal uses.
func (c *collector) policiesAndAccess(ctx context.Context) {
	cl := c.iam()
	// AWS managed policies are left out of the filter: asked for, the call
	// returns every one of them (over a thousand, several MB); the few
	// attached ones are read one by one below.
	p := iam.NewGetAccountAuthorizationDetailsPaginator(cl, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeUser, types.EntityTypeRole, types.EntityTypeGroup, types.EntityTypeLocalManagedPolicy},
	})
	pages, err := drain(ctx, p, func(o *iam.GetAccountAuthorizationDetailsOutput) []*iam.GetAccountAuthorizationDetailsOutput {
		return []*iam.GetAccountAuthorizationDetailsOutput{o}
	})
	if err != nil {
		c.fail(SrcPolicies, "", "", "iam:GetAccountAuthorizationDetails", err)
		return
	}

	var (
		principals []Principal
		attached   = map[string][]int{}  // policy ARN -> indexes into principals
		managed    = map[string]string{} // policy ARN -> default version document
	)
	add := func(p Principal, inline []types.PolicyDetail, att []types.AttachedPolicy) {
		for _, d := range inline {
			if grantsAdmin(aws.ToString(d.PolicyDocument)) {
				p.AdminVia = append(p.AdminVia, "inline:"+aws.ToString(d.PolicyName))
			}
		}
		principals = append(principals, p)
		for _, a := range att {
			arn := aws.ToString(a.PolicyArn)
			attached[arn] = append(attached[arn], len(principals)-1)
		}
	}
	for _, o := range pages {
		for _, u := range o.UserDetailList {
			add(Principal{Kind: KindUser, Name: aws.ToString(u.UserName), ARN: aws.ToString(u.Arn), Path: aws.ToString(u.Path), Created: aws.ToTime(u.CreateDate)},
				u.UserPolicyList, u.AttachedManagedPolicies)
		}
		for _, r := range o.RoleDetailList {
			add(Principal{Kind: KindRole, Name: aws.ToString(r.RoleName), ARN: aws.ToString(r.Arn), Path: aws.ToString(r.Path), Created: aws.ToTime(r.CreateDate)},
				r.RolePolicyList, r.AttachedManagedPolicies)
		}
		for _, g := range o.GroupDetailList {
			add(Principal{Kind: KindGroup, Name: aws.ToString(g.GroupName), ARN: aws.ToString(g.Arn), Path: aws.ToString(g.Path), Created: aws.ToTime(g.CreateDate)},
				g.GroupPolicyList, g.AttachedManagedPolicies)
		}
		for _, pol := range o.Policies {
			for _, v := range pol.PolicyVersionList {
				if v.IsDefaultVersion {
					managed[aws.ToString(pol.Arn)] = aws.ToString(v.Document)
				}
			}
		}
	}
	for _, arn := range slices.Sorted(maps.Keys(attached)) {
		doc, ok := managed[arn]
		if !ok {
			if doc, ok = c.defaultPolicyVersion(ctx, cl, arn); !ok {
				continue
			}
		}
		if grantsAdmin(doc) {
			for _, i := range attached[arn] {
				principals[i].AdminVia = append(principals[i].AdminVia, arn)
			}
		}
	}
	if c.opts.wants(SrcServiceAccess) {
		c.serviceAccess(ctx, cl, principals)
	}

	c.mu.Lock()
	c.snap.Principals = principals
	c.mu.Unlock()
}

// defaultPolicyVersion reads the default version of a managed policy that
// GetAccountAuthorizationDetails did not return (an AWS managed one).
func (c *collector) defaultPolicyVersion(ctx context.Context, cl *iam.Client, arn string) (string, bool) {
	pol, err := cl.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &arn})
	if err != nil {
		c.fail(SrcPolicies, "", arn, "iam:GetPolicy", err)
		return "", false
	}
	v, err := cl.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &arn, VersionId: pol.Policy.DefaultVersionId})
	if err != nil {
		c.fail(SrcPolicies, "", arn, "iam:GetPolicyVersion", err)
		return "", false
	}
	return aws.ToString(v.PolicyVersion.Document), true
}

// serviceAccess runs an Access Advisor job for each user and role (service
// linked roles excluded: their policies are AWS's), up to the limit.
func (c *collector) serviceAccess(ctx context.Context, cl *iam.Client, principals []Principal) {
	if c.opts.ServiceAccessLimit < 0 {
		return
	}
	var todo []int
	for i, p := range principals {
		if p.Kind != KindGroup && !p.ServiceLinked() {
			todo = append(todo, i)
		}
	}
	if len(todo) > c.opts.ServiceAccessLimit {
		c.mu.Lock()
		c.snap.ServiceAccessSkipped = len(todo) - c.opts.ServiceAccessLimit
		c.mu.Unlock()
		todo = todo[:c.opts.ServiceAccessLimit]
	}
	if len(todo) == 0 {
		return
	}
	read := func(ctx context.Context, i int) *Failure {
		p := &principals[i] // each goroutine owns one element
		services, err := c.lastAccessed(ctx, cl, p.ARN)
		if err != nil {
			f := newFailure(SrcServiceAccess, "", p.ARN, "iam:GenerateServiceLastAccessedDetails", err)
			return &f
		}
		p.Services, p.ServicesRead = services, true
		return nil
	}
	// The first job runs alone: a denial or a service that cannot run the
	// jobs would fail every one of them, a hundred calls an account with
	// their retries, so it is one failure for all instead.
	if f := read(ctx, todo[0]); f != nil {
		if accessDenied(f.Code) || strings.HasPrefix(f.Code, "HTTP 5") || f.Code == "ServiceFailure" {
			f.Resource = ""
			c.record(*f)
			return
		}
		c.record(*f)
	}
	FanOut(ctx, c.opts.Parallel, todo[1:], func(ctx context.Context, i int) {
		if f := read(ctx, i); f != nil {
			c.record(*f)
		}
	})
}

func (c *collector) lastAccessed(ctx context.Context, cl *iam.Client, arn string) ([]ServiceAccess, error) {
	job, err := cl.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: &arn})
	if err != nil {
		return nil, err
	}
	var services []ServiceAccess
	err = poll(ctx, c.opts, "Access Advisor job for "+arn, func(ctx context.Context) (bool, error) {
		services = services[:0]
		var marker *string
		for {
			out, err := cl.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId, Marker: marker})
			if err != nil {
				return false, err
			}
			switch out.JobStatus {
			case types.JobStatusTypeInProgress:
				return false, nil
			case types.JobStatusTypeFailed:
				msg := "job failed"
				if out.Error != nil {
					msg = aws.ToString(out.Error.Code) + ": " + aws.ToString(out.Error.Message)
				}
				return false, errors.New(msg)
			}
			for _, s := range out.ServicesLastAccessed {
				services = append(services, ServiceAccess{
					Namespace:         aws.ToString(s.ServiceNamespace),
					Name:              aws.ToString(s.ServiceName),
					LastAuthenticated: aws.ToTime(s.LastAuthenticated),
				})
			}
			if !out.IsTruncated {
				return true, nil
			}
			marker = out.Marker
		}
	})
	return services, err
}

// grantsAdmin reports whether a policy document has a statement allowing
// every action on every resource. IAM returns documents URL-encoded
// (RFC 3986); moto and hand-written fixtures sometimes do not.
func grantsAdmin(doc string) bool {
	d, err := parsePolicy(doc)
	if err != nil {
		return false
	}
	for _, s := range d.Statement {
		if s.Effect == "Allow" && slices.ContainsFunc(s.Action, isStar) && slices.ContainsFunc(s.Resource, isStar) {
			return true
		}
	}
	return false
}

func isStar(s string) bool { return s == "*" || s == "*:*" }
