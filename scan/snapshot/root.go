package snapshot

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// mfaPage is the most items IAM returns a page: a thousand users with a
// virtual device each are one call.
const mfaPage = 1000

// rootMFADevices lists the virtual MFA devices assigned to the root user.
// IAM lists every assigned virtual device with its user; the root user's
// has the account's ":root" ARN. A hardware device is not listed, so a
// root user with MFA and none here has a hardware device (CIS 1.6).
func (c *collector) rootMFADevices(ctx context.Context) {
	root := "arn:aws:iam::" + c.snap.Account + ":root"
	p := iam.NewListVirtualMFADevicesPaginator(c.iam(), &iam.ListVirtualMFADevicesInput{
		AssignmentStatus: types.AssignmentStatusTypeAssigned, MaxItems: aws.Int32(mfaPage)})
	serials, err := drain(ctx, p, func(o *iam.ListVirtualMFADevicesOutput) []string {
		var out []string
		for _, d := range o.VirtualMFADevices {
			if d.User != nil && (aws.ToString(d.User.Arn) == root || strings.HasSuffix(aws.ToString(d.User.Arn), ":root")) {
				out = append(out, aws.ToString(d.SerialNumber))
			}
		}
		return out
	})
	if err != nil {
		c.fail(SrcMFADevices, "", "", "iam:ListVirtualMFADevices", err)
		return
	}
	c.mu.Lock()
	c.snap.RootVirtualMFA, c.snap.MFADevicesRead = serials, true
	c.mu.Unlock()
}

// orgFeatures takes the organization's centralized root access features
// from the reader.
func (c *collector) orgFeatures(ctx context.Context) {
	f, fail := c.r.OrgFeatures(ctx)
	if fail != nil {
		c.record(*fail)
		return
	}
	c.mu.Lock()
	c.snap.Organization = f
	c.mu.Unlock()
}

type orgFacts struct {
	features *OrgFeatures
	failure  *Failure
}

// OrgFeatures reads, once per Reader, which centralized root access
// features the account's organization has enabled. Only the management
// account or IAM's delegated administrator may ask; elsewhere the answer
// is a fact about the account (a member, or no organization), not a
// failure. Under --org the caller reads the management account's and
// lends it to the members.
func (r *Reader) OrgFeatures(ctx context.Context) (*OrgFeatures, *Failure) {
	o := r.org.get(func() orgFacts { return r.readOrgFeatures(ctx) })
	if o.features == nil {
		return nil, o.failure
	}
	f := *o.features
	return &f, nil
}

func (r *Reader) readOrgFeatures(ctx context.Context) orgFacts {
	out, err := r.iam().ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	f := &OrgFeatures{}
	var ae smithy.APIError
	switch {
	case err == nil:
		f.Visible = true
		for _, feat := range out.EnabledFeatures {
			switch feat {
			case types.FeatureTypeRootCredentialsManagement:
				f.RootCredentialsManagement = true
			case types.FeatureTypeRootSessions:
				f.RootSessions = true
			}
		}
	case errors.As(err, &ae) && ae.ErrorCode() == "OrganizationNotFoundException":
		f.Standalone, f.Why = true, "the account is in no AWS Organization"
	case errors.As(err, &ae) && (ae.ErrorCode() == "AccountNotManagementOrDelegatedAdministrator" ||
		ae.ErrorCode() == "ServiceAccessNotEnabledException" || ae.ErrorCode() == "OrganizationNotInAllFeaturesModeException"):
		f.Why = orgFeaturesWhy(ae.ErrorCode())
		if ae.ErrorCode() == "ServiceAccessNotEnabledException" {
			// Trusted access for IAM is off, so is centralized root
			// access: the management account's answer.
			f.Visible = true
		}
	default:
		fail := newFailure(SrcOrgFeatures, "", "", "iam:ListOrganizationsFeatures", err)
		return orgFacts{failure: &fail}
	}
	return orgFacts{features: f}
}

// accountSummary reads whether the root user has a password: the
// credential report's root row may not say ("not_supported").
func (c *collector) accountSummary(ctx context.Context) {
	out, err := c.iam().GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		c.fail(SrcAccountSummary, "", "", "iam:GetAccountSummary", err)
		return
	}
	if v, ok := out.SummaryMap[string(types.SummaryKeyTypeAccountPasswordPresent)]; ok {
		present := v > 0
		c.mu.Lock()
		c.snap.RootPasswordPresent = &present
		c.mu.Unlock()
	}
}

func orgFeaturesWhy(code string) string {
	switch code {
	case "AccountNotManagementOrDelegatedAdministrator":
		return "only the management account (or IAM's delegated administrator) can read centralized root access"
	case "ServiceAccessNotEnabledException":
		return "trusted access for IAM is not enabled in AWS Organizations"
	default:
		return "the organization does not have all features enabled"
	}
}
