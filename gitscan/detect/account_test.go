package detect

import (
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestDecodeAccount(t *testing.T) {
	tests := []struct {
		keyID, account string
	}{
		// Published with the account sts:GetAccessKeyInfo returned
		// (Aidan Steele, "AWS Access Key ID formats", 2020; the
		// aws-account-id-from-key and aws_account_id_from_key_id READMEs;
		// LocalStack's account helper). Split so that this file holds no
		// key ID.
		{"ASIA" + "Y34FZKBOKMUTVV7A", "609629065308"},
		{"ASIA" + "Y34FZKBNKMUTVV7A", "609629065306"},
		{"ASIA" + "Y34FZKAOKMUTVV7A", "609629065244"},
		{"ASIA" + "VJ2E6QGR2WZILJFM", "364679954851"},
		{"AKIA" + "SP2TPHJSQH3FJXYZ", "171436882533"},
		{"ASIA" + "QAAAAAAAGMKEM7X5", "000000000000"},
	}
	for _, tt := range tests {
		got, ok := DecodeAccount(tt.keyID)
		if !ok || got != tt.account {
			t.Errorf("DecodeAccount(%s) = %q, %v; want %q, true", tt.keyID, got, ok, tt.account)
		}
	}
}

// keyForAccount builds an AKIA or ASIA key ID that encodes account, with
// random bits everywhere else.
func keyForAccount(prefix string, account uint64, r *rand.Rand) string {
	z := 1<<47 | account<<7 | r.Uint64()&0x7f
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], z<<16)
	binary.BigEndian.PutUint32(b[6:], r.Uint32())
	return prefix + base32.StdEncoding.EncodeToString(b[:])
}

func TestDecodeAccountRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	accounts := []uint64{0, 1, 123456789012, 999999999999}
	for range 1000 {
		accounts = append(accounts, r.Uint64N(1_000_000_000_000))
	}
	for i, a := range accounts {
		id := keyForAccount([]string{"AKIA", "ASIA"}[i%2], a, r)
		want := fmt.Sprintf("%012d", a)
		if got, ok := DecodeAccount(id); !ok || got != want {
			t.Fatalf("DecodeAccount(%s) = %q, %v; want %q, true", id, got, ok, want)
		}
		// The ID is what Find reports, too, unless an account ID as small
		// as 0 or 1 leaves it looking like a placeholder.
		if IsExample(id) && a < 1e9 {
			continue
		}
		if ms := Find([]byte("id: " + id + "\n")); len(ms) != 1 || ms[0].KeyID != id {
			t.Fatalf("Find does not report %s", id)
		}
	}
}

func TestDecodeAccountNoAccount(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	valid := keyForAccount("AKIA", 123456789012, r)
	tests := []struct{ name, keyID string }{
		{"old format I", "AKIAI" + valid[5:]},
		{"old format J", "ASIAJ" + valid[5:]},
		{"no format flag", "AKIAA" + valid[5:]},
		{"over 12 digits", keyForAccount("AKIA", 1_000_000_000_000, r)},
		{"ABIA", "ABIA" + valid[4:]},
		{"ACCA", "ACCA" + valid[4:]},
		{"A3T", "A3TA" + valid[4:]},
		{"IAM user ID", "AIDA" + valid[4:]},
		{"short", valid[:19]},
		{"long", valid + "A"},
		{"not base32", valid[:19] + "1"},
		{"lower case", "akia" + valid[4:]},
		{"empty", ""},
	}
	for _, tt := range tests {
		if got, ok := DecodeAccount(tt.keyID); ok {
			t.Errorf("%s: DecodeAccount(%s) = %q, true; want false", tt.name, tt.keyID, got)
		}
	}
}
