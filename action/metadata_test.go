package action

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestActionMetadata: action.yml and the code agree. Every input the code
// reads is declared (an undeclared one is always empty on a real runner),
// every declared input is read, every output written is declared, and the
// composite steps hand every input to the binary the way the runner hands
// a Docker or JavaScript action its inputs (INPUT_ and the upper-cased
// name), and every output from the step that runs it. No file names a
// release: the ref a workflow uses is the version (scripts/action.sh).
func TestActionMetadata(t *testing.T) {
	b, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs  map[string]struct{ Default string }
		Outputs map[string]struct{ Description, Value string }
		Runs    struct {
			Using string
			Steps []struct {
				ID   string
				Uses string
				Run  string
				Env  map[string]string
			}
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
	if meta.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q, want composite (runs on every runner, no Docker)", meta.Runs.Using)
	}
	var run map[string]string
	for _, st := range meta.Runs.Steps {
		if st.ID == "run" {
			run = st.Env
			if st.Run != `"$KEYSWEEP_BIN" action` {
				t.Errorf("the run step runs %q, want the installed binary's action command", st.Run)
			}
		}
		// A third-party action by tag could change under the users' jobs.
		if st.Uses != "" && !regexp.MustCompile(`@[0-9a-f]{40}$`).MatchString(st.Uses) {
			t.Errorf("step uses %q: pin it by commit SHA", st.Uses)
		}
	}
	for name := range meta.Inputs {
		env := "INPUT_" + strings.ToUpper(name)
		if want := "${{ inputs." + name + " }}"; run[env] != want {
			t.Errorf("the run step's env %s = %q, want %q", env, run[env], want)
		}
	}
	for k := range run {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			if _, ok := meta.Inputs[strings.ToLower(name)]; !ok {
				t.Errorf("the run step sets %s, which is no input", k)
			}
		}
	}
	for name, o := range meta.Outputs {
		if want := "${{ steps.run.outputs." + name + " }}"; o.Value != want {
			t.Errorf("output %s has value %q, want %q", name, o.Value, want)
		}
	}
	// No file names a version; the docs' examples name none either.
	for _, f := range []string{"../action.yml", "../.pre-commit-hooks.yaml", "../.github/workflows/org-scan.yml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(b)) {
			// A third-party action's pin comment names its version.
			if strings.Contains(line, "uses:") {
				continue
			}
			if m := regexp.MustCompile(`\bv\d+\.\d+\.\d+\b`).FindString(line); m != "" {
				t.Errorf("%s names version %s: the ref a workflow uses must decide the version", f, m)
			}
		}
	}
}
