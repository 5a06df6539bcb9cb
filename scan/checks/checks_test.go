package checks

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan/snapshot"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func daysAgo(n int) time.Time { return now.AddDate(0, 0, -n) }

func stamp(n int) snapshot.Stamp { return snapshot.Stamp{Time: daysAgo(n)} }

var na = snapshot.Stamp{Placeholder: "N/A"}

// want is one expected result: its state, and substrings of its resource
// and message.
type want struct {
	state    finding.CheckState
	resource string
	msg      string
}

func pass(resource, msg string) want   { return want{finding.CheckPass, resource, msg} }
func fail(resource, msg string) want   { return want{finding.CheckFail, resource, msg} }
func cannot(resource, msg string) want { return want{finding.CheckCouldNotRun, resource, msg} }
func notApp(resource, msg string) want { return want{finding.CheckNotApplicable, resource, msg} }

type tcase struct {
	name string
	rule string
	snap snapshot.Snapshot
	th   Thresholds
	want []want
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			sel, err := NewSelection([]string{tc.rule}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := Run(&tc.snap, sel, tc.th, now)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d results, want %d:\n%s", len(got), len(tc.want), dump(got))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.RuleID != tc.rule || g.State != w.state || !strings.Contains(g.Resource, w.resource) || !strings.Contains(g.Message, w.msg) {
					t.Errorf("result %d = %s\nwant %s %q containing %q", i, dump(got[i:i+1]), w.state, w.resource, w.msg)
				}
				if len(g.Fingerprint) != 32 {
					t.Errorf("result %d fingerprint %q", i, g.Fingerprint)
				}
			}
		})
	}
}

func dump(rs []finding.CheckResult) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s %s [%s %s] %s\n", r.State, r.Severity, r.Region, r.Resource, r.Message)
	}
	return b.String()
}

func denied(src snapshot.Source, region, resource, perm string) snapshot.Failure {
	return snapshot.Failure{Source: src, Region: region, Resource: resource, Permission: perm, Code: "AccessDenied"}
}

func strongPolicy() *snapshot.PasswordPolicy {
	return &snapshot.PasswordPolicy{MinimumLength: 14, RequireUppercase: true, RequireLowercase: true,
		RequireNumbers: true, RequireSymbols: true, AllowUsersToChange: true}
}

func TestPasswordPolicy(t *testing.T) {
	weak := strongPolicy()
	weak.MinimumLength, weak.RequireSymbols, weak.HardExpiry = 8, false, true
	runCases(t, []tcase{
		{name: "strong", rule: "iam-password-policy", snap: snapshot.Snapshot{PasswordPolicy: strongPolicy()},
			want: []want{pass("", "14+ characters")}},
		{name: "no policy", rule: "iam-password-policy", snap: snapshot.Snapshot{},
			want: []want{fail("", "no account password policy")}},
		{name: "weak", rule: "iam-password-policy", snap: snapshot.Snapshot{PasswordPolicy: weak},
			want: []want{fail("", "minimum length 8 < 14; no symbol required; hard expiry")}},
		{name: "threshold 10", rule: "iam-password-policy", th: Thresholds{PasswordMinLength: 10},
			snap: snapshot.Snapshot{PasswordPolicy: func() *snapshot.PasswordPolicy { p := strongPolicy(); p.MinimumLength = 12; return p }()},
			want: []want{pass("", "12+")}},
		{name: "denied", rule: "iam-password-policy",
			snap: snapshot.Snapshot{Failures: []snapshot.Failure{denied(snapshot.SrcPasswordPolicy, "", "", "iam:GetAccountPasswordPolicy")}},
			want: []want{cannot("", "could not run: AccessDenied on iam:GetAccountPasswordPolicy — add it to the role's policy")}},
	})
}

const rootARN = "arn:aws:iam::123456789012:root"

func rootRow(mfa bool, key1 bool) snapshot.CredentialRow {
	r := snapshot.CredentialRow{User: finding.RootUser, ARN: rootARN, MFAActive: mfa,
		PasswordLastUsed: stamp(3), PasswordLastChanged: snapshot.Stamp{Placeholder: "not_supported"}}
	r.Keys[0] = snapshot.ReportKey{Active: key1, LastRotated: stamp(400), LastUsed: stamp(2)}
	r.Keys[1] = snapshot.ReportKey{LastRotated: na, LastUsed: na}
	return r
}

