package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/reportschema"
	"github.com/keysweep/keysweep/judge"
)

// triaged is a report whose active key has access and activity and whose
// other key was not looked up, as the judge makes it.
func triaged() *finding.Report {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	const active, other = "AKIAQ3TESTACTIVEKEYA", "AKIAQ3TESTINACTIVEKY"
	inv := &finding.Inventory{Source: "aws", Account: "111122223333", Complete: true, Keys: map[string]finding.AccessKey{
		active: {ID: active, User: "deploy", Status: "Active"},
		other:  {ID: other, User: "old", Status: "Inactive"},
	}, Triage: map[string]finding.Triage{active: {
		Access: &finding.Access{Level: "admin", Principal: "arn:aws:iam::111122223333:user/deploy",
			Grants:     []finding.Grant{{Action: "*", Resource: "*", Policy: "inline:all"}, {Action: "*", NotAction: []string{"iam:*"}, Resource: "*", Conditional: true}},
			HighImpact: []string{"iam:CreateAccessKey on *"}, Unreadable: []string{}},
		Activity: &finding.Activity{Since: now.Add(-72 * time.Hour), CoversLeak: true, Events: 2, First: now.Add(-48 * time.Hour), Last: now.Add(-2 * time.Hour),
			SourceIPs: []string{"198.51.100.7", "203.0.113.9"}, UserAgents: []string{"aws-cli/2.15"}, Regions: []string{"us-east-1"},
			EventNames: map[string]int{"iam:CreateAccessKey": 1, "s3:ListBuckets": 1}, Persistence: []string{"iam:CreateAccessKey ×1"}},
	}}}
	leaks := []finding.Leak{
		{KeyID: other, Path: "b.env", Commit: "c2", Author: "a", Date: now.Add(-96 * time.Hour), Line: 1, Column: 1, Blob: "b2", Commits: 1},
		{KeyID: active, Path: "a.env", Commit: "c1", Author: "a", Date: now.Add(-72 * time.Hour), Line: 1, Column: 1, Blob: "b1", Commits: 1, InHead: true},
	}
	return &finding.Report{Tool: "keysweep", Version: "test", Started: now, Repo: ".", Account: "111122223333", InventorySource: "aws",
		Gaps: []string{"access and activity of committed keys not looked up: --no-triage"},
		Keys: judge.JudgeAt(leaks, inv, now)}
}

// TestJSONFollowsSchema: the JSON report, with and without triage, is what
// docs/report.schema.json says; the schema rejects a wrong access level
// and an activity without its counts.
func TestJSONFollowsSchema(t *testing.T) {
	r := triaged()
	var b bytes.Buffer
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	reportschema.Validate(t, b.Bytes())
	if !strings.HasPrefix(b.String(), "{\n  \"schemaVersion\": \""+SchemaVersion+"\"") {
		t.Errorf("report does not open with schemaVersion: %.80s", b.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	keys := doc["keys"].([]any)
	first := keys[0].(map[string]any)
	if first["keyId"] != "AKIAQ3TESTACTIVEKEYA" || first["access"] == nil || first["activity"] == nil || first["triage"] == "" {
		t.Errorf("the triaged key is not first with access and activity: %v", first)
	}
	if second := keys[1].(map[string]any); second["access"] != nil || second["activity"] != nil {
		t.Errorf("a key not looked up has access or activity: %v", second)
	}

	for name, mutate := range map[string]func(map[string]any){
		"unknown level":   func(k map[string]any) { k["access"].(map[string]any)["level"] = "superuser" },
		"no events count": func(k map[string]any) { delete(k["activity"].(map[string]any), "events") },
		"no version":      func(map[string]any) { delete(doc, "schemaVersion") },
	} {
		var d map[string]any
		_ = json.Unmarshal(b.Bytes(), &d)
		doc = d
		mutate(d["keys"].([]any)[0].(map[string]any))
		bad, _ := json.Marshal(d)
		if reportschema.Check(bad) == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}
