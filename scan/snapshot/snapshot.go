// Package snapshot reads the raw facts of one AWS account: a Reader holds
// what key matching and the account checks share (one credential report,
// one listing of users and keys, per-key lookups), and Collect reads what
// the selected checks need (IAM, EC2 in every enabled region, CloudTrail,
// CloudWatch billing alarms, Trusted Advisor) into a Snapshot. It is the
// only package that calls AWS for an account's contents.
//
// The snapshot holds facts, not verdicts, so that the checks in
// scan/checks are pure functions that can be tested without AWS. Every AWS
// call that fails is kept in Snapshot.Failures next to the source whose data
// it prevented, so a check can say "could not run" instead of passing on
// missing data.
package snapshot

import (
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
)

// Snapshot is everything one collection read from the account. A source
// the collection was not asked for is empty and has no failures.
type Snapshot struct {
	Account     string        `json:"account"`
	HomeRegion  string        `json:"homeRegion"`
	CollectedAt time.Time     `json:"collectedAt"`
	Duration    time.Duration `json:"durationNs"`

	// PasswordPolicy is nil when the account has none (AWS defaults apply)
	// or when it could not be read (see Failures).
	PasswordPolicy   *PasswordPolicy `json:"passwordPolicy,omitempty"`
	CredentialReport []CredentialRow `json:"credentialReport,omitempty"`
	// ReportGenerated is when IAM generated the credential report (it may be
	// up to four hours old).
	ReportGenerated time.Time `json:"reportGenerated,omitzero"`
	Users           []User    `json:"users,omitempty"`
	// Principals are the users, roles and groups with the policies that
	// grant them "*" on "*", and what Access Advisor says they use.
	Principals []Principal `json:"principals,omitempty"`
	// Authorization is every user, group and role with its policies
	// (iam:GetAccountAuthorizationDetails), for judging what they grant.
	Authorization *Authorization `json:"authorization,omitempty"`
	// ServiceAccessSkipped counts principals whose Access Advisor job was not
	// run because of Options.ServiceAccessLimit.
	ServiceAccessSkipped int `json:"serviceAccessSkipped,omitempty"`

	// Regions are the enabled regions that were collected, sorted.
	Regions  []string           `json:"regions"`
	Regional map[string]*Region `json:"regional"`
	// Trails are every trail seen from any region, once per ARN.
	Trails        []Trail         `json:"trails,omitempty"`
	BillingAlarms []Alarm         `json:"billingAlarms,omitempty"`
	Advisor       *TrustedAdvisor `json:"trustedAdvisor,omitempty"`
	// Budgets are the account's AWS Budgets with how many notifications
	// (alerts) each has; NotificationsRead is false for a budget whose
	// notifications were not read (one with an alert was found first).
	Budgets []Budget `json:"budgets,omitempty"`
	// RootVirtualMFA are the serial numbers of the virtual MFA devices
	// assigned to the root user (a hardware device is not listed there).
	RootVirtualMFA []string `json:"rootVirtualMfa,omitempty"`
	// MFADevicesRead says whether the virtual MFA devices were listed.
	MFADevicesRead bool `json:"mfaDevicesRead,omitempty"`
	// RootPasswordPresent is GetAccountSummary's AccountPasswordPresent:
	// whether the root user has a password (nil when not read, or when
	// IAM's answer lacks the key).
	RootPasswordPresent *bool `json:"rootPasswordPresent,omitempty"`
	// Organization is what iam:ListOrganizationsFeatures says about
	// centralized root access (nil when not read).
	Organization *OrgFeatures `json:"organization,omitempty"`

	Failures []Failure `json:"failures,omitempty"`
}

// FailuresOf returns the failures that prevented data of the given sources.
func (s *Snapshot) FailuresOf(sources ...Source) []Failure {
	var out []Failure
	for _, f := range s.Failures {
		if slices.Contains(sources, f.Source) {
			out = append(out, f)
		}
	}
	return out
}

