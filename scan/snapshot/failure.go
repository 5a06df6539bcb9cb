package snapshot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Source names one kind of data in the snapshot; a Failure says which
// source it left empty.
type Source string

// Sources, one per kind of data a check may need.
const (
	SrcPasswordPolicy   Source = "password-policy"
	SrcCredentialReport Source = "credential-report"
	SrcAccessKeys       Source = "access-keys"     // ListUsers, ListAccessKeys, GetAccessKeyLastUsed
	SrcPolicies         Source = "policies"        // GetAccountAuthorizationDetails, GetPolicy(Version)
	SrcServiceAccess    Source = "service-access"  // Access Advisor jobs
	SrcRegions          Source = "regions"         // DescribeRegions
	SrcSecurityGroups   Source = "security-groups" // per region
	SrcInterfaces       Source = "network-interfaces"
	SrcInstances        Source = "instances"
	SrcImages           Source = "images"
	SrcTrails           Source = "trails"
	SrcTrailStatus      Source = "trail-status"
	SrcBillingAlarms    Source = "billing-alarms"
	SrcTrustedAdvisor   Source = "trusted-advisor"
	SrcPrefixLists      Source = "prefix-lists"    // GetManagedPrefixListEntries of the lists rules reference
	SrcAddresses        Source = "addresses"       // DescribeAddresses, per region
	SrcEventSelectors   Source = "event-selectors" // GetEventSelectors, per trail
	SrcMFADevices       Source = "mfa-devices"     // ListVirtualMFADevices
	SrcOrgFeatures      Source = "org-features"    // ListOrganizationsFeatures
	SrcBudgets          Source = "budgets"         // DescribeBudgets, DescribeNotificationsForBudget
	SrcAccountSummary   Source = "account-summary" // GetAccountSummary
)

// Failure is one AWS call that failed, kept with the source it prevented.
type Failure struct {
	Source Source `json:"source"`
	Region string `json:"region,omitempty"`
	// Resource is what the call was about, when it was about one thing (a
	// trail ARN, a user name).
	Resource string `json:"resource,omitempty"`
	// Operation is "Service.Operation" as the SDK names it.
	Operation string `json:"operation"`
	// Permission is the IAM action that allows the call.
	Permission string `json:"permission"`
	Code       string `json:"code"`
	Message    string `json:"message"`
}

// Cause is the short form of Reason, without the fix: "AccessDenied on
// iam:ListUsers", for a gap that names the fix once for many failures.
func (f Failure) Cause() string {
	code := f.Code
	if accessDenied(code) {
		code = "AccessDenied"
	}
	s := code + " on " + f.Permission
	if f.Region != "" {
		s += " in " + f.Region
	}
	return s
}

// Reason is one line for people: what failed, where, and what fixes it.
func (f Failure) Reason() string {
	s := f.Cause()
	switch {
	case accessDenied(f.Code):
		return s + " — add it to the role's policy"
	case f.Code == "OptInRequired" || f.Code == "AuthFailure" || f.Code == "UnrecognizedClientException":
		return s + " — is the region enabled for this account?"
	case strings.Contains(f.Code, "Throttl") || f.Code == "RequestLimitExceeded":
		return s + " — throttled after retries; run again later"
	case f.Message != "":
		return s + ": " + f.Message
	}
	return s
}

// AccessDenied reports whether an AWS error code is a refusal for lack of
// permission, however the service spells it.
func AccessDenied(code string) bool { return accessDenied(code) }

func accessDenied(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError":
		return true
	}
	return false
}

// iamPrefix maps an SDK service ID to its IAM action prefix.
var iamPrefix = map[string]string{
	"IAM":        "iam",
	"EC2":        "ec2",
	"CloudTrail": "cloudtrail",
	"CloudWatch": "cloudwatch",
	"Support":    "support",
	"STS":        "sts",
	"Budgets":    "budgets",
}

// actionPermission are the operations whose IAM action is not named after
// them ("prefix:Operation" to the action).
var actionPermission = map[string]string{
	"budgets:DescribeBudgets":                "budgets:ViewBudget",
	"budgets:DescribeNotificationsForBudget": "budgets:ViewBudget",
}

// Permission maps an SDK service ID and operation to the IAM action that
// allows it, e.g. ("IAM", "ListUsers") -> "iam:ListUsers".
func Permission(serviceID, operation string) string {
	prefix := iamPrefix[serviceID]
	if prefix == "" {
		prefix = strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
	}
	return ActionPermission(prefix + ":" + operation)
}

// ActionPermission maps a call named "service:Operation" (as the signing
// service names it, "monitoring:DescribeAlarms") to the IAM action that
// allows it ("cloudwatch:DescribeAlarms", "budgets:ViewBudget").
func ActionPermission(op string) string {
	if p, ok := actionPermission[op]; ok {
		return p
	}
	if rest, ok := strings.CutPrefix(op, "monitoring:"); ok {
		return "cloudwatch:" + rest
	}
	return op
}

// newFailure describes err. op is the "prefix:Operation" permission to
// report when err does not carry the SDK's operation (a timeout while
// polling, a parse error).
func newFailure(src Source, region, resource, op string, err error) Failure {
	f := Failure{Source: src, Region: region, Resource: resource, Permission: op, Operation: op, Code: "Error", Message: err.Error()}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		f.Permission = Permission(oe.ServiceID, oe.OperationName)
		f.Operation = oe.ServiceID + "." + oe.OperationName
	}
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	switch {
	case errors.As(err, &ae):
		f.Code = ae.ErrorCode()
		f.Message = ae.ErrorMessage()
	case errors.Is(err, context.DeadlineExceeded):
		f.Code = "Timeout"
	case errors.Is(err, context.Canceled):
		f.Code = "Canceled"
	case errors.As(err, &re):
		// No AWS error code: an unreadable answer, e.g. an emulator's 500
		// for an action it lacks. The innermost cause is the useful part.
		f.Code = fmt.Sprintf("HTTP %d", re.HTTPStatusCode())
		f.Message = innermost(err).Error()
	}
	return f
}

func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// errTimeout is a local poll (credential report, Access Advisor) that ran
// out of time.
type errTimeout struct{ what string }

func (e errTimeout) Error() string { return e.what }
func (e errTimeout) ErrorCode() string {
	return "Timeout"
}
func (e errTimeout) ErrorMessage() string { return e.what }
func (e errTimeout) ErrorFault() smithy.ErrorFault {
	return smithy.FaultServer
}

func timeout(format string, args ...any) error { return errTimeout{fmt.Sprintf(format, args...)} }
