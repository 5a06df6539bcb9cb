package verify

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/mototest"
)

// One moto for the package, with IAM authentication enforced: that is
// global to the server, so no other package's tests may share it.
var moto mototest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Close()
	os.Exit(code)
}

const (
	scanned = "123456789012" // moto's default account
	vendor  = "210987654321" // a second moto account
	canaryA = "052310077262" // a canarytokens.org account
)

// world is the seeded server: keys of two accounts, authentication on.
type world struct {
	srv      *mototest.Server
	ours     mototest.AccessKey // a key of the scanned account
	live     mototest.AccessKey // a working key of the vendor account
	wrong    mototest.AccessKey // a vendor key, committed with a wrong secret
	unknown  mototest.AccessKey // a key AWS never issued
	canaryID mototest.AccessKey // a key of a canary account
	session  mototest.AccessKey // session credentials of a vendor role
	token    string
}

var (
	once sync.Once
	w    world
)

func seeded(t *testing.T) world {
	t.Helper()
	srv := moto.Get(t)
	once.Do(func() {
		w.srv = srv
		w.ours = srv.IAMUser(t, "", "deploy", "")
		w.live = srv.IAMUser(t, vendor, "vendor-ci", "")
		w.wrong = srv.IAMUser(t, vendor, "vendor-old", "")
		w.wrong.Secret = strings.Repeat("W", 40)
		id, secret := gittest.FakeKey(7)
		w.unknown = mototest.AccessKey{ID: id, Secret: secret}
		id, secret = gittest.FakeKeyIn(canaryA, 1)
		w.canaryID = mototest.AccessKey{ID: id, Secret: secret}
		w.session, w.token = srv.AssumeRole(t, "arn:aws:iam::"+vendor+":role/deployer", "ci-run")
		srv.EnforceAuth(t)
	})
	if w.srv == nil {
		t.Fatal("moto was not seeded")
	}
	return w
}

func leakOf(k mototest.AccessKey, path string) finding.Leak {
	return finding.Leak{KeyID: k.ID, Secret: finding.NewSecret(k.Secret), Path: path}
}

func accountLeak(k mototest.AccessKey, account, path string) finding.Leak {
	l := leakOf(k, path)
	l.Account = account
	return l
}

func TestRunAgainstMoto(t *testing.T) {
	w := seeded(t)
	var rec mototest.Recorder
	p := w.srv.Proxy(t, rec.Answer)
	leaks := []finding.Leak{
		leakOf(w.live, "vendor.env"),
		leakOf(w.live, "copy/vendor.env"), // the same pair again: one call
		leakOf(w.wrong, "old.env"),
		leakOf(w.unknown, "typo.env"),
		accountLeak(w.canaryID, canaryA, "trap.env"),
		{KeyID: w.ours.ID, Path: "README.md"}, // no secret: nothing to sign with
	}
	plan := NewPlan(leaks, nil, Policy{Verify: true})
	if got := plan.KeyIDs(); len(got) != 3 {
		t.Fatalf("plan verifies %v; want the live, wrong-secret and unknown keys", got)
	}
	start := time.Now()
	res := Run(context.Background(), plan, Options{Endpoint: p.URL})
	elapsed := time.Since(start)

	want := map[string]finding.Verification{
		w.live.ID:     {Status: finding.StatusLive, Account: vendor, ARN: "arn:aws:iam::" + vendor + ":user/vendor-ci"},
		w.wrong.ID:    {Status: finding.StatusInvalid, Code: "SignatureDoesNotMatch"},
		w.unknown.ID:  {Status: finding.StatusInvalid, Code: "InvalidClientTokenId"},
		w.canaryID.ID: {Status: finding.StatusCanary, Canary: "canarytokens.org", CanaryAccount: canaryA},
	}
	for id, v := range want {
		if got := res.Verified[id]; got != v {
			t.Errorf("%s: %+v, want %+v", id, got, v)
		}
	}
	if len(res.Verified) != len(want) || len(res.Gaps) != 0 || res.Failed != 0 {
		t.Errorf("verified %d keys, gaps %v", len(res.Verified), res.Gaps)
	}
	signed := rec.Signed()
	if res.Calls != 3 || rec.Requests() != 3 || signed[w.live.ID] != 1 || signed[w.wrong.ID] != 1 || signed[w.unknown.ID] != 1 {
		t.Errorf("%d calls, proxy saw %v; want one request signed by each verified key", res.Calls, signed)
	}
	if signed[w.canaryID.ID] != 0 || signed[w.ours.ID] != 0 {
		t.Errorf("a request was signed with the canary key or a key without its secret: %v", signed)
	}
	t.Logf("3 keys verified in %s with %d calls", elapsed, res.Calls)
}

