package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/internal/reportschema"
)

// TestTriageAndContainAgainstMoto is the responder's path end to end: a
// committed admin key used since the leak is reported first, with what it
// can do and what it did, in a JSON report that follows the published
// schema and in text; then `keysweep contain` dry-runs, and with --yes
// deactivates it.
func TestTriageAndContainAgainstMoto(t *testing.T) {
	srv := moto.Get(t)
	srv.Reset(t)
	srv.Env(t)
	t.Setenv("AWS_REGION", "us-east-1")
	c := iamClient(t, "")
	admin, adminSecret := motoKey(t, c, "deployer", types.StatusTypeActive)
	if _, err := c.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String("deployer"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}); err != nil {
		t.Fatal(err)
	}
	reader, _ := motoKey(t, c, "reader", types.StatusTypeActive)

	r := gittest.New(t)
	r.Date = time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	r.Write("deploy/.env", "AWS_ACCESS_KEY_ID="+admin+"\nAWS_SECRET_ACCESS_KEY="+adminSecret+"\n")
	r.Write("NOTES.md", "reader key "+reader+"\n")
	r.Commit("keys")
	// Used after the commit, from an address that is not the team's.
	srv.Trail().Add(mototest.TrailEvent{Region: "us-east-1", Time: time.Now(), Name: "CreateUser", Source: "iam.amazonaws.com",
		AccessKeyID: admin, SourceIP: "203.0.113.9", UserAgent: "python-requests/2.31"})

	code, out, stderr := run(t, "scan", r.Dir, "--aws", "--no-checks", "--format", "json", "--fail-on", "none")
	if code != ExitClean {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	reportschema.Validate(t, []byte(out))
	var rep struct {
		Keys []struct {
			KeyID, Triage string
			Access        *struct{ Level string }
			Activity      *struct {
				Events      int
				Persistence []string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Keys) != 2 || rep.Keys[0].KeyID != admin || rep.Keys[0].Access == nil || rep.Keys[0].Access.Level != "admin" ||
		rep.Keys[0].Activity == nil || rep.Keys[0].Activity.Events != 1 || !strings.HasPrefix(rep.Keys[0].Triage, "ACTIVE, admin, used 1 time since it was committed on ") {
		t.Fatalf("keys = %+v", rep.Keys)
	}
	if k := rep.Keys[1]; k.KeyID != reader || k.Access == nil || k.Access.Level != "none" || k.Activity == nil || k.Activity.Events != 0 {
		t.Errorf("reader key = %+v", k)
	}
	// CloudTrail's 2 LookupEvents a second are the account's: the first
	// scan's last calls count against this one's first (each process
	// spaces only its own), so a second passes between them.
	time.Sleep(time.Second)
	_, text, _ := run(t, "scan", r.Dir, "--aws", "--no-checks", "--fail-on", "none", "--color", "never")
	for _, want := range []string{"triage: ACTIVE, admin, used 1 time", "CreateUser seen", "access:   admin", "activity: 1 event ", "python-requests/2.31"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(out+text, adminSecret) {
		t.Fatal("the secret appears in a report")
	}

	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.json")
	code, out, stderr = run(t, "contain", admin, "--deactivate", "--audit", audit)
	if code != ExitClean || !strings.Contains(out, "DRY RUN: would deactivate key "+admin+" of user deployer") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, stderr)
	}
	if status := keyStatus(t, c, "deployer", admin); status != "Active" {
		t.Fatalf("the dry run left the key %s", status)
	}
	// An audit path that cannot hold the record stops containment before
	// anything is changed.
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(filepath.Join(dir, "elsewhere.json"), link); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = run(t, "contain", admin, "--deactivate", "--yes", "--audit", link)
	if code != ExitError || !strings.Contains(stderr, "symbolic link") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("contain with a linked audit file: exit %d\n%s%s", code, out, stderr)
	}
	if status := keyStatus(t, c, "deployer", admin); status != "Active" {
		t.Fatalf("containment acted though its audit record could not be written: the key is %s", status)
	}
	code, out, stderr = run(t, "contain", admin, "--deactivate", "--yes", "--audit", audit)
	if code != ExitClean || !strings.Contains(out, "after:  key Inactive") || !strings.Contains(out, "undo:   aws iam update-access-key --user-name deployer --access-key-id "+admin+" --status Active") {
		t.Fatalf("deactivate: exit %d\n%s%s", code, out, stderr)
	}
	if status := keyStatus(t, c, "deployer", admin); status != "Inactive" {
		t.Fatalf("after contain --yes the key is %s", status)
	}
	var rec struct {
		KeyID, User, Before, After string
		DryRun, Done               bool
	}
	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.KeyID != admin || !rec.Done || rec.DryRun || rec.Before != "key Active" || rec.After != "key Inactive" {
		t.Errorf("audit record %s (%v)", b, err)
	}
	if code, _, stderr = run(t, "contain", admin); code != ExitError || !strings.Contains(stderr, "--deactivate or --quarantine") {
		t.Errorf("contain without an action: exit %d %s", code, stderr)
	}
}

func keyStatus(t *testing.T, c *iam.Client, user, id string) string {
	t.Helper()
	out, err := c.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
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

// TestTriageWithSCPs: with --org, the service control policies on the
// path from the root to the account bound what a key can do: an admin
// user of an account whose SCP allows only S3 can write to S3, nothing
// more.
func TestTriageWithSCPs(t *testing.T) {
	srv := moto.Get(t)
	srv.Reset(t)
	srv.Env(t)
	ids := motoOrg(t, "prod")
	prod := ids["prod"]
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	org := organizations.NewFromConfig(cfg)
	pol, err := org.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("s3-only"), Description: aws.String("s3"), Type: orgtypes.PolicyTypeServiceControlPolicy,
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := org.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: pol.Policy.PolicySummary.Id, TargetId: aws.String(prod)}); err != nil {
		t.Fatal(err)
	}
	// AWS attaches FullAWSAccess to every account; take it off prod so
	// its own level allows S3 only.
	if _, err := org.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(prod)}); err != nil {
		t.Logf("detach FullAWSAccess: %v", err)
	}
	c := iamClient(t, prod)
	key, _ := motoKey(t, c, "deploy-bot", types.StatusTypeActive)
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("deploy-bot"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}); err != nil {
		t.Fatal(err)
	}
	r := gittest.New(t)
	r.Write("NOTES.md", "prod key "+key+"\n")
	r.Commit("key")
	code, out, stderr := run(t, "scan", r.Dir, "--aws", "--org", "--no-checks", "--format", "json", "--fail-on", "none")
	if code != ExitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	reportschema.Validate(t, []byte(out))
	var rep struct {
		Gaps []string
		Keys []struct {
			KeyID, Account string
			Access         *struct {
				Level  string
				Grants []struct{ Action, Resource string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Keys) != 1 || rep.Keys[0].Access == nil || rep.Keys[0].Access.Level != "write" || len(rep.Keys[0].Access.Grants) != 1 || rep.Keys[0].Access.Grants[0].Action != "s3:*" {
		t.Errorf("keys %+v gaps %q", rep.Keys, rep.Gaps)
	}
}
