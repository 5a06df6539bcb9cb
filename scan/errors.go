package scan

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/keysweep/keysweep/internal/escape"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	"github.com/sethvargo/go-githubactions"

	"github.com/keysweep/keysweep/scan/snapshot"
)

// Error is a failure to use AWS reduced to what a user can act on: the
// operation, the likely cause and the fix, printed on one line. The CLI
// prints it and exits 2; Unwrap gives the SDK's error for -v output.
type Error struct {
	// Op is what failed: an IAM action such as "iam:ListUsers" (also the
	// permission to grant), "GitHub OIDC token", or "load AWS config".
	Op string
	// Cause is the likely reason, e.g. "access denied (AccessDenied)".
	Cause string
	// Hint is what to do about it; may be empty.
	Hint string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Cause)
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return oneLine(b.String(), 600)
}

func (e *Error) Unwrap() error { return e.Err }

// IsAccessDenied reports whether err is AWS refusing an action for lack of
// permission, the case that becomes a gap or a "could not run" result
// rather than a failed scan.
func IsAccessDenied(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && snapshot.AccessDenied(api.ErrorCode())
}

const (
	hintNoCredentials = "set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or role-to-assume with `permissions: id-token: write`"
	hintIDToken       = "give the job `permissions: id-token: write` (pull requests from forks never get an ID token)"
	hintExpired       = "refresh them (aws sso login, new session credentials, or a shorter scan)"
)

// Classify turns an error from the AWS SDK, the credential chain or the
// GitHub OIDC token request into an *Error naming the likely cause. op
// names what was being done when the error carries no AWS operation of its
// own. It returns nil for nil, and an *Error already classified as is.
func Classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Op == "" {
			e.Op = op
		}
		return e
	}
	var opErr *smithy.OperationError
	if errors.As(err, &opErr) {
		op = snapshot.Permission(opErr.ServiceID, opErr.OperationName)
	}
	e = &Error{Op: op, Err: err}

	var (
		envMissing *githubactions.EnvMissingError
		reqFailed  *githubactions.RequestFailedError
		ssoInvalid *ssocreds.InvalidTokenError
		api        smithy.APIError
	)
	switch {
	case errors.Is(err, context.Canceled):
		e.Cause = "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		e.Cause = "timed out"
	case errors.As(err, &envMissing):
		e.Op = "GitHub OIDC token"
		e.Cause = envMissing.Name + " is not set"
		e.Hint = hintIDToken
	case errors.As(err, &reqFailed):
		e.Op = "GitHub OIDC token"
		if reqFailed.StatusCode == http.StatusForbidden || reqFailed.StatusCode == http.StatusUnauthorized {
			e.Cause = fmt.Sprintf("GitHub refused the ID token request (HTTP %d)", reqFailed.StatusCode)
			e.Hint = hintIDToken
		} else {
			e.Cause = fmt.Sprintf("ID token request failed (HTTP %d)", reqFailed.StatusCode)
			e.Hint = "retry the job; GitHub's token service answered with an error"
		}
	case errors.As(err, &ssoInvalid):
		e.Cause = "expired or invalid SSO session"
		e.Hint = "run aws sso login for the profile"
	case errors.As(err, &api):
		classifyAPI(e, api)
	case opErr != nil:
		// Op already names the operation the SDK's message starts with.
		e.Cause = oneLine(opErr.Err.Error(), 300)
	default:
		e.Cause = oneLine(err.Error(), 300)
	}
	return e
}