func TestSessionCredentials(t *testing.T) {
	w := seeded(t)
	id, secret, token := gittest.FakeSessionKey(3)
	noToken := finding.Leak{KeyID: id, Secret: finding.NewSecret(secret), Path: "a.env"}
	if plan := NewPlan([]finding.Leak{noToken}, nil, Policy{Verify: true}); plan.Keys() != 0 {
		t.Error("an ASIA key without its session token was planned: it cannot sign")
	}
	withToken := noToken
	withToken.SessionToken = finding.NewSecret(token)
	res := Run(context.Background(), NewPlan([]finding.Leak{withToken}, nil, Policy{Verify: true}), Options{Endpoint: w.srv.Endpoint})
	// moto rejects session credentials it did not issue as AWS does.
	if got := res.Verified[id]; got.Status != finding.StatusInvalid || got.Code != "InvalidClientTokenId" {
		t.Errorf("unknown session credentials: %+v, gaps %v", got, res.Gaps)
	}
	issued := finding.Leak{KeyID: w.session.ID, Secret: finding.NewSecret(w.session.Secret), SessionToken: finding.NewSecret(w.token)}
	res = Run(context.Background(), NewPlan([]finding.Leak{issued}, nil, Policy{Verify: true}), Options{Endpoint: w.srv.Endpoint})
	want := finding.Verification{Status: finding.StatusLive, Account: vendor, ARN: "arn:aws:sts::" + vendor + ":assumed-role/deployer/ci-run"}
	if got := res.Verified[w.session.ID]; got != want {
		t.Errorf("working session credentials: %+v, want %+v (gaps %v)", got, want, res.Gaps)
	}
}

func TestPlanPolicy(t *testing.T) {
	k := func(seed int) mototest.AccessKey {
		id, s := gittest.FakeKey(seed)
		return mototest.AccessKey{ID: id, Secret: s}
	}
	inInv, allowed, denied, confirmedCanary, plain := k(1), k(2), k(3), k(4), k(5)
	inv := &finding.Inventory{
		Source: "aws", Account: scanned,
		Keys:        map[string]finding.AccessKey{inInv.ID: {ID: inInv.ID, Status: "Inactive"}},
		KeyAccounts: map[string]string{allowed.ID: "111111111111", confirmedCanary.ID: canaryA},
	}
	leaks := []finding.Leak{
		leakOf(inInv, "a"), leakOf(allowed, "b"), accountLeak(denied, "222222222222", "c"),
		accountLeak(confirmedCanary, "333333333333", "d"), leakOf(plain, "e"),
	}
	pol := Policy{Verify: true, Allowed: []string{"111111111111"}, Deny: []string{"222222222222"}}
	plan := NewPlan(leaks, inv, pol)
	if got := plan.KeyIDs(); len(got) != 1 || got[0] != plain.ID {
		t.Errorf("plan verifies %v; want only %s (inventory, allowed, denied and canary keys excluded)", got, plain.ID)
	}
	if plan.Skipped != 2 {
		t.Errorf("skipped %d, want the allowed and the denied key", plan.Skipped)
	}
	// GetAccessKeyInfo's account counts for canaries even when the
	// offline decode says otherwise.
	if c := plan.Canaries[confirmedCanary.ID]; c.Status != finding.StatusCanary || c.CanaryAccount != canaryA {
		t.Errorf("confirmed canary: %+v", c)
	}
	pol.Verify = false
	if plan := NewPlan(leaks, inv, pol); plan.Keys() != 0 || len(plan.Canaries) != 1 {
		t.Errorf("without --verify: %d keys planned, %d canaries; want 0 and 1", plan.Keys(), len(plan.Canaries))
	}
}

