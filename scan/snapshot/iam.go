package snapshot

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keysweep/keysweep/scan/iampolicy"
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

// policiesAndAccess takes every user, role and group with its policies
// from the reader's one paginated GetAccountAuthorizationDetails (shared
// with the triage of committed keys), then reads what Access Advisor says
// each principal uses.
func (c *collector) policiesAndAccess(ctx context.Context) {
	auth, fail := c.r.Authorization(ctx)
	if fail != nil {
		c.record(*fail)
		return
	}
	c.record(auth.Failures...)
	var principals []Principal
	add := func(p Principal, inline []InlinePolicy, attached []string) {
		for _, d := range inline {
			if grantsAdmin(d.Document) {
				p.AdminVia = append(p.AdminVia, "inline:"+d.Name)
			}
		}
		for _, arn := range slices.Sorted(slices.Values(attached)) {
			if doc, ok := auth.Policies[arn]; ok && grantsAdmin(doc) {
				p.AdminVia = append(p.AdminVia, arn)
			}
		}
		principals = append(principals, p)
	}
	for _, u := range auth.Users {
		add(Principal{Kind: KindUser, Name: u.Name, ARN: u.ARN, Path: u.Path, Created: u.Created}, u.Inline, u.Attached)
	}
	for _, r := range auth.Roles {
		add(Principal{Kind: KindRole, Name: r.Name, ARN: r.ARN, Path: r.Path, Created: r.Created}, r.Inline, r.Attached)
	}
	for _, g := range auth.Groups {
		add(Principal{Kind: KindGroup, Name: g.Name, ARN: g.ARN, Path: g.Path, Created: g.Created}, g.Inline, g.Attached)
	}
	if c.opts.wants(SrcServiceAccess) {
		c.serviceAccess(ctx, c.iam(), principals)
	}

	c.mu.Lock()
	c.snap.Principals = principals
	c.snap.Authorization = auth
	c.mu.Unlock()
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

// grantsAdmin reports whether a policy document makes its holder an
// administrator (CIS 1.16): it allows every action on every resource, or
// it has the shape of one (Allow with NotAction, or Action "*" with
// NotResource, conditions or not) and still allows IAM's actions, with
// which the holder grants itself whatever was left out. AWS's
// PowerUserAccess (NotAction iam:*, organizations:*, account:*) is not.
// Judged by package iampolicy, as IAM evaluates. A document that does not
// parse cannot be judged and is not called admin.
func grantsAdmin(doc string) bool {
	p, err := iampolicy.Parse("", doc)
	if err != nil {
		return false
	}
	ps := []iampolicy.Policy{p}
	return iampolicy.GrantsFullAdmin(ps) ||
		(iampolicy.FullAdminLike(ps) && iampolicy.Evaluate(ps, "iam:*", "arn:aws:iam::*").Allows())
}