// Failed reports whether any call of src failed in region ("" matches any
// region, which is what a global source needs).
func (s *Snapshot) Failed(src Source, region string) bool {
	for _, f := range s.Failures {
		if f.Source == src && (region == "" || f.Region == region) {
			return true
		}
	}
	return false
}

// OrgFeatures is the centralized root access of the account's AWS
// Organization. Only the management account (or IAM's delegated
// administrator) can read it; in a member account Visible is false and,
// under --org, the caller copies the management account's answer in.
type OrgFeatures struct {
	// Visible says whether the features were read (in this account, or
	// from the management account for a member).
	Visible bool `json:"visible"`
	// Standalone is set when the account is in no organization.
	Standalone bool `json:"standalone,omitempty"`
	// Management is the account that answered, when it is another one.
	Management string `json:"management,omitempty"`
	// Why says why the features are not visible here.
	Why string `json:"why,omitempty"`
	// RootCredentialsManagement and RootSessions are the features enabled.
	RootCredentialsManagement bool `json:"rootCredentialsManagement,omitempty"`
	RootSessions              bool `json:"rootSessions,omitempty"`
}

// Budget is an AWS Budgets budget and how many notifications it has.
type Budget struct {
	Name              string `json:"name"`
	Notifications     int    `json:"notifications"`
	NotificationsRead bool   `json:"notificationsRead"`
}

// PasswordPolicy is the account password policy.
type PasswordPolicy struct {
	MinimumLength       int  `json:"minimumLength"`
	RequireUppercase    bool `json:"requireUppercase"`
	RequireLowercase    bool `json:"requireLowercase"`
	RequireNumbers      bool `json:"requireNumbers"`
	RequireSymbols      bool `json:"requireSymbols"`
	AllowUsersToChange  bool `json:"allowUsersToChange"`
	HardExpiry          bool `json:"hardExpiry"`
	MaxAgeDays          int  `json:"maxAgeDays,omitempty"`
	ReusePreventionSize int  `json:"reusePrevention,omitempty"`
}

// User is an IAM user with its access keys as ListAccessKeys and
// GetAccessKeyLastUsed see them (live, unlike the credential report).
type User struct {
	Name             string              `json:"name"`
	ARN              string              `json:"arn"`
	Created          time.Time           `json:"created"`
	PasswordLastUsed time.Time           `json:"passwordLastUsed,omitzero"`
	Keys             []finding.AccessKey `json:"keys,omitempty"`
}

// PrincipalKind is the kind of IAM identity.
type PrincipalKind string

// Principal kinds.
const (
	KindUser  PrincipalKind = "user"
	KindRole  PrincipalKind = "role"
	KindGroup PrincipalKind = "group"
)

// Principal is an IAM identity and what it is granted.
type Principal struct {
	Kind    PrincipalKind `json:"kind"`
	Name    string        `json:"name"`
	ARN     string        `json:"arn"`
	Path    string        `json:"path,omitempty"`
	Created time.Time     `json:"created,omitzero"`
	// AdminVia names each policy that allows "*" on "*": the managed policy
	// ARN, or "inline:NAME".
	AdminVia []string `json:"adminVia,omitempty"`
	// Services is Access Advisor's view (nil when no job ran for it).
	Services []ServiceAccess `json:"services,omitempty"`
	// ServicesRead says whether Services was collected.
	ServicesRead bool `json:"servicesRead,omitempty"`
}

// ServiceLinked reports whether AWS owns the role (its policies cannot be
// changed by the account).
func (p Principal) ServiceLinked() bool {
	return p.Kind == KindRole && strings.HasPrefix(p.Path, "/aws-service-role/")
}

// ServiceAccess is one service a principal's policies allow, and when the
// principal last used it (zero: not within Access Advisor's tracking period).
type ServiceAccess struct {
	Namespace         string    `json:"namespace"`
	Name              string    `json:"name"`
	LastAuthenticated time.Time `json:"lastAuthenticated,omitzero"`
}

