package snapshot_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	bgtypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/scan/checks"
)

// account24 is one edge case of issue 24 built in moto: seed builds the
// account and returns the AnswerFuncs that adapt moto where it lacks AWS's
// fields; the rule's results must hold want.
type account24 struct {
	name string
	rule string
	seed func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc
	want []want24
}

// want24 is a result: its state and a substring of its resource and of its
// message.
type want24 struct {
	state    finding.CheckState
	resource string
	msg      string
}

var now24 = time.Now().UTC()

// reportAt is a credential-report time n days (and h hours) ago.
func reportAt(days, hours int) string {
	return mototest.ReportTime(now24.Add(-time.Duration(days)*24*time.Hour - time.Duration(hours)*time.Hour))
}

func newUser(t *testing.T, ic *iam.Client, name string, password bool, keys int) {
	ctx := context.Background()
	ok(t)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
	if password {
		ok(t)(ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String("correct-Horse-battery-staple-1")}))
	}
	for range keys {
		ok(t)(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
	}
}

// instanceBehind runs an instance in the default subnet behind a new group
// with perms, and returns the group's ID.
func instanceBehind(t *testing.T, cfg aws.Config, name string, perms ...ec2types.IpPermission) string {
	ctx := context.Background()
	ec := ec2.NewFromConfig(cfg)
	sg := must[*ec2.CreateSecurityGroupOutput](t)(ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name)}))
	ok(t)(ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: perms}))
	ok(t)(ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: anyImage(t, ec), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SecurityGroupIds: []string{aws.ToString(sg.GroupId)}}))
	return aws.ToString(sg.GroupId)
}

func anyImage(t *testing.T, ec *ec2.Client) *string {
	img := must[*ec2.DescribeImagesOutput](t)(ec.DescribeImages(context.Background(), &ec2.DescribeImagesInput{Owners: []string{"amazon"}}))
	if len(img.Images) == 0 {
		t.Fatal("moto has no images")
	}
	return img.Images[0].ImageId
}

func tcp(port int32, cidrs ...string) ec2types.IpPermission {
	p := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port)}
	for _, c := range cidrs {
		p.IpRanges = append(p.IpRanges, ec2types.IpRange{CidrIp: aws.String(c)})
	}
	return p
}

// trailWith creates a logging multi-region trail and sets its selectors
// (none: AWS's default, management events read and write).
func trailWith(t *testing.T, cfg aws.Config, basic []cttypes.EventSelector, advanced []cttypes.AdvancedEventSelector) {
	ctx := context.Background()
	createBucket(t, aws.ToString(cfg.BaseEndpoint), "trail-logs")
	ct := cloudtrail.NewFromConfig(cfg)
	ok(t)(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-logs"),
		IsMultiRegionTrail: aws.Bool(true), EnableLogFileValidation: aws.Bool(true)}))
	ok(t)(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))
	if basic != nil || advanced != nil {
		ok(t)(ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("main"), EventSelectors: basic, AdvancedEventSelectors: advanced}))
	}
}

func policyUser(t *testing.T, cfg aws.Config, user, doc string) {
	ctx := context.Background()
	ic := iam.NewFromConfig(cfg)
	newUser(t, ic, user, false, 0)
	ok(t)(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))
}