func userRow(name string, password, mfa bool, lastLogin snapshot.Stamp, created int) snapshot.CredentialRow {
	r := snapshot.CredentialRow{User: name, ARN: "arn:aws:iam::123456789012:user/" + name, Created: daysAgo(created),
		PasswordEnabled: password, MFAActive: mfa, PasswordLastUsed: lastLogin}
	r.Keys[0] = snapshot.ReportKey{LastRotated: na, LastUsed: na}
	r.Keys[1] = snapshot.ReportKey{LastRotated: na, LastUsed: na}
	return r
}

func TestRoot(t *testing.T) {
	noRoot := snapshot.Snapshot{CredentialReport: []snapshot.CredentialRow{userRow("alice", true, true, stamp(1), 10)}}
	reportDenied := snapshot.Snapshot{Failures: []snapshot.Failure{denied(snapshot.SrcCredentialReport, "", "", "iam:GenerateCredentialReport")}}
	runCases(t, []tcase{
		{name: "key active", rule: "iam-root-access-key", snap: snapshot.Snapshot{CredentialReport: []snapshot.CredentialRow{rootRow(true, true)}},
			want: []want{fail(rootARN, "access key 1 (last used")}},
		{name: "no key", rule: "iam-root-access-key", snap: snapshot.Snapshot{CredentialReport: []snapshot.CredentialRow{rootRow(true, false)}},
			want: []want{pass(rootARN, "no active access key")}},
		{name: "no root row", rule: "iam-root-access-key", snap: noRoot,
			want: []want{cannot(finding.RootUser, "no <root_account> row")}},
		{name: "report denied", rule: "iam-root-access-key", snap: reportDenied,
			want: []want{cannot("", "AccessDenied on iam:GenerateCredentialReport")}},
		{name: "no mfa", rule: "iam-root-mfa", snap: snapshot.Snapshot{CredentialReport: []snapshot.CredentialRow{rootRow(false, false)}},
			want: []want{fail(rootARN, "no MFA")}},
		{name: "mfa", rule: "iam-root-mfa", snap: snapshot.Snapshot{CredentialReport: []snapshot.CredentialRow{rootRow(true, false)}},
			want: []want{pass(rootARN, "has MFA")}},
	})
}

func TestUserMFA(t *testing.T) {
	runCases(t, []tcase{
		{name: "mixed", rule: "iam-user-mfa", snap: snapshot.Snapshot{CredentialReport: []snapshot.CredentialRow{
			rootRow(false, false), // root is judged by iam-root-mfa, not here
			userRow("alice", true, true, stamp(1), 10),
			userRow("bob", true, false, stamp(1), 10),
			userRow("ci", false, false, snapshot.Stamp{Placeholder: "N/A"}, 10),
		}}, want: []want{
			pass("user/alice", "password and MFA"),
			fail("user/bob", "no MFA device"),
			pass("user/ci", "no console password"),
		}},
	})
}

func user(name string, keys ...finding.AccessKey) snapshot.User {
	for i := range keys {
		keys[i].User = name
	}
	return snapshot.User{Name: name, ARN: "arn:aws:iam::123456789012:user/" + name, Created: daysAgo(500), Keys: keys}
}

func key(id, status string, created, used int) finding.AccessKey {
	k := finding.AccessKey{ID: id, Status: status, Created: daysAgo(created)}
	if used >= 0 {
		k.LastUsed = daysAgo(used)
	}
	return k
}

