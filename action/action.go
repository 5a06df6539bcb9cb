// Package action runs keysweep as a GitHub Action: it reads the step's
// inputs and the event that started the workflow, scans the range the event
// calls for, and reports the way a job does — masked secrets, annotations,
// a job summary, step outputs, SARIF uploaded to code scanning — with an
// exit status that fails the job on a leak (DESIGN.md, "Action contract").
package action

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/keysweep/keysweep/cli"
	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/sarif"
)

// Options are the parts of the runtime tests replace. The zero value is
// the real runner.
type Options struct {
	// HTTPClient talks to the GitHub API; nil means a client with a
	// timeout.
	HTTPClient *http.Client
	// UploadWait bounds the wait for code scanning to process an upload;
	// zero means sarif.DefaultWait. PollInterval is the pause between
	// status requests; zero means sarif.DefaultPollInterval.
	UploadWait   time.Duration
	PollInterval time.Duration
	// Now fixes the clock; zero means time.Now.
	Now time.Time
}

// Main runs the action and returns the process exit status: 0 clean, 1 a
// finding at or above fail-on, 2 the job could not be done (the reason is
// an ::error annotation). getenv reads the runner's environment: inputs
// (INPUT_*), GITHUB_* variables and the files the runner provides.
func Main(ctx context.Context, stdout, stderr io.Writer, getenv func(string) string) int {
	return MainWith(ctx, stdout, stderr, getenv, Options{})
}

// MainWith is Main with the runtime's dependencies set.
func MainWith(ctx context.Context, stdout, stderr io.Writer, getenv func(string) string, o Options) (code int) {
	gha := githubactions.New(githubactions.WithWriter(stdout), githubactions.WithGetenv(getenv))
	r := &run{gha: gha, getenv: getenv, stdout: stdout, stderr: stderr, opts: o}
	defer func() {
		// go-githubactions panics when it cannot write a command or an
		// environment file; that and any bug must still end as one line
		// and exit 2, never a stack trace in the job log.
		if p := recover(); p != nil {
			fmt.Fprintf(stdout, "::error title=keysweep::internal error: %s\n", escape(fmt.Sprint(p)))
			code = cli.ExitError
		}
	}()
	return r.main(ctx)
}

// inputs are the step's `with:` values (action.yml).
type inputs struct {
	Path          string
	Since         string
	RoleToAssume  string
	Organization  bool
	MemberRole    string
	Region        string
	Audience      string
	AccountChecks bool
	KnownKeys     string
	ConfigFile    string
	FailOn        finding.Severity
	SARIFFile     string
	UploadSARIF   bool
	Token         string
}

func readInputs(gha *githubactions.Action) (inputs, error) {
	in := inputs{
		Path:         cmp.Or(gha.GetInput("path"), "."),
		Since:        gha.GetInput("since"),
		RoleToAssume: gha.GetInput("role-to-assume"),
		MemberRole:   gha.GetInput("member-role"),
		Region:       cmp.Or(gha.GetInput("aws-region"), "us-east-1"),
		Audience:     cmp.Or(gha.GetInput("audience"), "sts.amazonaws.com"),
		KnownKeys:    gha.GetInput("known-keys"),
		ConfigFile:   gha.GetInput("config"),
		SARIFFile:    cmp.Or(gha.GetInput("sarif-file"), "keysweep.sarif"),
		Token:        gha.GetInput("token"),
	}
	var err error
	if in.AccountChecks, err = boolInput(gha, "account-checks", true); err != nil {
		return in, err
	}
	if in.UploadSARIF, err = boolInput(gha, "upload-sarif", true); err != nil {
		return in, err
	}
	if in.Organization, err = boolInput(gha, "organization", false); err != nil {
		return in, err
	}
	failOn := cmp.Or(gha.GetInput("fail-on"), "high")
	sev, err := finding.ParseSeverity(failOn)
	if err != nil || sev == finding.SeverityInfo {
		return in, fmt.Errorf("input fail-on: %q is not one of critical, high, medium, low, none", failOn)
	}
	in.FailOn = sev
	return in, nil
}

// boolInput reads a boolean the way the Actions toolkit does: YAML 1.2's
// true/True/TRUE and false/False/FALSE, nothing else.
func boolInput(gha *githubactions.Action, name string, def bool) (bool, error) {
	switch v := gha.GetInput(name); v {
	case "":
		return def, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	default:
		return false, fmt.Errorf("input %s: %q is not a boolean (true or false)", name, v)
	}
}

