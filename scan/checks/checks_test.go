package checks

import (
	"fmt"
	"net/netip"
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
	report := func(r snapshot.CredentialRow) []snapshot.CredentialRow { return []snapshot.CredentialRow{r} }
	withPassword := func(mfa bool) snapshot.CredentialRow { r := rootRow(mfa, false); r.PasswordEnabled = true; return r }
	noCredential := rootRow(false, false) // password_enabled false, no key: an Organizations member
	oldReport := rootRow(false, false)
	oldReport.PasswordUnknown = true // "not_supported": counts as having a password
	central := &snapshot.OrgFeatures{Visible: true, RootCredentialsManagement: true}
	yes, no := true, false
	runCases(t, []tcase{
		{name: "key active", rule: "iam-root-access-key", snap: snapshot.Snapshot{CredentialReport: report(rootRow(true, true))},
			want: []want{fail(rootARN, "access key 1 (last used")}},
		{name: "no key", rule: "iam-root-access-key", snap: snapshot.Snapshot{CredentialReport: report(rootRow(true, false))},
			want: []want{pass(rootARN, "no active access key")}},
		{name: "no root row", rule: "iam-root-access-key", snap: noRoot,
			want: []want{cannot(finding.RootUser, "no <root_account> row")}},
		{name: "report denied", rule: "iam-root-access-key", snap: reportDenied,
			want: []want{cannot("", "AccessDenied on iam:GenerateCredentialReport")}},
		{name: "password no mfa", rule: "iam-root-mfa", snap: snapshot.Snapshot{CredentialReport: report(withPassword(false))},
			want: []want{fail(rootARN, "has a password and no MFA device")}},
		{name: "key no mfa", rule: "iam-root-mfa", snap: snapshot.Snapshot{CredentialReport: report(rootRow(false, true))},
			want: []want{fail(rootARN, "an active access key and no MFA")}},
		{name: "unknown password no mfa", rule: "iam-root-mfa", snap: snapshot.Snapshot{CredentialReport: report(oldReport)},
			want: []want{fail(rootARN, "a password and no MFA")}},
		{name: "unknown password, summary says none", rule: "iam-root-mfa", snap: snapshot.Snapshot{CredentialReport: report(oldReport), RootPasswordPresent: &no},
			want: []want{pass(rootARN, "no password and no access key")}},
		{name: "unknown password, summary says one", rule: "iam-root-mfa", snap: snapshot.Snapshot{CredentialReport: report(oldReport), RootPasswordPresent: &yes},
			want: []want{fail(rootARN, "a password and no MFA")}},
		{name: "mfa", rule: "iam-root-mfa", snap: snapshot.Snapshot{CredentialReport: report(withPassword(true))},
			want: []want{pass(rootARN, "protected by MFA")}},
		{name: "no credential passes", rule: "iam-root-mfa", snap: snapshot.Snapshot{CredentialReport: report(noCredential), Organization: central},
			want: []want{pass(rootARN, "no password and no access key: nothing to sign in with; the organization manages root credentials centrally")}},
		{name: "hardware", rule: "iam-root-hardware-mfa", snap: snapshot.Snapshot{CredentialReport: report(withPassword(true)), MFADevicesRead: true},
			want: []want{pass(rootARN, "hardware device")}},
		{name: "virtual", rule: "iam-root-hardware-mfa", snap: snapshot.Snapshot{CredentialReport: report(withPassword(true)), MFADevicesRead: true,
			RootVirtualMFA: []string{"arn:aws:iam::123456789012:mfa/root-account-mfa-device"}},
			want: []want{fail(rootARN, "virtual device (arn:aws:iam::123456789012:mfa/root-account-mfa-device)")}},
		{name: "none at all", rule: "iam-root-hardware-mfa", snap: snapshot.Snapshot{CredentialReport: report(withPassword(false)), MFADevicesRead: true},
			want: []want{fail(rootARN, "no MFA device at all")}},
		{name: "hardware: no credential", rule: "iam-root-hardware-mfa", snap: snapshot.Snapshot{CredentialReport: report(noCredential), MFADevicesRead: true},
			want: []want{pass(rootARN, "nothing to sign in with")}},
		{name: "hardware: devices denied", rule: "iam-root-hardware-mfa", snap: snapshot.Snapshot{CredentialReport: report(withPassword(true)),
			Failures: []snapshot.Failure{denied(snapshot.SrcMFADevices, "", "", "iam:ListVirtualMFADevices")}},
			want: []want{cannot("", "iam:ListVirtualMFADevices")}},
	})
}

