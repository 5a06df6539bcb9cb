package gitscan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/gittest"
)

// want is one leak a case must produce.
type want struct {
	key, path string
	// commit is the name of the commit (as returned by the build step)
	// that must be named as introducing the key.
	commit       string
	line, col    int
	inHead       bool
	secret       bool
	minCommits   int
	otherPaths   []string
	skipPosition bool
}

type historyCase struct {
	name string
	// build makes the repository and returns named commit hashes.
	build func(r *gittest.Repo) map[string]string
	want  []want
	// absent keys must not be reported.
	absent []string
}

func envFile(id, secret string) string {
	return "AWS_ACCESS_KEY_ID=" + id + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n"
}

func historyCases() []historyCase {
	k1, s1 := gittest.FakeKey(1)
	k2, s2 := gittest.FakeKey(2)
	k3, s3 := gittest.FakeKey(3)
	k4, _ := gittest.FakeKey(4)
	k5, s5 := gittest.FakeKey(5)
	k6, s6 := gittest.FakeKey(6)
	k7, s7 := gittest.FakeKey(7)
	k8, s8 := gittest.FakeKey(8)
	k9, s9 := gittest.FakeKey(9)
	k10, _ := gittest.FakeKey(10)
	k11, s11 := gittest.FakeKey(11)
	k12, s12 := gittest.FakeKey(12)
	big := strings.Repeat("lorem ipsum dolor sit amet, consectetur adipiscing elit\n", 60000) // ~3.4 MB
	minified := strings.Repeat("var a=function(b){return b+1};", 3400)                        // ~100k chars, one line
	return []historyCase{
		{
			name: "added then deleted",
			build: func(r *gittest.Repo) map[string]string {
				r.Write("README.md", "hello\n")
				c0 := r.Commit("init")
				r.Write("config/.env", "# settings\n"+envFile(k1, s1))
				c1 := r.Commit("add env")
				r.Remove("config/.env")
				r.Commit("remove env")
				return map[string]string{"init": c0, "add": c1}
			},
			want: []want{{key: k1, path: "config/.env", commit: "add", line: 2, col: 19, secret: true, minCommits: 1}},
		},
		{
			name: "unmerged branch",
			build: func(r *gittest.Repo) map[string]string {
				r.Write("a.txt", "a\n")
				r.Commit("init")
				r.Git("checkout", "-q", "-b", "feature")
				r.Write("deploy.sh", "export AWS_ACCESS_KEY_ID="+k2+"\nexport AWS_SECRET_ACCESS_KEY="+s2+"\n")
				c := r.Commit("deploy")
				r.Git("checkout", "-q", "main")
				return map[string]string{"feature": c}
			},
			want: []want{{key: k2, path: "deploy.sh", commit: "feature", line: 1, col: 26, secret: true}},
		},
		{
			name: "only behind a tag",
			build: func(r *gittest.Repo) map[string]string {
				r.Write("a.txt", "a\n")
				r.Commit("init")
				r.Git("checkout", "-q", "-b", "release")
				r.Write("creds.json", `{"AccessKeyId": "`+k3+`", "SecretAccessKey": "`+s3+`"}`)
				c := r.Commit("release")
				r.Git("tag", "-a", "v1.0", "-m", "release")
				r.Git("checkout", "-q", "main")
				r.Git("branch", "-D", "release")
				return map[string]string{"tagged": c}
			},
			want: []want{{key: k3, path: "creds.json", commit: "tagged", line: 1, col: 18, secret: true}},
		},
		{
			name: "merge resolution",
			build: func(r *gittest.Repo) map[string]string {
				r.Write("settings.ini", "[default]\nregion = us-east-1\n")
				r.Commit("init")
				r.Git("checkout", "-q", "-b", "side")
				r.Write("settings.ini", "[default]\nregion = eu-west-1\n")
				r.Commit("side")
				r.Git("checkout", "-q", "main")
				r.Write("settings.ini", "[default]\nregion = us-west-2\n")
				r.Commit("main")
				if _, err := r.TryGit("merge", "-q", "side", "-m", "merge"); err == nil {
					panic("merge was expected to conflict")
				}
				// The resolution holds content neither parent has: only the
				// merge commit introduces the key.
				r.Write("settings.ini", "[default]\nregion = us-west-2\naws_access_key_id = "+k12+"\naws_secret_access_key = "+s12+"\n")
				return map[string]string{"merge": r.Commit("merge side")}
			},
			want: []want{{key: k12, path: "settings.ini", commit: "merge", line: 3, col: 21, secret: true, inHead: true}},
		},
		{
			name: "renamed later",
			build: func(r *gittest.Repo) map[string]string {
				r.Write("old/name.tf", "access_key = \""+k5+"\"\nsecret_key = \""+s5+"\"\n")
				c := r.Commit("add")
				r.Move("old/name.tf", "new/name.tf")
				c2 := r.Commit("rename")
				return map[string]string{"add": c, "rename": c2}
			},
			want: []want{
				{key: k5, path: "old/name.tf", commit: "add", line: 1, col: 15, secret: true, otherPaths: []string{"new/name.tf"}},
				{key: k5, path: "new/name.tf", commit: "rename", line: 1, col: 15, secret: true, inHead: true, otherPaths: []string{"old/name.tf"}},
			},
		},
		{
			name: "rotated in place",
			build: func(r *gittest.Repo) map[string]string {
				r.Write("app.py", "KEY = '"+k6+"'\nSECRET = '"+s6+"'\n")
				c1 := r.Commit("add")
				r.Write("app.py", "KEY = '"+k7+"'\nSECRET = '"+s7+"'\n")
				c2 := r.Commit("rotate")
				return map[string]string{"old": c1, "new": c2}
			},
			want: []want{
				{key: k6, path: "app.py", commit: "old", line: 1, col: 8, secret: true},
				{key: k7, path: "app.py", commit: "new", line: 1, col: 8, secret: true, inHead: true},
			},
		},
		{
			name: "end of a multi-MB file",
			build: func(r *gittest.Repo) map[string]string {
				r.Write("data/big.txt", big)
				r.Commit("big")
				r.Write("data/big.txt", big+"aws_access_key_id = "+k8+"\naws_secret_access_key = "+s8)
				c := r.Commit("append")
				return map[string]string{"append": c}
			},
			want: []want{{key: k8, path: "data/big.txt", commit: "append", line: 60001, col: 21, secret: true, inHead: true}},
		},
		{
			name: "minified 100k-char line",
			build: func(r *gittest.Repo) map[string]string {
				r.Write("dist/app.min.js", minified+`var c={accessKeyId:"`+k9+`",secretAccessKey:"`+s9+`"};`+minified)
				c := r.Commit("build")
				return map[string]string{"build": c}
			},
			want: []want{{key: k9, path: "dist/app.min.js", commit: "build", line: 1, col: len(minified) + 21, secret: true, inHead: true}},
		},
		{
			name: "CRLF and non-ASCII path",
			build: func(r *gittest.Repo) map[string]string {
				r.Write("docs/clés/配置.env", "# ünïcode\r\nAWS_ACCESS_KEY_ID="+k11+"\r\nAWS_SECRET_ACCESS_KEY="+s11+"\r\n")
				c := r.Commit("crlf")
				return map[string]string{"crlf": c}
			},
			want: []want{{key: k11, path: "docs/clés/配置.env", commit: "crlf", line: 2, col: 19, secret: true, inHead: true}},
		},
		{
			name: "key ID alone in prose",
			build: func(r *gittest.Repo) map[string]string {
				r.Write("NOTES.md", "We rotated "+k10+" last week, see the ticket.\n")
				c := r.Commit("notes")
				return map[string]string{"notes": c}
			},
			want: []want{{key: k10, path: "NOTES.md", commit: "notes", line: 1, col: 12, inHead: true}},
		},
		{
			name: "look-alikes are not findings",
			build: func(r *gittest.Repo) map[string]string {
				b64 := "TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsu" + k4 + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"
				r.Write("docs/example.md", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
				r.Write("iam.json", `{"UserId": "AIDAJQABLZS4A3QDU576Q", "RoleId": "AROAJQABLZS4A3QDU576Q"}`+"\n")
				r.Write("hashes.txt", "commit 3f786850e387550fdab836ed7e6dc881de23001b\nsha1 = \"da39a3ee5e6b4b0d3255bfef95601890afd80709\"\n")
				r.Write("blob.b64", b64+"\n")
				r.Commit("lookalikes")
				return nil
			},
			absent: []string{"AKIAIOSFODNN7EXAMPLE", k4},
		},
	}
}

func TestHistoryCases(t *testing.T) {
	for _, packed := range []bool{false, true} {
		for _, tc := range historyCases() {
			name := tc.name + "/loose"
			if packed {
				name = tc.name + "/packed"
			}
			t.Run(name, func(t *testing.T) {
				r := gittest.New(t)
				commits := tc.build(r)
				if packed {
					r.Repack()
					assertPacked(t, r.Dir)
				}
				res, err := Scan(context.Background(), r.Dir, Options{})
				if err != nil {
					t.Fatalf("Scan: %v", err)
				}
				if len(res.Skipped) > 0 {
					t.Fatalf("skipped objects in an intact repository: %v", res.Skipped)
				}
				checkLeaks(t, res.Leaks, tc.want, commits)
				for _, a := range tc.absent {
					for _, l := range res.Leaks {
						if l.KeyID == a {
							t.Errorf("reported %s at %s, which is not a credential", a, l.Path)
						}
					}
				}
				if len(tc.want) == 0 && len(res.Leaks) > 0 {
					t.Errorf("want no leaks, got %d: first %s at %s", len(res.Leaks), res.Leaks[0].KeyID, res.Leaks[0].Path)
				}
			})
		}
	}
}

func assertPacked(t *testing.T, dir string) {
	t.Helper()
	loose, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "??", "*"))
	if len(loose) > 0 {
		t.Fatalf("repack left %d loose objects", len(loose))
	}
}