type run struct {
	gha    *githubactions.Action
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	opts   Options
}

func (r *run) fail(err error) int {
	msg := oneLine(err.Error())
	r.gha.WithFieldsMap(map[string]string{"title": "keysweep could not run"}).Errorf("%s", msg)
	if r.getenv("GITHUB_STEP_SUMMARY") != "" {
		r.gha.AddStepSummary("## keysweep could not run\n\n" + msg + "\n")
	}
	return cli.ExitError
}

func (r *run) main(ctx context.Context) int {
	in, err := readInputs(r.gha)
	if err != nil {
		return r.fail(err)
	}
	eventName := r.getenv("GITHUB_EVENT_NAME")
	ev, err := readEvent(r.getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return r.fail(err)
	}
	facts, err := openFacts(in.Path)
	if err != nil {
		return r.fail(err)
	}
	sc, err := planScope(eventName, ev, in.Since, r.getenv("GITHUB_REF"), facts)
	if err != nil {
		return r.fail(err)
	}
	if sc.Nothing {
		r.gha.Noticef("keysweep: %s", sc.Describe)
		r.setOutputs(0, finding.SeverityNone, "")
		return cli.ExitClean
	}

	cfg := cli.Config{
		Path:       in.Path,
		Since:      sc.Since,
		KnownKeys:  in.KnownKeys,
		ConfigFile: in.ConfigFile,
		Format:     "text",
		FailOn:     in.FailOn,
		Now:        r.opts.Now,
		AWS: cli.AWSConfig{
			RoleToAssume: in.RoleToAssume,
			Audience:     in.Audience,
			Region:       in.Region,
			Org:          in.Organization,
			MemberRole:   in.MemberRole,
		},
	}
	awsWarning := r.configureAWS(&cfg, in, sc)

	// The pipeline's log is held back until every secret it found has
	// been registered with ::add-mask::, so nothing reaches the job log
	// before the runner knows what to hide.
	var log bytes.Buffer
	rep, err := cli.Run(ctx, cfg, &log)
	if rep != nil {
		r.mask(rep)
	}
	for _, n := range sc.Notices {
		r.gha.Noticef("%s", n)
	}
	if awsWarning != "" {
		r.gha.Warningf("%s", awsWarning)
	}
	if err != nil {
		// gitscan's errors, the shallow clone's among them, already
		// carry the fix (fetch-depth: 0) in their one line.
		r.flushLog(&log, rep)
		return r.fail(err)
	}
	r.flushLog(&log, rep)
	r.gha.Infof("keysweep scanned %s: %d %s, %d %s", sc.Describe, rep.Stats.Commits, plural(rep.Stats.Commits, "commit", "commits"), rep.Stats.Blobs, plural(rep.Stats.Blobs, "blob", "blobs"))

	var text bytes.Buffer
	if err := cli.Render(rep, cfg, &text); err != nil {
		return r.fail(err)
	}
	r.gha.Group("keysweep report")
	io.WriteString(r.stdout, rep.Scrubber().Replace(text.String()))
	r.gha.EndGroup()

	r.annotate(rep, in.Path)

	var exitMsg bytes.Buffer
	code := cli.ExitCode(rep, cfg, &exitMsg)
	if exitMsg.Len() > 0 {
		r.gha.Errorf("%s", rep.Scrubber().Replace(oneLine(strings.TrimPrefix(exitMsg.String(), "keysweep: "))))
	}

	sarifPath, sarifLog, err := r.writeSARIF(rep, in)
	if err != nil {
		return r.fail(err)
	}
	uploads := []uploadOutcome{}
	if in.UploadSARIF {
		uploads = r.upload(ctx, rep, in, sc, sarifLog)
	}
	r.summary(rep, in, sc, uploads, code)
	r.setOutputs(rep.Count(finding.SeverityInfo), rep.MaxSeverity(), sarifPath)
	for _, u := range uploads {
		if u.Failed && code == cli.ExitClean {
			code = cli.ExitError
		}
	}
	return code
}

