package contain

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keysweep/keysweep/internal/mototest"
	"github.com/keysweep/keysweep/scan"
)

const account = "123456789012" // moto's default account

// setup starts moto with AWS's managed policies, creates user dev with one
// active key and returns a config for it and the key ID.
func setup(t *testing.T) (aws.Config, *iam.Client, *mototest.Counter, string) {
	t.Helper()
	srv := mototest.StartWith(t, mototest.Config{AWSManagedPolicies: true})
	var calls mototest.Counter
	mototest.EnvFor(t, srv.Proxy(t, calls.Count).URL)
	cfg, err := scan.LoadConfig(context.Background(), scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl := iam.NewFromConfig(cfg)
	ctx := context.Background()
	if _, err := cl.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	k, err := cl.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	calls.Reset()
	return cfg, cl, &calls, aws.ToString(k.AccessKey.AccessKeyId)
}

func status(t *testing.T, cl *iam.Client, id string) string {
	t.Helper()
	out, err := cl.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String("dev")})
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

func attached(t *testing.T, cl *iam.Client) []string {
	t.Helper()
	out, err := cl.ListAttachedUserPolicies(context.Background(), &iam.ListAttachedUserPoliciesInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, a := range out.AttachedPolicies {
		arns = append(arns, aws.ToString(a.PolicyArn))
	}
	return arns
}

// TestContain: a dry run changes nothing and says what it would do;
// --yes deactivates the key or attaches the quarantine policy, and the
// record says what the account holds afterwards and how to undo it.
func TestContain(t *testing.T) {
	cfg, cl, calls, id := setup(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)

	for _, action := range []Action{Deactivate, Quarantine} {
		rec, err := Run(ctx, cfg, account, "arn:aws:iam::123456789012:user/responder", Request{KeyID: id, Action: action}, now)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.DryRun || rec.Done || rec.User != "dev" || rec.Account != account || len(rec.Calls) != 1 || len(rec.Undo) != 1 {
			t.Errorf("dry run %s: %+v", action, rec)
		}
	}
	if status(t, cl, id) != "Active" || len(attached(t, cl)) != 0 {
		t.Fatalf("a dry run changed the account: %s, %v", status(t, cl, id), attached(t, cl))
	}
	if n := calls.Get("iam:UpdateAccessKey") + calls.Get("iam:AttachUserPolicy"); n != 0 {
		t.Errorf("a dry run made %d write calls", n)
	}

	rec, err := Run(ctx, cfg, account, "responder", Request{KeyID: id, Action: Deactivate, Yes: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Done || rec.Before != "key Active" || rec.After != "key Inactive" ||
		rec.Undo[0] != "aws iam update-access-key --user-name dev --access-key-id "+id+" --status Active" {
		t.Errorf("deactivate: %+v", rec)
	}
	if got := status(t, cl, id); got != "Inactive" {
		t.Errorf("after deactivate the key is %s", got)
	}
	// Again: nothing to do, said so.
	if rec, err = Run(ctx, cfg, account, "responder", Request{KeyID: id, Action: Deactivate, Yes: true}, now); err != nil || rec.Done || !strings.Contains(rec.Note, "already inactive") {
		t.Errorf("second deactivate: %+v %v", rec, err)
	}

	rec, err = Run(ctx, cfg, account, "responder", Request{KeyID: id, Action: Quarantine, Yes: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Done || rec.Before != "quarantine policy not attached" || rec.After != "quarantine policy attached" ||
		rec.Undo[0] != "aws iam detach-user-policy --user-name dev --policy-arn "+QuarantinePolicy {
		t.Errorf("quarantine: %+v", rec)
	}
	if got := attached(t, cl); !slices.Equal(got, []string{QuarantinePolicy}) {
		t.Errorf("after quarantine the user has %v", got)
	}
}

// TestContainRefuses: nothing is done for a key that is not an IAM user's
// key of the account the credentials act in.
func TestContainRefuses(t *testing.T) {
	cfg, _, calls, id := setup(t)
	ctx := context.Background()
	tests := []struct {
		name, account, key, want string
		action                   Action
	}{
		{"another account", "210987654321", id, "belongs to account 123456789012", Deactivate},
		{"unknown key", account, "AKIA" + strings.Repeat("Q", 16), "is not an IAM user's key", Deactivate},
		{"temporary key", account, "ASIA" + strings.Repeat("Q", 16), "not a long-term access key ID", Deactivate},
		{"garbage", account, "x\x1b[31m", "not a long-term access key ID", Quarantine},
		// A secret pasted where the key ID goes is not quoted back.
		{"a secret", account, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "not a long-term access key ID", Deactivate},
		{"no action", account, id, "choose --deactivate or --quarantine", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(ctx, cfg, tt.account, "responder", Request{KeyID: tt.key, Action: tt.action, Yes: true}, time.Now())
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\x1b") || strings.Contains(err.Error(), "wJalrXUtnFEMI") {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if n := calls.Get("iam:UpdateAccessKey") + calls.Get("iam:AttachUserPolicy"); n != 0 {
		t.Errorf("refusals made %d write calls", n)
	}
}
