package action

import (
	"regexp"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/mototest"
)

// TestVerifyKeysInput: with verify-keys, a pull request that commits a
// working key of another account fails as critical with the identity the
// key acts as in the annotation, the summary and SARIF; a canary token in
// the same pull request is reported and never used. No AWS credentials of
// our own are needed: verification signs with the committed pair.
func TestVerifyKeysInput(t *testing.T) {
	const vendor = "210987654321"
	srv := mototest.Start(t)
	key := srv.IAMUser(t, vendor, "vendor-ci", "")
	srv.EnforceAuth(t)
	var rec mototest.Recorder
	proxy := srv.Proxy(t, rec.Answer)
	live := planted{key.ID, key.Secret}
	canaryID, canarySecret := gittest.FakeKeyIn("052310077262", 3)
	trap := planted{canaryID, canarySecret}

	repo := history(t)
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("vendor/creds", live.file())
		repo.Write("honey/creds", trap.file())
		repo.Commit("vendor settings")
	})
	r := newRunner(t, repo, "pull_request", payload)
	mototest.EnvFor(t, proxy.URL)
	noAWS(t) // no credentials of our own
	r.env["GITHUB_SHA"] = merge
	r.env["INPUT_VERIFY-KEYS"] = "true"
	r.secrets = append(r.secrets, live, trap)
	r.run()

	r.wantCode(1)
	arn := "arn:aws:iam::" + vendor + ":user/vendor-ci"
	r.wantLog(`(?m)^::error col=\d+,file=vendor/creds,line=3,title=AWS access key ` + live.id + ` committed \[critical\] committed-access-key/live::key ` + live.id + ` with its secret is LIVE: it signs requests as ` + arn)
	r.wantLog(`(?m)^::notice .*committed-access-key/canary::key ` + trap.id + ` is a canary token: using it alerts its owner`)
	sum := r.file("summary")
	for _, want := range []string{"| live | " + arn + " |", "| canary | canarytokens.org |", "1 key verified with sts:GetCallerIdentity (verify-keys): 1 live, 0 invalid.", "report it to AWS"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	ups := r.api.Uploads()
	if len(ups) != 1 || !regexp.MustCompile(`"arn":\s*"`+regexp.QuoteMeta(arn)+`"`).Match(ups[0].SARIF) {
		t.Errorf("uploaded SARIF lacks the ARN")
	}
	if signed := rec.Signed(); signed[live.id] != 1 || signed[trap.id] != 0 || len(signed) != 1 {
		t.Errorf("requests signed by %v; want the live key's one call and nothing else", signed)
	}
}

func TestVerifyKeysInputIsABoolean(t *testing.T) {
	repo := history(t)
	r := newRunner(t, repo, "schedule", map[string]any{})
	r.env["INPUT_VERIFY-KEYS"] = "yes"
	r.run()
	r.wantCode(2)
	r.wantLog(`(?m)^::error title=keysweep could not run::input verify-keys: "yes" is not a boolean`)
}