// configureAWS decides whether AWS is used and which parts: the key
// inventory whenever credentials are given (role-to-assume, or credentials
// an earlier step put in the environment), the account checks only on the
// full audits (schedule, workflow_dispatch) and only if account-checks.
//
// The AWS variables are read from the process environment, not getenv:
// that is where the SDK's credential chain will look for them.
//
// It returns a warning to print once the secrets are masked.
func (r *run) configureAWS(cfg *cli.Config, in inputs, sc *scope) (warning string) {
	ambient := false
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		if os.Getenv(v) != "" {
			ambient = true
		}
	}
	cfg.AWS.Enabled = in.RoleToAssume != "" || ambient
	// In a job, role-to-assume means OIDC: without `id-token: write` the
	// run must say so, not fall back to sts:AssumeRole. Credentials an
	// earlier step exported are the exception: they may assume the role.
	cfg.AWS.GitHubActions = r.getenv("GITHUB_ACTIONS") == "true" && !ambient
	if in.RoleToAssume != "" && sc.Fork && os.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL") == "" && !ambient {
		// A fork's pull request never gets an ID token; failing on that
		// would block every outside contribution. The leak check itself
		// needs no AWS: keys are judged "unverified" and still fail.
		warning = fmt.Sprintf("pull request from a fork: no OIDC ID token, so %s is not assumed and committed keys are not matched against the account", in.RoleToAssume)
		cfg.AWS.Enabled = false
	}
	cfg.AWS.NoChecks = !(sc.Checks && in.AccountChecks)
	if sc.Checks && in.AccountChecks && !cfg.AWS.Enabled {
		sc.Notices = append(sc.Notices, "account checks skipped: no AWS credentials (set role-to-assume)")
	}
	return warning
}

// mask registers every secret value the scan found with the runner, so
// that whatever prints one (this step or a later one) shows *** instead.
func (r *run) mask(rep *finding.Report) {
	seen := map[string]bool{}
	for _, k := range rep.Keys {
		for _, s := range []finding.Secret{k.Secret, k.SessionToken} {
			if v := s.Reveal(); v != "" && !seen[v] {
				seen[v] = true
				r.gha.AddMask(v)
			}
		}
	}
}

func (r *run) flushLog(log *bytes.Buffer, rep *finding.Report) {
	if log.Len() == 0 {
		return
	}
	s := log.String()
	if rep != nil {
		s = rep.Scrubber().Replace(s)
	}
	io.WriteString(r.stdout, s)
}

// writeSARIF writes the SARIF file (sarif-file input) and returns its path
// and contents for the upload.
func (r *run) writeSARIF(rep *finding.Report, in inputs) (string, []byte, error) {
	var buf bytes.Buffer
	if err := sarif.Write(&buf, rep, sarif.Options{AccountAnchor: workflowPath(r.getenv("GITHUB_WORKFLOW_REF"), r.getenv("GITHUB_REPOSITORY"))}); err != nil {
		return "", nil, fmt.Errorf("build SARIF: %w", err)
	}
	if err := os.WriteFile(in.SARIFFile, buf.Bytes(), 0o644); err != nil {
		return "", nil, fmt.Errorf("write SARIF: %w", err)
	}
	return in.SARIFFile, buf.Bytes(), nil
}

// workflowPath turns GITHUB_WORKFLOW_REF (owner/repo/.github/workflows/
// x.yml@refs/heads/main) into the workflow file's path in the repository,
// where account findings are anchored; "" (the default anchor) if unknown.
func workflowPath(workflowRef, repository string) string {
	p, _, _ := strings.Cut(workflowRef, "@")
	if repository == "" || !strings.HasPrefix(p, repository+"/") {
		return ""
	}
	return strings.TrimPrefix(p, repository+"/")
}

// setOutputs writes the step outputs; outside Actions (no GITHUB_OUTPUT)
// there is nowhere to write them.
func (r *run) setOutputs(findings int, max finding.Severity, sarifPath string) {
	if r.getenv("GITHUB_OUTPUT") == "" {
		return
	}
	r.gha.SetOutput("findings", strconv.Itoa(findings))
	r.gha.SetOutput("max-severity", max.String())
	r.gha.SetOutput("sarif-file", sarifPath)
}

// repoRoot returns the repository's top directory relative to the
// workspace, so annotations name files as the runner resolves them.
func repoRoot(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	for dir := abs; ; {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			abs = dir
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	wd, err := os.Getwd()
	if err != nil {
		return abs
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return abs
	}
	return filepath.ToSlash(rel)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func escape(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}
