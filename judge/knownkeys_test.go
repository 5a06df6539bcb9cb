package judge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// listOutput is what `aws iam list-access-keys --user-name user` prints.
func listOutput(user string, keys ...string) string {
	var entries []string
	for i := 0; i+1 < len(keys); i += 2 {
		entries = append(entries, `        {
            "UserName": "`+user+`",
            "AccessKeyId": "`+keys[i]+`",
            "Status": "`+keys[i+1]+`",
            "CreateDate": "2023-01-05T10:20:30+00:00"
        }`)
	}
	return "{\n    \"AccessKeyMetadata\": [\n" + strings.Join(entries, ",\n") + "\n    ]\n}\n"
}

func TestLoadKnownKeys(t *testing.T) {
	created := time.Date(2023, 1, 5, 10, 20, 30, 0, time.UTC)
	tests := []struct {
		name    string
		content string
		want    map[string]finding.AccessKey
		gaps    int
	}{
		{"plain list", "# deploy keys\n\n" + activeKey + "\n  " + inactiveKey + "  # old ci\r\n",
			map[string]finding.AccessKey{activeKey: {ID: activeKey}, inactiveKey: {ID: inactiveKey}}, 0},
		{"list-access-keys", "\uFEFF" + listOutput("deploy-bot", activeKey, "Active", inactiveKey, "Inactive"),
			map[string]finding.AccessKey{
				activeKey:   {ID: activeKey, User: "deploy-bot", Status: "Active", Created: created},
				inactiveKey: {ID: inactiveKey, User: "deploy-bot", Status: "Inactive", Created: created},
			}, 0},
		{"concatenated per-user outputs", listOutput("a", activeKey, "Active") + listOutput("b") + listOutput("c", inactiveKey, "Inactive"),
			map[string]finding.AccessKey{
				activeKey:   {ID: activeKey, User: "a", Status: "Active", Created: created},
				inactiveKey: {ID: inactiveKey, User: "c", Status: "Inactive", Created: created},
			}, 0},
		{"array of outputs", "[" + listOutput("a", activeKey, "Active") + "," + listOutput("b", inactiveKey, "Inactive") + "]",
			map[string]finding.AccessKey{
				activeKey:   {ID: activeKey, User: "a", Status: "Active", Created: created},
				inactiveKey: {ID: inactiveKey, User: "b", Status: "Inactive", Created: created},
			}, 0},
		{"truncated output", `{"AccessKeyMetadata": [{"AccessKeyId": "` + activeKey + `"}], "IsTruncated": true, "Marker": "x"}`,
			map[string]finding.AccessKey{activeKey: {ID: activeKey}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := LoadKnownKeys(writeFile(t, tt.content))
			if err != nil {
				t.Fatal(err)
			}
			if inv.Source != "known-keys" || inv.Account != "" || len(inv.Gaps) != tt.gaps {
				t.Errorf("source %q account %q gaps %v", inv.Source, inv.Account, inv.Gaps)
			}
			if len(inv.Keys) != len(tt.want) {
				t.Errorf("keys %v, want %v", inv.Keys, tt.want)
			}
			for id, w := range tt.want {
				if g := inv.Keys[id]; g.ID != w.ID || g.User != w.User || g.Status != w.Status || !g.Created.Equal(w.Created) {
					t.Errorf("key %s = %+v, want %+v", id, g, w)
				}
			}
		})
	}
}

