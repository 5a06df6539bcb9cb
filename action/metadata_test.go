package action

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestActionMetadata: action.yml and the code agree. Every input the code
// reads is declared (an undeclared one is always empty on a real runner),
// every declared input is read, every output written is declared, and the
// action runs a released image by exact version.
func TestActionMetadata(t *testing.T) {
	b, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs  map[string]struct{ Default string }
		Outputs map[string]struct{ Description string }
		Runs    struct {
			Using string
			Image string
			Args  []string
		}
		Branding struct{ Icon, Color string }
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	src := ""
	for _, f := range []string{"action.go", "upload.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src += string(b)
	}
	read := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:GetInput|boolInput)\((?:gha, )?"([a-z-]+)"`).FindAllStringSubmatch(src, -1) {
		read[m[1]] = true
	}
	for name := range read {
		if _, ok := meta.Inputs[name]; !ok {
			t.Errorf("input %q is read but not declared in action.yml", name)
		}
	}
	for name := range meta.Inputs {
		if !read[name] {
			t.Errorf("input %q is declared but never read", name)
		}
	}
	written := map[string]bool{}
	for _, m := range regexp.MustCompile(`SetOutput\("([a-z-]+)"`).FindAllStringSubmatch(src, -1) {
		written[m[1]] = true
	}
	for name := range meta.Outputs {
		if !written[name] {
			t.Errorf("output %q is declared but never written", name)
		}
	}
	for name := range written {
		if _, ok := meta.Outputs[name]; !ok {
			t.Errorf("output %q is written but not declared", name)
		}
	}
	if len(read) < 15 || len(written) != 5 {
		t.Errorf("found %d inputs and %d outputs in the code: is the pattern stale?", len(read), len(written))
	}
	if meta.Runs.Using != "docker" || !regexp.MustCompile(`^docker://ghcr\.io/keysweep/keysweep:v\d+\.\d+\.\d+$`).MatchString(meta.Runs.Image) || !slices.Equal(meta.Runs.Args, []string{"action"}) {
		t.Errorf("runs %+v: want the released image by exact version, args [action]", meta.Runs)
	}
	// The pre-commit example names the same release as action.yml.
	doc, err := os.ReadFile("../docs/suppressions.md")
	if err != nil {
		t.Fatal(err)
	}
	version := meta.Runs.Image[strings.LastIndexByte(meta.Runs.Image, ':')+1:]
	if !strings.Contains(string(doc), "rev: "+version+"\n") {
		t.Errorf("docs/suppressions.md's pre-commit rev is not %s", version)
	}
}
