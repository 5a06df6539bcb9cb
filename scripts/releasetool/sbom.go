package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"
)

// The parts of CycloneDX 1.5 (https://cyclonedx.org/docs/1.5/json/) an
// SBOM of a Go binary fills in.
type (
	cdxBOM struct {
		BOMFormat    string          `json:"bomFormat"`
		SpecVersion  string          `json:"specVersion"`
		SerialNumber string          `json:"serialNumber"`
		Version      int             `json:"version"`
		Metadata     cdxMetadata     `json:"metadata"`
		Components   []cdxComponent  `json:"components"`
		Dependencies []cdxDependency `json:"dependencies"`
	}
	cdxMetadata struct {
		Timestamp string       `json:"timestamp"`
		Tools     cdxTools     `json:"tools"`
		Component cdxComponent `json:"component"`
	}
	cdxTools struct {
		Components []cdxComponent `json:"components"`
	}
	cdxComponent struct {
		Type       string        `json:"type"`
		BOMRef     string        `json:"bom-ref,omitempty"`
		Name       string        `json:"name"`
		Version    string        `json:"version,omitempty"`
		PURL       string        `json:"purl,omitempty"`
		Licenses   []cdxLicense  `json:"licenses,omitempty"`
		Properties []cdxProperty `json:"properties,omitempty"`
	}
	cdxLicense struct {
		License struct {
			ID string `json:"id"`
		} `json:"license"`
	}
	cdxProperty struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	cdxDependency struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	}
)

// writeSBOM writes a CycloneDX SBOM of the Go binary at bin, which is
// keysweep at version (a -trimpath build records neither its -ldflags nor,
// built in a checkout, a module version): the main module, every module
// linked in (with its go.sum hash) and the standard library of the Go that
// built it, as `go version -m` shows them. It is read from the binary, not
// the source, so it lists what shipped.
func writeSBOM(out, bin, version string, created time.Time) error {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("read build information of %s: %w", bin, err)
	}
	purl := func(path, version string) string { return "pkg:golang/" + path + "@" + version }
	props := []cdxProperty{}
	for _, s := range info.Settings {
		switch s.Key {
		case "GOOS", "GOARCH", "CGO_ENABLED", "-trimpath", "-ldflags", "vcs.revision":
			props = append(props, cdxProperty{Name: "go:build:" + s.Key, Value: s.Value})
		}
	}
	main := cdxComponent{Type: "application", Name: info.Main.Path, Version: version, PURL: purl(info.Main.Path, version), Properties: props}
	main.BOMRef = main.PURL
	var lic cdxLicense
	lic.License.ID = "Apache-2.0"
	main.Licenses = []cdxLicense{lic}
	std := cdxComponent{Type: "library", Name: "std", Version: info.GoVersion, PURL: purl("std", info.GoVersion)}
	std.BOMRef = std.PURL
	comps := []cdxComponent{std}
	for _, m := range info.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		c := cdxComponent{Type: "library", Name: m.Path, Version: m.Version, PURL: purl(m.Path, m.Version)}
		c.BOMRef = c.PURL
		if m.Sum != "" {
			c.Properties = []cdxProperty{{Name: "go:module:sum", Value: m.Sum}}
		}
		comps = append(comps, c)
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i].BOMRef < comps[j].BOMRef })
	var refs []string
	for _, c := range comps {
		refs = append(refs, c.BOMRef)
	}
	// The serial number is derived from the binary, so the same binary
	// gives the same SBOM.
	b, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	bom := cdxBOM{
		BOMFormat:    "CycloneDX",
		SpecVersion:  "1.5",
		SerialNumber: fmt.Sprintf("urn:uuid:%x-%x-5%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16]),
		Version:      1,
		Metadata: cdxMetadata{
			Timestamp: created.UTC().Format(time.RFC3339),
			Tools:     cdxTools{Components: []cdxComponent{{Type: "application", Name: "keysweep releasetool"}}},
			Component: main,
		},
		Components:   comps,
		Dependencies: []cdxDependency{{Ref: main.BOMRef, DependsOn: refs}},
	}
	j, err := json.MarshalIndent(bom, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(j, '\n'), 0o644)
}