func TestKeys(t *testing.T) {
	two := snapshot.Snapshot{Users: []snapshot.User{
		user("deploy", key("AKIAOLD", "Active", 200, 1), key("AKIANEW", "Active", 10, -1)),
		user("ops", key("AKIAOPS", "Active", 30, 50), key("AKIAOFF", "Inactive", 300, 300)),
	}}
	fromReport := snapshot.Snapshot{
		Failures: []snapshot.Failure{denied(snapshot.SrcAccessKeys, "", "", "iam:ListUsers")},
		CredentialReport: []snapshot.CredentialRow{rootRow(true, true), func() snapshot.CredentialRow {
			r := userRow("legacy", false, false, na, 900)
			r.Keys[0] = snapshot.ReportKey{Active: true, LastRotated: stamp(800), LastUsed: stamp(1)}
			return r
		}()},
	}
	lastUsedDenied := snapshot.Snapshot{
		Users:    []snapshot.User{user("ops", key("AKIAOPS", "Active", 10, -1))},
		Failures: []snapshot.Failure{denied(snapshot.SrcAccessKeys, "", "AKIAOPS", "iam:GetAccessKeyLastUsed")},
	}
	runCases(t, []tcase{
		{name: "ages", rule: "iam-access-key-rotation", snap: two, want: []want{
			fail("AKIAOLD", "200 days old (limit 90)"),
			pass("AKIANEW", "10 days"),
			pass("AKIAOPS", "30 days"),
		}},
		{name: "custom limit", rule: "iam-access-key-rotation", snap: two, th: Thresholds{KeyMaxAgeDays: 20}, want: []want{
			fail("AKIAOLD", ""), pass("AKIANEW", ""), fail("AKIAOPS", "limit 20"),
		}},
		{name: "from report", rule: "iam-access-key-rotation", snap: fromReport, want: []want{
			fail("user/legacy access_key_1", "800 days old"),
		}},
		{name: "both denied", rule: "iam-access-key-rotation", snap: snapshot.Snapshot{Failures: []snapshot.Failure{
			denied(snapshot.SrcAccessKeys, "", "", "iam:ListUsers"), denied(snapshot.SrcCredentialReport, "", "", "iam:GenerateCredentialReport"),
		}}, want: []want{cannot("", "iam:ListUsers"), cannot("", "iam:GenerateCredentialReport")}},
		{name: "last-used denied is not rotation's business", rule: "iam-access-key-rotation", snap: lastUsedDenied,
			want: []want{pass("AKIAOPS", "")}},
		{name: "two active keys", rule: "iam-user-two-active-keys", snap: two, want: []want{
			fail("user/deploy", "2 active access keys: access key AKIAOLD, access key AKIANEW"),
			pass("user/ops", "1 active access key"),
		}},
		{name: "unused keys", rule: "iam-unused-credentials", snap: two, want: []want{
			pass("AKIAOLD", ""),
			pass("AKIANEW", "recently created"),
			fail("AKIAOPS", "last used 50 days ago (limit 45)"),
		}},
		{name: "unused password", rule: "iam-unused-credentials", snap: snapshot.Snapshot{CredentialReport: []snapshot.CredentialRow{
			rootRow(true, false),
			userRow("old", true, true, stamp(100), 400),
			userRow("never", true, true, snapshot.Stamp{Placeholder: "no_information"}, 60),
			userRow("fresh", true, true, snapshot.Stamp{Placeholder: "no_information"}, 5),
			userRow("active", true, true, stamp(2), 400),
		}}, want: []want{
			fail("user/old", "last used 100 days ago"),
			fail("user/never", "never used; the user is 60 days old"),
			pass("user/fresh", ""),
			pass("user/active", ""),
		}},
		{name: "last-used denied", rule: "iam-unused-credentials", snap: lastUsedDenied, want: []want{
			cannot("AKIAOPS", "AccessDenied on iam:GetAccessKeyLastUsed — add it"),
			pass("AKIAOPS", ""),
		}},
	})
}

func eni(id, typ, requester string, groups ...string) snapshot.NetworkInterface {
	return snapshot.NetworkInterface{ID: id, Type: typ, RequesterID: requester, Groups: groups}
}

func open(id, name string, proto string, port int32, cidr string) snapshot.SecurityGroup {
	return snapshot.SecurityGroup{ID: id, Name: name, Ingress: []snapshot.Ingress{{Protocol: proto, FromPort: port, ToPort: port, CIDRs: []string{"10.0.0.0/8", cidr}}}}
}

func oneRegion(r snapshot.Region) snapshot.Snapshot {
	r.Name = "eu-west-1"
	return snapshot.Snapshot{Regions: []string{"eu-west-1"}, Regional: map[string]*snapshot.Region{"eu-west-1": &r}}
}

