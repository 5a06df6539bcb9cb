package scan

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keysweep/keysweep/internal/mototest"
)

// moto is shared by every test of the package: one moto_server boot instead
// of one per test. Tests that use it call motoEnv, which resets it.
var moto mototest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Close()
	os.Exit(code)
}

// motoEnv resets the shared moto and points the AWS environment at it, or
// at a proxy in front of it answering with answer when answer is not nil.
// It returns the moto server (to build more proxies) and a counted config.
func motoEnv(t testing.TB, answer mototest.AnswerFunc) (*mototest.Server, aws.Config, *CallCounter) {
	t.Helper()
	srv := moto.Get(t)
	srv.Reset(t)
	endpoint := srv.Endpoint
	if answer != nil {
		endpoint = srv.Proxy(t, answer).URL
	}
	mototest.EnvFor(t, endpoint)
	counter := &CallCounter{}
	cfg, err := LoadConfig(context.Background(), Options{Counter: counter})
	if err != nil {
		t.Fatal(err)
	}
	return srv, cfg, counter
}

// adminConfig is a config for setting up moto state, uncounted.
func adminConfig(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := LoadConfig(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// createUser creates a user with n access keys and returns their IDs.
func createUser(t testing.TB, client *iam.Client, name string, n int) []string {
	t.Helper()
	ctx := context.Background()
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	var ids []string
	for range n {
		out, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatalf("create key for %s: %v", name, err)
		}
		ids = append(ids, aws.ToString(out.AccessKey.AccessKeyId))
	}
	return ids
}
