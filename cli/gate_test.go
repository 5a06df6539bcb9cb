package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/gittest"
)

// With --since REV the settings and suppressions are REV's, read from git
// objects: an ignore entry or a config the range adds, committed or only
// in the working tree, decides nothing; one already at REV does.
func TestSinceReadsSettingsFromTheBase(t *testing.T) {
	key, secret := "AKIA"+"Q3SINCEBASEKEY22", "c2luY2ViYXNla2V5c2VjcmV0c2luY2ViYXNl"+"KEY2"
	creds := "aws_access_key_id = " + key + "\naws_secret_access_key = " + secret + "\n"
	ignore := finding.KeyFingerprint(key) + " # accepted test key\n"

	r := gittest.New(t)
	r.Write("README.md", "x\n")
	base := r.Commit("base")
	r.Write("creds.ini", creds)
	r.Write(".keysweepignore", ignore)
	r.Write(".keysweep.yml", "exclude-paths:\n  - creds.ini\n")
	r.Commit("leak, and accept it in the same range")

	code, out, stderr := run(t, "scan", "--since", base, "--format", "json", r.Dir)
	if code != ExitFindings || !strings.Contains(out, key) {
		t.Fatalf("exit %d, want 1: the range's own ignore and config must not apply; stderr %s", code, stderr)
	}
	for _, f := range []string{".keysweep.yml", ".keysweepignore"} {
		if !strings.Contains(stderr, "keysweep: HEAD changes "+f+"; settings were read from "+base) {
			t.Errorf("stderr does not say that HEAD changes %s:\n%s", f, stderr)
		}
	}
	if strings.Contains(out+stderr, secret) {
		t.Fatal("secret in the output")
	}
	// The whole history reads the working tree, where the ignore applies.
	if code, _, stderr := run(t, "scan", r.Dir); code != ExitClean {
		t.Errorf("full scan with the working tree's ignore: exit %d, want 0; %s", code, stderr)
	}
	// Once at the base, the same ignore holds for a range after it.
	r.Write("creds.ini", "# edited\n"+creds)
	r.Write(".keysweep.yml", "")
	next := r.Git("rev-parse", "HEAD")
	r.Commit("edit")
	if code, _, stderr := run(t, "scan", "--since", next, r.Dir); code != ExitClean {
		t.Errorf("range after the reviewed ignore: exit %d, want 0; %s", code, stderr)
	}

	// An inline allow the range adds does not count; --no-inline-allow
	// ignores them everywhere.
	a := gittest.New(t)
	a.Write("README.md", "x\n")
	abase := a.Commit("base")
	a.Write("fixture.ini", "aws_access_key_id = "+key+" # keysweep:allow test fixture\naws_secret_access_key = "+secret+"\n")
	a.Commit("fixture")
	if code, out, _ := run(t, "scan", "--since", abase, a.Dir); code != ExitFindings || !strings.Contains(out, "inline keysweep:allow ignored: the reviewed commit's fixture.ini does not carry it") {
		t.Errorf("allow added by the range: exit %d, want 1:\n%s", code, out)
	}
	if code, _, _ := run(t, "scan", a.Dir); code != ExitClean {
		t.Errorf("full scan honours the allow: exit %d, want 0", code)
	}
	if code, out, _ := run(t, "scan", "--no-inline-allow", a.Dir); code != ExitFindings || !strings.Contains(out, "inline allows are switched off (--no-inline-allow)") {
		t.Errorf("--no-inline-allow: exit %d, want 1:\n%s", code, out)
	}
}

// A settings file that is a symbolic link in the commit is refused in one
// line that quotes nothing of its target.
func TestSinceRefusesSymlinkedSettings(t *testing.T) {
	r := gittest.New(t)
	if err := os.Symlink("/proc/self/environ", filepath.Join(r.Dir, ".keysweepignore")); err != nil {
		t.Fatal(err)
	}
	base := r.Commit("link")
	r.Write("x", "x\n")
	r.Commit("x")
	t.Setenv("KEYSWEEP_TEST_CANARY", "canary-value-in-environ")
	code, out, stderr := run(t, "scan", "--since", base, r.Dir)
	if code != ExitError || !strings.Contains(stderr, ":.keysweepignore is a symbolic link, not a regular file") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d stderr %q, want 2 and one line", code, stderr)
	}
	if strings.Contains(out+stderr, "canary-value") {
		t.Fatal("the link's target was read")
	}
}

