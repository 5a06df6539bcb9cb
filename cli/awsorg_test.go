package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/mototest"
)

// motoOrg creates an organization in moto whose management account is
// moto's default, with the named member accounts, and returns their IDs
// by name (the management account's name as moto gives it).
func motoOrg(t testing.TB, members ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: "ALL"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range members {
		if _, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")}); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{}
	p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Accounts {
			ids[aws.ToString(a.Name)] = aws.ToString(a.Id)
		}
	}
	return ids
}

// denyAssumeRole answers sts:AssumeRole into the given accounts as AWS
// does when the role's trust policy (or an SCP) refuses the caller.
func denyAssumeRole(accounts ...string) mototest.AnswerFunc {
	return func(w http.ResponseWriter, c *mototest.Call) bool {
		if c.Action != "AssumeRole" || !slices.ContainsFunc(accounts, func(a string) bool { return strings.Contains(c.Form.Get("RoleArn"), ":"+a+":") }) {
			return false
		}
		mototest.WriteError(w, http.StatusForbidden, "AccessDenied",
			"User: arn:aws:iam::123456789012:user/scanner is not authorized to perform: sts:AssumeRole on resource: "+c.Form.Get("RoleArn"))
		return true
	}
}

// accessKeyInfo answers sts:GetAccessKeyInfo as AWS does, for deleted
// keys too (moto answers its caller's account for a key it no longer has).
func accessKeyInfo(w http.ResponseWriter, c *mototest.Call) bool {
	if c.Action != "GetAccessKeyInfo" {
		return false
	}
	account, ok := detect.DecodeAccount(c.Form.Get("AccessKeyId"))
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<GetAccessKeyInfoResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetAccessKeyInfoResult><Account>%s</Account></GetAccessKeyInfoResult><ResponseMetadata><RequestId>c8e9f5a2-3b4d-4e6f-8a9b-1c2d3e4f5a6b</RequestId></ResponseMetadata></GetAccessKeyInfoResponse>`, account)
	return true
}

func setPasswordPolicy(t testing.TB, c *iam.Client, strong bool) {
	t.Helper()
	in := &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8)}
	if strong {
		in = &iam.UpdateAccountPasswordPolicyInput{
			MinimumPasswordLength: aws.Int32(16), RequireUppercaseCharacters: true, RequireLowercaseCharacters: true,
			RequireNumbers: true, RequireSymbols: true, AllowUsersToChangePassword: true,
		}
	}
	if _, err := c.UpdateAccountPasswordPolicy(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

// TestOrganization is issue 15 end to end: an organization of five
// accounts, keys leaked from three of them (active, inactive, deleted),
// one account whose role cannot be assumed, one key of an account outside
// the organization, and a password policy weak in exactly one account.
func TestOrganization(t *testing.T) {
	srv := moto.Get(t)
	srv.Reset(t)
	srv.Env(t)
	ids := motoOrg(t, "prod", "staging", "dev", "sandbox")
	mgmt := "123456789012"
	prod, staging, dev, sandbox := ids["prod"], ids["staging"], ids["dev"], ids["sandbox"]
	mgmtName := ""
	for name, id := range ids {
		if id == mgmt {
			mgmtName = name
		}
	}
	if len(ids) != 5 || mgmtName == "" {
		t.Fatalf("organization accounts %v, want the management account and 4 members", ids)
	}

	active, activeSecret := motoKey(t, iamClient(t, prod), "deploy-bot", types.StatusTypeActive)
	inactive, inactiveSecret := motoKey(t, iamClient(t, staging), "old-ci", types.StatusTypeInactive)
	deleted, deletedSecret := motoKey(t, iamClient(t, dev), "gone", types.StatusTypeActive)
	if _, err := iamClient(t, dev).DeleteAccessKey(context.Background(), &iam.DeleteAccessKeyInput{UserName: aws.String("gone"), AccessKeyId: &deleted}); err != nil {
		t.Fatal(err)
	}
	denied, deniedSecret := motoKey(t, iamClient(t, sandbox), "tester", types.StatusTypeActive)
	outside, outsideSecret := motoKey(t, iamClient(t, "111122223333"), "vendor", types.StatusTypeActive)
	for _, a := range []string{"", prod, dev, sandbox} {
		setPasswordPolicy(t, iamClient(t, a), true)
	}
	setPasswordPolicy(t, iamClient(t, staging), false)

	r := gittest.New(t)
	files := map[string][2]string{"prod.env": {active, activeSecret}, "staging.env": {inactive, inactiveSecret},
		"dev.env": {deleted, deletedSecret}, "sandbox.env": {denied, deniedSecret}, "vendor.env": {outside, outsideSecret}}
	for f, k := range files {
		r.Write(f, "AWS_ACCESS_KEY_ID="+k[0]+"\nAWS_SECRET_ACCESS_KEY="+k[1]+"\n")
	}
	r.Commit("keys of five accounts")

	var calls mototest.Counter
	mototest.EnvFor(t, srv.Proxy(t, mototest.Chain(calls.Count, denyAssumeRole(sandbox), accessKeyInfo)).URL)
	code, out, stderr := run(t, "scan", r.Dir, "--aws", "--org", "--checks", "iam-password-policy", "--format", "json", "--fail-on", "critical")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1 (an active key); stderr %s\n%s", code, stderr, out)
	}
	t.Log(&calls)
	var rep struct {
		Account string
		Gaps    []string
		Keys    []struct{ KeyID, Status, Severity, User, Account, AccountName, Message string }
		Checks  []struct{ RuleID, State, Account, AccountName, Fingerprint string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ status, severity, user, account, name string }{
		active:   {"active", "critical", "deploy-bot", prod, "prod"},
		inactive: {"inactive", "high", "old-ci", staging, "staging"},
		deleted:  {"not-in-account", "medium", "", dev, "dev"},
		denied:   {"unverified", "high", "", sandbox, "sandbox"},
		outside:  {"other-account", "medium", "", "111122223333", ""},
	}
	for _, k := range rep.Keys {
		w, ok := want[k.KeyID]
		if !ok {
			t.Errorf("unexpected key %s", k.KeyID)
			continue
		}
		delete(want, k.KeyID)
		if k.Status != w.status || k.Severity != w.severity || k.User != w.user || k.Account != w.account || k.AccountName != w.name {
			t.Errorf("%s: %s/%s user %q account %s (%s); want %s/%s user %q account %s (%s)", k.KeyID, k.Status, k.Severity, k.User, k.Account, k.AccountName,
				w.status, w.severity, w.user, w.account, w.name)
		}
	}
	if len(want) > 0 {
		t.Errorf("keys not reported: %v", want)
	}
	for _, k := range rep.Keys {
		if k.KeyID == active && !strings.Contains(k.Message, "is ACTIVE in "+prod+" (prod)") {
			t.Errorf("active key message %q does not name the account", k.Message)
		}
	}
	var gap string
	for _, g := range rep.Gaps {
		if strings.Contains(g, sandbox) {
			gap += g + "\n"
		}
	}
	if !strings.Contains(gap, "arn:aws:iam::"+sandbox+":role/keysweep-audit (AccessDenied)") || !strings.Contains(gap, "sandbox") || !strings.Contains(gap, "docs/aws-organizations.md") {
		t.Errorf("gaps %q: want the sandbox account named with the AssumeRole denial and the fix", rep.Gaps)
	}

	// The password policy check ran in the four readable accounts and
	// failed in staging alone.
	got := map[string]string{}
	fps := map[string]bool{}
	for _, c := range rep.Checks {
		if c.RuleID != "iam-password-policy" {
			t.Errorf("unselected check %s ran", c.RuleID)
		}
		got[c.Account] = c.State + "/" + c.AccountName
		fps[c.Fingerprint] = true
	}
	wantChecks := map[string]string{mgmt: "pass/" + mgmtName, prod: "pass/prod", staging: "fail/staging", dev: "pass/dev"}
	if len(got) != len(wantChecks) || len(fps) != len(wantChecks) {
		t.Errorf("check results by account %v (%d fingerprints), want %v, each its own", got, len(fps), wantChecks)
	}
	for a, w := range wantChecks {
		if got[a] != w {
			t.Errorf("account %s: password policy %q, want %q", a, got[a], w)
		}
	}
	// Roles are assumed only where a key is matched or a check runs; the
	// management account uses the caller's credentials.
	if n := calls.Get("sts:AssumeRole"); n != 4 {
		t.Errorf("AssumeRole called %d times, want 4 (prod, staging, dev, sandbox)", n)
	}

	// Text and SARIF name the accounts too.
	sarifPath := t.TempDir() + "/org.sarif"
	_, text, stderr := run(t, "scan", r.Dir, "--aws", "--org", "--checks", "iam-password-policy", "--sarif", sarifPath, "--fail-on", "none")
	sarif, err := os.ReadFile(sarifPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"account " + prod + " (prod)", "is ACTIVE in " + prod + " (prod)", staging + " (staging)"} {
		if !strings.Contains(text, w) {
			t.Errorf("text report lacks %q:\n%s", w, text)
		}
	}
	for _, w := range []string{`"accountName": "prod"`, `"account": "` + staging + `"`, `"accountName": "staging"`, "account " + staging + " (staging): "} {
		if !strings.Contains(string(sarif), w) {
			t.Errorf("SARIF lacks %s", w)
		}
	}
	out += text + string(sarif)
	for _, s := range []string{activeSecret, inactiveSecret, deletedSecret, deniedSecret, outsideSecret} {
		if strings.Contains(out+stderr, s) {
			t.Fatal("a secret from moto appears in the output")
		}
	}
}

func TestOrganizationFlags(t *testing.T) {
	r := gittest.New(t)
	r.Write("a.txt", "clean\n")
	r.Commit("init")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--org"}, "needs --aws"},
		{[]string{"--aws", "--member-role", "auditor"}, "need --org"},
		{[]string{"--aws", "--accounts", "210987654321"}, "need --org"},
		{[]string{"--aws", "--org", "--accounts", "2109876543210"}, `"2109876543210" is not a 12-digit AWS account ID`},
		{[]string{"--aws", "--org", "--exclude-accounts", "prod"}, `"prod" is not a 12-digit`},
	} {
		code, out, stderr := run(t, append([]string{"scan", r.Dir}, tc.args...)...)
		if code != ExitError || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || out != "" {
			t.Errorf("%v: exit %d stderr %q; want 2 and one line with %q", tc.args, code, stderr, tc.want)
		}
	}

	// Against an organization: an account ID that is not one of its
	// accounts is a mistake to report, not an account to skip silently; an
	// account outside the organization's caller is refused in one line.
	srv := moto.Get(t)
	srv.Reset(t)
	srv.Env(t)
	ids := motoOrg(t, "prod")
	code, _, stderr := run(t, "scan", r.Dir, "--aws", "--org", "--no-checks", "--accounts", ids["prod"]+",999999999999")
	if code != ExitError || !strings.Contains(stderr, `account "999999999999" is not an active account of the organization`) {
		t.Errorf("unknown account: exit %d stderr %q", code, stderr)
	}
	srv.Reset(t)
	code, _, stderr = run(t, "scan", r.Dir, "--aws", "--org", "--no-checks")
	if code != ExitError || !strings.Contains(stderr, "not in an AWS Organization") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("no organization: exit %d stderr %q", code, stderr)
	}
}

// TestOrganizationExcludedAccount: the key of an excluded account stays
// unverified, and the gap says why; --accounts leaves the others unread.
func TestOrganizationExcludedAccount(t *testing.T) {
	srv := moto.Get(t)
	srv.Reset(t)
	srv.Env(t)
	ids := motoOrg(t, "prod", "staging")
	key, secret := motoKey(t, iamClient(t, ids["prod"]), "deploy-bot", types.StatusTypeActive)
	r := gittest.New(t)
	r.Write("prod.env", "AWS_ACCESS_KEY_ID="+key+"\nAWS_SECRET_ACCESS_KEY="+secret+"\n")
	r.Commit("key")
	var calls mototest.Counter
	mototest.EnvFor(t, srv.Proxy(t, calls.Count).URL)
	code, out, stderr := run(t, "scan", r.Dir, "--aws", "--org", "--exclude-accounts", ids["prod"], "--checks", "iam-password-policy", "--format", "json", "--fail-on", "none")
	if code != ExitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Gaps   []string
		Keys   []struct{ Status, Account, AccountName string }
		Checks []struct{ Account string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Keys) != 1 || rep.Keys[0].Status != "unverified" || rep.Keys[0].Account != ids["prod"] || rep.Keys[0].AccountName != "prod" {
		t.Errorf("keys %+v, want the prod key unverified", rep.Keys)
	}
	if !slices.ContainsFunc(rep.Gaps, func(g string) bool {
		return strings.Contains(g, ids["prod"]+" (prod): 1 committed key not matched, left unverified: excluded")
	}) {
		t.Errorf("gaps %q", rep.Gaps)
	}
	for _, c := range rep.Checks {
		if c.Account == ids["prod"] {
			t.Error("a check ran in the excluded account")
		}
	}
	if len(rep.Checks) != 2 || calls.Get("sts:AssumeRole") != 1 {
		t.Errorf("%d check results, %s; want 2 (management, staging), one AssumeRole", len(rep.Checks), &calls)
	}

	// Matching alone assumes a role only where a leaked key is: here
	// nowhere (staging has none, prod is excluded).
	calls.Reset()
	if code, _, stderr := run(t, "scan", r.Dir, "--aws", "--org", "--exclude-accounts", ids["prod"], "--no-checks", "--fail-on", "none"); code != ExitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := calls.Get("sts:AssumeRole"); n != 0 {
		t.Errorf("%d AssumeRole calls for matching, want none: %s", n, &calls)
	}
	calls.Reset()
	if code, _, stderr := run(t, "scan", r.Dir, "--aws", "--org", "--no-checks", "--fail-on", "none"); code != ExitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := calls.Get("sts:AssumeRole"); n != 1 {
		t.Errorf("%d AssumeRole calls to match one key of prod, want 1: %s", n, &calls)
	}
}
