package cli

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/pipeline"
)

// TestHelpListsEveryFlag checks the help against the flag sets: every
// flag scan parses is in scan's help, and every one org passes through
// is in org's, so a new flag cannot go undocumented.
func TestHelpListsEveryFlag(t *testing.T) {
	fs, _ := scanFlags(&pipeline.Config{})
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(usage, "--"+f.Name+" ") {
			t.Errorf("keysweep help lacks --%s", f.Name)
		}
	})
	for _, name := range commandFlags()["org"] {
		if !strings.Contains(orgUsage, "--"+name) {
			t.Errorf("keysweep org --help lacks --%s, which org accepts", name)
		}
	}
	for _, name := range commandFlags()["pre-receive"] {
		if !strings.Contains(preReceiveUsage, "--"+name+" ") {
			t.Errorf("keysweep pre-receive --help lacks --%s", name)
		}
	}
	for _, h := range []string{usage, orgUsage, preReceiveUsage} {
		if !strings.Contains(h, "130") || !strings.Contains(h, "143") {
			t.Errorf("help does not give the exit status of an interrupted run:\n%s", h)
		}
	}
}

// completions runs a shell's completion script the way the shell would
// for the command line line and returns the words it offers.
func completions(t *testing.T, shell, line string) []string {
	t.Helper()
	code, script, stderr := run(t, "completion", shell)
	if code != ExitClean {
		t.Fatalf("completion %s: exit %d: %s", shell, code, stderr)
	}
	f := filepath.Join(t.TempDir(), "keysweep."+shell)
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	var cmd *exec.Cmd
	switch shell {
	case "bash":
		// COMP_WORDS as bash splits the line; an empty last word when the
		// line ends in a space.
		cmd = exec.Command("bash", "-c", `source "$1"; read -ra COMP_WORDS <<< "$2"; [[ "$2" == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _keysweep; printf '%s\n' "${COMPREPLY[@]}"`, "bash", f, line)
	case "fish":
		cmd = exec.Command("fish", "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, f, line)
	case "zsh":
		// zsh's completion system needs a terminal to complete; what can be
		// checked without one is that the script loads and registers.
		cmd = exec.Command("zsh", "-f", "-c", `autoload -U compinit && compinit -u -D; source "$1"; print -r -- ${_comps[keysweep]}`, "zsh", f)
	}
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s completion of %q: %v\n%s", shell, line, err, out)
	}
	var words []string
	for _, w := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		w, _, _ = strings.Cut(w, "\t") // fish: word<TAB>description
		words = append(words, w)
	}
	return words
}

func TestCompletion(t *testing.T) {
	shells := []string{"bash", "zsh", "fish"}
	for _, sh := range shells {
		if _, err := exec.LookPath(sh); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (.ci/run installs it)", sh)
			}
			t.Logf("%s not installed here: not checked", sh)
			shells = slices.DeleteFunc(shells, func(s string) bool { return s == sh })
		}
	}
	tests := []struct {
		line string
		want []string
		not  []string
	}{
		{"keysweep sc", []string{"scan"}, []string{"org"}},
		{"keysweep scan --fo", []string{"--format"}, nil},
		{"keysweep scan --format ", []string{"json", "sarif", "markdown", "text"}, []string{"--aws"}},
		{"keysweep scan --fail-on h", []string{"high"}, nil},
		{"keysweep org --sh", []string{"--shard"}, nil},
		{"keysweep org --si", nil, []string{"--since"}},
		{"keysweep completion ", []string{"bash", "zsh", "fish"}, nil},
		{"keysweep pre", []string{"pre-receive", "pre-push"}, nil},
		{"keysweep pre-receive --al", []string{"--allow-bypass", "--allow-partial"}, []string{"--aws"}},
	}
	for _, sh := range shells {
		if sh == "zsh" {
			if got := completions(t, sh, ""); len(got) != 1 || !strings.Contains(got[0], "-F _keysweep") {
				t.Errorf("zsh: the script does not register _keysweep for keysweep: %q", got)
			}
			continue
		}
		for _, tc := range tests {
			got := completions(t, sh, tc.line)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s: %q offers %q, want %q among them", sh, tc.line, got, w)
				}
			}
			for _, w := range tc.not {
				if slices.Contains(got, w) {
					t.Errorf("%s: %q offers %q", sh, tc.line, w)
				}
			}
		}
	}
	if code, _, stderr := run(t, "completion", "powershell"); code != ExitError || !strings.Contains(stderr, "want bash, zsh or fish") {
		t.Errorf("completion powershell: exit %d %q", code, stderr)
	}
}
