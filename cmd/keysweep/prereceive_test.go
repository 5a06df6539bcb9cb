package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/repogen"
)

// server is a bare repository with keysweep installed as its pre-receive
// hook, as docs/pre-receive.md installs it.
type server struct {
	t   *testing.T
	Dir string
	git *gittest.Repo
}

// newServer makes a bare repository whose hook runs keysweep pre-receive
// with flags. The hook also records, next to the repository, the
// quarantine git gave it, whether the repository's own object directory
// has the first pushed object, and how long keysweep took.
func newServer(t *testing.T, flags ...string) *server {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "server.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	s := &server{t: t, Dir: dir, git: gittest.At(t, dir)}
	s.git.Git("config", "receive.advertisePushOptions", "true")
	s.hook(append([]string{}, flags...)...)
	return s
}

// hook (re)writes the pre-receive hook; no flags at all removes it.
func (s *server) hook(flags ...string) {
	s.t.Helper()
	path := filepath.Join(s.Dir, "hooks", "pre-receive")
	if flags == nil {
		os.Remove(path)
		return
	}
	var quoted []string
	for _, f := range flags {
		quoted = append(quoted, "'"+f+"'")
	}
	script := `#!/bin/sh
input=$(cat)
new=$(printf '%s\n' "$input" | head -n 1 | cut -d' ' -f2)
where=quarantine-only
if GIT_OBJECT_DIRECTORY="$PWD/objects" GIT_ALTERNATE_OBJECT_DIRECTORIES= git cat-file -e "$new" 2>/dev/null; then where=stored; fi
echo "$GIT_QUARANTINE_PATH $where" > ../quarantine-seen
start=$(date +%s%N)
printf '%s\n' "$input" | '` + binary + `' pre-receive ` + strings.Join(quoted, " ") + `
rc=$?
echo $(( $(date +%s%N) - start )) > ../hook-ns
exit $rc
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

// has reports whether the server's object store has an object.
func (s *server) has(id string) bool {
	_, err := s.git.TryGit("cat-file", "-e", id)
	return err == nil
}

func (s *server) ref(name string) string {
	out, _ := s.git.TryGit("rev-parse", "--verify", "-q", name)
	return strings.TrimSpace(out)
}

// client is a clone that pushes to the server over url.
func newClient(t *testing.T, url string) *gittest.Repo {
	c := gittest.New(t)
	c.Git("remote", "add", "origin", url)
	return c
}

// push runs git push and returns its output and whether it was accepted.
func push(c *gittest.Repo, args ...string) (string, bool) {
	out, err := c.TryGit(append([]string{"push", "origin"}, args...)...)
	return out, err == nil
}

var fingerprintRE = regexp.MustCompile(`fingerprint ([0-9a-f]{16,})`)

func mustReject(t *testing.T, out string, ok bool, want ...string) {
	t.Helper()
	if ok {
		t.Fatalf("push accepted, want it rejected:\n%s", out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("push output lacks %q:\n%s", w, out)
		}
	}
}

func mustAccept(t *testing.T, out string, ok bool) {
	t.Helper()
	if !ok {
		t.Fatalf("push rejected, want it accepted:\n%s", out)
	}
}

// noSecret fails the test if any output holds a secret.
func noSecret(t *testing.T, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Fatalf("output shows a secret:\n%s", out)
		}
	}
}

// TestPreReceive pushes to a real bare repository over the local and
// file:// transports with keysweep as its pre-receive hook.
func TestPreReceive(t *testing.T) {
	id, secret := gittest.FakeKey(101)
	keyFile := "aws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
	for _, transport := range []string{"local", "file"} {
		t.Run(transport, func(t *testing.T) {
			srv := newServer(t)
			url := srv.Dir
			if transport == "file" {
				url = "file://" + srv.Dir
			}
			c := newClient(t, url)
			c.Write("README", "hello\n")
			c.Commit("first")
			out, ok := push(c, "main")
			mustAccept(t, out, ok) // the initial push of a clean history

			// A push that adds a key is rejected, named, with the fix.
			c.Write("app/main.go", "package main\n")
			c.Commit("clean before")
			c.Write("config/aws.ini", keyFile)
			bad := c.Commit("add credentials")
			c.Write("app/other.go", "package main\n")
			c.Commit("clean after")
			before := srv.ref("main")
			out, ok = push(c, "main")
			mustReject(t, out, ok, "remote: keysweep: push rejected", id, "config/aws.ini:1", bad[:12], "Alice Example", "rotate it", "git rebase -i")
			noSecret(t, out, secret)
			if srv.ref("main") != before {
				t.Fatal("the rejected push moved main")
			}
			// The quarantine: git gave the hook one, and what it held is gone.
			q, _ := os.ReadFile(filepath.Join(srv.Dir, "..", "quarantine-seen"))
			if !strings.Contains(string(q), "incoming") || !strings.Contains(string(q), "quarantine-only") || srv.has(bad) {
				t.Fatalf("quarantine %q; server has the rejected commit: %v", q, srv.has(bad))
			}

			// The same push with the commit removed by a rebase is accepted.
			c.Git("rebase", "-q", "--onto", bad+"~1", bad)
			out, ok = push(c, "main")
			mustAccept(t, out, ok)
		})
	}
}

// TestPreReceiveSelection: only what the push brings is judged. History
// the server had before the hook was installed holds a key; a new branch
// of its old commits and a force push that brings no key pass, while a
// force push, a tag and a note that bring one are rejected.
func TestPreReceiveSelection(t *testing.T) {
	oldID, oldSecret := gittest.FakeKey(201)
	newID, newSecret := gittest.FakeKey(202)
	srv := newServer(t)
	srv.hook() // no hook yet: the old key gets in
	c := newClient(t, srv.Dir)
	c.Write("README", "hello\n")
	c.Commit("first")
	c.Write("legacy/creds.txt", "id "+oldID+"\nsecret "+oldSecret+"\n")
	c.Commit("legacy key")
	c.Write("README", "hello again\n")
	c.Commit("third")
	c.Write("README", "hello once more\n")
	c.Commit("fourth")
	out, ok := push(c, "main")
	mustAccept(t, out, ok)
	srv.hook("--fail-on", "high")

	// A new branch of old commits (one that is no ref's tip) brings nothing.
	out, ok = push(c, "HEAD~1:refs/heads/old")
	mustAccept(t, out, ok)
	// Editing the file that holds the old key, and moving it, bring no key.
	c.Write("legacy/creds.txt", "id "+oldID+"\nsecret "+oldSecret+"\nmore\n")
	c.Commit("edit around the old key")
	c.Move("legacy/creds.txt", "legacy/moved.txt")
	c.Commit("move it")
	out, ok = push(c, "main")
	mustAccept(t, out, ok)
	noSecret(t, out, oldSecret)

	// A force push that adds a key is rejected; one without is accepted.
	c.Git("reset", "-q", "--hard", "HEAD~1")
	c.Write("new/creds.txt", "id "+newID+"\nsecret "+newSecret+"\n")
	c.Commit("rewrite with a key")
	out, ok = push(c, "--force", "main")
	mustReject(t, out, ok, newID, "new/creds.txt")
	if strings.Contains(out, oldID) {
		t.Errorf("the force push was judged on the old key too:\n%s", out)
	}
	c.Git("reset", "-q", "--hard", "HEAD~1")
	c.Write("clean.txt", "clean\n")
	c.Commit("rewrite without")
	out, ok = push(c, "--force", "main")
	mustAccept(t, out, ok)

	// A deletion brings nothing.
	out, ok = push(c, ":refs/heads/old")
	mustAccept(t, out, ok)

	// An annotated tag whose message holds a key.
	c.Git("tag", "-a", "v1", "-m", "release\n\nid "+newID+"\nsecret "+newSecret)
	out, ok = push(c, "refs/tags/v1")
	mustReject(t, out, ok, newID, ".git/tags/v1/message")
	// A lightweight tag of a pushed commit brings nothing new.
	c.Git("tag", "v1-light")
	out, ok = push(c, "refs/tags/v1-light")
	mustAccept(t, out, ok)

	// A note holding a key.
	c.Git("notes", "add", "-m", "deploy with "+newID+" / "+newSecret, "HEAD")
	out, ok = push(c, "refs/notes/commits")
	mustReject(t, out, ok, newID)
	noSecret(t, out, oldSecret, newSecret)
}

// TestPreReceiveSettingsFromServer: a push that adds a key and the
// .keysweepignore entry accepting it is still rejected: settings come from
// the default branch as the server has it. Once that entry is on the
// server, the same key passes.
func TestPreReceiveSettingsFromServer(t *testing.T) {
	id, secret := gittest.FakeKey(301)
	srv := newServer(t)
	c := newClient(t, srv.Dir)
	c.Write("README", "hello\n")
	c.Commit("first")
	out, ok := push(c, "main")
	mustAccept(t, out, ok)

	c.Write("k.txt", "id "+id+"\nsecret "+secret+"\n")
	c.Commit("key")
	out, ok = push(c, "main")
	mustReject(t, out, ok, id)
	m := fingerprintRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no fingerprint in:\n%s", out)
	}
	c.Write(".keysweepignore", m[1]+" # reviewed: a test key\n")
	c.Commit("ignore my own key")
	out, ok = push(c, "main")
	mustReject(t, out, ok, id)

	// The ignore entry reaches the server's default branch on its own.
	c.Git("reset", "-q", "--hard", "HEAD~2")
	c.Write(".keysweepignore", m[1]+" # reviewed: a test key\n")
	c.Commit("ignore")
	out, ok = push(c, "main")
	mustAccept(t, out, ok)
	c.Write("k.txt", "id "+id+"\nsecret "+secret+"\n")
	c.Commit("key, accepted on the server")
	out, ok = push(c, "main")
	mustAccept(t, out, ok)
}

// TestPreReceiveBypass: a push option lets a reviewed key through only
// where the server allows bypass, and the bypass is recorded.
func TestPreReceiveBypass(t *testing.T) {
	id, secret := gittest.FakeKey(401)
	audit := filepath.Join(t.TempDir(), "audit.log")
	t.Setenv("GL_USERNAME", "carol") // as GitLab names the pusher to its hooks
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprint("allow=", allow), func(t *testing.T) {
			flags := []string{"--audit-log", audit}
			if allow {
				flags = append(flags, "--allow-bypass")
			}
			srv := newServer(t, flags...)
			c := newClient(t, srv.Dir)
			c.Write("README", "hello\n")
			c.Commit("first")
			out, ok := push(c, "main")
			mustAccept(t, out, ok)
			c.Write("k.txt", "id "+id+"\nsecret "+secret+"\n")
			c.Commit("key")
			out, ok = push(c, "main")
			mustReject(t, out, ok, id)
			fp := fingerprintRE.FindStringSubmatch(out)[1]

			out, ok = push(c, "-o", "keysweep.allow="+fp+":reviewed test fixture", "main")
			if !allow {
				mustReject(t, out, ok, "does not allow bypass")
				if _, err := os.Stat(audit); err == nil {
					t.Fatal("an audit record without a bypass")
				}
				return
			}
			mustAccept(t, out, ok)
			if !strings.Contains(out, "bypass by") || !strings.Contains(out, "reviewed test fixture") {
				t.Errorf("no bypass line:\n%s", out)
			}
			b, err := os.ReadFile(audit)
			if err != nil {
				t.Fatal(err)
			}
			var rec map[string]any
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatalf("audit log %q: %v", b, err)
			}
			if rec["fingerprint"] != fp || rec["reason"] != "reviewed test fixture" || rec["keyId"] != id || rec["pusher"] != "carol" || rec["event"] != "bypass" {
				t.Errorf("audit record %s", b)
			}
			noSecret(t, out+string(b), secret)
		})
	}
}

// TestPreReceiveRefusals: no network in a hook, and the deadline policy.
func TestPreReceiveRefusals(t *testing.T) {
	id, secret := gittest.FakeKey(501)
	for _, c := range []struct {
		flags []string
		ok    bool
		want  string
	}{
		{[]string{"--aws"}, false, "runs offline"},
		{[]string{"--verify"}, false, "runs offline"},
		{[]string{"--deadline", "1ns"}, false, "not judged within --deadline 1ns: rejected"},
		{[]string{"--deadline", "1ns", "--on-deadline", "accept"}, true, "accepted unscanned"},
	} {
		t.Run(strings.Join(c.flags, " "), func(t *testing.T) {
			srv := newServer(t, c.flags...)
			cl := newClient(t, srv.Dir)
			cl.Write("k.txt", "id "+id+"\nsecret "+secret+"\n")
			cl.Commit("initial push of a key")
			out, ok := push(cl, "main")
			if ok != c.ok || !strings.Contains(out, c.want) {
				t.Fatalf("accepted %v, want %v, and %q in:\n%s", ok, c.ok, c.want, out)
			}
		})
	}
}

// TestPrePush: the client's hook makes the same selection before the push
// leaves: a key the remote's tracking refs already reach is not the
// push's, a new one is.
func TestPrePush(t *testing.T) {
	oldID, oldSecret := gittest.FakeKey(701)
	newID, newSecret := gittest.FakeKey(702)
	srv := newServer(t)
	srv.hook() // the server takes anything: the client's hook is under test
	c := newClient(t, srv.Dir)
	c.Write("legacy.txt", "id "+oldID+"\nsecret "+oldSecret+"\n")
	c.Commit("old key, pushed before the hook")
	out, ok := push(c, "main")
	mustAccept(t, out, ok)
	hook := filepath.Join(c.Dir, ".git", "hooks", "pre-push")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nexec '"+binary+"' pre-push \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c.Write("README", "clean\n")
	c.Commit("clean")
	out, ok = push(c, "main")
	mustAccept(t, out, ok)
	c.Write("new.txt", "id "+newID+"\nsecret "+newSecret+"\n")
	bad := c.Commit("new key")
	out, ok = push(c, "main")
	mustReject(t, out, ok, newID, "new.txt:1", bad[:12])
	if strings.Contains(out, oldID) {
		t.Errorf("the old key was judged again:\n%s", out)
	}
	noSecret(t, out, oldSecret, newSecret)
	if srv.ref("main") == bad {
		t.Fatal("the push went through")
	}
	// A new branch of pushed commits brings nothing.
	out, ok = push(c, "HEAD~1:refs/heads/topic")
	mustAccept(t, out, ok)
	// A ref pointed straight at a blob holding a key is scanned: outside
	// a quarantine nothing says the server has it.
	blob := strings.TrimSpace(c.GitInput("id "+newID+"\nsecret "+newSecret+"\n", "hash-object", "-w", "--stdin"))
	out, ok = push(c, blob+":refs/tags/blobtag")
	mustReject(t, out, ok, newID)
	noSecret(t, out, newSecret)
}

// TestPreReceiveSecretBesideOldKeyID: the server's history mentions a key
// ID alone (below fail-on); a push that adds its secret beside it brings
// a credential, not the old mention, and is rejected.
func TestPreReceiveSecretBesideOldKeyID(t *testing.T) {
	id, secret := gittest.FakeKey(721)
	srv := newServer(t)
	c := newClient(t, srv.Dir)
	c.Write("notes.txt", "the old key "+id+" was rotated\n")
	c.Commit("note")
	out, ok := push(c, "main")
	mustAccept(t, out, ok)
	c.Write("notes.txt", "the old key "+id+" was rotated\nsecret "+secret+"\n")
	c.Commit("secret beside it")
	out, ok = push(c, "main")
	mustReject(t, out, ok, id)
	noSecret(t, out, secret)
}

// TestPreReceiveTagChain: a commit behind more annotated tags than the
// hook follows is not passed unseen: the push is judged partial.
func TestPreReceiveTagChain(t *testing.T) {
	id, secret := gittest.FakeKey(711)
	srv := newServer(t)
	c := newClient(t, srv.Dir)
	c.Write("README", "hello\n")
	c.Commit("first")
	out, ok := push(c, "main")
	mustAccept(t, out, ok)
	c.Git("checkout", "-q", "-b", "side")
	c.Write("deploy.env", "id "+id+"\nsecret "+secret+"\n")
	c.Commit("key")
	prev := "HEAD"
	for i := 1; i <= 11; i++ {
		name := fmt.Sprintf("t%d", i)
		c.Git("tag", "-a", name, "-m", name, prev)
		prev = name
	}
	out, ok = push(c, "refs/tags/t11")
	mustReject(t, out, ok)
	noSecret(t, out, secret)
	if srv.has(strings.TrimSpace(c.Git("rev-parse", "t11"))) {
		t.Fatal("the tag chain reached the server")
	}
}

// TestPreReceiveOutput: a key ID alone does not block at the default
// fail-on but is noted; a hostile path is escaped, never printed raw.
func TestPreReceiveOutput(t *testing.T) {
	idOnly, _ := gittest.FakeKey(801)
	id, secret := gittest.FakeKey(802)
	srv := newServer(t)
	c := newClient(t, srv.Dir)
	c.Write("ids.txt", "the key "+idOnly+" was rotated\n")
	c.Commit("a key ID alone")
	out, ok := push(c, "main")
	mustAccept(t, out, ok)
	if !strings.Contains(out, "below fail-on high, not blocking: "+idOnly+" in ids.txt") {
		t.Errorf("no note of the key ID:\n%s", out)
	}
	c.Write("evil\x1b]0;owned\x07.txt", "id "+id+"\nsecret "+secret+"\n")
	c.Commit("hostile name")
	out, ok = push(c, "main")
	mustReject(t, out, ok, id)
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("a control character reached the pusher's terminal:\n%q", out)
	}
	noSecret(t, out, secret)
}

// TestPreReceiveKnownKeys: offline, a complete inventory kept on the
// server still classifies keys: its active key rejects the push as
// critical; a key of its account it lacks is deleted (not in account,
// medium) and only noted at fail-on high.
func TestPreReceiveKnownKeys(t *testing.T) {
	active, activeSecret := gittest.FakeKeyIn("123456789012", 1)
	gone, goneSecret := gittest.FakeKeyIn("123456789012", 2)
	inv := filepath.Join(t.TempDir(), "keys.json")
	doc := `{"AccessKeyMetadata":[{"UserName":"ci","AccessKeyId":"` + active + `","Status":"Active","CreateDate":"2024-01-01T00:00:00Z"}]}`
	if err := os.WriteFile(inv, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, "--known-keys", inv, "--known-keys-complete")
	c := newClient(t, srv.Dir)
	c.Write("README", "hello\n")
	c.Commit("first")
	out, ok := push(c, "main")
	mustAccept(t, out, ok)

	c.Write("gone.txt", "id "+gone+"\nsecret "+goneSecret+"\n")
	c.Commit("a deleted key")
	out, ok = push(c, "main")
	mustAccept(t, out, ok)
	if !strings.Contains(out, "not blocking: "+gone) {
		t.Errorf("the deleted key is not noted:\n%s", out)
	}
	c.Write("active.txt", "id "+active+"\nsecret "+activeSecret+"\n")
	c.Commit("an active key")
	out, ok = push(c, "main")
	mustReject(t, out, ok, active+" (critical, active)")
	noSecret(t, out, activeSecret, goneSecret)
}

// hookTime is how long keysweep ran in the server's last hook.
func (s *server) hookTime() time.Duration {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir, "..", "hook-ns"))
	if err != nil {
		s.t.Fatal(err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		s.t.Fatal(err)
	}
	return time.Duration(ns)
}

// TestPreReceiveCost is the push benchmark: real pushes of 1 and 10
// commits onto a large generated repository, the hook's process timed
// (start, settings, scan, verdict), and the initial push of that
// repository into an empty one, which ends at --deadline by the policy.
func TestPreReceiveCost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "big.git")
	start := time.Now()
	m, err := repogen.Generate(context.Background(), dir, repogen.Options{Commits: 5000, Bare: true, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d commits in %v", m.Commits, time.Since(start).Round(time.Millisecond))
	srv := &server{t: t, Dir: dir, git: gittest.At(t, dir)}
	work := filepath.Join(t.TempDir(), "work")
	if out, err := exec.Command("git", "clone", "-q", "--branch", "main", dir, work).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	c := gittest.At(t, work)
	srv.hook("--deadline", "4s")
	for _, n := range []int{1, 10} {
		best := time.Hour
		for round := range 3 {
			for i := range n {
				c.Write(fmt.Sprintf("pushed/%d.txt", i), fmt.Sprintf("round %d of %d commits, change %d\n", round, n, i))
				c.Commit(fmt.Sprintf("push %d/%d", i+1, n))
			}
			out, ok := push(c, "main")
			mustAccept(t, out, ok)
			best = min(best, srv.hookTime())
		}
		t.Logf("push of %d commit(s) onto %d: keysweep pre-receive ran %v (best of 3)", n, m.Commits, best.Round(time.Millisecond))
		// The budget is 0.3 s on git/git, on an idle machine; this one is
		// shared and loaded.
		if best > 1500*time.Millisecond {
			t.Errorf("a push of %d commit(s) took %v", n, best)
		}
	}

	// The initial push of the whole history into an empty server.
	empty := newServer(t, "--deadline", "300ms")
	c.Git("remote", "add", "empty", empty.Dir)
	out, err := c.TryGit("push", "empty", "main")
	if err == nil || !strings.Contains(out, "not judged within --deadline 300ms: rejected") {
		t.Fatalf("initial push with a deadline: %v\n%s", err, out)
	}
	if took := empty.hookTime(); took > 3*time.Second {
		t.Errorf("the 300ms deadline ended the hook after %v", took)
	} else {
		t.Logf("initial push of %d commits: rejected at the deadline after %v", m.Commits, took.Round(time.Millisecond))
	}
}