// Region is what one region holds.
type Region struct {
	Name              string             `json:"name"`
	SecurityGroups    []SecurityGroup    `json:"securityGroups,omitempty"`
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces,omitempty"`
	Instances         []Instance         `json:"instances,omitempty"`
	// Images are the AMIs of the running instances, by ID. An AMI that
	// DescribeImages no longer returns is present with Missing set.
	Images map[string]Image `json:"images,omitempty"`
	// PrefixLists are the managed prefix lists security group rules
	// reference, by ID, with their entries.
	PrefixLists map[string]PrefixList `json:"prefixLists,omitempty"`
	// Addresses are the region's Elastic IPs.
	Addresses []Address `json:"addresses,omitempty"`
	// Stopped are the stopped instances (for Elastic IPs they hold).
	Stopped []Instance `json:"stopped,omitempty"`
}

// SecurityGroup is an EC2 security group with its ingress rules.
type SecurityGroup struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	VPC     string    `json:"vpc,omitempty"`
	Ingress []Ingress `json:"ingress,omitempty"`
	// Egress counts the egress permissions (the default security group
	// must have none, CIS 5.4).
	Egress int `json:"egress,omitempty"`
}

// Default reports whether g is a VPC's default security group.
func (g SecurityGroup) Default() bool { return g.Name == "default" }

// Ingress is one ingress permission. Protocol "-1" means every protocol
// (and then the ports are meaningless).
type Ingress struct {
	Protocol string   `json:"protocol"`
	FromPort int32    `json:"fromPort"`
	ToPort   int32    `json:"toPort"`
	CIDRs    []string `json:"cidrs,omitempty"` // IPv4 and IPv6
	// PrefixLists are the managed prefix lists the rule allows (their
	// entries are in Region.PrefixLists).
	PrefixLists []string `json:"prefixLists,omitempty"`
	// Groups counts the security groups the rule allows.
	Groups int `json:"groups,omitempty"`
}

// PrefixList is a managed prefix list a security group rule references.
type PrefixList struct {
	ID    string   `json:"id"`
	Name  string   `json:"name,omitempty"`
	CIDRs []string `json:"cidrs,omitempty"`
}

// Address is an Elastic IP address.
type Address struct {
	PublicIP     string `json:"publicIp"`
	AllocationID string `json:"allocationId,omitempty"`
	// Instance and Interface are what the address is associated with
	// ("" when it is not associated).
	Instance  string `json:"instance,omitempty"`
	Interface string `json:"interface,omitempty"`
}

