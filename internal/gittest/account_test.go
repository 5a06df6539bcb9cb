package gittest

import (
	"testing"

	"github.com/keysweep/keysweep/gitscan/detect"
)

func TestFakeKeyIn(t *testing.T) {
	for i, account := range []string{"052310077262", "000000000001", "999999999999"} {
		id, secret := FakeKeyIn(account, i)
		if got, ok := detect.DecodeAccount(id); !ok || got != account {
			t.Errorf("FakeKeyIn(%s) = %s, decodes to %q, %v", account, id, got, ok)
		}
		if len(id) != 20 || len(secret) != 40 {
			t.Errorf("FakeKeyIn(%s) = %q, %q", account, id, secret)
		}
		// The lowest account's key ID is AKIAQAAAAAAA…, a run the
		// placeholder rule (detect.IsExample) drops; the others are found.
		want := 1
		if account == "000000000001" {
			want = 0
		}
		if ms := detect.Find([]byte("k: " + id + "\n")); len(ms) != want {
			t.Errorf("the detector finds %d of %s, want %d", len(ms), id, want)
		}
	}
}
