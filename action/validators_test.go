package action

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/internal/mototest"
)

// sarifDirEnv names a directory where TestSARIFForValidators also leaves
// the SARIF it produced, for .ci/run to hand to the SARIF Multitool
// (GitHub's own validator). The test asserts the same either way.
const sarifDirEnv = "KEYSWEEP_SARIF_DIR"

// TestSARIFForValidators produces the two SARIF files the job writes in
// real use, with every kind of content the validators should see: a pull
// request that leaks a live key (git history, with the inventory from
// moto), and a scheduled audit whose account checks fail against moto and
// one of which cannot run (EC2 refused by a proxy).
func TestSARIFForValidators(t *testing.T) {
	out := os.Getenv(sarifDirEnv)
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	t.Run("history", func(t *testing.T) {
		moto, roleARN, live := motoAccount(t)
		repo := history(t)
		payload, _, _, merge := openPullRequest(t, repo, func() {
			repo.Write("deploy/env", live.file())
			repo.Commit("deploy settings")
			repo.Write("docs/example.md", "Example: "+newKey.id+"\n")
			repo.Commit("docs")
		})
		r, _ := oidcRunner(t, moto, repo, "pull_request", payload, roleARN)
		r.env["GITHUB_SHA"] = merge
		r.env["GITHUB_REF"] = "refs/pull/7/merge"
		r.secrets = append(r.secrets, live)
		r.run()
		r.wantCode(1)
		log := sarifLog(t, r)
		if len(log.Runs) != 1 || len(log.Runs[0].Results) < 2 {
			t.Fatalf("want one history run with the leaks: %+v", log.Runs)
		}
		distinctFingerprints(t, log)
		save(t, out, "history.sarif", r)
	})

	t.Run("account", func(t *testing.T) {
		moto, roleARN, _ := motoAccount(t)
		repo := history(t)
		proxy := moto.Proxy(t, func(w http.ResponseWriter, c *mototest.Call) bool {
			if c.Action == "DescribeSecurityGroups" {
				mototest.WriteError(w, http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation.")
				return true
			}
			return false
		})
		r, _ := oidcRunner(t, moto, repo, "schedule", map[string]any{}, roleARN)
		t.Setenv("AWS_ENDPOINT_URL", proxy.URL)
		r.run()
		r.wantCode(1)
		log := sarifLog(t, r)
		if len(log.Runs) != 2 {
			t.Fatalf("%d runs, want history and account", len(log.Runs))
		}
		account := log.Runs[1]
		if len(account.Results) == 0 {
			t.Fatal("no failed account check against a fresh moto account")
		}
		for _, res := range account.Results {
			if res.Properties.State != "fail" {
				t.Errorf("account result %s in state %q: only failures are results", res.RuleID, res.Properties.State)
			}
		}
		var couldNot []string
		for _, n := range account.Invocations[0].Notifications {
			if strings.Contains(n.Message.Text, "could not run") {
				couldNot = append(couldNot, n.Message.Text)
			}
		}
		if len(couldNot) == 0 {
			t.Errorf("the refused EC2 check is not a tool notification: %+v", account.Invocations[0].Notifications)
		}
		if sum := r.file("summary"); !strings.Contains(sum, "### Could not check") || !strings.Contains(sum, "could not run") && !strings.Contains(sum, "UnauthorizedOperation") {
			t.Errorf("summary does not say what could not run:\n%s", sum)
		}
		distinctFingerprints(t, log)
		save(t, out, "account.sarif", r)
	})
}

type sarifDoc struct {
	Runs []struct {
		Results []struct {
			RuleID              string            `json:"ruleId"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Properties          struct {
				State string `json:"state"`
			} `json:"properties"`
		} `json:"results"`
		Invocations []struct {
			Notifications []struct {
				Level   string `json:"level"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

func sarifLog(t *testing.T, r *runner) sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal([]byte(r.file("keysweep.sarif")), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func distinctFingerprints(t *testing.T, d sarifDoc) {
	t.Helper()
	for i, run := range d.Runs {
		seen := map[string]bool{}
		for _, res := range run.Results {
			fp := res.PartialFingerprints["primaryLocationLineHash"]
			if fp == "" || seen[fp] {
				t.Errorf("run %d: result %s fingerprint %q missing or repeated", i, res.RuleID, fp)
			}
			seen[fp] = true
		}
	}
}

func save(t *testing.T, dir, name string, r *runner) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(r.file("keysweep.sarif")), 0o644); err != nil {
		t.Fatal(err)
	}
}
