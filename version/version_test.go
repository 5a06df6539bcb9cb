package version

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "27caaab0123456789abcdef0123456789abcdef0"
	tests := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"ldflags win", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-x"}}, "v1.2.3"},
		{"go install @version", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"checkout, clean", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "dev+27caaab01234"},
		{"checkout, dirty", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "dev+27caaab01234-dirty"},
		{"no vcs", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"no build info", "", nil, "dev"},
		{"blank stamp ignored", "  ", nil, "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolve(tt.stamped, tt.info); got != tt.want {
				t.Errorf("resolve = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestLdflagsStamp builds the real command the way release.yml does and
// runs `keysweep version` and `keysweep --version`: the -X path must name
// the variable, or the release would print "dev".
func TestLdflagsStamp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "keysweep")
	// Neither -trimpath nor CGO_ENABLED=0 as release.yml has: either
	// recompiles every dependency (minutes on a busy machine), while
	// -ldflags touches only the link, which is what is under test.
	build := exec.Command("go", "build", "-ldflags", "-X github.com/keysweep/keysweep/version.stamped=v9.8.7", "-o", bin, "github.com/keysweep/keysweep/cmd/keysweep")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil {
			t.Fatalf("keysweep %s: %v", arg, err)
		}
		if got := strings.TrimSpace(string(out)); got != "keysweep v9.8.7" {
			t.Errorf("keysweep %s printed %q", arg, got)
		}
	}
}
