package action

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keysweep/keysweep/internal/mototest"
)

// containRole creates the write-capable role containment assumes.
func containRole(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("keysweep-contain"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(role.Role.Arn)
}

// keyStatus reads the key's status straight from moto (the runner's
// environment has no static credentials).
func keyStatus(t *testing.T, moto *mototest.Server, id string) string {
	t.Helper()
	ctx := context.Background()
	cl := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto.Endpoint), Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	out, err := cl.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("deploy-bot")})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range out.AccessKeyMetadata {
		if aws.ToString(k.AccessKeyId) == id {
			return string(k.Status)
		}
	}
	return "missing"
}

// TestContainInput: a workflow_dispatch run asked to deactivate does so
// with the contain role, and says so in the log, the summary, the output
// and the audit file; a pull request with the same input changes nothing.
func TestContainInput(t *testing.T) {
	for _, event := range []string{"pull_request", "workflow_dispatch"} {
		t.Run(event, func(t *testing.T) {
			moto, roleARN, live := motoAccount(t)
			contain := containRole(t)
			repo := history(t)
			repo.Write("deploy/env", live.file())
			repo.Commit("deploy settings")
			var payload map[string]any
			if event == "pull_request" {
				payload, _, _, _ = openPullRequest(t, repo, func() {
					repo.Write("notes.txt", "x\n")
					repo.Commit("notes")
				})
			} else {
				payload = map[string]any{}
			}
			r, _ := oidcRunner(t, moto, repo, event, payload, roleARN)
			r.env["INPUT_CONTAIN"] = "deactivate"
			r.env["INPUT_CONTAIN-ROLE"] = contain
			r.env["INPUT_ACCOUNT-CHECKS"] = "false"
			r.secrets = append(r.secrets, live)
			r.run()
			if event == "pull_request" {
				r.wantLog(`::warning::contain: deactivate is ignored on pull_request events`)
				if got := keyStatus(t, moto, live.id); got != "Active" {
					t.Errorf("a pull request changed the key: %s", got)
				}
				return
			}
			r.wantCode(1)
			if got := keyStatus(t, moto, live.id); got != "Inactive" {
				t.Fatalf("after contain: deactivate the key is %s", got)
			}
			r.wantLog(`::notice::contain: deactivate key ` + live.id + ` of user deploy-bot in account 123456789012: key Active → key Inactive`)
			if out := r.outputs(); out["contained"] != "1" {
				t.Errorf("outputs %v", out)
			}
			if sum := r.file("summary"); !strings.Contains(sum, "### Containment (deactivate, role `arn:aws:sts::123456789012:assumed-role/keysweep-contain/") {
				t.Errorf("summary:\n%s", sum)
			}
			var recs []struct{ KeyID, User, After string }
			b, err := os.ReadFile(filepath.Join(repo.Dir, ContainAudit))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &recs); err != nil || len(recs) != 1 || recs[0].After != "key Inactive" {
				t.Errorf("audit %v %v", recs, err)
			}
		})
	}
}
