package action

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/keysweep/keysweep/internal/githubtest"
	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/mototest"
)

const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo/app:*"}}}]}`

// TestPullRequestWithRoleToAssume is the whole Actions path with AWS: the
// runner's ID token endpoint, AssumeRoleWithWebIdentity at moto, the live
// inventory, and a pull request that commits an active key of the account.
func TestPullRequestWithRoleToAssume(t *testing.T) {
	moto, roleARN, live := motoAccount(t)

	repo := history(t)
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("deploy/env", live.file())
		repo.Commit("deploy settings")
	})
	r, tokens := oidcRunner(t, moto, repo, "pull_request", payload, roleARN)
	r.env["GITHUB_SHA"] = merge
	r.secrets = append(r.secrets, live)
	r.run()

	r.wantCode(1)
	if tokens.Requests() == 0 {
		t.Error("no ID token was requested")
	}
	r.wantLog(mask(live))
	r.wantLog(`(?m)^::error col=\d+,file=deploy/env,line=3,title=AWS access key ` + live.id + ` committed \[critical\] committed-access-key/active::`)
	sum := r.file("summary")
	for _, want := range []string{"| critical | 1 |", "| active | deploy-bot |", "account `123456789012`"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	// Pull requests run the inventory, not the account checks.
	for _, u := range r.api.Uploads() {
		if len(u.Categories) != 1 || u.Categories[0] != "keysweep/git-history/" {
			t.Errorf("uploaded categories %v on a pull request", u.Categories)
		}
	}
	if out := r.outputs(); out["max-severity"] != "critical" {
		t.Errorf("outputs = %v", out)
	}
}

// TestScheduleRunsAccountChecks: the weekly run audits the account and
// uploads it as its own analysis, anchored to the workflow file.
func TestScheduleRunsAccountChecks(t *testing.T) {
	moto, roleARN, _ := motoAccount(t)
	repo := history(t)
	r, _ := oidcRunner(t, moto, repo, "schedule", map[string]any{}, roleARN)
	r.run()
	r.wantCode(1)
	ups := r.api.Uploads()
	if len(ups) != 2 || ups[0].Categories[0] != "keysweep/git-history/" || ups[1].Categories[0] != "keysweep/aws-account/" {
		t.Fatalf("uploads: %+v", ups)
	}
	if !strings.Contains(string(ups[1].SARIF), ".github/workflows/keysweep.yml") {
		t.Error("account findings are not anchored to the workflow file")
	}
	if !strings.Contains(r.file("summary"), "### Failed account checks") {
		t.Errorf("summary:\n%s", r.file("summary"))
	}
}

// motoAccount starts moto with the OIDC role and an IAM user with a key.
func motoAccount(t *testing.T) (*mototest.Server, string, planted) {
	t.Helper()
	moto := mototest.Start(t)
	moto.Env(t)
	ctx := context.Background()
	admin, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := iam.NewFromConfig(admin)
	role, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("keysweep-ci"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("deploy-bot")}); err != nil {
		t.Fatal(err)
	}
	created, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("deploy-bot")})
	if err != nil {
		t.Fatal(err)
	}
	live := planted{aws.ToString(created.AccessKey.AccessKeyId), aws.ToString(created.AccessKey.SecretAccessKey)}
	return moto, aws.ToString(role.Role.Arn), live
}

// oidcRunner is a runner for a job with `permissions: id-token: write`
// and role-to-assume: the runtime's token endpoint, no static keys.
func oidcRunner(t *testing.T, moto *mototest.Server, repo *gittest.Repo, event string, payload map[string]any, roleARN string) (*runner, *githubtest.TokenServer) {
	t.Helper()
	tokens := githubtest.NewTokenServer(t, "runtime-request-token", "sts.amazonaws.com", "repo:octo/app:"+event)
	r := newRunner(t, repo, event, payload)
	// newRunner cleared the AWS environment; put back moto's endpoint.
	moto.Env(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_URL", tokens.URL+"/_apis/distributedtask/token?api-version=2.0")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runtime-request-token")
	r.env["INPUT_ROLE-TO-ASSUME"] = roleARN
	return r, tokens
}

// A job that sets role-to-assume without `permissions: id-token: write`
// gets no ID token: exit 2 with that fix, not a silent offline scan.
func TestRoleToAssumeWithoutIDTokenSaysWhy(t *testing.T) {
	repo := history(t)
	payload, _, _, _ := openPullRequest(t, repo, func() {
		repo.Write("x.txt", "x\n")
		repo.Commit("x")
	})
	r := newRunner(t, repo, "pull_request", payload)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	r.env["INPUT_ROLE-TO-ASSUME"] = "arn:aws:iam::123456789012:role/keysweep"
	r.run()
	r.wantCode(2)
	r.wantLog("(?m)^::error title=keysweep could not run::.*ACTIONS_ID_TOKEN_REQUEST_URL.*id-token: write")
}

// TestOrganizationInput: `organization: true` reads the AWS Organization
// with the OIDC role of the management account; the summary names the
// account of the leaked key and of each failed check.
func TestOrganizationInput(t *testing.T) {
	moto, roleARN, _ := motoAccount(t)
	ctx := context.Background()
	admin, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	org := organizations.NewFromConfig(admin)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: "ALL"}); err != nil {
		t.Fatal(err)
	}
	acct, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("prod"), Email: aws.String("prod@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	prod := aws.ToString(acct.CreateAccountStatus.AccountId)
	prodIAM := iam.NewFromConfig(admin, func(o *iam.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-moto-account-id", prod))
	})
	if _, err := prodIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("payments")}); err != nil {
		t.Fatal(err)
	}
	created, err := prodIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("payments")})
	if err != nil {
		t.Fatal(err)
	}
	live := planted{aws.ToString(created.AccessKey.AccessKeyId), aws.ToString(created.AccessKey.SecretAccessKey)}

	repo := history(t)
	repo.Write("prod/env", live.file())
	// One IAM check keeps the test quick: every check reads every region.
	repo.Write(".keysweep.yml", "checks:\n  enable: [iam-password-policy]\n")
	repo.Commit("prod settings")
	r, _ := oidcRunner(t, moto, repo, "schedule", map[string]any{}, roleARN)
	r.env["INPUT_ORGANIZATION"] = "true"
	r.env["INPUT_MEMBER-ROLE"] = "keysweep-audit"
	r.env["GITHUB_SHA"] = repo.Git("rev-parse", "HEAD")
	r.secrets = append(r.secrets, live)
	r.run()
	r.wantCode(1)
	sum := r.file("summary")
	for _, want := range []string{
		"Keys matched in the accounts of the AWS Organization that own them; account checks in 2 accounts.",
		"| active | payments in " + prod + " (prod) |",
		"| " + prod + " (prod) account |", // the password policy fails in both accounts
	} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}
