package cli

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/pipeline"
)

const completionUsage = `usage: keysweep completion bash|zsh|fish

Prints a completion script for the shell: commands, each command's flags,
and the values of --format, --fail-on and --color.

  bash: source <(keysweep completion bash)     (or save it in
        /etc/bash_completion.d/keysweep)
  zsh:  source <(keysweep completion zsh)      (in ~/.zshrc, after compinit)
  fish: keysweep completion fish > ~/.config/fish/completions/keysweep.fish
`

// commands are the commands completion offers, in the help's order.
var commands = []string{"scan", "ignore", "inventory", "org", "merge", "contain", "pre-receive", "pre-push", "action", "completion", "version", "help"}

// flagValues are the fixed values of the flags that take one of a set.
var flagValues = map[string][]string{
	"format":  {"text", "json", "sarif", "markdown"},
	"fail-on": {"critical", "high", "medium", "low", "none"},
	"color":   {"auto", "always", "never"},
}

// fileFlags take a file or directory name.
var fileFlags = []string{"output", "sarif", "config", "baseline", "known-keys", "clone-dir", "audit", "audit-log"}

// commandFlags lists each command's flags, read from the flag sets the
// commands parse with where there is one, so completion cannot drift
// from what the commands accept.
func commandFlags() map[string][]string {
	var scan []string
	fs, _ := scanFlags(&pipeline.Config{})
	fs.VisitAll(func(f *flag.Flag) { scan = append(scan, f.Name) })
	org := slices.DeleteFunc(slices.Clone(scan), func(n string) bool {
		return n == "since" || n == "staged" || n == "include-unreachable"
	})
	for name := range orgOnly {
		org = append(org, name)
	}
	slices.Sort(org)
	var containNames []string
	cfs, _ := containFlags()
	cfs.VisitAll(func(f *flag.Flag) { containNames = append(containNames, f.Name) })
	var hook []string
	hfs, _ := pushFlagSet("pre-receive", &pushFlags{})
	hfs.VisitAll(func(f *flag.Flag) {
		if f.Name != "aws" && f.Name != "verify" { // refused in a hook
			hook = append(hook, f.Name)
		}
	})
	return map[string][]string{
		"contain":     containNames,
		"pre-receive": hook,
		"pre-push":    hook,
		"scan":        scan,
		"org":         org,
		"ignore":      {"reason", "until"},
		"inventory":   {"aws"},
		"merge":       {"format", "output", "fail-on", "allow-partial", "color"},
	}
}

func completionCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, completionUsage)
		return ExitClean
	}
	if len(args) != 1 {
		fmt.Fprintln(stderr, "keysweep: usage: keysweep completion bash|zsh|fish")
		return ExitError
	}
	switch args[0] {
	case "bash":
		fmt.Fprint(stdout, bashCompletion())
	case "zsh":
		// zsh runs the bash function through bashcompinit, which ships
		// with zsh: one script to keep right instead of two.
		fmt.Fprint(stdout, "#compdef keysweep\nautoload -U +X bashcompinit && bashcompinit\n"+bashCompletion())
	case "fish":
		fmt.Fprint(stdout, fishCompletion())
	default:
		fmt.Fprintf(stderr, "keysweep: completion %s: want bash, zsh or fish\n", escape.Excerpt(args[0]))
		return ExitError
	}
	return ExitClean
}

func dashed(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "--" + n
	}
	return strings.Join(out, " ")
}

func bashCompletion() string {
	var b strings.Builder
	b.WriteString(`# bash completion for keysweep (keysweep completion bash)
_keysweep() {
  local cur prev cmd flags
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  cmd="${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    mapfile -t COMPREPLY < <(compgen -W "` + strings.Join(commands, " ") + `" -- "$cur")
    return
  fi
  case "$prev" in
`)
	for _, name := range []string{"format", "fail-on", "color"} {
		fmt.Fprintf(&b, "    --%s) mapfile -t COMPREPLY < <(compgen -W %q -- \"$cur\"); return ;;\n", name, strings.Join(flagValues[name], " "))
	}
	fmt.Fprintf(&b, "    %s) mapfile -t COMPREPLY < <(compgen -f -- \"$cur\"); return ;;\n", strings.ReplaceAll(dashed(fileFlags), " ", "|"))
	b.WriteString("  esac\n  case \"$cmd\" in\n")
	flags := commandFlags()
	for _, c := range commands {
		if fl, ok := flags[c]; ok {
			fmt.Fprintf(&b, "    %s) flags=%q ;;\n", c, dashed(fl)+" --help")
		}
	}
	b.WriteString(`    completion) mapfile -t COMPREPLY < <(compgen -W "bash zsh fish" -- "$cur"); return ;;
    *) flags="--help" ;;
  esac
  if [[ "$cur" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -o default -F _keysweep keysweep
`)
	return b.String()
}

func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# fish completion for keysweep (keysweep completion fish)\n")
	b.WriteString("complete -c keysweep -f\n")
	fmt.Fprintf(&b, "complete -c keysweep -n __fish_use_subcommand -a %q\n", strings.Join(commands, " "))
	b.WriteString("complete -c keysweep -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	b.WriteString("complete -c keysweep -n '__fish_seen_subcommand_from scan ignore' -F\n")
	flags := commandFlags()
	for _, c := range commands {
		for _, f := range flags[c] {
			line := fmt.Sprintf("complete -c keysweep -n '__fish_seen_subcommand_from %s' -l %s", c, f)
			switch {
			case flagValues[f] != nil:
				line += fmt.Sprintf(" -x -a %q", strings.Join(flagValues[f], " "))
			case slices.Contains(fileFlags, f):
				line += " -r -F"
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
