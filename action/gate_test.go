package action

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/detect"
)

// allowed is the key's file with an inline allow on the key ID's line.
func (k planted) allowed() string {
	return "[default]\naws_access_key_id = " + k.id + " # keysweep:allow test fixture\naws_secret_access_key = " + k.secret + "\n"
}

func ignoreLine(k planted) string {
	return finding.KeyFingerprint(k.id) + " # test fixture, not a real key\n"
}

// uploaded returns the one upload's SARIF.
func (r *runner) uploaded() string {
	r.t.Helper()
	ups := r.api.Uploads()
	if len(ups) != 1 {
		r.t.Fatalf("%d uploads, want 1", len(ups))
	}
	return string(ups[0].SARIF)
}

// A pull request cannot suppress its own leak: settings and suppressions
// come from the base commit, and the change is announced.
func TestPullRequestCannotSuppressItsOwnLeak(t *testing.T) {
	for _, c := range []struct {
		name, file, content string
	}{
		{"own ignore entry", ".keysweepignore", ignoreLine(newKey)},
		{"own config fail-on none", ".keysweep.yml", "fail-on: none\n"},
		{"own config exclude-paths", ".keysweep.yml", "exclude-paths:\n  - config/**\n"},
		{"own config allowed account", ".keysweep.yml", "allowed-accounts:\n  - \"" + account(t, newKey) + "\"\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			repo := history(t)
			payload, base, _, merge := openPullRequest(t, repo, func() {
				repo.Write("config/.env", newKey.file())
				repo.Write(c.file, c.content)
				repo.Commit("configure, and accept it")
			})
			r := newRunner(t, repo, "pull_request", payload)
			r.env["GITHUB_SHA"] = merge
			r.env["INPUT_CONFIG"] = "" // the default: .keysweep.yml at the root
			r.run()
			r.wantCode(1)
			r.wantLog(`::error col=\d+,file=config/\.env,line=3,`)
			r.wantLog(`(?m)^::notice file=` + regexp.QuoteMeta(c.file) + `,title=keysweep%3A suppression or setting changed::this pull request adds or changes a suppression or setting \(` + regexp.QuoteMeta(c.file) + `\); it applies after merge: this run read ` + regexp.QuoteMeta(c.file) + ` from the pull request's base \(` + base[:12] + `\)`)
			sum := r.file("summary")
			if !strings.Contains(sum, "this pull request adds or changes a suppression or setting ("+c.file+"); it applies after merge") {
				t.Errorf("summary lacks the notice:\n%s", sum)
			}
			if !strings.Contains(sum, "read from the pull request's base (`"+base[:12]+"`)") {
				t.Errorf("summary does not say where the settings came from:\n%s", sum)
			}
		})
	}
}

// The checkout's files are never read: a settings file the working tree
// changes without a commit decides nothing either.
func TestPullRequestSettingsAreNotReadFromTheWorkingTree(t *testing.T) {
	repo := history(t)
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("config/.env", newKey.file())
		repo.Commit("configure")
	})
	repo.Write(".keysweepignore", ignoreLine(newKey))
	r := newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_SHA"] = merge
	r.run()
	r.wantCode(1)
}

func TestInlineAllowAddedByAForkPullRequestFails(t *testing.T) {
	repo := history(t)
	_, base, head, merge := openPullRequest(t, repo, func() {
		repo.Write("config/.env", newKey.allowed())
		repo.Commit("configure")
	})
	r := newRunner(t, repo, "pull_request", prPayload(9, base, head, "mallory/app"))
	r.env["GITHUB_SHA"] = merge
	r.run()
	r.wantCode(1)
	r.wantLog(`::error col=\d+,file=config/\.env,line=2,`)
	r.wantLog(`inline keysweep:allow ignored: the reviewed commit's config/\.env does not carry it, so it applies after merge`)
}