func TestSecurityGroupOpen(t *testing.T) {
	sgs := oneRegion(snapshot.Region{
		SecurityGroups: []snapshot.SecurityGroup{
			open("sg-ssh", "admin", "tcp", 22, "0.0.0.0/0"),
			open("sg-v6", "v6", "-1", 0, "::/0"),
			open("sg-https", "https_everywhere", "tcp", 443, "0.0.0.0/0"),
			open("sg-alb", "alb", "tcp", 443, "0.0.0.0/0"),
			open("sg-idle", "forgotten", "tcp", 3389, "0.0.0.0/0"),
			open("sg-private", "internal", "tcp", 5432, "10.1.0.0/16"),
			open("sg-mixed", "mixed", "tcp", 80, "0.0.0.0/0"),
		},
		NetworkInterfaces: []snapshot.NetworkInterface{
			eni("eni-1", "interface", "", "sg-ssh", "sg-private"),
			eni("eni-2", "interface", "", "sg-v6"),
			eni("eni-3", "interface", "amazon-elb", "sg-https"),
			{ID: "eni-4", Type: "interface", Description: "ELB app/web/123", Groups: []string{"sg-alb"}},
			eni("eni-5", "network_load_balancer", "", "sg-mixed"),
			eni("eni-6", "interface", "", "sg-mixed"),
		},
	})
	eniDenied := oneRegion(snapshot.Region{SecurityGroups: []snapshot.SecurityGroup{open("sg-ssh", "admin", "tcp", 22, "0.0.0.0/0")}})
	eniDenied.Failures = []snapshot.Failure{denied(snapshot.SrcInterfaces, "eu-west-1", "", "ec2:DescribeNetworkInterfaces")}
	runCases(t, []tcase{
		{name: "catalogue edge cases", rule: "ec2-security-group-open", snap: sgs, want: []want{
			fail("sg-ssh", "tcp/22 from 0.0.0.0/0) and is used by 1 network interface"),
			fail("sg-v6", "all traffic from ::/0"),
			pass("sg-https", `public pattern "*_everywhere"`),
			pass("sg-alb", "only by 1 network interface of load balancers"),
			pass("sg-idle", "no network interface uses it"),
			pass("sg-private", "no ingress from the internet"),
			fail("sg-mixed", "used by 1 network interface"),
		}},
		{name: "custom patterns", rule: "ec2-security-group-open", th: Thresholds{PublicGroupPatterns: []string{"ADMIN"}},
			snap: oneRegion(snapshot.Region{SecurityGroups: []snapshot.SecurityGroup{open("sg-ssh", "admin", "tcp", 22, "0.0.0.0/0")},
				NetworkInterfaces: []snapshot.NetworkInterface{eni("eni-1", "interface", "", "sg-ssh")}}),
			want: []want{pass("sg-ssh", "public pattern")}},
		{name: "interfaces denied", rule: "ec2-security-group-open", snap: eniDenied, want: []want{
			cannot("", "AccessDenied on ec2:DescribeNetworkInterfaces in eu-west-1"),
		}},
	})
}

func TestInstances(t *testing.T) {
	r := oneRegion(snapshot.Region{
		Instances: []snapshot.Instance{
			{ID: "i-pub", Name: "web", ImageID: "ami-old", PublicIP: "203.0.113.7"},
			{ID: "i-priv", ImageID: "ami-new"},
			{ID: "i-dep", ImageID: "ami-dep"},
			{ID: "i-gone", ImageID: "ami-gone"},
		},
		Images: map[string]snapshot.Image{
			"ami-old":  {ID: "ami-old", Name: "old", Created: daysAgo(400)},
			"ami-new":  {ID: "ami-new", Name: "new", Created: daysAgo(20)},
			"ami-dep":  {ID: "ami-dep", Name: "deprecated", Created: daysAgo(30), Deprecated: daysAgo(1)},
			"ami-gone": {ID: "ami-gone", Missing: true},
		},
	})
	imagesDenied := r
	imagesDenied.Failures = []snapshot.Failure{denied(snapshot.SrcImages, "eu-west-1", "", "ec2:DescribeImages")}
	regionsDenied := r
	regionsDenied.Failures = []snapshot.Failure{denied(snapshot.SrcRegions, "us-east-1", "", "ec2:DescribeRegions")}
	runCases(t, []tcase{
		{name: "public ip", rule: "ec2-instance-public-ip", snap: r, want: []want{
			fail("i-pub", "i-pub (web) has the public IPv4 address 203.0.113.7"),
			pass("i-priv", ""), pass("i-dep", ""), pass("i-gone", ""),
		}},
		{name: "amis", rule: "ec2-outdated-ami", snap: r, want: []want{
			fail("i-pub", "created 400 days ago (limit 180)"),
			pass("i-priv", "20 days"),
			fail("i-dep", "deprecated since"),
			fail("i-gone", "no longer exists"),
		}},
		{name: "images denied", rule: "ec2-outdated-ami", snap: imagesDenied, want: []want{
			cannot("", "ec2:DescribeImages in eu-west-1"),
		}},
		{name: "regions denied still judges the home region", rule: "ec2-instance-public-ip", snap: regionsDenied, want: []want{
			cannot("", "ec2:DescribeRegions"),
			fail("i-pub", ""), pass("i-priv", ""), pass("i-dep", ""), pass("i-gone", ""),
		}},
	})
}

