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

// motoEnv resets the shared moto and points the AWS environment at a
// proxy in front of it that counts every call and answers with answer
// when answer is not nil. It returns the moto server (to build more
// proxies), a config for the proxy and the proxy's counts.
func motoEnv(t testing.TB, answer mototest.AnswerFunc) (*mototest.Server, aws.Config, *mototest.Counter) {
	t.Helper()
	srv := moto.Get(t)
	srv.Reset(t)
	counter := &mototest.Counter{}
	fns := []mototest.AnswerFunc{counter.Count}
	if answer != nil {
		fns = append(fns, answer)
	}
	mototest.EnvFor(t, srv.Proxy(t, mototest.Chain(fns...)).URL)
	cfg, err := LoadConfig(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return srv, cfg, counter
}

// adminConfig is a config straight to the shared moto, uncounted, for
// setting up state.
func adminConfig(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := LoadConfig(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(moto.Get(t).Endpoint)
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