// What was reviewed and merged keeps working: an ignore entry and an
// inline allow on the base still apply when the pull request touches the
// file again.
func TestSuppressionsOnTheBaseStillApply(t *testing.T) {
	repo := history(t)
	repo.Write("config/.env", newKey.file())
	repo.Write("fixtures/creds", fastKey.allowed())
	repo.Write(".keysweepignore", ignoreLine(newKey))
	repo.Commit("test fixtures, reviewed")
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("config/.env", "# edited\n"+newKey.file())
		repo.Write("fixtures/creds", fastKey.allowed()+"# edited\n")
		repo.Commit("edit both")
	})
	r := newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_SHA"] = merge
	r.run()
	r.wantCode(0)
	r.wantNoLog(`::notice file=`)
	// The pull request re-adds both keys (new blobs), so the gate saw them.
	r.wantLog(`keysweep scanned pull request #7: the commits in [0-9a-f]{12}\.\.HEAD: 2 commits, 2 blobs`)
	if up := r.uploaded(); strings.Count(up, `"suppressions"`) < 2 {
		t.Errorf("the uploaded analysis does not hold both suppressed keys:\n%s", up)
	}

	t.Run("no-inline-allow", func(t *testing.T) {
		r := newRunner(t, repo, "pull_request", payload)
		r.env["GITHUB_SHA"] = merge
		r.env["INPUT_NO-INLINE-ALLOW"] = "true"
		r.run()
		r.wantCode(1)
		r.wantLog(`::error col=\d+,file=fixtures/creds,line=2,`)
		r.wantNoLog(`::error[^\n]*file=config/\.env`) // the ignore entry still holds
	})
	t.Run("no-inline-allow on schedule", func(t *testing.T) {
		r := newRunner(t, repo, "schedule", map[string]any{})
		r.env["INPUT_NO-INLINE-ALLOW"] = "true"
		r.run()
		r.wantCode(1)
		r.wantLog(`::error col=\d+,file=fixtures/creds,line=2,`)
		r.wantLog(`inline keysweep:allow ignored: inline allows are switched off \(--no-inline-allow\)`)
	})
	t.Run("schedule honours the allow", func(t *testing.T) {
		r := newRunner(t, repo, "schedule", map[string]any{})
		r.run()
		r.wantCode(1) // the old key on main, unsuppressed
		r.wantNoLog(`file=fixtures/creds`)
		r.wantNoLog(`file=config/\.env`)
	})
}

// A settings file that is a symbolic link at the base is refused in one
// line, without its target's content.
func TestSymlinkedSettingsAtTheBaseAreRefused(t *testing.T) {
	repo := history(t)
	if err := os.Symlink("/etc/passwd", filepath.Join(repo.Dir, ".keysweep.yml")); err != nil {
		t.Fatal(err)
	}
	repo.Commit("link")
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("x.txt", "x\n")
		repo.Commit("x")
	})
	r := newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_SHA"] = merge
	r.run()
	r.wantCode(2)
	r.wantLog(`(?m)^::error title=keysweep could not run::config: [0-9a-f]{12}:\.keysweep\.yml is a symbolic link, not a regular file`)
	r.wantNoLog(`root:`)
}

func account(t *testing.T, k planted) string {
	a, ok := detect.DecodeAccount(k.id)
	if !ok {
		t.Fatalf("%s encodes no account", k.id)
	}
	return a
}