func trail(name, home string, multi, validation, logging bool) snapshot.Trail {
	return snapshot.Trail{Name: name, ARN: "arn:aws:cloudtrail:" + home + ":123456789012:trail/" + name, HomeRegion: home,
		MultiRegion: multi, LogValidation: validation, Bucket: "logs",
		Status: &snapshot.TrailStatus{Logging: logging, StartedLogging: daysAgo(100), LatestDelivery: now.Add(-time.Hour)}}
}

func TestCloudTrail(t *testing.T) {
	elsewhere := snapshot.Snapshot{Regions: []string{"us-east-1"}, Trails: []snapshot.Trail{trail("org", "eu-west-1", true, true, true)}}
	single := snapshot.Snapshot{Trails: []snapshot.Trail{trail("local", "us-east-1", false, false, true), trail("off", "us-east-1", true, true, false)}}
	statusDenied := snapshot.Snapshot{Trails: []snapshot.Trail{{Name: "t", ARN: "arn:t", HomeRegion: "eu-west-1", MultiRegion: true}},
		Failures: []snapshot.Failure{denied(snapshot.SrcTrailStatus, "eu-west-1", "arn:t", "cloudtrail:GetTrailStatus")}}
	stale := trail("stale", "us-east-1", true, true, true)
	stale.Status.LatestDelivery = daysAgo(3)
	broken := trail("broken", "us-east-1", true, true, true)
	broken.Status.LatestDeliveryErr = "AccessDenied"
	fresh := trail("fresh", "us-east-1", true, true, true)
	fresh.Status.LatestDelivery, fresh.Status.StartedLogging = time.Time{}, now.Add(-time.Hour)
	never := trail("never", "us-east-1", true, true, true)
	never.Status.LatestDelivery = time.Time{}
	runCases(t, []tcase{
		{name: "multi-region trail in another region", rule: "cloudtrail-enabled", snap: elsewhere, want: []want{pass("", "home region eu-west-1")}},
		{name: "no trail", rule: "cloudtrail-enabled", snap: snapshot.Snapshot{}, want: []want{fail("", "no CloudTrail trail")}},
		{name: "single-region or stopped", rule: "cloudtrail-enabled", snap: single, want: []want{
			fail("", "local (single-region), off (multi-region, not logging)"),
		}},
		{name: "status denied", rule: "cloudtrail-enabled", snap: statusDenied, want: []want{
			cannot("arn:t", "could not run: AccessDenied on cloudtrail:GetTrailStatus in eu-west-1 — add it to the role's policy"),
		}},
		{name: "validation", rule: "cloudtrail-log-validation", snap: single, want: []want{
			fail("trail/local", "does not validate"), pass("trail/off", "validates"),
		}},
		{name: "delivery", rule: "cloudtrail-delivery", snap: snapshot.Snapshot{Trails: []snapshot.Trail{
			trail("ok", "us-east-1", true, true, true), stale, broken, fresh, never, trail("off", "us-east-1", true, true, false),
		}}, want: []want{
			pass("trail/ok", "delivered logs 1h0m0s ago"),
			fail("trail/stale", "72h0m0s ago (limit 24h)"),
			fail("trail/broken", "cannot deliver logs to s3://logs: AccessDenied"),
			pass("trail/fresh", "has not delivered yet"),
			fail("trail/never", "never delivered"),
			notApp("trail/off", "not logging"),
		}},
		{name: "delivery status denied", rule: "cloudtrail-delivery", snap: statusDenied, want: []want{
			cannot("arn:t", "cloudtrail:GetTrailStatus"),
		}},
	})
}

