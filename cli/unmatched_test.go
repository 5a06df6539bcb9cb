package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/gittest"
)

// TestIgnoreUnmatched checks both ends of a stale ignore: keysweep ignore
// warns (and still writes the entry) when the fingerprint names no finding
// of the history, and a full scan lists the entries no finding matched,
// while a range scan, which holds only some findings, does not.
func TestIgnoreUnmatched(t *testing.T) {
	r := gittest.New(t)
	key, secret := gittest.FakeKey(320)
	r.Write("README.md", "app\n")
	r.Commit("init")
	r.Write("ci.env", "AWS_ACCESS_KEY_ID="+key+"\nAWS_SECRET_ACCESS_KEY="+secret+"\n")
	r.Commit("ci")

	stale := strings.Repeat("ab", 16)
	code, out, stderr := run(t, "ignore", stale, "--reason", "copied from elsewhere", r.Dir)
	if code != ExitClean || !strings.Contains(out, stale) {
		t.Fatalf("ignore of an unmatched fingerprint: exit %d\n%s%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "warning: "+stale+" matches none of the 1 key findings") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("no one-line warning for an unmatched fingerprint:\n%s", stderr)
	}
	live := finding.KeyFingerprint(key)
	code, _, stderr = run(t, "ignore", live, "--reason", "revoked", r.Dir)
	if code != ExitClean || stderr != "" {
		t.Errorf("ignore of the key's fingerprint: exit %d, stderr %q", code, stderr)
	}

	code, out, stderr = run(t, "scan", "--format", "json", "--no-progress", r.Dir)
	if code != ExitClean {
		t.Fatalf("scan: exit %d\n%s", code, stderr)
	}
	var rep struct{ UnmatchedIgnores []finding.UnmatchedIgnore }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.UnmatchedIgnores) != 1 || rep.UnmatchedIgnores[0].Fingerprint != stale || rep.UnmatchedIgnores[0].Line != 1 {
		t.Errorf("unmatchedIgnores = %+v, want the stale entry at line 1 alone", rep.UnmatchedIgnores)
	}
	_, text, _ := run(t, "scan", "--no-progress", r.Dir)
	if !strings.Contains(text, "stale:     1 entry of .keysweepignore matches no finding of this scan (line 1)") {
		t.Errorf("text report does not name the stale entry:\n%s", text)
	}
	_, md, _ := run(t, "scan", "--format", "markdown", "--no-progress", r.Dir)
	if !strings.Contains(md, "matches no finding of this scan") {
		t.Errorf("markdown report does not name the stale entry:\n%s", md)
	}
	// A range holds only its own findings: nothing is called stale.
	_, out, _ = run(t, "scan", "--format", "json", "--no-progress", "--since", "HEAD~1", r.Dir)
	if strings.Contains(out, "unmatchedIgnores") {
		t.Errorf("a range scan lists unmatched ignores:\n%s", out)
	}
	// A subdirectory scopes the findings: entries for keys outside it are
	// not stale either.
	r.Write("sub/readme.txt", "nothing here\n")
	r.Commit("sub")
	_, out, _ = run(t, "scan", "--format", "json", "--no-progress", r.Dir+"/sub")
	if strings.Contains(out, "unmatchedIgnores") {
		t.Errorf("a scoped scan lists unmatched ignores:\n%s", out)
	}
	noSecrets(t, []string{secret}, out, text, md)
}