// A known-keys list that does not say it is complete never downgrades the
// keys it does not list.
func TestKnownKeysCompleteness(t *testing.T) {
	repo := history(t)
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("config/.env", newKey.file())
		repo.Commit("configure")
	})
	listed := "AKIA" + "Q3OTHERLISTEDKEY"
	exported, err := json.Marshal(map[string]any{
		"format": "keysweep-inventory/v1", "account": account(t, newKey), "complete": true,
		"keys": []map[string]any{{"id": listed, "user": "ci", "status": "Active"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	listJSON := `{"AccessKeyMetadata": [{"UserName": "me", "AccessKeyId": "` + listed + `", "Status": "Active", "CreateDate": "2024-01-01T00:00:00Z"}]}`
	for _, c := range []struct {
		name, content, complete string
		code                    int
		status                  string
	}{
		{"one ID per line", listed + "\n", "", 1, "unverified"},
		{"aws iam list-access-keys", listJSON, "", 1, "unverified"},
		// The list's keys are of another account than the committed key.
		{"one ID per line, declared complete", listed + "\n", "true", 0, "other-account"},
		{"aws iam list-access-keys, declared complete", listJSON, "true", 0, "other-account"},
		{"keysweep inventory export", string(exported), "", 0, "not-in-account"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRunner(t, repo, "pull_request", payload)
			r.env["GITHUB_SHA"] = merge
			known := filepath.Join(r.dir, "known-keys")
			if err := os.WriteFile(known, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			r.env["INPUT_KNOWN-KEYS"] = known
			r.env["INPUT_KNOWN-KEYS-COMPLETE"] = c.complete
			r.run()
			r.wantCode(c.code)
			if c.code == 1 {
				r.wantLog(`::error [^\n]*::key ` + newKey.id + ` with its secret could not be verified \(not in the known-keys list, which is not declared complete`)
			} else if c.status == "other-account" {
				r.wantLog(`::warning [^\n]*::key ` + newKey.id + ` with its secret belongs to another AWS account \(` + account(t, newKey) + `\)`)
			} else {
				r.wantLog(`::warning [^\n]*::key ` + newKey.id + ` with its secret is no longer in account ` + account(t, newKey) + ` \(deleted\)`)
			}
			if !strings.Contains(r.file("summary"), "| `"+newKey.id+"` | "+c.status+" |") {
				t.Errorf("summary does not give %s as %s:\n%s", newKey.id, c.status, r.file("summary"))
			}
		})
	}
}

// A push payload that does not say what was pushed is never taken for a
// deletion: exit 2 with one line, never exit 0 unscanned.
func TestPushPayloadWithoutAfterIsAnError(t *testing.T) {
	repo := history(t)
	head := repo.Git("rev-parse", "HEAD")
	for _, c := range []struct {
		name    string
		payload map[string]any
		noPath  bool
		want    string
	}{
		{"empty GITHUB_EVENT_PATH", map[string]any{}, true, "push event without after in GITHUB_EVENT_PATH"},
		{"{}", map[string]any{}, false, "push event without after in GITHUB_EVENT_PATH"},
		{"pull request payload", prPayload(7, head, head, "octo/app"), false, "push event without after"},
		{"after not a commit", pushPayload("refs/heads/main", head, "main", false), false, "push event: after is not a commit ID"},
		{"after zero, ref still there", pushPayload("refs/heads/main", head, zero, false), false, "push event with after all zeros \\(a deletion\\) but without deleted: true, and refs/heads/main is in the checkout"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRunner(t, repo, "push", c.payload)
			if c.noPath {
				r.env["GITHUB_EVENT_PATH"] = ""
			}
			r.run()
			r.wantCode(2)
			r.wantLog(`(?m)^::error title=keysweep could not run::` + c.want)
			if n := len(r.api.Uploads()); n != 0 {
				t.Errorf("%d uploads", n)
			}
		})
	}
	t.Run("after zero, ref gone", func(t *testing.T) {
		r := newRunner(t, repo, "push", pushPayload("refs/heads/gone", head, zero, false))
		r.run()
		r.wantCode(0)
		r.wantLog(`::notice::keysweep: nothing: the push deleted refs/heads/gone \(after is all zeros and the ref is gone\)`)
	})
}

// since: HEAD@{N} reads the reflog (go-git alone would read HEAD and scan
// an empty range); selectors it cannot read are refused in one line.
func TestSinceReflogSelector(t *testing.T) {
	repo := history(t)
	repo.Write("config/.env", newKey.file())
	repo.Commit("configure")
	repo.Write("x.txt", "x\n")
	repo.Commit("x")
	t.Run("HEAD@{2}", func(t *testing.T) {
		r := newRunner(t, repo, "workflow_dispatch", map[string]any{})
		r.env["INPUT_SINCE"] = "HEAD@{2}"
		r.run()
		r.wantCode(1)
		r.wantLog(`keysweep scanned the commits in HEAD@\{2\}\.\.HEAD \(since input\): 2 commits`)
		r.wantLog(`::error col=\d+,file=config/\.env,line=3,`)
		r.wantNoLog(`file=old/creds`)
	})
	for sel, want := range map[string]string{
		"HEAD@{99}":        `the reflog of HEAD only has \d+ entries`,
		"HEAD@{yesterday}": `only the reflog selector REF@\{N\} is supported`,
		"main@{1}~2":       `only the reflog selector REF@\{N\} is supported`,
	} {
		t.Run(sel, func(t *testing.T) {
			r := newRunner(t, repo, "workflow_dispatch", map[string]any{})
			r.env["INPUT_SINCE"] = sel
			r.run()
			r.wantCode(2)
			r.wantLog(`(?m)^::error title=keysweep could not run::[^\n]*--since ` + regexp.QuoteMeta(sel) + `: ` + want)
		})
	}
}

// A checkout that does not contain the event's commits (pull_request_target
// checks out the base by default) is refused: base..HEAD would be empty and
// pass the pull request unseen.
func TestCheckoutWithoutTheEventsCommitsIsAnError(t *testing.T) {
	repo := history(t)
	payload, base, _, _ := openPullRequest(t, repo, func() {
		repo.Write("config/.env", newKey.file())
		repo.Commit("configure")
	})
	repo.Git("checkout", "-q", "--detach", base)
	for _, event := range []string{"pull_request_target", "pull_request"} {
		t.Run(event, func(t *testing.T) {
			r := newRunner(t, repo, event, payload)
			r.run()
			r.wantCode(2)
			r.wantLog(`(?m)^::error title=keysweep could not run::HEAD [0-9a-f]{12} does not contain the pull request's head [0-9a-f]{12}, so its commits would go unjudged; check out the pull request`)
		})
	}
	t.Run("push", func(t *testing.T) {
		head := repo.Git("rev-parse", "feature")
		r := newRunner(t, repo, "push", pushPayload("refs/heads/feature", base, head, false))
		r.run()
		r.wantCode(2)
		r.wantLog(`(?m)^::error title=keysweep could not run::HEAD [0-9a-f]{12} does not contain the pushed commit`)
	})
}

// A pull request that adds keysweep with its settings file named by the
// config input is judged with no settings, and told so; not refused.
func TestConfigInputAddedByThePullRequest(t *testing.T) {
	repo := history(t)
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write(".github/keysweep.yml", "exclude-paths:\n  - config/**\n")
		repo.Write("config/.env", newKey.file())
		repo.Commit("adopt keysweep")
	})
	r := newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_SHA"] = merge
	r.env["INPUT_CONFIG"] = ".github/keysweep.yml"
	r.run()
	r.wantCode(1)
	r.wantLog(`(?m)^::notice file=\.github/keysweep\.yml,[^\n]*\(\.github/keysweep\.yml\); it applies after merge`)

	// Missing on both sides it is a mistake, and said in one line.
	r = newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_SHA"] = merge
	r.env["INPUT_CONFIG"] = ".github/nope.yml"
	r.run()
	r.wantCode(2)
	r.wantLog(`(?m)^::error title=keysweep could not run::config: \.github/nope\.yml is not in commit [0-9a-f]{12}, where the settings are read from`)
}