func TestTrustedAdvisor(t *testing.T) {
	ta := &snapshot.TrustedAdvisor{Available: true, Checks: []snapshot.AdvisorResult{
		{ID: "Pfx0RwqBli", Name: "Amazon S3 Bucket Permissions", Category: "security", Status: "error", Flagged: 2},
		{ID: "HCP4007jGY", Name: "Security Groups - Specific Ports Unrestricted", Category: "security", Status: "warning", Flagged: 1},
		{ID: "7DAFEmoDos", Name: "MFA on Root Account", Category: "security", Status: "ok"},
		{ID: "Qch7DwouX1", Name: "Low Utilization Amazon EC2 Instances", Category: "cost_optimizing", Status: "warning"},
		{ID: "xyz", Name: "New check", Category: "security", Status: "not_available"},
	}}
	sev := func(s finding.Severity) func([]finding.CheckResult) bool {
		return func(rs []finding.CheckResult) bool { return rs[0].Severity == s }
	}
	runCases(t, []tcase{
		{name: "summaries", rule: "trusted-advisor", snap: snapshot.Snapshot{Advisor: ta}, want: []want{
			fail("trusted-advisor/Pfx0RwqBli", "is error: 2 resources flagged"),
			fail("trusted-advisor/HCP4007jGY", "is warning: 1 resource flagged"),
			pass("trusted-advisor/7DAFEmoDos", "is ok"),
			notApp("trusted-advisor/xyz", "not_available"),
		}},
		{name: "all categories", rule: "trusted-advisor", th: Thresholds{AdvisorCategories: []string{"security", "cost_optimizing"}},
			snap: snapshot.Snapshot{Advisor: ta}, want: []want{fail("", ""), fail("", ""), pass("", ""), fail("Qch7DwouX1", ""), notApp("", "")}},
		{name: "basic plan", rule: "trusted-advisor", snap: snapshot.Snapshot{Advisor: &snapshot.TrustedAdvisor{}}, want: []want{
			notApp("", "not available on this support plan"),
		}},
	})
	got := Run(&snapshot.Snapshot{Advisor: ta}, Selection{only: []string{"trusted-advisor"}}, Thresholds{}, now)
	if !sev(finding.SeverityHigh)(got[0:1]) || !sev(finding.SeverityMedium)(got[1:2]) {
		t.Errorf("severities by status: %s", dump(got))
	}
}

func TestAdminAndServices(t *testing.T) {
	principals := []snapshot.Principal{
		{Kind: snapshot.KindUser, Name: "root-like", ARN: "arn:aws:iam::1:user/root-like", Created: daysAgo(400),
			AdminVia: []string{"arn:aws:iam::aws:policy/AdministratorAccess"}, ServicesRead: true,
			Services: []snapshot.ServiceAccess{{Namespace: "s3", LastAuthenticated: daysAgo(1)}, {Namespace: "ec2"}, {Namespace: "iam", LastAuthenticated: daysAgo(120)}}},
		{Kind: snapshot.KindRole, Name: "app", ARN: "arn:aws:iam::1:role/app", Created: daysAgo(10), ServicesRead: true,
			Services: []snapshot.ServiceAccess{{Namespace: "s3"}, {Namespace: "sqs", LastAuthenticated: daysAgo(3)}}},
		{Kind: snapshot.KindGroup, Name: "admins", ARN: "arn:aws:iam::1:group/admins", AdminVia: []string{"inline:all"}},
	}
	runCases(t, []tcase{
		{name: "admins", rule: "iam-admin-policy", snap: snapshot.Snapshot{Principals: principals}, want: []want{
			fail("user/root-like", "user root-like is allowed \"*\" on \"*\" by arn:aws:iam::aws:policy/AdministratorAccess"),
			fail("group/admins", "inline:all"),
		}},
		{name: "none", rule: "iam-admin-policy", snap: snapshot.Snapshot{Principals: principals[1:2]}, want: []want{pass("", "no user, role or group")}},
		{name: "unused services", rule: "iam-unused-services", snap: snapshot.Snapshot{Principals: principals, ServiceAccessSkipped: 3}, want: []want{
			cannot("", "3 principals"),
			fail("user/root-like", "2 services it has not used for 90+ days: ec2, iam"),
			pass("role/app", "newer"),
		}},
		{name: "job denied", rule: "iam-unused-services", snap: snapshot.Snapshot{Failures: []snapshot.Failure{
			denied(snapshot.SrcServiceAccess, "", "arn:aws:iam::1:role/app", "iam:GenerateServiceLastAccessedDetails"),
		}}, want: []want{cannot("role/app", "iam:GenerateServiceLastAccessedDetails")}},
	})
}

