package action

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestInputsTable holds docs/github-action.md's inputs table to
// action.yml: every input once, in a row of its own, and no row for an
// input that does not exist.
func TestInputsTable(t *testing.T) {
	b, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/github-action.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Inputs\n")
	if !ok {
		t.Fatal("docs/github-action.md has no ## Inputs section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|([^|]*)\\|")
	var rows []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		name, def := m[1], strings.Trim(strings.TrimSpace(m[2]), "`")
		rows = append(rows, name)
		in, ok := meta.Inputs[name]
		if !ok {
			t.Errorf("the docs' inputs table has %s, which action.yml does not", name)
			continue
		}
		if def != "(event)" && def != in.Default {
			t.Errorf("%s: the docs give the default %q, action.yml %q", name, def, in.Default)
		}
	}
	for name := range meta.Inputs {
		if n := len(slices.DeleteFunc(slices.Clone(rows), func(r string) bool { return r != name })); n != 1 {
			t.Errorf("input %s is in the docs' inputs table %d times, want once", name, n)
		}
	}
	if n := strings.Count(string(doc), "\nOutputs: "); n != 1 {
		t.Errorf("the docs describe the outputs %d times, want once", n)
	}
	// Nothing else in the docs is a table row for an input.
	rest := strings.Replace(string(doc), section, "", 1)
	for _, m := range row.FindAllStringSubmatch(rest, -1) {
		if _, ok := meta.Inputs[m[1]]; ok && m[1] != "path" {
			t.Errorf("an inputs-table row for %s outside the ## Inputs section", m[1])
		}
	}
}
