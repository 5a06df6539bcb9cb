package action

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/contain"
	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/internal/safefile"
	"github.com/keysweep/keysweep/scan"
)

// ContainAudit is where the action writes the audit records of a
// containment run (a JSON array), in the workspace.
const ContainAudit = "keysweep-contain.json"

// containEvents are the only events on which the action contains keys: a
// schedule or a person asking, never a pull request or a push, whose
// author could otherwise turn a workflow into a way to disable keys.
var containEvents = []string{"schedule", "workflow_dispatch"}

// contain runs the containment the contain input names on every live,
// unsuppressed key of the report, with the contain role (assumed through
// OIDC), never the scanning role. It returns how many keys were contained
// and whether a containment failed.
func (r *run) contain(ctx context.Context, rep *finding.Report, in inputs, eventName string) (int, bool) {
	if in.Contain == "" {
		return 0, false
	}
	if !slices.Contains(containEvents, eventName) {
		r.gha.Warningf("%s", escape.Text(fmt.Sprintf("contain: %s is ignored on %s events: containment runs only on schedule and workflow_dispatch", in.Contain, eventName)))
		return 0, false
	}
	var ids []string
	seen := map[string]bool{}
	for _, k := range rep.Keys {
		if k.Suppressed == nil && (k.Status == finding.StatusActive || k.Status == finding.StatusLive) && !seen[k.KeyID] {
			seen[k.KeyID] = true
			ids = append(ids, k.KeyID)
		}
	}
	if len(ids) == 0 {
		r.gha.Infof("contain: no live key to %s", in.Contain)
		return 0, false
	}
	cfg, err := scan.LoadConfig(ctx, scan.Options{Region: in.Region, RoleToAssume: in.ContainRole, Audience: in.Audience,
		GitHubActions: r.getenv("GITHUB_ACTIONS") == "true", SessionName: "keysweep-contain-" + r.getenv("GITHUB_RUN_ID")})
	if err != nil {
		r.gha.Errorf("%s", escape.Text("contain: "+oneLine(err.Error())))
		return 0, true
	}
	account, arn, err := scan.CallerIdentity(ctx, cfg)
	if err != nil {
		r.gha.Errorf("%s", escape.Text("contain: "+oneLine(err.Error())))
		return 0, true
	}
	var (
		records []contain.Record
		done    int
		failed  bool
		lines   []string
	)
	for _, id := range ids {
		rec, err := contain.Run(ctx, cfg, account, arn, contain.Request{KeyID: id, Action: in.Contain, Yes: true}, now(r.opts.Now))
		if err != nil {
			failed = true
			r.gha.Errorf("%s", escape.Text(oneLine(err.Error())))
			lines = append(lines, fmt.Sprintf("| %s | not contained | %s |", escape.Code(id), escape.Markdown(oneLine(err.Error()))))
			continue
		}
		records = append(records, rec)
		if rec.Done {
			done++
		}
		what := cmp.Or(rec.Note, rec.Before+" → "+rec.After)
		r.gha.Noticef("%s", escape.Text(fmt.Sprintf("contain: %s key %s of user %s in account %s: %s; undo: %s", in.Contain, id, rec.User, rec.Account, what, strings.Join(rec.Undo, "; "))))
		lines = append(lines, fmt.Sprintf("| %s | %s | %s; undo: %s |", escape.Code(id), escape.Markdown(string(in.Contain)), escape.Markdown(what), escape.Code(strings.Join(rec.Undo, "; "))))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(records); err == nil {
		err := safefile.WriteFile(ContainAudit, b.Bytes())
		if err == nil {
			err = giveToWorkspaceOwner(r.getenv("GITHUB_WORKSPACE"), []string{ContainAudit})
		}
		if err != nil {
			failed = true
			r.gha.Errorf("%s", escape.Text("contain: audit record: "+oneLine(err.Error())))
		}
	}
	if r.getenv("GITHUB_STEP_SUMMARY") != "" {
		r.gha.AddStepSummary(fmt.Sprintf("### Containment (%s, role %s)\n\nAudit records: %s.\n\n| Key ID | Action | Result |\n|---|---|---|\n%s\n",
			escape.Markdown(string(in.Contain)), escape.Code(arn), escape.Code(ContainAudit), strings.Join(lines, "\n")))
	}
	return done, failed
}

// now is the clock the options fix, or the time.
func now(fixed time.Time) time.Time {
	if fixed.IsZero() {
		return time.Now()
	}
	return fixed
}