func TestBillingAlarm(t *testing.T) {
	runCases(t, []tcase{
		{name: "alarm with action", rule: "billing-alarm", snap: snapshot.Snapshot{BillingAlarms: []snapshot.Alarm{
			{Name: "muted", ActionsEnabled: false, Actions: []string{"arn:sns"}},
			{Name: "billing", ActionsEnabled: true, Actions: []string{"arn:aws:sns:us-east-1:1:billing"}},
		}}, want: []want{pass("", "billing alarm billing notifies arn:aws:sns")}},
		{name: "none", rule: "billing-alarm", snap: snapshot.Snapshot{}, want: []want{fail("", "member account of an AWS Organization may legitimately have none")}},
		{name: "no action", rule: "billing-alarm", snap: snapshot.Snapshot{BillingAlarms: []snapshot.Alarm{{Name: "muted", ActionsEnabled: true}}},
			want: []want{fail("", "without an enabled action: muted")}},
		{name: "denied", rule: "billing-alarm", snap: snapshot.Snapshot{Failures: []snapshot.Failure{denied(snapshot.SrcBillingAlarms, "us-east-1", "", "cloudwatch:DescribeAlarms")}},
			want: []want{cannot("", "AccessDenied on cloudwatch:DescribeAlarms in us-east-1")}},
	})
}

func TestEveryRuleHasCases(t *testing.T) {
	// Each rule needs a passing and a failing case above; this guards the
	// registry against a rule added without its help or references.
	for _, r := range Rules() {
		if r.Title == "" || r.Description == "" || !strings.Contains(r.Help, "**Console:**") || !strings.Contains(r.Help, "aws ") {
			t.Errorf("rule %s lacks title, description, console path or CLI command", r.ID)
		}
		if r.Severity == finding.SeverityNone {
			t.Errorf("rule %s has no severity", r.ID)
		}
	}
	if len(IDs()) != 17 {
		t.Errorf("%d rules, the catalogue has 17 account checks", len(IDs()))
	}
}

func TestSelection(t *testing.T) {
	s, err := ParseSelection("iam-*,billing-alarm", "iam-unused-services")
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"iam-root-mfa": true, "billing-alarm": true, "iam-unused-services": false, "ec2-outdated-ami": false} {
		if s.Includes(id) != want {
			t.Errorf("Includes(%s) = %v", id, !want)
		}
	}
	if _, err := NewSelection([]string{"iam-root-mfaa"}, nil); err == nil || !strings.Contains(err.Error(), "valid checks: iam-password-policy,") {
		t.Errorf("unknown id: %v", err)
	}
	var all Selection
	if got := Run(&snapshot.Snapshot{}, all, Thresholds{}, now); len(got) == 0 {
		t.Error("zero Selection ran nothing")
	}
}

func TestOneFailureDoesNotHideOthers(t *testing.T) {
	s := snapshot.Snapshot{
		PasswordPolicy: strongPolicy(),
		Failures:       []snapshot.Failure{denied(snapshot.SrcTrailStatus, "eu-west-1", "arn:t", "cloudtrail:GetTrailStatus")},
		Trails:         []snapshot.Trail{{Name: "t", ARN: "arn:t", HomeRegion: "eu-west-1", MultiRegion: true, LogValidation: true}},
	}
	got := Run(&s, Selection{}, Thresholds{}, now)
	states := map[string]finding.CheckState{}
	for _, r := range got {
		if _, ok := states[r.RuleID]; !ok {
			states[r.RuleID] = r.State
		}
	}
	if states["iam-password-policy"] != finding.CheckPass || states["cloudtrail-log-validation"] != finding.CheckPass ||
		states["cloudtrail-enabled"] != finding.CheckCouldNotRun {
		t.Errorf("states %v\n%s", states, dump(got))
	}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.Fingerprint] {
			t.Errorf("duplicate fingerprint %s: %s", r.Fingerprint, dump([]finding.CheckResult{r}))
		}
		seen[r.Fingerprint] = true
	}
}
