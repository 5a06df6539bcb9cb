package judge

import (
	"strings"
	"testing"
)

// FuzzParseKnownKeys: any known-keys file is an inventory with keys, or one
// error line that quotes no long value of it; never a panic.
func TestKnownKeysLongLine(t *testing.T) {
	_, err := ParseKnownKeys("keys", []byte("AKIAQ3TESTACTIVEKEYA\n"+strings.Repeat("A", 70<<10)+"\n"))
	if err == nil || err.Error() != "known-keys file keys, line 2: line longer than 64 KiB, want one key ID per line" {
		t.Errorf("long line: %v", err)
	}
}

func FuzzParseKnownKeys(f *testing.F) {
	for _, s := range []string{
		"AKIAQ3TESTACTIVEKEYA\n# comment\nAKIAQ3TESTACTIVEKEYB  # trailing\n",
		`{"AccessKeyMetadata": [{"UserName": "u", "AccessKeyId": "AKIAQ3TESTACTIVEKEYA", "Status": "Active", "CreateDate": "2024-01-02T03:04:05Z"}], "IsTruncated": true}`,
		`[{"AccessKeyMetadata": []}, {"AccessKeyMetadata": [{"AccessKeyId": "AKIAQ3TESTACTIVEKEYA", "Status": "Inactive"}]}]`,
		`{"AccessKeyMetadata": [{"AccessKeyId": "AKIAQ3TESTACTIVEKEYA", "Status": "Active"}]}{"AccessKeyMetadata": [{"AccessKeyId": "AKIAQ3TESTACTIVEKEYA", "Status": "Inactive"}]}`,
		"[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY1\n",
		"\uFEFF[", "{", "", "AWS_SECRET_ACCESS_KEY=abc\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		inv, err := ParseKnownKeys("keys", b)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "known-keys file keys") || strings.Contains(msg, "\n") || len(msg) > 500 {
				t.Fatalf("error %q is not one short line", msg)
			}
			return
		}
		if len(inv.Keys) == 0 {
			t.Fatal("an inventory without keys")
		}
		for id := range inv.Keys {
			if !keyIDPattern.MatchString(id) {
				t.Fatalf("key %q is not an access key ID", id)
			}
		}
	})
}