func TestNoVerifyNoRequest(t *testing.T) {
	w := seeded(t)
	var rec mototest.Recorder
	p := w.srv.Proxy(t, rec.Answer)
	leaks := []finding.Leak{leakOf(w.live, "a"), leakOf(w.unknown, "b"), accountLeak(w.canaryID, canaryA, "c")}
	res := Run(context.Background(), NewPlan(leaks, nil, Policy{}), Options{Endpoint: p.URL})
	if rec.Requests() != 0 || res.Calls != 0 {
		t.Errorf("without --verify %d requests were sent (%v)", rec.Requests(), rec.Signed())
	}
	if len(res.Verified) != 1 || res.Verified[w.canaryID.ID].Status != finding.StatusCanary {
		t.Errorf("without --verify: %v; want the canary fact only", res.Verified)
	}
}

// TestFailuresLeaveTheVerdict: throttling is retried once; throttling
// twice, a timeout and an unreachable endpoint give gaps, never a fact.
func TestFailuresLeaveTheVerdict(t *testing.T) {
	w := seeded(t)
	throttle := func(times int) (mototest.AnswerFunc, *atomic.Int64) {
		var n atomic.Int64
		return func(rw http.ResponseWriter, c *mototest.Call) bool {
			if n.Add(1) > int64(times) {
				return false
			}
			mototest.WriteError(rw, http.StatusBadRequest, "Throttling", "Rate exceeded")
			return true
		}, &n
	}
	plan := func() *Plan { return NewPlan([]finding.Leak{leakOf(w.live, "a")}, nil, Policy{Verify: true}) }
	fast := Options{RetryDelay: time.Millisecond, Timeout: 2 * time.Second}

	once, _ := throttle(1)
	o := fast
	o.Endpoint = w.srv.Proxy(t, once).URL
	res := Run(context.Background(), plan(), o)
	if res.Verified[w.live.ID].Status != finding.StatusLive || res.Calls != 2 {
		t.Errorf("throttled once: %+v after %d calls; want live after 2", res.Verified[w.live.ID], res.Calls)
	}

	always, seen := throttle(100)
	o.Endpoint = w.srv.Proxy(t, always).URL
	res = Run(context.Background(), plan(), o)
	if _, ok := res.Verified[w.live.ID]; ok || res.Calls != 2 || seen.Load() != 2 || len(res.Gaps) != 1 || !strings.Contains(res.Gaps[0], "throttled") {
		t.Errorf("throttled twice: %v, %d calls, gaps %q", res.Verified, res.Calls, res.Gaps)
	}

	o = fast
	o.Timeout = 100 * time.Millisecond
	o.Endpoint = w.srv.Proxy(t, mototest.Latency(2*time.Second)).URL
	res = Run(context.Background(), plan(), o)
	if _, ok := res.Verified[w.live.ID]; ok || len(res.Gaps) != 1 || !strings.Contains(res.Gaps[0], "timed out after 100ms") {
		t.Errorf("timeout: %v, gaps %q", res.Verified, res.Gaps)
	}

	o = fast
	o.Endpoint = "http://127.0.0.1:1"
	res = Run(context.Background(), plan(), o)
	if _, ok := res.Verified[w.live.ID]; ok || res.Failed != 1 || len(res.Gaps) != 1 || !strings.Contains(res.Gaps[0], "did not reach STS (network); its verdict stands") {
		t.Errorf("unreachable: %v, gaps %q", res.Verified, res.Gaps)
	}
}