func cases24() []account24 {
	fail := func(res, msg string) want24 { return want24{finding.CheckFail, res, msg} }
	pass := func(res, msg string) want24 { return want24{finding.CheckPass, res, msg} }
	notApp := func(res, msg string) want24 { return want24{finding.CheckNotApplicable, res, msg} }
	report := func(cr mototest.CredentialReport) []mototest.AnswerFunc { return []mototest.AnswerFunc{cr.Answer} }
	return []account24{
		// The nine false passes.
		{name: "reuse of 5", rule: "iam-password-reuse", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			ok(t)(iam.NewFromConfig(cfg).UpdateAccountPasswordPolicy(context.Background(), &iam.UpdateAccountPasswordPolicyInput{
				MinimumPasswordLength: aws.Int32(14), PasswordReusePrevention: aws.Int32(5)}))
			return nil
		}, want: []want24{fail("", "remembers the last 5 passwords; CIS asks for 24")}},
		{name: "key unused 45 days and a few hours", rule: "iam-unused-credentials", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			newUser(t, iam.NewFromConfig(cfg), "ci", false, 1)
			return report(mototest.CredentialReport{Cells: map[string]map[string]string{"ci": {
				"access_key_1_last_rotated": reportAt(300, 0), "access_key_1_last_used_date": reportAt(45, 5)}}})
		}, want: []want24{fail("user/ci access_key_1", "last used 45 days ago (limit 45)")}},
		{name: "Allow NotAction", rule: "iam-admin-policy", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			policyUser(t, cfg, "almost", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"*"}}`)
			return nil
		}, want: []want24{fail("user/almost", "inline:p")}},
		{name: "Action * with NotResource", rule: "iam-admin-policy", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			policyUser(t, cfg, "nearly", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::audit/*"}}`)
			return nil
		}, want: []want24{fail("user/nearly", "inline:p")}},
		{name: "SSH from 0.0.0.0/1 and 128.0.0.0/1", rule: "ec2-security-group-open", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			instanceBehind(t, cfg, "halves", tcp(22, "0.0.0.0/1", "128.0.0.0/1"))
			return nil
		}, want: []want24{fail("sg-", "halves) allows ingress from the internet (tcp/22 from 0.0.0.0/1, 128.0.0.0/1 (together 0.0.0.0/0))")}},
		{name: "SSH from a prefix list holding 0.0.0.0/0", rule: "ec2-security-group-open", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			ec := ec2.NewFromConfig(cfg)
			pl := must[*ec2.CreateManagedPrefixListOutput](t)(ec.CreateManagedPrefixList(context.Background(), &ec2.CreateManagedPrefixListInput{
				PrefixListName: aws.String("anyone"), AddressFamily: aws.String("IPv4"), MaxEntries: aws.Int32(5),
				Entries: []ec2types.AddPrefixListEntry{{Cidr: aws.String("0.0.0.0/0")}}}))
			perm := tcp(22)
			perm.PrefixListIds = []ec2types.PrefixListId{{PrefixListId: pl.PrefixList.PrefixListId}}
			instanceBehind(t, cfg, "bastion", perm)
			return nil
		}, want: []want24{fail("sg-", "tcp/22 from 0.0.0.0/0 in pl-")}},
		{name: "public name, all protocols", rule: "ec2-security-group-open", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			instanceBehind(t, cfg, "https_everywhere", ec2types.IpPermission{IpProtocol: aws.String("-1"),
				IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}})
			return nil
		}, want: []want24{fail("sg-", "exempts web ports (tcp 80, 443) only, not all traffic from 0.0.0.0/0")}},
		{name: "trail of data events only", rule: "cloudtrail-enabled", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			trailWith(t, cfg, []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(false), ReadWriteType: cttypes.ReadWriteTypeAll,
				DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3"}}}}}, nil)
			return nil
		}, want: []want24{fail("", "main (multi-region, records no management events)")}},
		{name: "advanced selectors, management writes only", rule: "cloudtrail-enabled", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			trailWith(t, cfg, nil, []cttypes.AdvancedEventSelector{{Name: aws.String("writes"), FieldSelectors: []cttypes.AdvancedFieldSelector{
				{Field: aws.String("eventCategory"), Equals: []string{"Management"}}, {Field: aws.String("readOnly"), Equals: []string{"false"}}}}})
			return nil
		}, want: []want24{fail("", "records no read management events")}},
		{name: "advanced selectors, all management events", rule: "cloudtrail-enabled", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			trailWith(t, cfg, nil, []cttypes.AdvancedEventSelector{{Name: aws.String("mgmt"), FieldSelectors: []cttypes.AdvancedFieldSelector{
				{Field: aws.String("eventCategory"), Equals: []string{"Management"}}}}})
			return nil
		}, want: []want24{pass("", "is logging read and write management events")}},
		{name: "Elastic IP on a secondary private IP", rule: "ec2-instance-public-ip", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			// moto associates an Elastic IP with the interface's primary
			// private IP whatever PrivateIpAddress says, so the instance is
			// answered as AWS describes it: the address on the secondary
			// private IP's association, none in ipAddress (the primary's).
			return []mototest.AnswerFunc{secondaryEIPInstance}
		}, want: []want24{fail("i-0secondary", "has the public IPv4 address 203.0.113.77")}},

		// The three false failures.
		{name: "root without a credential", rule: "iam-root-mfa", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			return report(mototest.CredentialReport{Root: map[string]string{"password_enabled": "false", "mfa_active": "false"}})
		}, want: []want24{pass(":root", "no password and no access key")}},
		{name: "root row says not_supported, the summary says no password", rule: "iam-root-mfa", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			return append(report(mototest.CredentialReport{Root: map[string]string{"password_enabled": "not_supported", "mfa_active": "false"}}),
				mototest.AccountSummary(map[string]int{"AccountPasswordPresent": 0}))
		}, want: []want24{pass(":root", "no password and no access key")}},
		{name: "root row says not_supported, the summary says a password", rule: "iam-root-mfa", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			return append(report(mototest.CredentialReport{Root: map[string]string{"password_enabled": "not_supported", "mfa_active": "false"}}),
				mototest.AccountSummary(map[string]int{"AccountPasswordPresent": 1}))
		}, want: []want24{fail(":root", "has a password and no MFA device")}},
		{name: "password set recently on an old user", rule: "iam-unused-credentials", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			newUser(t, iam.NewFromConfig(cfg), "veteran", true, 0)
			return report(mototest.CredentialReport{Cells: map[string]map[string]string{"veteran": {
				"user_creation_time": reportAt(400, 0), "password_last_changed": reportAt(3, 0), "password_last_used": "no_information"}}})
		}, want: []want24{pass("user/veteran", "used or set within 45 days")}},
		{name: "443 open on an interface VPC endpoint only", rule: "ec2-security-group-open", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			ctx := context.Background()
			ec := ec2.NewFromConfig(cfg)
			sg := must[*ec2.CreateSecurityGroupOutput](t)(ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("endpoint"), Description: aws.String("e")}))
			ok(t)(ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{tcp(443, "0.0.0.0/0")}}))
			vpcs := must[*ec2.DescribeVpcsOutput](t)(ec.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
			subs := must[*ec2.DescribeSubnetsOutput](t)(ec.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{}))
			ep := must[*ec2.CreateVpcEndpointOutput](t)(ec.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpcs.Vpcs[0].VpcId,
				ServiceName: aws.String("com.amazonaws.us-east-1.sts"), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
				SubnetIds: []string{aws.ToString(subs.Subnets[0].SubnetId)}, SecurityGroupIds: []string{aws.ToString(sg.GroupId)}}))
			types := map[string]string{}
			for _, id := range ep.VpcEndpoint.NetworkInterfaceIds {
				// AWS puts the endpoint's groups on its interfaces; moto does not.
				ok(t)(ec.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: aws.String(id), Groups: []string{aws.ToString(sg.GroupId)}}))
				types[id] = "vpc_endpoint"
			}
			return []mototest.AnswerFunc{mototest.InterfaceTypes(types)}
		}, want: []want24{pass("sg-", "used only by 1 network interface the internet cannot reach")}},

		// The missing controls.
		{name: "root MFA is virtual", rule: "iam-root-hardware-mfa", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			// Only the root user can assign itself a device, which moto
			// cannot do: the listing is AWS's for a root virtual device.
			return append(report(mototest.CredentialReport{Root: map[string]string{"mfa_active": "true"}}), rootVirtualMFA)
		}, want: []want24{fail(":root", "virtual device (arn:aws:iam::123456789012:mfa/root-account-mfa-device)")}},
		{name: "root MFA is hardware", rule: "iam-root-hardware-mfa", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			ic := iam.NewFromConfig(cfg)
			newUser(t, ic, "bob", true, 0) // a user's virtual device is not root's
			mfa := must[*iam.CreateVirtualMFADeviceOutput](t)(ic.CreateVirtualMFADevice(context.Background(), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("bob")}))
			ok(t)(ic.EnableMFADevice(context.Background(), &iam.EnableMFADeviceInput{UserName: aws.String("bob"), SerialNumber: mfa.VirtualMFADevice.SerialNumber,
				AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")}))
			return report(mototest.CredentialReport{Root: map[string]string{"mfa_active": "true"}})
		}, want: []want24{pass(":root", "hardware device")}},
		{name: "default group with moto's default rules", rule: "ec2-default-security-group", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			return nil
		}, want: []want24{fail("sg-", "does not restrict all traffic")}},
		{name: "default group emptied", rule: "ec2-default-security-group", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			restrictDefaultGroups(t, cfg)
			return nil
		}, want: []want24{pass("sg-", "has no rules")}},
		{name: "stopped instance holding an Elastic IP", rule: "ec2-elastic-ip-unused", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			ctx := context.Background()
			ec := ec2.NewFromConfig(cfg)
			run := must[*ec2.RunInstancesOutput](t)(ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: anyImage(t, ec), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}))
			eip := must[*ec2.AllocateAddressOutput](t)(ec.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc}))
			ok(t)(ec.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: eip.AllocationId, InstanceId: run.Instances[0].InstanceId}))
			ok(t)(ec.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{aws.ToString(run.Instances[0].InstanceId)}}))
			return nil
		}, want: []want24{fail("eipalloc-", "which is stopped")}},
		{name: "budget alert, no billing alarm", rule: "billing-alarm", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			ok(t)(budgets.NewFromConfig(cfg).CreateBudget(context.Background(), &budgets.CreateBudgetInput{AccountId: aws.String("123456789012"),
				Budget: &bgtypes.Budget{BudgetName: aws.String("monthly"), BudgetType: bgtypes.BudgetTypeCost, TimeUnit: bgtypes.TimeUnitMonthly,
					BudgetLimit: &bgtypes.Spend{Amount: aws.String("100"), Unit: aws.String("USD")}},
				NotificationsWithSubscribers: []bgtypes.NotificationWithSubscribers{{
					Notification: &bgtypes.Notification{NotificationType: bgtypes.NotificationTypeActual, ComparisonOperator: bgtypes.ComparisonOperatorGreaterThan, Threshold: 80},
					Subscribers:  []bgtypes.Subscriber{{SubscriptionType: bgtypes.SubscriptionTypeEmail, Address: aws.String("ops@example.com")}}}}}))
			return nil
		}, want: []want24{pass("", "AWS Budgets budget monthly has 1 alert")}},
		{name: "no budget, no billing alarm", rule: "billing-alarm", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			return nil
		}, want: []want24{fail("", "no CloudWatch alarm on AWS/Billing EstimatedCharges in us-east-1 and no AWS Budgets budget")}},
		{name: "organization manages root credentials", rule: "iam-root-credentials-management", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			return []mototest.AnswerFunc{mototest.OrganizationsFeatures("", "RootCredentialsManagement", "RootSessions")}
		}, want: []want24{pass("", "manages member accounts' root credentials centrally")}},
		{name: "organization without centralized root access", rule: "iam-root-credentials-management", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			return []mototest.AnswerFunc{mototest.OrganizationsFeatures("")}
		}, want: []want24{fail("", "RootCredentialsManagement is off")}},
		{name: "member account", rule: "iam-root-credentials-management", seed: func(t *testing.T, cfg aws.Config) []mototest.AnswerFunc {
			return []mototest.AnswerFunc{mototest.OrganizationsFeatures("AccountNotManagementOrDelegatedAdministrator")}
		}, want: []want24{notApp("", "judged in the organization's management account")}},
	}
}