func TestSinceReflogSelector(t *testing.T) {
	r := gittest.New(t)
	r.Write("a", "a\n")
	r.Commit("a")
	r.Write("creds.ini", "aws_access_key_id = AKIA"+"Q3REFLOGSELECTR2\n")
	r.Commit("b")
	r.Write("c", "c\n")
	r.Commit("c")
	code, out, stderr := run(t, "scan", "--since", "HEAD@{2}", "--fail-on", "low", r.Dir)
	if code != ExitFindings || !strings.Contains(out, "AKIAQ3REFLOGSELECTR2") {
		t.Errorf("HEAD@{2}: exit %d, want 1 (the range of the last two commits holds the key); %s", code, stderr)
	}
	if code, _, _ := run(t, "scan", "--since", "HEAD@{1}", "--fail-on", "low", r.Dir); code != ExitClean {
		t.Errorf("HEAD@{1}: exit %d, want 0 (the last commit only)", code)
	}
	code, _, stderr = run(t, "scan", "--since", "HEAD@{3}", r.Dir)
	if code != ExitError || stderr != "keysweep: --since HEAD@{3}: the reflog of HEAD only has 3 entries\n" {
		t.Errorf("HEAD@{3}: exit %d stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "scan", "--since", "main@{yesterday}", r.Dir)
	if code != ExitError || !strings.Contains(stderr, "only the reflog selector REF@{N} is supported") {
		t.Errorf("main@{yesterday}: exit %d stderr %q", code, stderr)
	}
}

// keysweep inventory --aws writes a complete inventory; scanned offline
// with it, a deleted key is "not in account", while a partial list (one
// user's keys, as aws iam list-access-keys gives) keeps it unverified.
func TestInventoryExportAgainstMoto(t *testing.T) {
	srv := moto.Get(t)
	srv.Reset(t)
	srv.Env(t)
	c := iamClient(t, "")
	active, activeSecret := motoKey(t, c, "deploy-bot", types.StatusTypeActive)
	deleted, deletedSecret := motoKey(t, c, "gone", types.StatusTypeActive)
	if _, err := c.DeleteAccessKey(context.Background(), &iam.DeleteAccessKeyInput{UserName: aws.String("gone"), AccessKeyId: &deleted}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "inventory", "--aws")
	if code != ExitClean || !strings.Contains(out, `"format": "keysweep-inventory/v1"`) || !strings.Contains(out, `"complete": true`) || !strings.Contains(out, active) {
		t.Fatalf("inventory: exit %d stderr %s\n%s", code, stderr, out)
	}
	if strings.Contains(out, deleted) {
		t.Fatal("the deleted key is in the inventory")
	}
	dir := t.TempDir()
	export, partial := filepath.Join(dir, "keys.json"), filepath.Join(dir, "partial.txt")
	if err := os.WriteFile(export, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(partial, []byte(active+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	r := gittest.New(t)
	r.Write("deploy.env", "AWS_ACCESS_KEY_ID="+active+"\nAWS_SECRET_ACCESS_KEY="+activeSecret+"\n")
	r.Write("gone.ini", "aws_access_key_id = "+deleted+"\naws_secret_access_key = "+deletedSecret+"\n")
	r.Commit("keys")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"export", []string{"--known-keys", export}, "is no longer in account 123456789012 (deleted)"},
		{"partial list", []string{"--known-keys", partial}, "could not be verified (not in the known-keys list, which is not declared complete"},
		{"partial list declared complete", []string{"--known-keys", partial, "--known-keys-complete"}, "is no longer in account 123456789012 (deleted)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := run(t, append([]string{"scan", r.Dir}, c.args...)...)
			if code != ExitFindings || !strings.Contains(out, "key "+deleted+" with its secret "+c.want) || !strings.Contains(out, active) {
				t.Errorf("exit %d stderr %s\n%s", code, stderr, out)
			}
		})
	}
	if code, _, stderr := run(t, "inventory"); code != ExitError || !strings.Contains(stderr, "pass --aws") {
		t.Errorf("inventory without --aws: exit %d %q", code, stderr)
	}
	if code, _, stderr := run(t, "scan", r.Dir, "--known-keys-complete"); code != ExitError || !strings.Contains(stderr, "give --known-keys FILE") {
		t.Errorf("--known-keys-complete alone: exit %d %q", code, stderr)
	}
}

// A repository without commits is not "no keys found": nothing was scanned.
func TestEmptyRepositoryIsNothingToScan(t *testing.T) {
	r := gittest.New(t)
	code, out, stderr := run(t, "scan", r.Dir)
	if code != ExitError || stderr != "keysweep: nothing to scan: "+r.Dir+" has no commits on any ref\n" || out != "" {
		t.Errorf("exit %d stdout %q stderr %q", code, out, stderr)
	}
}

// A truncated list-access-keys page admits missing keys: declaring it
// complete is refused rather than trusted.
func TestTruncatedKnownKeysCannotBeComplete(t *testing.T) {
	r := gittest.New(t)
	r.Write("a.ini", "aws_access_key_id = AKIA"+"Q3TRUNCATEDLIST2\n")
	r.Commit("a")
	f := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(f, []byte(`{"AccessKeyMetadata": [{"AccessKeyId": "AKIA`+`Q3OTHERLISTEDKEY", "Status": "Active"}], "IsTruncated": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "scan", r.Dir, "--known-keys", f, "--known-keys-complete")
	if code != ExitError || !strings.Contains(stderr, "is declared complete but holds a truncated aws iam list-access-keys page") {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
}

// A --since scan reads REV's settings in every layout the scan reads, and
// a full scan the working tree's: a
// sparse checkout (extensions.worktreeConfig, format version 1, what
// actions/checkout with sparse-checkout writes) and a SHA-256 repository,
// both of which go-git refused, failing the scan before it began.
func TestSinceSettingsInEveryLayout(t *testing.T) {
	accepted, acceptedSecret := gittest.FakeKey(4101)
	added, addedSecret := gittest.FakeKey(4102)
	creds := func(k, s string) string {
		return "aws_access_key_id = " + k + "\naws_secret_access_key = " + s + "\n"
	}
	layouts := map[string]func(t *testing.T) *gittest.Repo{
		"sparse checkout": func(t *testing.T) *gittest.Repo {
			r := gittest.New(t)
			r.Write("app/main.go", "package main\n")
			r.Write("docs/a.md", "a\n")
			r.Commit("init")
			r.Git("config", "core.repositoryformatversion", "1")
			r.Git("sparse-checkout", "init", "--cone")
			r.Git("sparse-checkout", "set", "app")
			if v := r.Git("config", "extensions.worktreeConfig"); v != "true" {
				t.Fatalf("extensions.worktreeConfig = %q", v)
			}
			return r
		},
		"sha256": func(t *testing.T) *gittest.Repo {
			return gittest.New(t, "--object-format=sha256")
		},
	}
	for name, layout := range layouts {
		t.Run(name, func(t *testing.T) {
			r := layout(t)
			r.Write(".keysweepignore", finding.KeyFingerprint(accepted)+" # accepted test key\n")
			base := r.Commit("accept a key")
			r.Write("app/creds.ini", creds(accepted, acceptedSecret))
			r.Commit("commit the accepted key")
			// The base's ignore applies to the range: the scan is clean,
			// which it can only be if the settings were read from base.
			code, out, stderr := run(t, "scan", "--since", base, "--fail-on", "low", r.Dir)
			if code != ExitClean {
				t.Fatalf("accepted at the base: exit %d, want 0; stdout %s stderr %s", code, out, stderr)
			}
			// An ignore the range adds for its own key does not.
			r.Write("app/more.ini", creds(added, addedSecret))
			r.Write(".keysweepignore", finding.KeyFingerprint(accepted)+" # accepted test key\n"+finding.KeyFingerprint(added)+" # self-accepted\n")
			r.Commit("leak, and accept it in the same range")
			code, out, stderr = run(t, "scan", "--since", base, "--fail-on", "low", "--format", "json", r.Dir)
			if code != ExitFindings || !strings.Contains(out, added) {
				t.Fatalf("ignore added by the range: exit %d, want 1 naming %s; stderr %s", code, added, stderr)
			}
			if !strings.Contains(stderr, "keysweep: HEAD changes .keysweepignore; settings were read from "+base) {
				t.Errorf("stderr does not say that HEAD changes .keysweepignore:\n%s", stderr)
			}
			if strings.Contains(out+stderr, acceptedSecret) || strings.Contains(out+stderr, addedSecret) {
				t.Fatal("secret in the output")
			}
			// The whole history reads the working tree's settings, found
			// in this layout too: both keys are accepted there.
			if code, out, stderr := run(t, "scan", "--fail-on", "low", r.Dir); code != ExitClean {
				t.Errorf("full scan with the working tree's ignore: exit %d, want 0; stdout %s stderr %s", code, out, stderr)
			}
		})
	}
}