// NetworkInterface is an ENI and what owns it.
type NetworkInterface struct {
	ID   string `json:"id"`
	Type string `json:"type"` // InterfaceType: interface, network_load_balancer, …
	// RequesterID is the AWS service that manages the interface
	// ("amazon-elb" for load balancers).
	RequesterID string   `json:"requesterId,omitempty"`
	Description string   `json:"description,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	Instance    string   `json:"instance,omitempty"`
	// PublicIP is the primary private IP's public address, PublicIPs
	// every public address of the interface (Elastic IPs on secondary
	// private IPs included).
	PublicIP  string   `json:"publicIp,omitempty"`
	PublicIPs []string `json:"publicIps,omitempty"`
}

// Unreachable reports whether the interface is one AWS creates for a
// service that the internet cannot reach through it whatever its security
// groups allow: an interface VPC endpoint, a NAT gateway, a Lambda
// function's or a transit gateway's attachment, … (EC2's InterfaceType),
// holding no public address. Unknown types count as reachable, and so do
// plain "interface" ones (an instance, a publicly accessible RDS
// database), load balancers and Global Accelerator's.
func (n NetworkInterface) Unreachable() bool {
	if n.PublicIP != "" || len(n.PublicIPs) > 0 {
		return false
	}
	switch n.Type {
	case "vpc_endpoint", "natGateway", "nat_gateway", "lambda", "transit_gateway", "quicksight",
		"api_gateway_managed", "iot_rules_managed", "aws_codestar_connections_managed", "gateway_load_balancer_endpoint":
		return true
	}
	return false
}

// LoadBalancer reports whether the interface belongs to an Elastic Load
// Balancer (ALB and CLB interfaces are plain "interface" ones requested by
// amazon-elb; NLB and GWLB have their own types).
func (n NetworkInterface) LoadBalancer() bool {
	switch n.Type {
	case "load_balancer", "network_load_balancer", "gateway_load_balancer", "gateway_load_balancer_endpoint":
		return true
	}
	return n.RequesterID == "amazon-elb" || strings.HasPrefix(n.Description, "ELB ")
}

// Instance is a running EC2 instance.
type Instance struct {
	ID       string    `json:"id"`
	State    string    `json:"state,omitempty"`
	Name     string    `json:"name,omitempty"`
	ImageID  string    `json:"imageId"`
	Launched time.Time `json:"launched,omitzero"`
	// PublicIP is the public IPv4 of the primary interface or any address
	// associated with one of its interfaces (an Elastic IP).
	PublicIP string   `json:"publicIp,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// Image is an AMI.
type Image struct {
	ID         string    `json:"id"`
	Name       string    `json:"name,omitempty"`
	Owner      string    `json:"owner,omitempty"`
	Created    time.Time `json:"created,omitzero"`
	Deprecated time.Time `json:"deprecated,omitzero"`
	// Missing marks an AMI that no longer exists or is no longer shared.
	Missing bool `json:"missing,omitempty"`
}

// Trail is a CloudTrail trail and its status.
type Trail struct {
	Name          string `json:"name"`
	ARN           string `json:"arn"`
	HomeRegion    string `json:"homeRegion"`
	MultiRegion   bool   `json:"multiRegion"`
	Organization  bool   `json:"organization,omitempty"`
	LogValidation bool   `json:"logValidation"`
	Bucket        string `json:"bucket,omitempty"`
	// Status is nil when GetTrailStatus failed (see Failures).
	Status *TrailStatus `json:"status,omitempty"`
	// Events is what the trail's event selectors record; nil when
	// GetEventSelectors was not read or failed (see Failures).
	Events *TrailEvents `json:"events,omitempty"`
}

// Account is the 12-digit account in the trail's ARN: the account that
// owns the trail and alone can change it (an organization trail is owned
// by the management account and seen in every member).
func (t Trail) Account() string {
	parts := strings.SplitN(t.ARN, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

// TrailEvents summarizes a trail's event selectors (basic or advanced).
type TrailEvents struct {
	// ManagementRead and ManagementWrite say whether management events of
	// that kind are recorded (CIS 3.1 wants both).
	ManagementRead  bool `json:"managementRead"`
	ManagementWrite bool `json:"managementWrite"`
	// ExcludedSources are management event sources left out (e.g.
	// kms.amazonaws.com).
	ExcludedSources []string `json:"excludedSources,omitempty"`
	// Advanced says the trail uses advanced event selectors.
	Advanced bool `json:"advanced,omitempty"`
}

// TrailStatus is what GetTrailStatus says.
type TrailStatus struct {
	Logging           bool      `json:"logging"`
	StartedLogging    time.Time `json:"startedLogging,omitzero"`
	LatestDelivery    time.Time `json:"latestDelivery,omitzero"`
	LatestDeliveryErr string    `json:"latestDeliveryError,omitempty"`
}

// Alarm is a CloudWatch alarm on AWS/Billing EstimatedCharges.
type Alarm struct {
	Name           string   `json:"name"`
	ARN            string   `json:"arn,omitempty"`
	ActionsEnabled bool     `json:"actionsEnabled"`
	Actions        []string `json:"actions,omitempty"`
	State          string   `json:"state,omitempty"`
}

// TrustedAdvisor is the account's Trusted Advisor state.
type TrustedAdvisor struct {
	// Available is false when the support plan does not include the
	// Trusted Advisor API (SubscriptionRequiredException).
	Available bool            `json:"available"`
	Checks    []AdvisorResult `json:"checks,omitempty"`
}

// AdvisorResult is one Trusted Advisor check with its summary.
type AdvisorResult struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Category string `json:"category"`
	// Status is "ok", "warning", "error" or "not_available".
	Status  string `json:"status"`
	Flagged int64  `json:"flagged,omitempty"`
}