// rootVirtualMFA answers ListVirtualMFADevices as AWS does for a root user
// with a virtual device.
func rootVirtualMFA(w http.ResponseWriter, c *mototest.Call) bool {
	if c.Action != "ListVirtualMFADevices" {
		return false
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(`<ListVirtualMFADevicesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListVirtualMFADevicesResult><IsTruncated>false</IsTruncated><VirtualMFADevices><member><SerialNumber>arn:aws:iam::123456789012:mfa/root-account-mfa-device</SerialNumber><User><UserId>123456789012</UserId><Arn>arn:aws:iam::123456789012:root</Arn><CreateDate>2019-01-01T00:00:00Z</CreateDate><Path>/</Path><UserName></UserName></User><EnableDate>2019-01-01T00:00:00Z</EnableDate></member></VirtualMFADevices></ListVirtualMFADevicesResult><ResponseMetadata><RequestId>b61ce1b1-0401-11e1-b2f8-2dEXAMPLEbfc</RequestId></ResponseMetadata></ListVirtualMFADevicesResponse>`))
	return true
}

// TestIssue24Accounts builds each edge case of issue 24 as an account in
// moto, collects only what its rule reads, and asserts the rule's verdict
// and the resource it names.
func TestIssue24Accounts(t *testing.T) {
	for _, tc := range cases24() {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			srv := freshMoto(t)
			cfg := testConfig(srv.Endpoint)
			answers := tc.seed(t, cfg)
			sel, err := checks.NewSelection([]string{tc.rule}, nil)
			if err != nil {
				t.Fatal(err)
			}
			opts := fastOptions
			opts.Sources = sel.Sources()
			snap, _ := collectCounted(t, srv, opts, answers...)
			got := checks.Run(snap, sel, checks.Thresholds{}, now24)
			var kept []finding.CheckResult
			for _, r := range got {
				if r.State != finding.CheckCouldNotRun || !motoGap(r) {
					kept = append(kept, r)
				}
			}
			if testing.Verbose() {
				logAll(t, kept)
			}
			matched := 0
			for _, w := range tc.want {
				for _, r := range kept {
					if r.State == w.state && strings.Contains(r.Resource, w.resource) && strings.Contains(r.Message, w.msg) {
						matched++
						break
					}
				}
			}
			if matched != len(tc.want) {
				logAll(t, kept)
				t.Errorf("want %+v", tc.want)
			}
			for _, r := range kept {
				if r.State == finding.CheckCouldNotRun {
					t.Errorf("could not run: %s", r.Message)
				}
			}
		})
	}
}

