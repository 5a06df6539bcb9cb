package snapshot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/scan/checks"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// moto is one moto_server for the whole package; tests reset it.
var moto mototest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Close()
	os.Exit(code)
}

// testConfig talks to endpoint with dummy credentials and no retries, so
// moto's 500 for an action it lacks fails at once instead of backing off.
func testConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing", Source: "test"}, nil
		}),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// fastOptions polls asynchronous jobs quickly and collects one region:
// moto spends seconds creating each region's EC2 backend after a reset.
// The benchmark collects every region. (A trail homed in eu-west-1 is
// still seen from us-east-1, as a shadow trail.)
var fastOptions = snapshot.Options{
	Regions:      []string{"us-east-1"},
	PollInterval: 10 * time.Millisecond,
	JobTimeout:   10 * time.Second,
}

// queryCloudWatch speaks the query protocol for the tests' own setup
// calls (PutMetricAlarm), which mototest's front does not translate.
func queryCloudWatch(o *cloudwatch.Options) {
	o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
}

// collect reads a snapshot of moto's default account through a proxy
// that counts the calls.
// The proxy adapts moto's credential report to AWS's (the <root_account>
// row) and answers with answers first.
func collectCounted(t testing.TB, srv *mototest.Server, opts snapshot.Options, answers ...mototest.AnswerFunc) (*snapshot.Snapshot, *mototest.Counter) {
	t.Helper()
	var calls mototest.Counter
	report := &mototest.CredentialReport{}
	cfg := testConfig(srv.Proxy(t, mototest.Chain(append([]mototest.AnswerFunc{calls.Count}, append(answers, report.Answer)...)...)).URL)
	snap, err := snapshot.Collect(context.Background(), snapshot.NewReader(cfg, "123456789012", opts), opts)
	if err != nil {
		t.Fatal(err)
	}
	return snap, &calls
}

func freshMoto(t testing.TB) *mototest.Server {
	t.Helper()
	srv := moto.Get(t)
	srv.Reset(t)
	return srv
}