func TestRootCredentialsManagement(t *testing.T) {
	org := func(f snapshot.OrgFeatures) snapshot.Snapshot {
		return snapshot.Snapshot{Account: "111111111111", Organization: &f}
	}
	runCases(t, []tcase{
		{name: "management on", rule: "iam-root-credentials-management", snap: org(snapshot.OrgFeatures{Visible: true, RootCredentialsManagement: true}),
			want: []want{pass("", "manages member accounts' root credentials centrally")}},
		{name: "management off", rule: "iam-root-credentials-management", snap: org(snapshot.OrgFeatures{Visible: true}),
			want: []want{fail("", "RootCredentialsManagement is off")}},
		{name: "member under --org, off", rule: "iam-root-credentials-management",
			snap: org(snapshot.OrgFeatures{Visible: true, Management: "999999999999"}),
			want: []want{notApp("", "the fix belongs in management account 999999999999")}},
		{name: "member under --org, on", rule: "iam-root-credentials-management",
			snap: org(snapshot.OrgFeatures{Visible: true, RootCredentialsManagement: true, Management: "999999999999"}),
			want: []want{pass("", "management account 999999999999")}},
		{name: "member alone", rule: "iam-root-credentials-management", snap: org(snapshot.OrgFeatures{Why: "only the management account"}),
			want: []want{notApp("", "judged in the organization's management account")}},
		{name: "standalone", rule: "iam-root-credentials-management", snap: org(snapshot.OrgFeatures{Standalone: true, Why: "no org"}),
			want: []want{notApp("", "needs AWS Organizations")}},
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

// keyRow is a user's report row with keys: each (active, created, used)
// with used < 0 for never.
func keyRow(name string, keys ...[3]int) snapshot.CredentialRow {
	r := userRow(name, false, false, na, 500)
	for i, k := range keys {
		used := na
		if k[2] >= 0 {
			used = stamp(k[2])
		}
		r.Keys[i] = snapshot.ReportKey{Active: k[0] == 1, LastRotated: stamp(k[1]), LastUsed: used}
	}
	return r
}

func TestKeys(t *testing.T) {
	two := snapshot.Snapshot{CredentialReport: []snapshot.CredentialRow{
		rootRow(true, true), // root keys have their own rule
		keyRow("deploy", [3]int{1, 200, 1}, [3]int{1, 10, -1}),
		keyRow("ops", [3]int{1, 30, 50}, [3]int{0, 300, 300}),
	}}
	hoursOver := keyRow("edge", [3]int{1, 100, -1})
	hoursOver.Keys[0].LastUsed = snapshot.Stamp{Time: now.Add(-45*24*time.Hour - 5*time.Hour)}
	justUnder := keyRow("under", [3]int{1, 100, -1})
	justUnder.Keys[0].LastUsed = snapshot.Stamp{Time: now.Add(-44*24*time.Hour - 20*time.Hour)}
	runCases(t, []tcase{
		{name: "ages", rule: "iam-access-key-rotation", snap: two, want: []want{
			fail("user/deploy access_key_1", "200 days old (limit 90)"),
			pass("user/deploy access_key_2", "10 days"),
			pass("user/ops access_key_1", "30 days"),
		}},
		{name: "custom limit", rule: "iam-access-key-rotation", snap: two, th: Thresholds{KeyMaxAgeDays: 20}, want: []want{
			fail("deploy access_key_1", ""), pass("deploy access_key_2", ""), fail("ops access_key_1", "limit 20"),
		}},
		{name: "report denied", rule: "iam-access-key-rotation", snap: snapshot.Snapshot{Failures: []snapshot.Failure{
			denied(snapshot.SrcCredentialReport, "", "", "iam:GenerateCredentialReport"),
		}}, want: []want{cannot("", "iam:GenerateCredentialReport")}},
		{name: "two active keys", rule: "iam-user-two-active-keys", snap: two, want: []want{
			fail("user/deploy", "2 active access keys: arn:aws:iam::123456789012:user/deploy access_key_1, arn:aws:iam::123456789012:user/deploy access_key_2"),
			pass("user/ops", "1 active access key"),
		}},
		{name: "unused keys", rule: "iam-unused-credentials", snap: two, want: []want{
			pass("deploy access_key_1", ""),
			pass("deploy access_key_2", "recently created"),
			fail("ops access_key_1", "last used 50 days ago (limit 45)"),
		}},
		{name: "45 days and a few hours is 45 or more", rule: "iam-unused-credentials",
			snap: snapshot.Snapshot{CredentialReport: []snapshot.CredentialRow{hoursOver, justUnder}}, want: []want{
				fail("user/edge access_key_1", "last used 45 days ago (limit 45)"),
				pass("user/under access_key_1", ""),
			}},
		{name: "unused password", rule: "iam-unused-credentials", snap: snapshot.Snapshot{CredentialReport: []snapshot.CredentialRow{
			rootRow(true, false),
			userRow("old", true, true, stamp(100), 400),
			userRow("never", true, true, snapshot.Stamp{Placeholder: "no_information"}, 60),
			userRow("fresh", true, true, snapshot.Stamp{Placeholder: "no_information"}, 5),
			userRow("active", true, true, stamp(2), 400),
			func() snapshot.CredentialRow { // an old user given a password 3 days ago
				r := userRow("reset", true, true, snapshot.Stamp{Placeholder: "no_information"}, 400)
				r.PasswordLastChanged = stamp(3)
				return r
			}(),
			func() snapshot.CredentialRow { // used 100 days ago, reset 2 days ago
				r := userRow("rotated", true, true, stamp(100), 400)
				r.PasswordLastChanged = stamp(2)
				return r
			}(),
			func() snapshot.CredentialRow { // set 60 days ago and never used since
				r := userRow("stale", true, true, stamp(70), 400)
				r.PasswordLastChanged = stamp(60)
				return r
			}(),
		}}, want: []want{
			fail("user/old", "last used 100 days ago"),
			fail("user/never", "never used; the user was created 60 days ago"),
			pass("user/fresh", ""),
			pass("user/active", ""),
			pass("user/reset", "used or set within 45 days"),
			pass("user/rotated", ""),
			fail("user/stale", "not used since it was set 60 days ago"),
		}},
	})
}

func TestPasswordReuse(t *testing.T) {
	reuse := func(n int) *snapshot.PasswordPolicy { p := strongPolicy(); p.ReusePreventionSize = n; return p }
	runCases(t, []tcase{
		{name: "24", rule: "iam-password-reuse", snap: snapshot.Snapshot{PasswordPolicy: reuse(24)}, want: []want{pass("", "last 24")}},
		{name: "5", rule: "iam-password-reuse", snap: snapshot.Snapshot{PasswordPolicy: reuse(5)}, want: []want{fail("", "remembers the last 5 passwords; CIS asks for 24")}},
		{name: "off", rule: "iam-password-reuse", snap: snapshot.Snapshot{PasswordPolicy: reuse(0)}, want: []want{fail("", "does not prevent password reuse")}},
		{name: "no policy", rule: "iam-password-reuse", snap: snapshot.Snapshot{}, want: []want{fail("", "no account password policy")}},
		// the strength rule does not judge reuse: it is its own rule
		{name: "strength ignores reuse", rule: "iam-password-policy", snap: snapshot.Snapshot{PasswordPolicy: reuse(0)}, want: []want{pass("", "")}},
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
		{name: "custom patterns", rule: "ec2-security-group-open", th: Thresholds{PublicGroupPatterns: []string{"WEB"}},
			snap: oneRegion(snapshot.Region{SecurityGroups: []snapshot.SecurityGroup{open("sg-web", "web", "tcp", 443, "0.0.0.0/0")},
				NetworkInterfaces: []snapshot.NetworkInterface{eni("eni-1", "interface", "", "sg-web")}}),
			want: []want{pass("sg-web", "public pattern")}},
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
		Status: &snapshot.TrailStatus{Logging: logging, StartedLogging: daysAgo(100), LatestDelivery: now.Add(-time.Hour)},
		Events: &snapshot.TrailEvents{ManagementRead: true, ManagementWrite: true}}
}

func TestWorldCover(t *testing.T) {
	for _, tc := range []struct {
		world string
		cidrs []string
		want  bool
	}{
		{"0.0.0.0/0", []string{"0.0.0.0/0"}, true},
		{"0.0.0.0/0", []string{"0.0.0.0/1", "128.0.0.0/1"}, true},
		{"0.0.0.0/0", []string{"128.0.0.0/1", "0.0.0.0/2", "64.0.0.0/2"}, true},
		{"0.0.0.0/0", []string{"0.0.0.0/1", "128.0.0.0/2"}, false},
		{"0.0.0.0/0", []string{"0.0.0.0/1", "128.0.0.1/1"}, true}, // host bits are masked, as EC2 does
		{"0.0.0.0/0", []string{"0.0.0.0/1", "127.0.0.0/8", "129.0.0.0/1"}, true},
		{"0.0.0.0/0", []string{"::/0"}, false},
		{"0.0.0.0/0", []string{"10.0.0.0/8", "bogus"}, false},
		{"::/0", []string{"::/1", "8000::/1"}, true},
		{"::/0", []string{"::/1", "8000::/2"}, false},
		{"::/0", []string{"::/0"}, true},
	} {
		if got := covers(netip.MustParsePrefix(tc.world), tc.cidrs); got != tc.want {
			t.Errorf("covers(%s, %v) = %v", tc.world, tc.cidrs, got)
		}
	}
}

func TestSecurityGroupFalsePasses(t *testing.T) {
	split := snapshot.SecurityGroup{ID: "sg-split", Name: "admin", Ingress: []snapshot.Ingress{
		{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{"0.0.0.0/1", "128.0.0.0/1"}}}}
	twoRules := snapshot.SecurityGroup{ID: "sg-two", Name: "admin2", Ingress: []snapshot.Ingress{
		{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{"0.0.0.0/1"}},
		{Protocol: "-1", CIDRs: []string{"128.0.0.0/1"}}}}
	viaList := snapshot.SecurityGroup{ID: "sg-pl", Name: "bastion", Ingress: []snapshot.Ingress{
		{Protocol: "tcp", FromPort: 22, ToPort: 22, PrefixLists: []string{"pl-world"}}}}
	privateList := snapshot.SecurityGroup{ID: "sg-office", Name: "office", Ingress: []snapshot.Ingress{
		{Protocol: "tcp", FromPort: 22, ToPort: 22, PrefixLists: []string{"pl-office"}}}}
	allProto := snapshot.SecurityGroup{ID: "sg-all", Name: "https_everywhere", Ingress: []snapshot.Ingress{
		{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}}
	allPorts := snapshot.SecurityGroup{ID: "sg-ports", Name: "public-web", Ingress: []snapshot.Ingress{
		{Protocol: "tcp", FromPort: 0, ToPort: 65535, CIDRs: []string{"::/0"}}}}
	web := snapshot.SecurityGroup{ID: "sg-web", Name: "public-web2", Ingress: []snapshot.Ingress{
		{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}},
		{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"::/0"}}}}
	endpoint := open("sg-vpce", "endpoint", "tcp", 443, "0.0.0.0/0")
	r := oneRegion(snapshot.Region{
		SecurityGroups: []snapshot.SecurityGroup{split, twoRules, viaList, privateList, allProto, allPorts, web, endpoint},
		PrefixLists: map[string]snapshot.PrefixList{
			"pl-world":  {ID: "pl-world", CIDRs: []string{"10.0.0.0/8", "0.0.0.0/0"}},
			"pl-office": {ID: "pl-office", CIDRs: []string{"198.51.100.0/24"}},
		},
		NetworkInterfaces: []snapshot.NetworkInterface{
			eni("eni-1", "interface", "", "sg-split", "sg-two", "sg-pl", "sg-office", "sg-all", "sg-ports", "sg-web"),
			eni("eni-vpce", "vpc_endpoint", "", "sg-vpce"),
		},
	})
	listDenied := oneRegion(snapshot.Region{SecurityGroups: []snapshot.SecurityGroup{viaList},
		NetworkInterfaces: []snapshot.NetworkInterface{eni("eni-1", "interface", "", "sg-pl")}})
	listDenied.Failures = []snapshot.Failure{denied(snapshot.SrcPrefixLists, "eu-west-1", "pl-world", "ec2:GetManagedPrefixListEntries")}
	publicEndpoint := oneRegion(snapshot.Region{SecurityGroups: []snapshot.SecurityGroup{endpoint},
		NetworkInterfaces: []snapshot.NetworkInterface{{ID: "eni-x", Type: "vpc_endpoint", Groups: []string{"sg-vpce"}, PublicIPs: []string{"203.0.113.9"}}}})
	runCases(t, []tcase{
		{name: "issue 24", rule: "ec2-security-group-open", snap: r, want: []want{
			fail("sg-split", "tcp/22 from 0.0.0.0/1, 128.0.0.0/1 (together 0.0.0.0/0)"),
			fail("sg-two", "(tcp/22 from 0.0.0.0/1, 128.0.0.0/1 (together 0.0.0.0/0)) and"),
			fail("sg-pl", "tcp/22 from 0.0.0.0/0 in pl-world"),
			pass("sg-office", "no ingress from the internet"),
			fail("sg-all", `matches the public pattern "*_everywhere", which exempts web ports (tcp 80, 443) only, not all traffic from 0.0.0.0/0`),
			fail("sg-ports", "not tcp/all ports from ::/0"),
			pass("sg-web", "public pattern"),
			pass("sg-vpce", "used only by 1 network interface the internet cannot reach"),
		}},
		{name: "prefix list unread", rule: "ec2-security-group-open", snap: listDenied, want: []want{
			cannot("pl-world", "ec2:GetManagedPrefixListEntries in eu-west-1"),
		}},
		{name: "endpoint with a public address is reachable", rule: "ec2-security-group-open", snap: publicEndpoint, want: []want{
			fail("sg-vpce", "used by 1 network interface"),
		}},
	})
}

func TestDefaultSecurityGroupAndElasticIPs(t *testing.T) {
	r := oneRegion(snapshot.Region{
		SecurityGroups: []snapshot.SecurityGroup{
			{ID: "sg-d1", Name: "default", VPC: "vpc-1", Ingress: []snapshot.Ingress{{Protocol: "-1", Groups: 1}}, Egress: 1},
			{ID: "sg-d2", Name: "default", VPC: "vpc-2"},
			{ID: "sg-app", Name: "app", VPC: "vpc-1", Egress: 1},
		},
		Stopped: []snapshot.Instance{{ID: "i-stopped", Name: "old", State: "stopped"}},
		Addresses: []snapshot.Address{
			{PublicIP: "203.0.113.1", AllocationID: "eipalloc-1", Instance: "i-running"},
			{PublicIP: "203.0.113.2", AllocationID: "eipalloc-2", Instance: "i-stopped"},
			{PublicIP: "203.0.113.3", AllocationID: "eipalloc-3"},
			{PublicIP: "203.0.113.4", AllocationID: "eipalloc-4", Interface: "eni-nat"},
		},
	})
	runCases(t, []tcase{
		{name: "default groups", rule: "ec2-default-security-group", snap: r, want: []want{
			fail("sg-d1", "default security group sg-d1 of vpc-1 does not restrict all traffic: 1 inbound rule and 1 outbound rule"),
			pass("sg-d2", "no rules"),
		}},
		{name: "elastic ips", rule: "ec2-elastic-ip-unused", snap: r, want: []want{
			pass("eipalloc-1", "associated with i-running"),
			fail("eipalloc-2", "held by instance i-stopped (old), which is stopped"),
			fail("eipalloc-3", "not associated"),
			pass("eipalloc-4", "eni-nat"),
		}},
	})
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

func TestTrailEventsAndOrganizationTrails(t *testing.T) {
	dataOnly := trail("data", "us-east-1", true, true, true)
	dataOnly.Events = &snapshot.TrailEvents{Advanced: true}
	writeOnly := trail("writes", "us-east-1", true, true, true)
	writeOnly.Events = &snapshot.TrailEvents{ManagementWrite: true}
	// An organization trail of management account 999999999999, seen from member 123456789012.
	orgTrail := func(ok bool) snapshot.Trail {
		t := trail("org", "us-east-1", true, false, true)
		t.ARN = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org"
		t.Organization = true
		if !ok {
			t.Events = &snapshot.TrailEvents{}
		}
		return t
	}
	member := func(ts ...snapshot.Trail) snapshot.Snapshot {
		return snapshot.Snapshot{Account: "123456789012", Trails: ts}
	}
	selectorsDenied := member(trail("t", "us-east-1", true, true, true))
	selectorsDenied.Trails[0].Events = nil
	selectorsDenied.Failures = []snapshot.Failure{denied(snapshot.SrcEventSelectors, "us-east-1", selectorsDenied.Trails[0].ARN, "cloudtrail:GetEventSelectors")}
	runCases(t, []tcase{
		{name: "data events only", rule: "cloudtrail-enabled", snap: member(dataOnly), want: []want{
			fail("", "data (multi-region, records no management events)"),
		}},
		{name: "write only", rule: "cloudtrail-enabled", snap: member(writeOnly), want: []want{
			fail("", "records no read management events"),
		}},
		{name: "one good trail is enough", rule: "cloudtrail-enabled", snap: member(dataOnly, trail("all", "us-east-1", true, true, true)), want: []want{
			pass("", "trail/all (home region us-east-1) is logging read and write management events"),
		}},
		{name: "selectors denied", rule: "cloudtrail-enabled", snap: selectorsDenied, want: []want{
			cannot("trail/t", "cloudtrail:GetEventSelectors"),
		}},
		{name: "organization trail covers the member", rule: "cloudtrail-enabled", snap: member(orgTrail(true)), want: []want{
			pass("", "an organization trail of account 999999999999"),
		}},
		{name: "organization trail whose selectors a member cannot read", rule: "cloudtrail-enabled", snap: func() snapshot.Snapshot {
			s := member(orgTrail(true))
			s.Trails[0].Events = nil
			return s
		}(), want: []want{
			pass("", "its event selectors could not be read here and are judged in account 999999999999"),
		}},
		{name: "organization trail short: the fix is in the management account", rule: "cloudtrail-enabled", snap: member(orgTrail(false)), want: []want{
			notApp("999999999999:trail/org", "the fix belongs there"),
		}},
		{name: "organization trail short, in the management account", rule: "cloudtrail-enabled",
			snap: snapshot.Snapshot{Account: "999999999999", Trails: []snapshot.Trail{orgTrail(false)}}, want: []want{
				fail("", "org (multi-region, records no management events)"),
			}},
		{name: "member's own trail short fails", rule: "cloudtrail-enabled", snap: member(orgTrail(false), dataOnly), want: []want{
			fail("", "no multi-region trail is logging read and write management events"),
		}},
		{name: "validation of the organization trail is judged in its account", rule: "cloudtrail-log-validation", snap: member(orgTrail(true)), want: []want{
			notApp("999999999999:trail/org", "belongs to account 999999999999"),
		}},
		{name: "delivery too", rule: "cloudtrail-delivery", snap: member(orgTrail(true)), want: []want{
			notApp("999999999999:trail/org", "judged, and can only be fixed, there"),
		}},
	})
}

func TestBudgets(t *testing.T) {
	runCases(t, []tcase{
		{name: "budget alert", rule: "billing-alarm", snap: snapshot.Snapshot{Budgets: []snapshot.Budget{
			{Name: "quiet", NotificationsRead: true}, {Name: "monthly", Notifications: 2, NotificationsRead: true}}},
			want: []want{pass("", "AWS Budgets budget monthly has 2 alerts")}},
		{name: "budget without alert", rule: "billing-alarm", snap: snapshot.Snapshot{Budgets: []snapshot.Budget{{Name: "quiet", NotificationsRead: true}}},
			want: []want{fail("", "no alert on the account's 1 budget")}},
		{name: "budgets denied, no alarm", rule: "billing-alarm", snap: snapshot.Snapshot{Failures: []snapshot.Failure{
			denied(snapshot.SrcBudgets, "us-east-1", "", "budgets:ViewBudget")}},
			want: []want{cannot("", "budgets:ViewBudget")}},
		{name: "alarm passes whatever budgets say", rule: "billing-alarm", snap: snapshot.Snapshot{
			BillingAlarms: []snapshot.Alarm{{Name: "b", ActionsEnabled: true, Actions: []string{"arn:sns"}}},
			Failures:      []snapshot.Failure{denied(snapshot.SrcBudgets, "us-east-1", "", "budgets:ViewBudget")}},
			want: []want{pass("", "billing alarm b")}},
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
	if len(IDs()) != 22 {
		t.Errorf("%d rules, the catalogue has 22 account checks", len(IDs()))
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
