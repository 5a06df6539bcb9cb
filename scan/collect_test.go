package scan

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/mototest"
)

const motoAccount = "123456789012" // moto's default account

// leaked are committed leaks of the given key IDs, with a secret each.
func leaked(ids ...string) []finding.Leak {
	var out []finding.Leak
	for _, id := range ids {
		out = append(out, finding.Leak{KeyID: id, Secret: finding.NewSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"), Path: "a.env"})
	}
	return out
}

// match runs Collect with no checks on the leaks of ids.
func match(t *testing.T, ids ...string) *finding.Inventory {
	t.Helper()
	s, err := Open(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Collect(context.Background(), s, leaked(ids...), Request{NoChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	return res.Inventory
}

func TestMatchKeyStatuses(t *testing.T) {
	_, _, counter := motoEnv(t, nil)
	ctx := context.Background()
	admin := iam.NewFromConfig(adminConfig(t))

	alice := createUser(t, admin, "alice", 2)
	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
		UserName: aws.String("alice"), AccessKeyId: aws.String(alice[1]), Status: types.StatusTypeInactive,
	}); err != nil {
		t.Fatal(err)
	}
	bob := createUser(t, admin, "bob", 2)
	if _, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{
		UserName: aws.String("bob"), AccessKeyId: aws.String(bob[0]),
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		createUser(t, admin, fmt.Sprintf("bystander-%02d", i), 1)
	}
	// Use a key once, so IAM has a last use to report.
	createUser(t, admin, "carol", 0)
	created, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}
	carolKey := aws.ToString(created.AccessKey.AccessKeyId)
	used := adminConfig(t)
	used.Credentials = credentials.NewStaticCredentialsProvider(carolKey, aws.ToString(created.AccessKey.SecretAccessKey), "")
	if _, err := sts.NewFromConfig(used).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}

	before := time.Now().Add(-time.Minute)
	inv := match(t, alice[0], alice[1], bob[0], bob[1], carolKey)
	if inv.Source != "aws" || inv.Account != motoAccount {
		t.Errorf("source %q account %q, want aws %s", inv.Source, inv.Account, motoAccount)
	}
	want := map[string]string{ // key -> user/status
		alice[0]: "alice/Active",
		alice[1]: "alice/Inactive",
		bob[1]:   "bob/Active",
		carolKey: "carol/Active",
	}
	if len(inv.Keys) != len(want) {
		t.Errorf("inventory has %d keys, want %d: %v", len(inv.Keys), len(want), inv.Keys)
	}
	for id, w := range want {
		k, ok := inv.Keys[id]
		if !ok {
			t.Errorf("key %s (%s) missing", id, w)
			continue
		}
		if got := k.User + "/" + k.Status; got != w || k.ID != id {
			t.Errorf("key %s: got %s (ID %s), want %s", id, got, k.ID, w)
		}
		if k.Created.Before(before) {
			t.Errorf("key %s: created %v, want about now", id, k.Created)
		}
	}
	if _, ok := inv.Keys[bob[0]]; ok {
		t.Errorf("deleted key %s is in the inventory", bob[0])
	}
	c := inv.Keys[carolKey]
	if c.LastUsed.Before(before) || c.LastUsedService != "sts" || c.LastUsedRegion != "us-east-1" {
		t.Errorf("carol's used key: last used %v in %q/%q, want now in sts/us-east-1", c.LastUsed, c.LastUsedService, c.LastUsedRegion)
	}
	if k := inv.Keys[alice[0]]; !k.LastUsed.IsZero() || k.LastUsedService != "" || k.LastUsedRegion != "" {
		t.Errorf("alice's unused key: last used %v in %q/%q, want never", k.LastUsed, k.LastUsedService, k.LastUsedRegion)
	}
	// The deleted key sends keysweep to the credential report for root
	// keys; moto's has no <root_account> row: an honest gap.
	if inv.RootKeysKnown || len(inv.Gaps) != 1 || !strings.Contains(inv.Gaps[0], "no <root_account> row") {
		t.Errorf("root keys known %v, gaps %q; want unknown with the missing-row gap", inv.RootKeysKnown, inv.Gaps)
	}
	// 5 keys of 3 users among 23: per key one GetAccessKeyInfo and one
	// GetAccessKeyLastUsed, one ListAccessKeys per owning user, and never
	// the listing of all users.
	for op, n := range map[string]int{
		"sts:GetCallerIdentity": 1, "sts:GetAccessKeyInfo": 5, "iam:GetAccessKeyLastUsed": 5,
		"iam:ListAccessKeys": 3, "iam:ListUsers": 0, "iam:GetCredentialReport": 1,
	} {
		if got := counter.Get(op); got != n {
			t.Errorf("%s called %d times, want %d", op, got, n)
		}
	}
	t.Log(counter)
}

// accessDeniedFor answers GetAccessKeyLastUsed for the given keys as AWS
// does when the caller may not read that user's keys.
func accessDeniedFor(user string, keys *[]string) mototest.AnswerFunc {
	return func(w http.ResponseWriter, c *mototest.Call) bool {
		if c.Action != "GetAccessKeyLastUsed" || !slices.Contains(*keys, c.Form.Get("AccessKeyId")) {
			return false
		}
		mototest.WriteError(w, http.StatusForbidden, "AccessDenied",
			"User: arn:aws:iam::123456789012:user/scanner is not authorized to perform: iam:GetAccessKeyLastUsed on resource: user "+user+" because no identity-based policy allows the iam:GetAccessKeyLastUsed action")
		return true
	}
}

// A lookup that fails falls back to the listing of every user, which still
// finds the key; only its last use is a gap.
func TestMatchLastUsedDeniedFallsBackToListing(t *testing.T) {
	var malloryKeys []string
	_, _, counter := motoEnv(t, mototest.Chain(accessDeniedFor("mallory", &malloryKeys), mototest.Paginate("ListUsers", "Users")))
	admin := iam.NewFromConfig(adminConfig(t))
	malloryKeys = createUser(t, admin, "mallory", 2)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range 120 {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			createUser(t, admin, fmt.Sprintf("user-%03d", i), 1)
		})
	}
	wg.Wait()
	trent := createUser(t, admin, "trent", 1)
	inv := match(t, append(slices.Clone(malloryKeys), trent...)...)
	for _, id := range append(slices.Clone(malloryKeys), trent...) {
		if k, ok := inv.Keys[id]; !ok || k.Status != "Active" {
			t.Errorf("key %s: %+v, want it matched and Active", id, k)
		}
	}
	want := []string{"last-used unknown for user mallory: AccessDenied on iam:GetAccessKeyLastUsed"}
	if !slices.Equal(inv.Gaps, want) {
		t.Errorf("gaps %q, want %q", inv.Gaps, want)
	}
	if got := counter.Get("iam:ListUsers"); got != 2 {
		t.Errorf("ListUsers called %d times for 123 users, want 2 pages", got)
	}
}

