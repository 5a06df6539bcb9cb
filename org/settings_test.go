package org_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/githubtest"
	"github.com/keysweep/keysweep/org"
	"github.com/keysweep/keysweep/pipeline"
)

// TestOrgRepositorySettings: each repository's own reviewed settings (at
// its HEAD) apply to its own findings, as a scan of it alone would apply
// them — and to no other repository's; a repository whose settings
// cannot be read is named, with its keys still reported.
func TestOrgRepositorySettings(t *testing.T) {
	api := githubtest.NewOrg(t, "acme", token, 2)
	shared, sharedC := pair(1901)
	excluded, excludedC := pair(1902)
	add := func(name string, files map[string]string) {
		api.Add(githubtest.OrgRepo{Name: name, CloneURL: githubtest.FileURL(bare(t, leaky(t, files)))})
	}
	// "ignores" accepts the shared key at every path; "other" holds the
	// same key and accepts nothing.
	add("ignores", map[string]string{
		"deploy/prod.env":  sharedC,
		"fixtures/x.env":   excludedC,
		".keysweepignore":  finding.KeyFingerprint(shared) + " # rotated, history kept\n",
		".keysweep.yml":    "exclude-paths: [\"fixtures/**\"]\n",
		"docs/readme.md":   "nothing\n",
		"docs/another.txt": "nothing\n",
	})
	add("other", map[string]string{"app.env": sharedC})
	add("badconfig", map[string]string{"a.env": sharedC, ".keysweep.yml": "fail-on: sometimes\n"})

	var log bytes.Buffer
	cfg, err := pipeline.Prepare(pipeline.Config{Format: "json", FailOn: finding.SeverityHigh})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := org.Run(context.Background(), org.Options{Org: "acme", APIURL: api.URL, Token: token, Concurrency: 2, Log: &log}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	byRepo := map[string][]finding.KeyFinding{}
	for _, k := range rep.Keys {
		byRepo[k.Repository] = append(byRepo[k.Repository], k)
	}
	if ks := byRepo["acme/ignores"]; len(ks) != 1 || ks[0].KeyID != shared || ks[0].Suppressed == nil || ks[0].Suppressed.Kind != "fingerprint" {
		t.Errorf("acme/ignores: %+v; want only %s, suppressed by its own .keysweepignore (%s excluded by its exclude-paths)", ks, shared, excluded)
	}
	if ks := byRepo["acme/other"]; len(ks) != 1 || ks[0].Suppressed != nil {
		t.Errorf("acme/other: %+v; want the same key unsuppressed: another repository's ignore is not its own", ks)
	}
	if ks := byRepo["acme/badconfig"]; len(ks) != 1 || ks[0].Suppressed != nil {
		t.Errorf("acme/badconfig: %+v; want its key reported", ks)
	}
	for _, r := range rep.Repositories {
		if r.Name == "acme/badconfig" && !strings.Contains(r.Error, "settings:") {
			t.Errorf("badconfig's error = %q, want the settings file named", r.Error)
		}
		if r.Name != "acme/badconfig" && r.Error != "" {
			t.Errorf("%s: unexpected error %q", r.Name, r.Error)
		}
	}
	if code, _ := pipeline.ExitCode(rep, cfg); code != pipeline.ExitError {
		t.Errorf("exit = %d, want 2: a repository's settings could not be read", code)
	}
}