// A known-keys file inside the repository is read from the base as well: a
// pull request cannot declare its own key gone with a "complete" list.
func TestKnownKeysInTheRepositoryAreReadFromTheBase(t *testing.T) {
	repo := history(t)
	repo.Write("security/known-keys.txt", "AKIA"+"Q3OTHERLISTEDKEY\n")
	repo.Commit("known keys, reviewed")
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("security/known-keys.txt", `{"format": "keysweep-inventory/v1", "complete": true, "keys": []}`)
		repo.Write("config/.env", newKey.file())
		repo.Commit("configure")
	})
	r := newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_SHA"] = merge
	r.env["INPUT_KNOWN-KEYS"] = "security/known-keys.txt"
	r.run()
	r.wantCode(1)
	r.wantLog(`::error [^\n]*::key ` + newKey.id + ` with its secret could not be verified \(not in the known-keys list`)
}

// The merge queue judges the queued commits with the base's settings too.
func TestMergeQueueReadsSettingsFromItsBase(t *testing.T) {
	repo := history(t)
	base := repo.Git("rev-parse", "HEAD")
	repo.Git("checkout", "-q", "-b", "gh-readonly-queue/main/pr-7")
	repo.Write("config/.env", newKey.file())
	repo.Write(".keysweepignore", ignoreLine(newKey))
	head := repo.Commit("queued")
	r := newRunner(t, repo, "merge_group", map[string]any{"merge_group": map[string]any{"base_sha": base, "head_sha": head}})
	r.env["GITHUB_REF"] = "refs/heads/gh-readonly-queue/main/pr-7"
	r.run()
	r.wantCode(1)
	r.wantLog(`(?m)^::notice file=\.keysweepignore,[^\n]*::this change adds or changes a suppression or setting \(\.keysweepignore\); it applies after merge: this run read \.keysweepignore from the merge queue's base \(` + base[:12] + `\)`)
	if up := r.uploaded(); !strings.Contains(up, oldKey.id) || !strings.Contains(up, newKey.id) {
		t.Error("the merge queue's upload is not the full history")
	}
}

