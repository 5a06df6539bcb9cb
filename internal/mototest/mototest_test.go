package mototest

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

var shared Shared

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Close()
	os.Exit(code)
}

func TestStartAnswers(t *testing.T) {
	s := Start(t)
	resp, err := http.Get(s.Endpoint + "/moto-api/")
	if err != nil {
		t.Fatalf("moto not answering: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moto-api status %s", resp.Status)
	}
	s.Reset(t)
}

func TestSharedStartsOnce(t *testing.T) {
	a, b := shared.Get(t), shared.Get(t)
	if a != b {
		t.Fatal("Get started two servers")
	}
	a.Reset(t)
}

// query posts an IAM query-protocol call. moto does not check signatures
// but routes by the service in the credential scope, so one is named.
func query(t *testing.T, endpoint string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestProxyPaginatesAndAnswers(t *testing.T) {
	s := shared.Get(t)
	s.Reset(t)
	for _, u := range []string{"u1", "u2", "u3"} {
		if code, body := query(t, s.Endpoint, url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {u}}); code != 200 {
			t.Fatalf("CreateUser: %d %s", code, body)
		}
	}
	p := s.Proxy(t, Chain(
		func(w http.ResponseWriter, c *Call) bool {
			if c.Action != "GetUser" {
				return false
			}
			WriteError(w, http.StatusForbidden, "AccessDenied", "no <GetUser> for you")
			return true
		},
		Paginate("ListUsers", "Users"),
	))

	list := url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}, "MaxItems": {"2"}}
	code, body := query(t, p.URL, list)
	if code != 200 || strings.Count(body, "<UserName>") != 2 || !strings.Contains(body, "<IsTruncated>true</IsTruncated><Marker>2</Marker>") {
		t.Fatalf("first page: %d %s", code, body)
	}
	list.Set("Marker", "2")
	code, body = query(t, p.URL, list)
	if code != 200 || !strings.Contains(body, "<UserName>u3</UserName>") || !strings.Contains(body, "<IsTruncated>false</IsTruncated>") {
		t.Fatalf("last page: %d %s", code, body)
	}

	code, body = query(t, p.URL, url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {"u1"}})
	if code != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") || !strings.Contains(body, "no &lt;GetUser&gt; for you") {
		t.Fatalf("answered call: %d %s", code, body)
	}
	// Calls nobody answers reach moto.
	code, body = query(t, p.URL, url.Values{"Action": {"ListGroups"}, "Version": {"2010-05-08"}})
	if code != 200 || !strings.Contains(body, "ListGroupsResponse") {
		t.Fatalf("forwarded call: %d %s", code, body)
	}
}

func TestRecorderNamesSigningKey(t *testing.T) {
	s := shared.Get(t)
	s.Reset(t)
	var rec Recorder
	p := s.Proxy(t, rec.Answer)
	if code, body := query(t, p.URL, url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}}); code != 200 {
		t.Fatalf("ListUsers: %d %s", code, body)
	}
	resp, err := http.Get(p.URL + "/?X-Amz-Credential=AKIAPRESIGNED%2F20240101%2Fus-east-1%2Fs3%2Faws4_request")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := rec.Signed()
	if got["testing"] != 1 || got["AKIAPRESIGNED"] != 1 || rec.Requests() != 2 {
		t.Errorf("recorded %v (%d requests); want testing and AKIAPRESIGNED once each", got, rec.Requests())
	}
}

func TestCredentialReportRewrite(t *testing.T) {
	moto := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
		"ci,arn:aws:iam::123456789012:user/ci,2026-01-01T00:00:00+00:00,false,not_supported,2026-01-01T00:00:00+00:00,not_supported,false,true,2026-01-01T00:00:00+00:00,N/A,not_supported,not_supported,false,N/A,N/A,not_supported,not_supported,false,N/A,false,N/A\n"
	cr := &CredentialReport{Root: map[string]string{"mfa_active": "true"},
		Cells: map[string]map[string]string{"ci": {"access_key_1_last_used_date": "2026-02-01T00:00:00+00:00"}}}
	got, err := cr.rewrite([]byte(moto))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), got)
	}
	if want := "<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,true,no_information,not_supported,not_supported,true,false,N/A,"; !strings.HasPrefix(lines[1], want) {
		t.Errorf("root row %s\nwant prefix %s", lines[1], want)
	}
	if want := "ci,arn:aws:iam::123456789012:user/ci,2026-01-01T00:00:00+00:00,false,not_supported,N/A,not_supported,false,true,2026-01-01T00:00:00+00:00,2026-02-01T00:00:00+00:00,"; !strings.HasPrefix(lines[2], want) {
		t.Errorf("user row %s\nwant prefix %s", lines[2], want)
	}
	if _, err := (&CredentialReport{Cells: map[string]map[string]string{"ci": {"no_such_column": "x"}}}).rewrite([]byte(moto)); err == nil {
		t.Error("an unknown column was accepted")
	}
}
