package scan

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keysweep/keysweep/internal/mototest"
)

const (
	requestToken = "gh-runtime-request-token" // ACTIONS_ID_TOKEN_REQUEST_TOKEN
	testSub      = "repo:octo-org/app:ref:refs/heads/main"
	trustPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/app:*"}}}]}`
)

// idToken is a JWT shaped like GitHub's (unsigned: nothing here verifies
// it, and moto does not either).
func idToken(audience string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "test"}) + "." +
		enc(map[string]any{
			"iss": "https://token.actions.githubusercontent.com", "aud": audience, "sub": testSub,
			"repository": "octo-org/app", "ref": "refs/heads/main", "exp": 1893456000,
		}) + ".c2lnbmF0dXJl"
}

// tokenService plays the GitHub Actions runtime's ID token endpoint: it
// checks what the real one checks (the runtime's bearer token, and the
// audience asked for) and answers {"value": <jwt>}, or status when set.
type tokenService struct {
	status    int
	audiences []string
	requests  atomic.Int32
}

func (s *tokenService) start(t *testing.T) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "bearer") || tok != requestToken {
			http.Error(w, `{"message":"bad credentials"}`, http.StatusUnauthorized)
			return
		}
		if s.status != 0 {
			w.WriteHeader(s.status)
			w.Write([]byte(`{"message":"Resource not accessible by integration"}`))
			return
		}
		aud := r.URL.Query().Get("audience")
		s.audiences = append(s.audiences, aud)
		json.NewEncoder(w).Encode(map[string]string{"value": idToken(aud)})
	}))
	t.Cleanup(srv.Close)
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_URL", srv.URL+"/_apis/distributedtask/token?api-version=2.0")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", requestToken)
	t.Setenv("GITHUB_RUN_ID", "4242")
}

func createRole(t *testing.T, name string) string {
	t.Helper()
	out, err := iam.NewFromConfig(adminConfig(t)).CreateRole(context.Background(), &iam.CreateRoleInput{
		RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustPolicy),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Role.Arn)
}

func TestOIDCAssumesRole(t *testing.T) {
	_, _, counter := motoEnv(t, nil)
	role := createRole(t, "keysweep-ci")
	var tokens tokenService
	tokens.start(t)
	// The job has no static keys: only the ID token can yield credentials.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")

	cfg, err := LoadConfig(context.Background(), Options{RoleToAssume: role, GitHubActions: true})
	if err != nil {
		t.Fatal(err)
	}
	account, arn, err := CallerIdentity(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::123456789012:assumed-role/keysweep-ci/keysweep-4242"; arn != want || account != motoAccount {
		t.Errorf("caller %s %s, want %s %s", account, arn, motoAccount, want)
	}
	if len(tokens.audiences) != 1 || tokens.audiences[0] != DefaultAudience {
		t.Errorf("token requests for audiences %q, want one for %s", tokens.audiences, DefaultAudience)
	}
	// The credentials are cached: a second call fetches no new token.
	if _, _, err := CallerIdentity(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if n := tokens.requests.Load(); n != 1 {
		t.Errorf("%d token requests for two calls, want 1 (cached)", n)
	}
	if n := counter.Get("sts:AssumeRoleWithWebIdentity"); n != 1 {
		t.Errorf("AssumeRoleWithWebIdentity called %d times, want 1", n)
	}
}

func TestOIDCCustomAudienceAndSession(t *testing.T) {
	motoEnv(t, nil)
	role := createRole(t, "keysweep-ci")
	var tokens tokenService
	tokens.start(t)
	cfg, err := LoadConfig(context.Background(), Options{
		RoleToAssume: role, Audience: "https://github.com/octo-org", SessionName: "nightly scan/1",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, arn, err := CallerIdentity(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(arn, "/keysweep-ci/nightly-scan-1") {
		t.Errorf("arn %s, want session nightly-scan-1", arn)
	}
	if len(tokens.audiences) != 1 || tokens.audiences[0] != "https://github.com/octo-org" {
		t.Errorf("audiences %q", tokens.audiences)
	}
}

func TestAssumeRoleOutsideActions(t *testing.T) {
	motoEnv(t, nil)
	role := createRole(t, "auditor")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "")
	t.Setenv("GITHUB_RUN_ID", "")
	cfg, err := LoadConfig(context.Background(), Options{RoleToAssume: role})
	if err != nil {
		t.Fatal(err)
	}
	_, arn, err := CallerIdentity(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::123456789012:assumed-role/auditor/keysweep"; arn != want {
		t.Errorf("arn %s, want %s", arn, want)
	}
}

// callerError runs CallerIdentity and returns its error as an *Error.
func callerError(t *testing.T, cfg aws.Config) *Error {
	t.Helper()
	_, _, err := CallerIdentity(context.Background(), cfg)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("CallerIdentity error %v (%T), want *Error", err, err)
	}
	if msg := e.Error(); strings.ContainsAny(msg, "\r\n") {
		t.Errorf("message is not one line: %q", msg)
	}
	t.Logf("message: %s", e)
	return e
}

func TestOIDCTokenForbidden(t *testing.T) {
	motoEnv(t, nil)
	tokens := tokenService{status: http.StatusForbidden}
	tokens.start(t)
	cfg, err := LoadConfig(context.Background(), Options{RoleToAssume: "arn:aws:iam::123456789012:role/keysweep-ci", GitHubActions: true})
	if err != nil {
		t.Fatal(err)
	}
	e := callerError(t, cfg)
	if !strings.Contains(e.Error(), "id-token: write") || !strings.Contains(e.Error(), "HTTP 403") {
		t.Errorf("message %q, want HTTP 403 and id-token: write", e)
	}
}

func TestOIDCWithoutTokenEnvironment(t *testing.T) {
	motoEnv(t, nil)
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "")
	cfg, err := LoadConfig(context.Background(), Options{RoleToAssume: "arn:aws:iam::123456789012:role/keysweep-ci", GitHubActions: true})
	if err != nil {
		t.Fatal(err)
	}
	e := callerError(t, cfg)
	want := "GitHub OIDC token: ACTIONS_ID_TOKEN_REQUEST_URL is not set: " + hintIDToken
	if e.Error() != want {
		t.Errorf("message %q\nwant      %q", e, want)
	}
}

// stsError answers one STS action with a recorded AWS error.
func stsError(action string, status int, code, message string) mototest.AnswerFunc {
	return func(w http.ResponseWriter, c *mototest.Call) bool {
		if c.Action != action {
			return false
		}
		mototest.WriteError(w, status, code, message)
		return true
	}
}

func TestOIDCRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, code, message string
		want                []string
	}{
		{"trust policy", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity",
			[]string{"trust policy of arn:aws:iam::123456789012:role/keysweep-ci refused", `sub "` + testSub + `"`, "token.actions.githubusercontent.com:sub"}},
		{"audience", "InvalidIdentityToken", "Incorrect token audience",
			[]string{`wrong audience "sts.amazonaws.com"`, "IAM OIDC provider"}},
		{"no provider", "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com",
			[]string{"create the IAM OIDC identity provider"}},
		{"expired", "ExpiredTokenException", "Token expired: current date/time 1717000000 must be before the expiration date/time 1716999000",
			[]string{"GitHub ID token expired"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			motoEnv(t, stsError("AssumeRoleWithWebIdentity", http.StatusBadRequest, tc.code, tc.message))
			var tokens tokenService
			tokens.start(t)
			cfg, err := LoadConfig(context.Background(), Options{RoleToAssume: "arn:aws:iam::123456789012:role/keysweep-ci", GitHubActions: true})
			if err != nil {
				t.Fatal(err)
			}
			e := callerError(t, cfg)
			if e.Op != "sts:AssumeRoleWithWebIdentity" {
				t.Errorf("op %q", e.Op)
			}
			for _, w := range tc.want {
				if !strings.Contains(e.Error(), w) {
					t.Errorf("message %q lacks %q", e, w)
				}
			}
		})
	}
}