func classifyAPI(e *Error, api smithy.APIError) {
	code, msg := api.ErrorCode(), oneLine(api.ErrorMessage(), 200)
	detail := code
	if msg != "" {
		detail += ": " + msg
	}
	switch code {
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
		e.Cause = "expired credentials (" + detail + ")"
		e.Hint = hintExpired
	case "InvalidClientTokenId", "UnrecognizedClientException":
		e.Cause = "the access key ID is not valid (" + detail + ")"
		e.Hint = "the key was deleted or belongs to another partition; check AWS_ACCESS_KEY_ID or the profile"
	case "SignatureDoesNotMatch":
		e.Cause = "the secret access key does not match the access key ID (" + code + ")"
		e.Hint = "check AWS_SECRET_ACCESS_KEY or the profile"
	default:
		if IsAccessDenied(api) {
			e.Cause = "access denied (" + detail + ")"
			if strings.Contains(e.Op, ":") {
				e.Hint = "allow " + e.Op + " for the principal keysweep runs as"
			}
			return
		}
		e.Cause = detail
	}
}

// oneLine collapses whitespace so a message from AWS or the SDK fits on the
// single line the CLI prints, and cuts it to at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	return escape.Cut(s, n)
}

// tokenClaims are the GitHub OIDC claims a trust policy usually tests.
type tokenClaims struct {
	Sub        string `json:"sub"`
	Aud        any    `json:"aud"` // a string or a list of strings
	Repository string `json:"repository"`
	Ref        string `json:"ref"`
}

// decodeClaims reads a JWT's payload without verifying it: only to name in
// an error the sub claim STS saw, never to trust it.
func decodeClaims(jwt string) (tokenClaims, bool) {
	var c tokenClaims
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return c, false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return c, false
	}
	return c, json.Unmarshal(b, &c) == nil
}

func (c tokenClaims) audience() string {
	switch a := c.Aud.(type) {
	case string:
		return a
	case []any:
		var s []string
		for _, v := range a {
			if v, ok := v.(string); ok {
				s = append(s, v)
			}
		}
		return strings.Join(s, ",")
	}
	return ""
}

// classifyWebIdentity explains a failed AssumeRoleWithWebIdentity in terms
// of the token GitHub issued: its audience and its sub claim, which are
// what the IAM OIDC provider and the role's trust policy check.
func classifyWebIdentity(err error, role, jwt string) error {
	claims, ok := decodeClaims(jwt)
	var api smithy.APIError
	if !errors.As(err, &api) {
		return Classify("sts:AssumeRoleWithWebIdentity", err)
	}
	e := &Error{Op: "sts:AssumeRoleWithWebIdentity", Err: err}
	code, msg := api.ErrorCode(), oneLine(api.ErrorMessage(), 200)
	sub := ""
	if ok && claims.Sub != "" {
		sub = fmt.Sprintf(" for sub %q", claims.Sub)
	}
	switch code {
	case "InvalidIdentityToken", "IDPRejectedClaim":
		switch lower := strings.ToLower(msg); {
		case strings.Contains(lower, "audience"):
			e.Cause = fmt.Sprintf("wrong audience %q (%s: %s)", claims.audience(), code, msg)
			e.Hint = "set audience to a client ID of the account's IAM OIDC provider for token.actions.githubusercontent.com (usually sts.amazonaws.com)"
		case strings.Contains(lower, "provider"):
			e.Cause = fmt.Sprintf("STS rejected the GitHub ID token (%s: %s)", code, msg)
			e.Hint = "create the IAM OIDC identity provider https://token.actions.githubusercontent.com in the role's account"
		default:
			e.Cause = fmt.Sprintf("STS rejected the GitHub ID token%s (%s: %s)", sub, code, msg)
			e.Hint = "check the audience and that the role trusts token.actions.githubusercontent.com"
		}
	case "AccessDenied":
		e.Cause = fmt.Sprintf("the trust policy of %s refused the GitHub ID token%s (%s)", role, sub, code)
		e.Hint = "allow this repository and ref in the role's token.actions.githubusercontent.com:sub condition"
	case "ExpiredTokenException", "ExpiredToken":
		e.Cause = fmt.Sprintf("the GitHub ID token expired (%s)", code)
		e.Hint = "re-run the job; check the runner's clock"
	default:
		return Classify("sts:AssumeRoleWithWebIdentity", err)
	}
	return e
}
