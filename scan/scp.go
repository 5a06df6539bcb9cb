package scan

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/keysweep/keysweep/scan/iampolicy"
)

// maxOUDepth bounds the walk from an account up to the root: AWS allows
// five levels of OUs under the root.
const maxOUDepth = 8

// scps are the service control policies of the organization, read once
// per collection: the management account (which SCPs never restrict) and
// each policy's document by ID.
type scps struct {
	mu         sync.Mutex // held while reading: the reads are few and shared
	management string
	read       bool
	why        string // why they cannot be read, once for all accounts
	docs       map[string]iampolicy.Policy
}

// scpLevels returns the service control policies that apply to account,
// one slice per level (the root, each OU down to the account, the
// account), every level of which must allow a request; nil when none
// applies (the management account, SCPs not enabled). why says why they
// could not be read. Cost: one ListParents and one ListPoliciesForTarget
// per level, one DescribePolicy per distinct policy of the organization.
func (c *collection) scpLevels(ctx context.Context, account string) ([][]iampolicy.Policy, string) {
	c.scp.mu.Lock()
	defer c.scp.mu.Unlock()
	cl := organizations.NewFromConfig(c.s.cfg)
	if !c.scp.read {
		c.scp.read = true
		c.scp.docs = map[string]iampolicy.Policy{}
		out, err := cl.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
		if err != nil {
			c.scp.why = gapCause("organizations:DescribeOrganization", err)
		} else {
			c.scp.management = aws.ToString(out.Organization.MasterAccountId)
		}
	}
	switch {
	case c.scp.why != "":
		return nil, c.scp.why
	case account == c.scp.management:
		return nil, ""
	}
	var levels [][]iampolicy.Policy
	target := account
	for range maxOUDepth {
		level, notEnabled, err := c.scpsOf(ctx, cl, target)
		switch {
		case notEnabled:
			return nil, ""
		case err != nil:
			return nil, err.Error()
		}
		levels = append(levels, level)
		parents, err := cl.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(target)})
		if err != nil {
			return nil, gapCause("organizations:ListParents", err)
		}
		if len(parents.Parents) == 0 {
			return levels, ""
		}
		p := parents.Parents[0]
		target = aws.ToString(p.Id)
		if p.Type == orgtypes.ParentTypeRoot {
			level, _, err := c.scpsOf(ctx, cl, target)
			if err != nil {
				return nil, err.Error()
			}
			return append(levels, level), ""
		}
	}
	return nil, fmt.Sprintf("account %s is more than %d levels below the root", account, maxOUDepth)
}

// scpsOf reads the SCPs attached to one target (account, OU or root).
func (c *collection) scpsOf(ctx context.Context, cl *organizations.Client, target string) (level []iampolicy.Policy, notEnabled bool, err error) {
	p := organizations.NewListPoliciesForTargetPaginator(cl, &organizations.ListPoliciesForTargetInput{
		TargetId: aws.String(target), Filter: orgtypes.PolicyTypeServiceControlPolicy})
	level = []iampolicy.Policy{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "PolicyTypeNotEnabledException" {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, errors.New(gapCause("organizations:ListPoliciesForTarget", err))
		}
		for _, s := range page.Policies {
			id := aws.ToString(s.Id)
			doc, ok := c.scp.docs[id]
			if !ok {
				out, err := cl.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
				if err != nil {
					return nil, false, errors.New(gapCause("organizations:DescribePolicy", err))
				}
				if doc, err = iampolicy.Parse("scp:"+id, aws.ToString(out.Policy.Content)); err != nil {
					return nil, false, err
				}
				c.scp.docs[id] = doc
			}
			level = append(level, doc)
		}
	}
	return level, false, nil
}