func TestLastUsedGapsFoldManyUsers(t *testing.T) {
	cause := "AccessDenied on iam:GetAccessKeyLastUsed"
	got := lastUsedGaps(map[string][]string{
		cause:                                    {"u7", "u1", "u2", "u3", "u4", "u5", "u6"},
		"Throttling on iam:GetAccessKeyLastUsed": {"z"},
	})
	want := []string{
		"last-used unknown for 7 users (u1, u2, u3, u4, u5, …): " + cause,
		"last-used unknown for user z: Throttling on iam:GetAccessKeyLastUsed",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// When neither the lookup nor the listing can say, the keys stay
// unverified: "not in the account" would be a guess.
func TestMatchListingDeniedLeavesKeysUnverified(t *testing.T) {
	var keys []string
	motoEnv(t, mototest.Chain(accessDeniedFor("deploy", &keys), func(w http.ResponseWriter, c *mototest.Call) bool {
		if c.Action != "ListUsers" {
			return false
		}
		mototest.WriteError(w, http.StatusForbidden, "AccessDenied", "not authorized to perform: iam:ListUsers")
		return true
	}))
	keys = createUser(t, iam.NewFromConfig(adminConfig(t)), "deploy", 1)
	inv := match(t, keys...)
	why, ok := inv.Unread[motoAccount]
	if !ok || !strings.Contains(why, "AccessDenied on iam:ListUsers") || len(inv.Keys) != 0 {
		t.Fatalf("unread %q keys %v; want the account unread for the ListUsers denial", inv.Unread, inv.Keys)
	}
	if len(inv.Gaps) != 1 || !strings.Contains(inv.Gaps[0], "1 committed key not matched, left unverified") {
		t.Errorf("gaps %q", inv.Gaps)
	}
}

// credentialReportAnswer answers the credential report calls with csv, the
// format AWS documents, with the <root_account> row moto does not produce.
func credentialReportAnswer(csv string) mototest.AnswerFunc {
	return func(w http.ResponseWriter, c *mototest.Call) bool {
		switch c.Action {
		case "GenerateCredentialReport":
			w.Header().Set("Content-Type", "text/xml")
			fmt.Fprint(w, `<GenerateCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GenerateCredentialReportResult><State>COMPLETE</State></GenerateCredentialReportResult><ResponseMetadata><RequestId>29f47818-99f5-11e1-a4c3-27EXAMPLE804</RequestId></ResponseMetadata></GenerateCredentialReportResponse>`)
		case "GetCredentialReport":
			w.Header().Set("Content-Type", "text/xml")
			fmt.Fprintf(w, `<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetCredentialReportResult><Content>%s</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>2024-05-01T10:00:00Z</GeneratedTime></GetCredentialReportResult><ResponseMetadata><RequestId>29f47818-99f5-11e1-a4c3-27EXAMPLE804</RequestId></ResponseMetadata></GetCredentialReportResponse>`,
				base64.StdEncoding.EncodeToString([]byte(csv)))
		default:
			return false
		}
		return true
	}
}

const reportHeader = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"

// A committed key of the account that no IAM user has may be a root key:
// the credential report says which root keys exist (not their IDs).
func TestMatchRootKeys(t *testing.T) {
	report := reportHeader +
		"<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,not_supported,2024-04-30T09:00:00+00:00,not_supported,not_supported,true,true,2020-02-03T04:05:06+00:00,2024-04-29T12:00:00+00:00,eu-west-1,s3,false,2021-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"alice,arn:aws:iam::123456789012:user/alice,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2020-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	motoEnv(t, credentialReportAnswer(report))
	inv := match(t, "AKIAQYLPMN5HHHFPZAM2") // keysweep:allow a made-up ID no user has
	want := []finding.AccessKey{
		{User: finding.RootUser, Status: "Active", Created: time.Date(2020, 2, 3, 4, 5, 6, 0, time.UTC),
			LastUsed: time.Date(2024, 4, 29, 12, 0, 0, 0, time.UTC), LastUsedRegion: "eu-west-1", LastUsedService: "s3"},
		{User: finding.RootUser, Status: "Inactive", Created: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	if !inv.RootKeysKnown || len(inv.Gaps) != 0 {
		t.Fatalf("root keys known %v, gaps %q", inv.RootKeysKnown, inv.Gaps)
	}
	if len(inv.RootKeys) != len(want) {
		t.Fatalf("root keys %+v, want %+v", inv.RootKeys, want)
	}
	for i := range want {
		g, w := inv.RootKeys[i], want[i]
		if g.ID != "" || g.User != w.User || g.Status != w.Status || !g.Created.Equal(w.Created) || !g.LastUsed.Equal(w.LastUsed) ||
			g.LastUsedRegion != w.LastUsedRegion || g.LastUsedService != w.LastUsedService {
			t.Errorf("root key %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestMatchCredentialReportDenied(t *testing.T) {
	motoEnv(t, func(w http.ResponseWriter, c *mototest.Call) bool {
		if c.Action != "GenerateCredentialReport" {
			return false
		}
		mototest.WriteError(w, http.StatusForbidden, "AccessDenied", "not authorized to perform: iam:GenerateCredentialReport")
		return true
	})
	inv := match(t, "AKIAQYLPMN5HHHFPZAM2") // keysweep:allow a made-up ID no user has
	want := []string{"root access keys unknown: AccessDenied on iam:GenerateCredentialReport"}
	if inv.RootKeysKnown || !slices.Equal(inv.Gaps, want) {
		t.Errorf("root keys known %v, gaps %q; want %q", inv.RootKeysKnown, inv.Gaps, want)
	}
}

func TestKeyAccounts(t *testing.T) {
	_, cfg, counter := motoEnv(t, nil)
	admin := adminConfig(t)
	ours := createUser(t, iam.NewFromConfig(admin), "deploy", 1)[0]
	// moto keeps one backend per account; the header picks another.
	other := iam.NewFromConfig(admin, func(o *iam.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-moto-account-id", "111122223333"))
	})
	theirs := createUser(t, other, "vendor", 1)[0]
	accounts, gaps, err := keyAccounts(context.Background(), cfg, keyIDs(leaked(theirs, ours, theirs)))
	if err != nil {
		t.Fatal(err)
	}
	if accounts[theirs] != "111122223333" || accounts[ours] != motoAccount || len(gaps) != 0 {
		t.Errorf("accounts %v gaps %q", accounts, gaps)
	}
	if n := counter.Get("sts:GetAccessKeyInfo"); n != 2 {
		t.Errorf("GetAccessKeyInfo called %d times for 2 distinct keys", n)
	}
}

func TestKeyAccountsDenied(t *testing.T) {
	_, cfg, counter := motoEnv(t, func(w http.ResponseWriter, c *mototest.Call) bool {
		if c.Action != "GetAccessKeyInfo" {
			return false
		}
		mototest.WriteError(w, http.StatusForbidden, "AccessDenied",
			"User: arn:aws:iam::123456789012:user/scanner is not authorized to perform: sts:GetAccessKeyInfo with an explicit deny in a service control policy")
		return true
	})
	accounts, gaps, err := keyAccounts(context.Background(), cfg, []string{"AKIAQYLPMN5HHHFPZAM2", "AKIA2OGYBAH6STMMNXNN"}) // keysweep:allow made-up IDs for the denial path
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"account of 2 committed key IDs not confirmed: AccessDenied on sts:GetAccessKeyInfo"}
	if len(accounts) != 0 || !slices.Equal(gaps, want) {
		t.Errorf("accounts %v gaps %q, want none and %q", accounts, gaps, want)
	}
	if n := counter.Get("sts:GetAccessKeyInfo"); n != 1 {
		t.Errorf("asked %d times after a denial, want 1", n)
	}
}
