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
		if ms := detect.Find([]byte("k: " + id + "\n")); len(ms) != 1 {
			t.Errorf("the detector does not find %s", id)
		}
	}
}