// An object of the old history that cannot be read makes the uploaded
// analysis partial, which could close its alerts: the job says so and
// fails, even though the pull request's own range read fine.
func TestPartialFullHistoryFailsThePullRequest(t *testing.T) {
	repo := history(t)
	blob := repo.Git("rev-parse", "HEAD~2:old/creds")
	payload, _, _, merge := openPullRequest(t, repo, func() {
		repo.Write("x.txt", "x\n")
		repo.Commit("x")
	})
	repo.Repack()
	repo.DropObject(blob)
	r := newRunner(t, repo, "pull_request", payload)
	r.env["GITHUB_SHA"] = merge
	r.run()
	r.wantCode(2)
	r.wantLog(`(?m)^::error::full-history analysis for code scanning: partial scan: 1 object\(s\) could not be read`)
}

// A pull request checked out sparsely (actions/checkout with
// sparse-checkout: extensions.worktreeConfig, format version 1) is planned
// and judged with its base's settings like any other: the base's ignore
// holds, the pull request's own does not.
func TestPullRequestInSparseCheckout(t *testing.T) {
	for _, c := range []struct {
		name     string
		atBase   bool
		wantCode int
	}{
		{"ignore at the base", true, 0},
		{"ignore added by the pull request", false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			repo := history(t)
			if c.atBase {
				repo.Write(".keysweepignore", ignoreLine(newKey))
				repo.Commit("accept the fixture key")
			}
			payload, base, _, merge := openPullRequest(t, repo, func() {
				repo.Write("config/.env", newKey.file())
				repo.Write(".keysweepignore", ignoreLine(newKey))
				repo.Commit("configure, and accept it")
			})
			repo.Git("config", "core.repositoryformatversion", "1")
			repo.Git("sparse-checkout", "init", "--cone")
			repo.Git("sparse-checkout", "set", "config")
			if v := repo.Git("config", "extensions.worktreeConfig"); v != "true" {
				t.Fatalf("extensions.worktreeConfig = %q", v)
			}
			r := newRunner(t, repo, "pull_request", payload)
			r.env["GITHUB_REF"] = "refs/pull/7/merge"
			r.env["GITHUB_SHA"] = merge
			r.run()
			r.wantCode(c.wantCode)
			if c.wantCode == 1 {
				r.wantLog(`::error col=\d+,file=config/\.env,line=3,`)
				r.wantLog(`this run read \.keysweepignore from the pull request's base \(` + base[:12] + `\)`)
			}
		})
	}
}
