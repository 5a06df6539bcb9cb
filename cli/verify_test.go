package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/mototest"
)

// TestVerifyAgainstMotoWithAuth is --verify end to end, against a moto of
// its own with IAM authentication enforced (global to the server), behind
// a proxy that records which access key signed each request. The scan
// runs as an IAM user with read permissions.
func TestVerifyAgainstMotoWithAuth(t *testing.T) {
	const vendor, canaryAccount = "210987654321", "052310077262"
	srv := mototest.Start(t)
	reader := srv.IAMUser(t, "", "keysweep-reader", mototest.ReadOnlyPolicy)
	ours := srv.IAMUser(t, "", "deploy", "")
	live := srv.IAMUser(t, vendor, "vendor-ci", "")
	wrong := srv.IAMUser(t, vendor, "vendor-old", "")
	_, wrongSecret := gittest.FakeKey(40) // well-formed, not the key's secret
	unknown, unknownSecret := gittest.FakeKey(41)
	canaryKey, canarySecret := gittest.FakeKeyIn(canaryAccount, 2)
	srv.EnforceAuth(t)

	var rec mototest.Recorder
	proxy := srv.Proxy(t, rec.Answer)
	mototest.EnvFor(t, proxy.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", reader.ID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", reader.Secret)

	r := gittest.New(t)
	r.Write("deploy/.env", "AWS_ACCESS_KEY_ID="+ours.ID+"\nAWS_SECRET_ACCESS_KEY="+ours.Secret+"\n")
	r.Write("vendor/creds.ini", "aws_access_key_id = "+live.ID+"\naws_secret_access_key = "+live.Secret+"\n")
	r.Write("vendor/old.ini", "aws_access_key_id = "+wrong.ID+"\naws_secret_access_key = "+wrongSecret+"\n")
	r.Write("typo.env", "AWS_ACCESS_KEY_ID="+unknown+"\nAWS_SECRET_ACCESS_KEY="+unknownSecret+"\n")
	r.Write("honey/aws.env", "AWS_ACCESS_KEY_ID="+canaryKey+"\nAWS_SECRET_ACCESS_KEY="+canarySecret+"\n")
	r.Commit("keys")
	committed := []string{ours.ID, live.ID, wrong.ID, unknown, canaryKey}
	secrets := []string{ours.Secret, live.Secret, wrong.Secret, wrongSecret, unknownSecret, canarySecret, reader.Secret}

	type key struct {
		KeyID, Status, Severity, RuleID, User, Account, ARN, RejectedCode, Canary, Message, Remediation string
	}
	scan := func(t *testing.T, args ...string) (int, map[string]key, string) {
		t.Helper()
		code, out, stderr := run(t, append([]string{"scan", r.Dir, "--format", "json"}, args...)...)
		var rep struct{ Keys []key }
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("exit %d, stderr %s: %v", code, stderr, err)
		}
		keys := map[string]key{}
		for _, k := range rep.Keys {
			keys[k.KeyID] = k
		}
		for _, s := range secrets {
			if strings.Contains(out+stderr, s) {
				t.Fatal("a secret appears in the output")
			}
		}
		return code, keys, out
	}

	t.Run("without --verify no committed key signs anything", func(t *testing.T) {
		before := rec.Signed()
		code, keys, _ := scan(t, "--aws", "--no-checks")
		if code != ExitFindings {
			t.Errorf("exit %d, want 1 (the deploy key is active)", code)
		}
		after := rec.Signed()
		if after[reader.ID] <= before[reader.ID] {
			t.Errorf("the scan made no request as the reader: %v", after)
		}
		for id, n := range after {
			if id != reader.ID && n > before[id] {
				t.Errorf("%d request(s) signed by %s without --verify", n-before[id], id)
			}
		}
		if k := keys[canaryKey]; k.Status != "canary" || k.Severity != "info" || !strings.Contains(k.Message, "a canary token: using it alerts its owner") {
			t.Errorf("canary key: %+v", k)
		}
		if k := keys[live.ID]; k.Status != "other-account" || k.Account != vendor {
			t.Errorf("without --verify the vendor key is %s/%s", k.Status, k.Account)
		}
	})

	t.Run("--verify", func(t *testing.T) {
		before := rec.Signed()
		start := time.Now()
		sarifPath := filepath.Join(t.TempDir(), "out.sarif")
		code, keys, _ := scan(t, "--aws", "--no-checks", "--verify", "--sarif", sarifPath)
		elapsed := time.Since(start)
		if code != ExitFindings {
			t.Errorf("exit %d, want 1", code)
		}
		want := map[string]key{
			ours.ID:   {Status: "active", Severity: "critical", RuleID: "committed-access-key/active", User: "deploy"},
			live.ID:   {Status: "live", Severity: "critical", RuleID: "committed-access-key/live", Account: vendor, ARN: "arn:aws:iam::" + vendor + ":user/vendor-ci"},
			wrong.ID:  {Status: "invalid", Severity: "low", RuleID: "committed-access-key/invalid", RejectedCode: "SignatureDoesNotMatch"},
			unknown:   {Status: "invalid", Severity: "low", RuleID: "committed-access-key/invalid", RejectedCode: "InvalidClientTokenId"},
			canaryKey: {Status: "canary", Severity: "info", RuleID: "committed-access-key/canary", Account: canaryAccount, Canary: "canarytokens.org"},
		}
		for id, w := range want {
			k := keys[id]
			if k.Status != w.Status || k.Severity != w.Severity || k.RuleID != w.RuleID || k.User != w.User || k.ARN != w.ARN || k.RejectedCode != w.RejectedCode || k.Canary != w.Canary ||
				(w.Account != "" && k.Account != w.Account) {
				t.Errorf("%s:\n got %+v\nwant %+v", id, k, w)
			}
		}
		if k := keys[live.ID]; !strings.Contains(k.Message, "is LIVE: it signs requests as arn:aws:iam::"+vendor+":user/vendor-ci") ||
			!strings.Contains(k.Remediation, "tell its owner now") || !strings.Contains(k.Remediation, "report it to AWS") {
			t.Errorf("live key message %q\nremediation %s", k.Message, k.Remediation)
		}
		if k := keys[wrong.ID]; !strings.Contains(k.Message, "the key exists but the committed secret is wrong") {
			t.Errorf("wrong secret message %q", k.Message)
		}
		if k := keys[unknown]; !strings.Contains(k.Message, "deleted, deactivated or never issued") {
			t.Errorf("unknown key message %q", k.Message)
		}

		after := rec.Signed()
		for id, n := range map[string]int{live.ID: 1, wrong.ID: 1, unknown: 1, ours.ID: 0, canaryKey: 0} {
			if got := after[id] - before[id]; got != n {
				t.Errorf("%s signed %d request(s), want %d", id, got, n)
			}
		}
		b, err := os.ReadFile(sarifPath)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"arn": "arn:aws:iam::`+vendor+`:user/vendor-ci"`) || !strings.Contains(string(b), "committed-access-key/live") {
			t.Error("SARIF lacks the live rule or the ARN")
		}
		t.Logf("--aws --verify: %s, %d requests in all (%v)", elapsed, sum(after)-sum(before), diff(after, before))
	})

	t.Run("text output", func(t *testing.T) {
		_, out, _ := run(t, "scan", r.Dir, "--no-checks", "--aws", "--verify")
		for _, s := range []string{"arn arn:aws:iam::" + vendor + ":user/vendor-ci", "verified:  3 keys with sts:GetCallerIdentity (3 calls): 1 live, 2 invalid; 1 canary token never used", "account " + vendor} {
			if !strings.Contains(out, s) {
				t.Errorf("text report lacks %q:\n%s", s, out)
			}
		}
	})

	t.Run("--verify without an inventory", func(t *testing.T) {
		before := rec.Signed()
		_, keys, _ := scan(t, "--verify")
		if k := keys[ours.ID]; k.Status != "live" || k.ARN != "arn:aws:iam::123456789012:user/deploy" {
			t.Errorf("without --aws the deploy key is verified too: %+v", k)
		}
		after := rec.Signed()
		if after[canaryKey] != 0 || after[reader.ID] != before[reader.ID] {
			t.Errorf("offline --verify: canary signed %d, reader %d requests", after[canaryKey], after[reader.ID]-before[reader.ID])
		}
		for _, id := range committed[:4] {
			if after[id]-before[id] != 1 {
				t.Errorf("%s signed %d requests, want 1", id, after[id]-before[id])
			}
		}
	})
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func diff(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// TestVerifyWithoutAnAnswerKeepsTheVerdict: when STS cannot be reached the
// key stays unverified (high, failing the run) and the report says why.
func TestVerifyWithoutAnAnswerKeepsTheVerdict(t *testing.T) {
	id, secret := gittest.FakeKey(77)
	r := gittest.New(t)
	r.Write("a.env", "AWS_ACCESS_KEY_ID="+id+"\nAWS_SECRET_ACCESS_KEY="+secret+"\n")
	r.Commit("key")
	mototest.EnvFor(t, "http://127.0.0.1:1") // nothing listens there
	code, out, stderr := run(t, "scan", r.Dir, "--verify", "--format", "json")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	var rep struct {
		Gaps   []string
		Verify struct {
			Requested           bool
			Keys, Calls, Failed int
		}
		Keys []struct{ Status, Severity string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Keys) != 1 || rep.Keys[0].Status != "unverified" || rep.Keys[0].Severity != "high" {
		t.Errorf("keys %+v; want the key unverified and high, as without --verify", rep.Keys)
	}
	if !rep.Verify.Requested || rep.Verify.Keys != 1 || rep.Verify.Calls != 1 || rep.Verify.Failed != 1 {
		t.Errorf("verify stats %+v", rep.Verify)
	}
	if len(rep.Gaps) != 1 || !strings.Contains(rep.Gaps[0], "key "+id+" not verified: sts:GetCallerIdentity did not reach STS (network); its verdict stands") {
		t.Errorf("gaps %q", rep.Gaps)
	}
	if strings.Contains(out+stderr, secret) {
		t.Fatal("the secret appears in the output")
	}
}