// must returns a function that fails t on a call's error and returns its
// result, for f(client.Op(...)) one-liners.
func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// ok fails t on a call's error, ignoring its result.
func ok(t testing.TB) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// seedWeak builds the account every check should fail on.
func seedWeak(t *testing.T, cfg aws.Config) {
	ctx := context.Background()
	ic := iam.NewFromConfig(cfg)
	// alice: console password, no MFA, a customer managed policy allowing
	// everything. (moto loads no AWS managed policies by default; the
	// AdministratorAccess path is in recorded_test.go.)
	ok(t)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	ok(t)(ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Hunter2!")}))
	pol := must[*iam.CreatePolicyOutput](t)(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("full-access"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*:*","Resource":["*"]}]}`)}))
	ok(t)(ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: pol.Policy.Arn}))
	// deploy: two active keys.
	ok(t)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("deploy")}))
	for range 2 {
		ok(t)(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("deploy")}))
	}
	// admins: an inline policy with Action as an array.
	ok(t)(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")}))
	ok(t)(ic.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("admins"), PolicyName: aws.String("everything"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["*"],"Resource":"*"}]}`)}))

	// An instance with a public IP behind a group open to the world on 22.
	ec := ec2.NewFromConfig(cfg)
	sg := must[*ec2.CreateSecurityGroupOutput](t)(ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("ssh"), Description: aws.String("ssh")}))
	ok(t)(ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
		IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
	}}}))
	img := must[*ec2.DescribeImagesOutput](t)(ec.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}}))
	if len(img.Images) == 0 {
		t.Fatal("moto has no images")
	}
	ok(t)(ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: img.Images[0].ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SecurityGroupIds: []string{aws.ToString(sg.GroupId)}}))
	// An Elastic IP nobody uses. (The default security group keeps moto's
	// default rules, which fail CIS 5.4.)
	ok(t)(ec.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc}))
}

// restrictDefaultGroups removes every rule of the default security groups
// in cfg's region, as CIS 5.4 asks.
func restrictDefaultGroups(t *testing.T, cfg aws.Config) {
	ctx := context.Background()
	ec := ec2.NewFromConfig(cfg)
	gs := must[*ec2.DescribeSecurityGroupsOutput](t)(ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"default"}}}}))
	for _, g := range gs.SecurityGroups {
		if len(g.IpPermissions) > 0 {
			ok(t)(ec.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: g.IpPermissions}))
		}
		if len(g.IpPermissionsEgress) > 0 {
			ok(t)(ec.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: g.GroupId, IpPermissions: g.IpPermissionsEgress}))
		}
	}
}

// seedStrong builds an account every check should pass.
func seedStrong(t *testing.T, cfg aws.Config, endpoint string) {
	ctx := context.Background()
	ic := iam.NewFromConfig(cfg)
	ok(t)(ic.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(16), RequireUppercaseCharacters: true, RequireLowercaseCharacters: true,
		RequireNumbers: true, RequireSymbols: true, AllowUsersToChangePassword: true, PasswordReusePrevention: aws.Int32(24),
	}))
	ok(t)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	ok(t)(ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("correct-Horse-battery-staple-1")}))
	mfa := must[*iam.CreateVirtualMFADeviceOutput](t)(ic.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("bob")}))
	ok(t)(ic.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("bob"), SerialNumber: mfa.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")}))
	ok(t)(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")}))
	ok(t)(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("reader"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	ok(t)(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)}))

	// A trail in eu-west-1 that covers every region.
	createBucket(t, endpoint, "trail-logs")
	euTrail := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = "eu-west-1" })
	ok(t)(euTrail.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("all"), S3BucketName: aws.String("trail-logs"),
		IsMultiRegionTrail: aws.Bool(true), EnableLogFileValidation: aws.Bool(true)}))
	ok(t)(euTrail.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("all")}))

	restrictDefaultGroups(t, cfg)

	ok(t)(cloudwatch.NewFromConfig(cfg, queryCloudWatch).PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("billing"), Namespace: aws.String("AWS/Billing"), MetricName: aws.String("EstimatedCharges"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("Currency"), Value: aws.String("USD")}},
		Statistic:  cwtypes.StatisticMaximum, Period: aws.Int32(21600), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(100),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, ActionsEnabled: aws.Bool(true),
		AlarmActions: []string{"arn:aws:sns:us-east-1:123456789012:billing"},
	}))
}

// createBucket makes an S3 bucket in moto with a plain PUT (moto does not
// check signatures), which spares the test an S3 client dependency.
func createBucket(t *testing.T, endpoint, name string) {
	t.Helper()
	req := must[*http.Request](t)(http.NewRequest(http.MethodPut, endpoint+"/"+name, nil))
	resp := must[*http.Response](t)(http.DefaultClient.Do(req))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create bucket: %s", resp.Status)
	}
}

// byRule groups results by rule and state.
func byRule(rs []finding.CheckResult) map[string]map[finding.CheckState]int {
	m := map[string]map[finding.CheckState]int{}
	for _, r := range rs {
		if m[r.RuleID] == nil {
			m[r.RuleID] = map[finding.CheckState]int{}
		}
		m[r.RuleID][r.State]++
	}
	return m
}

func logResults(t *testing.T, rs []finding.CheckResult) {
	t.Helper()
	for _, r := range rs {
		if r.State != finding.CheckPass {
			t.Logf("%-26s %-14s %-10s %s", r.RuleID, r.State, r.Region, r.Message)
		}
	}
}

// motoGaps are the could-not-run results moto causes (no Access Advisor,
// no Trusted Advisor summaries); recorded_test.go covers them.
func motoGap(r finding.CheckResult) bool {
	switch r.RuleID {
	case "iam-unused-services", "trusted-advisor":
		return r.State == finding.CheckCouldNotRun
	}
	return false
}

func TestCollectWeakAccount(t *testing.T) {
	srv := freshMoto(t)
	cfg := testConfig(srv.Endpoint)
	seedWeak(t, cfg)

	snap, calls := collectCounted(t, srv, fastOptions)
	if snap.Account != "123456789012" || len(snap.Regions) != 1 {
		t.Errorf("account %q regions %v", snap.Account, snap.Regions)
	}
	if snap.PasswordPolicy != nil || snap.Failed(snapshot.SrcPasswordPolicy, "") {
		t.Errorf("NoSuchEntity must mean no policy, not a failure: %+v %v", snap.PasswordPolicy, snap.Failures)
	}
	if n := calls.Get("iam:GenerateCredentialReport"); n < 2 {
		t.Errorf("credential report polled %d times; moto answers STARTED first", n)
	}
	// moto answers Access Advisor with a 500: one job is tried (with the
	// SDK's retries), not one per principal.
	if n := calls.Get("iam:GenerateServiceLastAccessedDetails"); n == 0 || n > 3 {
		t.Errorf("%d Access Advisor attempts; want the first job's alone", n)
	}

	// Judge the account 200 days later: moto cannot backdate a key or an
	// AMI, but the checks are pure functions of the time, so keys and the
	// image become old enough to fail.
	later := snap.CollectedAt.AddDate(0, 0, 200)
	rs := checks.Run(snap, checks.Selection{}, checks.Thresholds{}, later)
	logResults(t, rs)
	got := byRule(rs)
	for _, id := range []string{
		"iam-password-policy", "iam-user-mfa", "iam-access-key-rotation", "iam-unused-credentials",
		"iam-user-two-active-keys", "ec2-security-group-open", "ec2-instance-public-ip", "cloudtrail-enabled",
		"ec2-outdated-ami", "iam-admin-policy", "billing-alarm",
		"iam-password-reuse", "iam-root-mfa", "iam-root-hardware-mfa", "ec2-default-security-group", "ec2-elastic-ip-unused",
	} {
		if got[id][finding.CheckFail] == 0 {
			t.Errorf("%s: no failure in the weak account: %v", id, got[id])
		}
	}
	if got["iam-admin-policy"][finding.CheckFail] != 2 {
		t.Errorf("admin: want alice (managed policy) and admins (inline), got %v", got["iam-admin-policy"])
	}
	for _, r := range rs {
		if r.State == finding.CheckCouldNotRun && !motoGap(r) {
			t.Errorf("unexpected could-not-run: %s %s", r.RuleID, r.Message)
		}
	}
}

func TestCollectStrongAccount(t *testing.T) {
	srv := freshMoto(t)
	cfg := testConfig(srv.Endpoint)
	seedStrong(t, cfg, srv.Endpoint)

	// The root user has a password and a hardware MFA device (no virtual
	// one is listed for it).
	snap, _ := collectCounted(t, srv, fastOptions, (&mototest.CredentialReport{Root: map[string]string{"mfa_active": "true"}}).Answer)
	if len(snap.Trails) != 1 || snap.Trails[0].HomeRegion != "eu-west-1" || snap.Trails[0].Status == nil {
		t.Errorf("the multi-region trail must be seen once (from both regions) with its status: %+v", snap.Trails)
	}
	rs := checks.Run(snap, checks.Selection{}, checks.Thresholds{}, snap.CollectedAt)
	logResults(t, rs)
	got := byRule(rs)
	for _, r := range rs {
		if r.State == finding.CheckFail {
			t.Errorf("failure in the well-configured account: %s %s %s", r.RuleID, r.Resource, r.Message)
		}
		if r.State == finding.CheckCouldNotRun && !motoGap(r) {
			t.Errorf("unexpected could-not-run: %s %s", r.RuleID, r.Message)
		}
	}
	for _, id := range []string{"iam-password-policy", "iam-user-mfa", "cloudtrail-enabled", "cloudtrail-log-validation",
		"cloudtrail-delivery", "billing-alarm", "iam-admin-policy", "ec2-security-group-open",
		"iam-password-reuse", "iam-root-mfa", "iam-root-hardware-mfa", "iam-root-access-key", "ec2-default-security-group",
		"iam-unused-credentials", "iam-access-key-rotation"} {
		if got[id][finding.CheckPass] == 0 {
			t.Errorf("%s: no pass: %v", id, got[id])
		}
	}
}

// TestPolicyCoversCalls checks docs/iam-policy.json against the calls a
// collection actually makes, so the documented policy cannot fall behind.
func TestPolicyCoversCalls(t *testing.T) {
	srv := freshMoto(t)
	cfg := testConfig(srv.Endpoint)
	seedWeak(t, cfg) // instances, so DescribeImages is called too
	_, calls := collectCounted(t, srv, fastOptions)
	raw, err := os.ReadFile("../../docs/iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var policy struct{ Statement []struct{ Action []string } }
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, s := range policy.Statement {
		for _, a := range s.Action {
			allowed[strings.ToLower(a)] = true
		}
	}
	for _, op := range calls.Ops() {
		perm := strings.ToLower(snapshot.ActionPermission(op))
		if !allowed[perm] {
			t.Errorf("docs/iam-policy.json lacks %s", perm)
		}
	}
	for _, want := range []string{"iam:generateservicelastaccesseddetails", "iam:getpolicy", "iam:getpolicyversion", "support:describetrustedadvisorchecksummaries",
		"ec2:getmanagedprefixlistentries", "iam:listorganizationsfeatures", "cloudtrail:geteventselectors", "budgets:viewbudget",
		"iam:getaccountsummary", "iam:listvirtualmfadevices", "ec2:describeaddresses"} {
		if !allowed[want] {
			t.Errorf("docs/iam-policy.json lacks %s", want)
		}
	}
}

// TestCollectReadsOnlyWhatIsAsked: a collection restricted to the
// password policy makes that one call.
func TestCollectReadsOnlyWhatIsAsked(t *testing.T) {
	srv := freshMoto(t)
	seedWeak(t, testConfig(srv.Endpoint))
	opts := fastOptions
	opts.Regions = nil // not even DescribeRegions
	opts.Sources = []snapshot.Source{snapshot.SrcPasswordPolicy}
	snap, calls := collectCounted(t, srv, opts)
	if n := calls.Total(); n != 1 || calls.Get("iam:GetAccountPasswordPolicy") != 1 {
		t.Errorf("%s; want only iam:GetAccountPasswordPolicy", calls)
	}
	if snap.Users != nil || snap.Regions != nil || len(snap.Failures) != 0 {
		t.Errorf("sources not asked for were read: users %v regions %v failures %v", snap.Users, snap.Regions, snap.Failures)
	}
}