func TestLoadKnownKeysErrors(t *testing.T) {
	secretLine := "aws_secret_access_key = " + strings.Repeat("Ab3/", 10)
	tests := []struct {
		name    string
		content string
		want    string // after "known-keys file PATH"
	}{
		{"empty", " \n\n", " is empty"},
		{"only comments", "# nothing yet\n", " lists no access keys"},
		{"empty JSON", listOutput("nobody"), " lists no access keys"},
		{"not a key ID", activeKey + "\nAKIA123\n", `, line 2: "AKIA123" is not an access key ID (want one ID like AKIA… per line, or the JSON of aws iam list-access-keys)`},
		{"unique ID, not a credential", "AIDA" + activeKey[4:] + "\n", `, line 1: "AIDA` + activeKey[4:] + `" is not an access key ID (want one ID like AKIA… per line, or the JSON of aws iam list-access-keys)`},
		{"credentials file: no secret echoed", "[default]\n", `, line 1: "[default]" is not an access key ID (want one ID like AKIA… per line, or the JSON of aws iam list-access-keys)`},
		{"secret never echoed", secretLine + "\n", ", line 1: a 64-character value is not an access key ID (want one ID like AKIA… per line, or the JSON of aws iam list-access-keys)"},
		{"JSON syntax", "{\n  \"AccessKeyMetadata\": [\n    {\"AccessKeyId\": }\n  ]\n}\n", ", line 3: invalid JSON: invalid character '}' looking for beginning of value"},
		{"JSON cut short", "{\n  \"AccessKeyMetadata\": [\n", ", line 3: invalid JSON: unexpected end of file"},
		{"other JSON", listOutput("a", activeKey, "Active") + "\n{\"Users\": []}\n", `, line 12: document is not the output of aws iam list-access-keys (want {"AccessKeyMetadata": [...]})`},
		{"wrong shape", `{"AccessKeyMetadata": {"AccessKeyId": "x"}}`, `, line 1: document is not the output of aws iam list-access-keys (want {"AccessKeyMetadata": [...]})`},
		{"bad ID in JSON", "[\n" + listOutput("a", activeKey, "Active") + ",\n" + listOutput("b", "AKIAshort", "Active") + "]", `, line 1: [1]AccessKeyMetadata[0]: AccessKeyId "AKIAshort" is not an access key ID`},
		{"bad status", listOutput("a", activeKey, "Enabled"), `, line 1: AccessKeyMetadata[0]: Status "Enabled" is neither Active nor Inactive`},
		{"bad date", `{"AccessKeyMetadata": [{"AccessKeyId": "` + activeKey + `", "CreateDate": "yesterday"}]}`, `, line 1: AccessKeyMetadata[0]: CreateDate "yesterday" is not an RFC 3339 time`},
		{"conflicting statuses", listOutput("a", activeKey, "Active") + listOutput("a", activeKey, "Inactive"), ", line 11: AccessKeyMetadata[0]: key " + activeKey + " is listed both Active and Inactive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			_, err := LoadKnownKeys(path)
			if err == nil {
				t.Fatal("no error")
			}
			if want := "known-keys file " + path + tt.want; err.Error() != want {
				t.Errorf("error\n got %q\nwant %q", err, want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	_, err := LoadKnownKeys(filepath.Join(t.TempDir(), "missing"))
	if err == nil || !strings.HasPrefix(err.Error(), "known-keys file: open ") || !strings.HasSuffix(err.Error(), "missing: no such file or directory") {
		t.Errorf("missing file: %v", err)
	}
}

// An export carries its completeness and survives the round trip; no other
// format claims to be complete.
func TestInventoryExport(t *testing.T) {
	created := time.Date(2023, 1, 5, 10, 20, 30, 0, time.UTC)
	inv := &finding.Inventory{Source: "aws", Account: "111122223333", Complete: true, RootKeysKnown: true,
		Keys: map[string]finding.AccessKey{
			activeKey:   {ID: activeKey, User: "deploy-bot", Status: "Active", Created: created},
			inactiveKey: {ID: inactiveKey, User: "old-ci", Status: "Inactive"},
		},
		RootKeys: []finding.AccessKey{{User: rootUser, Status: "Inactive"}},
	}
	var b strings.Builder
	if err := WriteInventory(&b, inv, now); err != nil {
		t.Fatal(err)
	}
	got, err := ParseKnownKeys("keys.json", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Complete || got.Account != inv.Account || len(got.Keys) != 2 || got.Keys[activeKey] != inv.Keys[activeKey] ||
		!got.RootKeysKnown || len(got.RootKeys) != 1 || got.Source != "known-keys" {
		t.Errorf("round trip: %+v", got)
	}
	// An account without keys is a complete, empty inventory.
	if got, err := ParseKnownKeys("k", []byte(`{"format": "keysweep-inventory/v1", "complete": true, "keys": []}`)); err != nil || !got.Complete || len(got.Keys) != 0 {
		t.Errorf("empty complete export: %+v %v", got, err)
	}
	for _, other := range []string{activeKey + "\n", listOutput("u", activeKey, "Active")} {
		if got, err := ParseKnownKeys("k", []byte(other)); err != nil || got.Complete {
			t.Errorf("%q: complete=%v err=%v, want a partial list", other, got != nil && got.Complete, err)
		}
	}
	for doc, want := range map[string]string{
		`{"format": "keysweep-inventory/v9", "keys": []}`:                                          "is not keysweep-inventory/v1",
		`{"format": "keysweep-inventory/v1", "account": "12", "keys": []}`:                         "is not a 12-digit AWS account ID",
		`{"format": "keysweep-inventory/v1", "keys": [{"id": "nope", "status": "Active"}]}`:        "is not an access key ID",
		`{"format": "keysweep-inventory/v1", "keys": [{"id": "` + activeKey + `", "status": ""}]}`: "neither Active nor Inactive",
		`{"format": "keysweep-inventory/v1", "complete": false, "keys": []}`:                       "lists no access keys",
	} {
		if _, err := ParseKnownKeys("k", []byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", doc, err, want)
		}
	}
}
