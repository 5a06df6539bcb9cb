package mototest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// trailSelectorDefaults makes cloudtrail:GetEventSelectors answer as AWS
// does for a trail whose selectors were never set: AWS creates every trail
// with one basic selector recording all management events, read and
// write; moto answers with none.
func trailSelectorDefaults(w http.ResponseWriter, c *Call) bool {
	if !strings.HasSuffix(c.req.Header.Get("X-Amz-Target"), ".GetEventSelectors") {
		return false
	}
	resp, body, err := c.Forward()
	if err != nil || resp.StatusCode != http.StatusOK {
		return false
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		return false
	}
	empty := func(k string) bool { l, _ := out[k].([]any); return len(l) == 0 }
	if empty("EventSelectors") && empty("AdvancedEventSelectors") {
		out["EventSelectors"] = []any{map[string]any{"ReadWriteType": "All", "IncludeManagementEvents": true,
			"DataResources": []any{}, "ExcludeManagementEventSources": []any{}}}
		delete(out, "AdvancedEventSelectors")
	}
	if empty("AdvancedEventSelectors") {
		delete(out, "AdvancedEventSelectors")
	}
	b, err := json.Marshal(out)
	if err != nil {
		return false
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	_, _ = w.Write(b)
	return true
}

// organizationsFeatures answers iam:ListOrganizationsFeatures, which moto
// lacks, as AWS does for an account in no organization, the state of every
// moto account until a test creates one; OrganizationsFeatures answers for
// a management account.
func organizationsFeatures(w http.ResponseWriter, c *Call) bool {
	return OrganizationsFeatures("OrganizationNotFoundException")(w, c)
}