func checkLeaks(t *testing.T, got []finding.Leak, wants []want, commits map[string]string) {
	t.Helper()
	for _, w := range wants {
		var l *finding.Leak
		for i := range got {
			if got[i].KeyID == w.key && got[i].Path == w.path {
				l = &got[i]
			}
		}
		if l == nil {
			t.Errorf("missing %s at %s; got %s", w.key, w.path, summarize(got))
			continue
		}
		if c := commits[w.commit]; l.Commit != c {
			t.Errorf("%s at %s: introduced by %s, want %s (%s)", w.key, w.path, l.Commit, c, w.commit)
		}
		if !w.skipPosition && (l.Line != w.line || l.Column != w.col) {
			t.Errorf("%s at %s: line:col %d:%d, want %d:%d", w.key, w.path, l.Line, l.Column, w.line, w.col)
		}
		if l.InHead != w.inHead {
			t.Errorf("%s at %s: inHead %v, want %v", w.key, w.path, l.InHead, w.inHead)
		}
		if l.Secret.IsZero() == w.secret {
			t.Errorf("%s at %s: secret found %v, want %v", w.key, w.path, !l.Secret.IsZero(), w.secret)
		}
		if l.Commits < max(1, w.minCommits) {
			t.Errorf("%s at %s: commits %d, want >= %d", w.key, w.path, l.Commits, max(1, w.minCommits))
		}
		if w.otherPaths != nil && l.OtherPaths != len(w.otherPaths) {
			t.Errorf("%s at %s: %d other paths, want %v", w.key, w.path, l.OtherPaths, w.otherPaths)
		}
		if l.Author != "Alice Example" || l.Date.IsZero() {
			t.Errorf("%s at %s: author %q date %v", w.key, w.path, l.Author, l.Date)
		}
	}
	if len(got) != len(wants) {
		t.Errorf("got %d leaks, want %d: %s", len(got), len(wants), summarize(got))
	}
}

func summarize(ls []finding.Leak) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.KeyID + "@" + l.Path + " ")
	}
	return b.String()
}

func TestNotARepository(t *testing.T) {
	dir := t.TempDir()
	_, err := Scan(context.Background(), dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Fatalf("want 'not a git repository', got %v", err)
	}
	if _, err := Scan(context.Background(), filepath.Join(dir, "nope"), Options{}); err == nil {
		t.Fatal("scan of a missing directory succeeded")
	}
	_ = os.Remove(dir)
}