// TestConcurrencyBounded: no more calls in flight than Concurrency.
func TestConcurrencyBounded(t *testing.T) {
	w := seeded(t)
	var inFlight, peak atomic.Int64
	p := w.srv.Proxy(t, func(rw http.ResponseWriter, c *mototest.Call) bool {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := peak.Load()
			if n <= m || peak.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		return false
	})
	var leaks []finding.Leak
	for i := range 8 {
		id, secret := gittest.FakeKey(100 + i)
		leaks = append(leaks, finding.Leak{KeyID: id, Secret: finding.NewSecret(secret)})
	}
	res := Run(context.Background(), NewPlan(leaks, nil, Policy{Verify: true}), Options{Endpoint: p.URL, Concurrency: 2})
	if res.Calls != 8 || len(res.Verified) != 8 {
		t.Errorf("%d calls, %d verified; want 8 and 8", res.Calls, len(res.Verified))
	}
	if peak.Load() != 2 {
		t.Errorf("peak of %d calls in flight; want 2", peak.Load())
	}
	capped := Run(context.Background(), NewPlan(leaks, nil, Policy{Verify: true}), Options{Endpoint: p.URL, MaxKeys: 3})
	if capped.Calls != 3 || len(capped.Verified) != 3 || capped.Failed != 5 || len(capped.Gaps) != 1 || !strings.Contains(capped.Gaps[0], "5 committed keys not verified: over the limit of 3") {
		t.Errorf("MaxKeys 3: %d calls, %d verified, gaps %q", capped.Calls, len(capped.Verified), capped.Gaps)
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct{ region, endpoint, url, signing string }{
		{"", "", "https://sts.amazonaws.com", "us-east-1"},
		{"eu-west-1", "", "https://sts.amazonaws.com", "us-east-1"},
		{"cn-north-1", "", "https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1"},
		{"us-gov-west-1", "", "https://sts.us-gov-west-1.amazonaws.com", "us-gov-west-1"},
		{"eu-west-1", "http://127.0.0.1:9", "http://127.0.0.1:9", "us-east-1"},
	}
	for _, tt := range tests {
		url, region := Options{Region: tt.region, Endpoint: tt.endpoint}.endpoint()
		if url != tt.url || region != tt.signing {
			t.Errorf("region %q endpoint %q: %s %s; want %s %s", tt.region, tt.endpoint, url, region, tt.url, tt.signing)
		}
	}
	env := map[string]string{"AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_STS": "http://b"}
	if got := EndpointFromEnv(func(k string) string { return env[k] }); got != "http://b" {
		t.Errorf("EndpointFromEnv = %q", got)
	}
}

func TestIdentitySanitized(t *testing.T) {
	if got := arn("arn:aws:iam::210987654321:user/a|b`<x>\n"); got != "arn:aws:iam::210987654321:user/a?b??x??" {
		t.Errorf("arn = %q", got)
	}
	if got := arn(strings.Repeat("a", 600)); len(got) > 520 {
		t.Errorf("arn not bounded: %d bytes", len(got))
	}
	if account("21098765432x") != "" || account("210987654321") != "210987654321" {
		t.Error("account IDs not checked")
	}
}

// TestSecretsOfOneKey: a key ID committed with several secrets is live if
// one works, and is tried with at most maxPairs of them; untried secrets
// keep a rejected key from being called invalid.
func TestSecretsOfOneKey(t *testing.T) {
	w := seeded(t)
	var rec mototest.Recorder
	p := w.srv.Proxy(t, rec.Answer)
	wrong := func(seed int) finding.Leak {
		_, s := gittest.FakeKey(seed)
		return finding.Leak{KeyID: w.live.ID, Secret: finding.NewSecret(s), Path: "w"}
	}
	res := Run(context.Background(), NewPlan([]finding.Leak{wrong(1), leakOf(w.live, "right"), wrong(2)}, nil, Policy{Verify: true}), Options{Endpoint: p.URL})
	if res.Verified[w.live.ID].Status != finding.StatusLive || res.Calls != 2 {
		t.Errorf("one right secret among wrong ones: %+v after %d calls; want live after 2 (stops at the first that works)", res.Verified[w.live.ID], res.Calls)
	}
	var leaks []finding.Leak
	for i := range maxPairs + 2 {
		leaks = append(leaks, wrong(10+i))
	}
	res = Run(context.Background(), NewPlan(leaks, nil, Policy{Verify: true}), Options{Endpoint: p.URL})
	if _, ok := res.Verified[w.live.ID]; ok || res.Calls != maxPairs || len(res.Gaps) != 1 || !strings.Contains(res.Gaps[0], "AWS rejected 4 committed secrets, 2 more were not tried") {
		t.Errorf("%d wrong secrets: %v after %d calls, gaps %q; want no fact after %d calls", len(leaks), res.Verified, res.Calls, res.Gaps, maxPairs)
	}
	res = Run(context.Background(), NewPlan(leaks[:2], nil, Policy{Verify: true}), Options{Endpoint: p.URL})
	if got := res.Verified[w.live.ID]; got.Status != finding.StatusInvalid || got.Code != "SignatureDoesNotMatch" {
		t.Errorf("two wrong secrets, both tried: %+v", got)
	}
}