func logAll(t *testing.T, rs []finding.CheckResult) {
	t.Helper()
	for _, r := range rs {
		t.Logf("%-26s %-14s %-10s %-30s %s", r.RuleID, r.State, r.Region, r.Resource, r.Message)
	}
}

// secondaryEIPInstance answers DescribeInstances with a running instance
// whose only public address is an Elastic IP on a secondary private IP,
// in EC2's documented response format.
func secondaryEIPInstance(w http.ResponseWriter, c *mototest.Call) bool {
	if c.Action != "DescribeInstances" {
		return false
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(`<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>8f7724cf-496f-496e-8fe3-example</requestId><reservationSet><item><reservationId>r-1234567890abcdef0</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet><item><instanceId>i-0secondary</instanceId><imageId>ami-0abcdef1234567890</imageId><instanceState><code>16</code><name>running</name></instanceState><privateIpAddress>10.9.1.4</privateIpAddress><launchTime>2026-01-01T00:00:00.000Z</launchTime><networkInterfaceSet><item><networkInterfaceId>eni-0secondary</networkInterfaceId><privateIpAddress>10.9.1.4</privateIpAddress><privateIpAddressesSet><item><privateIpAddress>10.9.1.4</privateIpAddress><primary>true</primary></item><item><privateIpAddress>10.9.1.77</privateIpAddress><primary>false</primary><association><publicIp>203.0.113.77</publicIp><ipOwnerId>123456789012</ipOwnerId></association></item></privateIpAddressesSet></item></networkInterfaceSet></item></instancesSet></item></reservationSet></DescribeInstancesResponse>`))
	return true
}
