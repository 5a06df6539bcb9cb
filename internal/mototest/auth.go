package mototest

import (
	"context"
	"encoding/xml"

	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// EnforceAuth turns on moto's IAM authentication: from now on every
// request must be signed by an access key moto issued, with a matching
// secret, and IAM policies are evaluated. It is global to the server and
// cannot be turned off for one test, so tests that need it start a server
// of their own (Start) and seed it (IAMUser) before calling it.
func (s *Server) EnforceAuth(t testing.TB) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.Endpoint+"/moto-api/reset-auth", strings.NewReader("0"))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("enforce moto auth: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("enforce moto auth: %s", resp.Status)
	}
}

// AccessKey is a key pair moto issued.
type AccessKey struct {
	ID, Secret string
}

// IAMUser creates an IAM user in account ("" is moto's default,
// 123456789012) with an inline policy (a JSON document; "" for none)
// and one access key, and returns the key. Call it before EnforceAuth.
func (s *Server) IAMUser(t testing.TB, account, name, policy string) AccessKey {
	t.Helper()
	s.iam(t, account, url.Values{"Action": {"CreateUser"}, "UserName": {name}})
	if policy != "" {
		s.iam(t, account, url.Values{"Action": {"PutUserPolicy"}, "UserName": {name}, "PolicyName": {"keysweep-test"}, "PolicyDocument": {policy}})
	}
	body := s.iam(t, account, url.Values{"Action": {"CreateAccessKey"}, "UserName": {name}})
	var out struct {
		ID     string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		Secret string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || out.ID == "" || out.Secret == "" {
		t.Fatalf("CreateAccessKey for %s: %v: %s", name, err, body)
	}
	return AccessKey{ID: out.ID, Secret: out.Secret}
}

// AssumeRole returns session credentials of roleARN (moto issues them for
// any role ARN, in the role's account) and their session token. Call it
// before EnforceAuth; the credentials keep working after.
func (s *Server) AssumeRole(t testing.TB, roleARN, session string) (AccessKey, string) {
	t.Helper()
	body := s.query(t, "sts", "", url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {roleARN}, "RoleSessionName": {session}})
	var out struct {
		ID     string `xml:"AssumeRoleResult>Credentials>AccessKeyId"`
		Secret string `xml:"AssumeRoleResult>Credentials>SecretAccessKey"`
		Token  string `xml:"AssumeRoleResult>Credentials>SessionToken"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || out.ID == "" || out.Token == "" {
		t.Fatalf("AssumeRole %s: %v: %s", roleARN, err, body)
	}
	return AccessKey{ID: out.ID, Secret: out.Secret}, out.Token
}

func (s *Server) iam(t testing.TB, account string, form url.Values) []byte {
	t.Helper()
	form.Set("Version", "2010-05-08")
	return s.query(t, "iam", account, form)
}

// query posts one query-protocol call of service to moto as its default
// test credentials, in account if set (moto's x-moto-account-id header).
func (s *Server) query(t testing.TB, service, account string, form url.Values) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.Endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	// moto routes by the service in the credential scope.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=0")
	if account != "" {
		req.Header.Set("x-moto-account-id", account)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", form.Get("Action"), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s: %s", form.Get("Action"), resp.Status, b)
	}
	return b
}

// ReadOnlyPolicy is an inline policy for the scanning user of tests with
// authentication enforced: what keysweep scan --aws needs.
const ReadOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:Get*","iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","sts:GetCallerIdentity","sts:GetAccessKeyInfo","ec2:Describe*","cloudtrail:DescribeTrails","cloudtrail:GetTrailStatus","cloudwatch:DescribeAlarms","support:Describe*"],"Resource":"*"}]}`
