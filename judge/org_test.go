package judge

import (
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
)

// TestJudgeInOrganization: each key is judged in the inventory of the
// account that owns it; an unread account's key stays unverified.
func TestJudgeInOrganization(t *testing.T) {
	const (
		mgmt, prod, sandbox, vendor = "111111111111", "222222222222", "333333333333", "444444444444"
		prodKey, sandboxKey         = "AKIAEXAMPLEPRODKEY01", "AKIAEXAMPLESANDBOX01" // keysweep:allow made-up IDs
		goneKey, vendorKey          = "AKIAEXAMPLEPRODGONE1", "AKIAEXAMPLEVENDORKY1" // keysweep:allow made-up IDs
	)
	inv := &finding.Inventory{
		Source: "aws", Account: mgmt, AccountName: "management", Keys: map[string]finding.AccessKey{}, Complete: true,
		KeyAccounts: map[string]string{prodKey: prod, sandboxKey: sandbox, goneKey: prod, vendorKey: vendor},
		Members: map[string]*finding.Inventory{prod: {Source: "aws", Account: prod, AccountName: "prod", Complete: true,
			Keys: map[string]finding.AccessKey{prodKey: {ID: prodKey, User: "deploy-bot", Status: "Active"}}}},
		Unread: map[string]string{sandbox: "cannot assume arn:aws:iam::333333333333:role/keysweep-audit (AccessDenied)"},
		Names:  map[string]string{mgmt: "management", prod: "prod", sandbox: "sandbox"},
	}
	secret := finding.NewSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")
	var leaks []finding.Leak
	for _, id := range []string{prodKey, sandboxKey, goneKey, vendorKey} {
		leaks = append(leaks, finding.Leak{KeyID: id, Secret: secret, Path: "a.env", Commit: "0123456789abcdef"})
	}
	want := map[string]struct {
		status      finding.KeyStatus
		account     string
		name, inMsg string
	}{
		prodKey:    {finding.StatusActive, prod, "prod", "is ACTIVE in 222222222222 (prod), belongs to IAM user deploy-bot"},
		sandboxKey: {finding.StatusUnverified, sandbox, "sandbox", "could not be verified: its account 333333333333 (sandbox) could not be read (cannot assume"},
		goneKey:    {finding.StatusNotInAccount, prod, "prod", "is no longer in account 222222222222 (deleted)"},
		vendorKey:  {finding.StatusOtherAccount, vendor, "", "belongs to another AWS account (444444444444)"},
	}
	for _, kf := range JudgeAt(leaks, inv, time.Now()) {
		w := want[kf.KeyID]
		if kf.Status != w.status || kf.Account != w.account || kf.AccountName != w.name || !strings.Contains(kf.Message, w.inMsg) {
			t.Errorf("%s: %s in %s (%s): %q; want %s in %s (%s) saying %q", kf.KeyID, kf.Status, kf.Account, kf.AccountName, kf.Message, w.status, w.account, w.name, w.inMsg)
		}
	}
}