func TestNoCredentials(t *testing.T) {
	motoEnv(t, nil)
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"ACTIONS_ID_TOKEN_REQUEST_URL"} {
		t.Setenv(v, "")
	}
	cfg, err := LoadConfig(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := callerError(t, cfg)
	want := "sts:GetCallerIdentity: no AWS credentials: " + hintNoCredentials
	if e.Error() != want {
		t.Errorf("message %q\nwant      %q", e, want)
	}
}

func TestExpiredCredentials(t *testing.T) {
	_, cfg, _ := motoEnv(t, stsError("GetCallerIdentity", http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired"))
	e := callerError(t, cfg)
	if !strings.HasPrefix(e.Error(), "sts:GetCallerIdentity: expired credentials (ExpiredToken") {
		t.Errorf("message %q, want expired credentials", e)
	}
}

func TestInvalidKey(t *testing.T) {
	_, cfg, _ := motoEnv(t, stsError("GetCallerIdentity", http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."))
	if e := callerError(t, cfg); !strings.Contains(e.Error(), "access key ID is not valid") {
		t.Errorf("message %q", e)
	}
}

func TestMissingProfile(t *testing.T) {
	motoEnv(t, nil)
	_, err := LoadConfig(context.Background(), Options{Profile: "nope"})
	var e *Error
	if !errors.As(err, &e) || e.Op != "load AWS config" || !strings.Contains(e.Error(), "nope") {
		t.Errorf("error %v, want a load AWS config *Error naming the profile", err)
	}
}

func TestRegionDefaults(t *testing.T) {
	motoEnv(t, nil)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	cfg, err := LoadConfig(context.Background(), Options{})
	if err != nil || cfg.Region != DefaultRegion {
		t.Errorf("region %q err %v, want %s", cfg.Region, err, DefaultRegion)
	}
	t.Setenv("AWS_REGION", "eu-west-3")
	if cfg, _ = LoadConfig(context.Background(), Options{}); cfg.Region != "eu-west-3" {
		t.Errorf("region %q, want AWS_REGION eu-west-3", cfg.Region)
	}
	if cfg, _ = LoadConfig(context.Background(), Options{Region: "ap-south-1"}); cfg.Region != "ap-south-1" {
		t.Errorf("region %q, want the option's ap-south-1", cfg.Region)
	}
}

func TestSessionName(t *testing.T) {
	t.Setenv("GITHUB_RUN_ID", "")
	for in, want := range map[string]string{
		"":                       "keysweep",
		"a":                      "keysweep",
		"ok_name+=,.@-":          "ok_name+=,.@-",
		"with space/slash":       "with-space-slash",
		strings.Repeat("x", 100): strings.Repeat("x", 64),
	} {
		if got := sessionName(in); got != want {
			t.Errorf("sessionName(%q) = %q, want %q", in, got, want)
		}
	}
	t.Setenv("GITHUB_RUN_ID", "987654321")
	if got := sessionName(""); got != "keysweep-987654321" {
		t.Errorf("got %q", got)
	}
}
