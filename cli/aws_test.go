package cli

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/mototest"
)

var moto mototest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Close()
	os.Exit(code)
}

// motoKey creates an IAM user with one access key in moto (in another
// account when account is set) and returns the key ID and secret.
func motoKey(t *testing.T, c *iam.Client, user string, status types.StatusType) (string, string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatalf("create user %s: %v", user, err)
	}
	out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatalf("create key for %s: %v", user, err)
	}
	id := aws.ToString(out.AccessKey.AccessKeyId)
	if status == types.StatusTypeInactive {
		if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: &id, Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	return id, aws.ToString(out.AccessKey.SecretAccessKey)
}

func iamClient(t *testing.T, account string) *iam.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return iam.NewFromConfig(cfg, func(o *iam.Options) {
		if account != "" {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-moto-account-id", account))
		}
	})
}

// TestLiveKeysAgainstMoto is the headline end to end: keys created in the
// (emulated) account are committed to a repository, and `scan --aws`
// says which are live and whose they are.
func TestLiveKeysAgainstMoto(t *testing.T) {
	srv := moto.Get(t)
	srv.Reset(t)
	srv.Env(t)
	c := iamClient(t, "")
	active, activeSecret := motoKey(t, c, "deploy-bot", types.StatusTypeActive)
	inactive, inactiveSecret := motoKey(t, c, "old-ci", types.StatusTypeInactive)
	deleted, deletedSecret := motoKey(t, c, "gone", types.StatusTypeActive)
	if _, err := c.DeleteAccessKey(context.Background(), &iam.DeleteAccessKeyInput{UserName: aws.String("gone"), AccessKeyId: &deleted}); err != nil {
		t.Fatal(err)
	}
	foreign, foreignSecret := motoKey(t, iamClient(t, "111122223333"), "vendor", types.StatusTypeActive)
	idOnly, _ := motoKey(t, c, "mentioned", types.StatusTypeActive)

	r := gittest.New(t)
	r.Write("deploy/.env", "AWS_ACCESS_KEY_ID="+active+"\nAWS_SECRET_ACCESS_KEY="+activeSecret+"\n")
	r.Write("ci/old.env", "AWS_ACCESS_KEY_ID="+inactive+"\nAWS_SECRET_ACCESS_KEY="+inactiveSecret+"\n")
	r.Write("gone.ini", "aws_access_key_id = "+deleted+"\naws_secret_access_key = "+deletedSecret+"\n")
	r.Write("vendor.json", `{"AccessKeyId": "`+foreign+`", "SecretAccessKey": "`+foreignSecret+`"}`+"\n")
	r.Write("NOTES.md", "key "+idOnly+" belongs to the mentioned user\n")
	r.Commit("keys")

	code, out, stderr := run(t, "scan", r.Dir, "--aws", "--no-checks", "--format", "json", "--fail-on", "critical")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1 (an active key); stderr %s", code, stderr)
	}
	var rep struct {
		Account         string
		InventorySource string
		Keys            []struct{ KeyID, Status, Severity, RuleID, User, Account string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Account != "123456789012" || rep.InventorySource != "aws" {
		t.Errorf("account %q source %q", rep.Account, rep.InventorySource)
	}
	want := map[string]struct{ status, severity, rule, user string }{
		active:   {"active", "critical", "committed-access-key/active", "deploy-bot"},
		inactive: {"inactive", "high", "committed-access-key/inactive", "old-ci"},
		deleted:  {"not-in-account", "medium", "committed-access-key/not-in-account", ""},
		foreign:  {"other-account", "medium", "committed-access-key/not-in-account", ""},
		idOnly:   {"active", "critical", "committed-access-key/active", "mentioned"},
	}
	for _, k := range rep.Keys {
		w, ok := want[k.KeyID]
		if !ok {
			t.Errorf("unexpected key %s", k.KeyID)
			continue
		}
		delete(want, k.KeyID)
		if k.Status != w.status || k.Severity != w.severity || k.RuleID != w.rule || k.User != w.user {
			t.Errorf("%s judged %s/%s/%s user %q; want %s/%s/%s user %q", k.KeyID, k.Status, k.Severity, k.RuleID, k.User, w.status, w.severity, w.rule, w.user)
		}
		if k.KeyID == foreign && k.Account != "111122223333" {
			t.Errorf("foreign key account %q", k.Account)
		}
	}
	if len(want) > 0 {
		t.Errorf("keys not reported: %v", want)
	}
	for _, s := range []string{activeSecret, inactiveSecret, deletedSecret, foreignSecret} {
		if strings.Contains(out+stderr, s) {
			t.Fatal("a secret from moto appears in the output")
		}
	}
}

func TestAWSWithoutCredentials(t *testing.T) {
	r := gittest.New(t)
	r.Write("a.txt", "x\n")
	r.Commit("init")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "ACTIONS_ID_TOKEN_REQUEST_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing may leave this machine
	code, out, stderr := run(t, "scan", r.Dir, "--aws")
	if code != ExitError || !strings.Contains(stderr, "no AWS credentials") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q; want 2 and one line naming missing credentials", code, stderr)
	}
	if out != "" {
		t.Errorf("a report was printed although the run failed: %q", out)
	}
	// Without --aws the same scan stays offline and succeeds.
	if code, _, stderr := run(t, "scan", r.Dir); code != ExitClean {
		t.Fatalf("offline scan: exit %d: %s", code, stderr)
	}
}

// TestAccountChecksAgainstMoto runs selected account checks on a weak
// (emulated) account and checks that their results reach JSON and SARIF.
func TestAccountChecksAgainstMoto(t *testing.T) {
	weakMotoAccount(t)
	r := gittest.New(t)
	r.Write("a.txt", "clean\n")
	r.Commit("init")
	sarifPath := t.TempDir() + "/out.sarif"

	code, out, stderr := run(t, "scan", r.Dir, "--aws", "--checks", "iam-password-policy,iam-user-mfa", "--format", "json", "--sarif", sarifPath, "--fail-on", "medium")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1 (failed checks); stderr %s", code, stderr)
	}
	var rep struct {
		Checks []struct{ RuleID, State, Resource string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	failed := map[string]bool{}
	for _, c := range rep.Checks {
		if c.RuleID != "iam-password-policy" && c.RuleID != "iam-user-mfa" {
			t.Errorf("check %s ran although not selected", c.RuleID)
		}
		if c.State == "fail" {
			failed[c.RuleID] = true
		}
	}
	if !failed["iam-password-policy"] || !failed["iam-user-mfa"] {
		t.Errorf("failed checks %v; want the missing password policy and the user without MFA", failed)
	}
	b, err := os.ReadFile(sarifPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "keysweep/aws-account/") || !strings.Contains(string(b), "iam-user-mfa") {
		t.Errorf("SARIF lacks the aws-account run or its results")
	}

	if code, _, stderr := run(t, "scan", r.Dir, "--aws", "--checks", "no-such-check"); code != ExitError || !strings.Contains(stderr, "no-such-check") {
		t.Errorf("unknown check: exit %d stderr %q", code, stderr)
	}
}

// weakMotoAccount resets moto and seeds a user with a console password and
// no MFA, which the iam-user-mfa check must fail.
func weakMotoAccount(t *testing.T) (*iam.Client, context.Context) {
	t.Helper()
	srv := moto.Get(t)
	srv.Reset(t)
	srv.Env(t)
	c := iamClient(t, "")
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("console-user")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("console-user"), Password: aws.String("Pa55word-for-tests!")}); err != nil {
		t.Fatal(err)
	}
	return c, ctx
}
