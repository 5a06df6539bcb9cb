// Package action runs keysweep as a GitHub Action: it reads the step's
// inputs and the event that started the workflow, scans the range the event
// calls for, and reports the way a job does — masked secrets, annotations,
// a job summary, step outputs, SARIF uploaded to code scanning — with an
// exit status that fails the job on a leak (docs/github-action.md).
package action

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sethvargo/go-githubactions"

	"github.com/keysweep/keysweep/contain"
	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/internal/safefile"
	"github.com/keysweep/keysweep/pipeline"
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
	// RetryBudget and RetryBackoff bound the upload's retries when
	// GitHub answers 5xx or 429; zero means sarif's defaults.
	RetryBudget, RetryBackoff time.Duration
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
	if getenv("GITHUB_ACTIONS") != "true" {
		// Outside a runner, ::add-mask:: would print each secret found
		// in plain text and the SARIF file would land in the current
		// directory: refuse before anything is read or written.
		fmt.Fprintln(stderr, "keysweep: action runs only inside GitHub Actions (GITHUB_ACTIONS=true is not set); on your own machine use keysweep scan")
		return pipeline.ExitError
	}
	gha := githubactions.New(githubactions.WithWriter(stdout), githubactions.WithGetenv(getenv))
	r := &run{gha: gha, getenv: getenv, stdout: stdout, stderr: stderr, opts: o}
	defer func() {
		// go-githubactions panics when it cannot write a command or an
		// environment file; that and any bug must still end as one line
		// and exit 2, never a stack trace in the job log.
		if p := recover(); p != nil {
			fmt.Fprintf(stdout, "::error title=keysweep::internal error: %s\n", escape.Message(oneLine(fmt.Sprint(p))))
			code = pipeline.ExitError
		}
	}()
	return r.main(ctx)
}

var sha40 = regexp.MustCompile(`^[0-9a-f]{40}$`)

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
	// KnownKeysComplete declares the known-keys list complete.
	KnownKeysComplete bool
	NoInlineAllow     bool
	ConfigFile        string
	FailOn            finding.Severity
	SARIFFile         string
	UploadSARIF       bool
	Token             string
	VerifyKeys        bool
	// Category, WaitForProcessing, Ref and SHA are codeql-action's
	// upload conventions: tell several analyses apart, whether to wait
	// for GitHub to process the upload, and which commit and ref to file
	// it under when the workflow checked out something else.
	Category          string
	WaitForProcessing bool
	Ref, SHA          string
	// Triage looks up what each matched key can do and did since it was
	// committed. Contain names the containment to run on every live key
	// of the contain role's account ("deactivate" or "quarantine", only
	// on schedule and workflow_dispatch), ContainRole the write-capable
	// role it runs with.
	Triage      bool
	Contain     contain.Action
	ContainRole string
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
		Category:     strings.Trim(gha.GetInput("category"), "/"),
		Ref:          gha.GetInput("ref"),
		SHA:          gha.GetInput("sha"),
	}
	// A revision has no line break or other control character; one would
	// cut the one-line error that names it, so it is refused here, whole
	// and escaped.
	if strings.ContainsFunc(in.Since, unicode.IsControl) {
		return in, fmt.Errorf("input since: %s is not a revision: it holds a line break or another control character", escape.Excerpt(in.Since))
	}
	var err error
	if in.WaitForProcessing, err = boolInput(gha, "wait-for-processing", true); err != nil {
		return in, err
	}
	if err := sarif.CheckCategory(in.Category); err != nil {
		return in, fmt.Errorf("input %w", err)
	}
	if (in.Ref == "") != (in.SHA == "") {
		return in, fmt.Errorf("inputs ref and sha go together: set both or neither")
	}
	if in.SHA != "" && !sha40.MatchString(in.SHA) {
		return in, fmt.Errorf("input sha: want a full 40-hex commit hash (%d characters given)", len(in.SHA))
	}
	if in.Ref != "" && (!strings.HasPrefix(in.Ref, "refs/") || strings.ContainsAny(in.Ref, " \t\r\n")) {
		return in, fmt.Errorf("input ref: want a full ref such as refs/heads/main or refs/pull/7/merge")
	}
	if in.AccountChecks, err = boolInput(gha, "account-checks", true); err != nil {
		return in, err
	}
	if in.UploadSARIF, err = boolInput(gha, "upload-sarif", true); err != nil {
		return in, err
	}
	if in.VerifyKeys, err = boolInput(gha, "verify-keys", false); err != nil {
		return in, err
	}
	if in.KnownKeysComplete, err = boolInput(gha, "known-keys-complete", false); err != nil {
		return in, err
	}
	if in.NoInlineAllow, err = boolInput(gha, "no-inline-allow", false); err != nil {
		return in, err
	}
	if in.KnownKeysComplete && in.KnownKeys == "" {
		return in, fmt.Errorf("input known-keys-complete declares the known-keys file complete: set known-keys too")
	}
	if in.Organization, err = boolInput(gha, "organization", false); err != nil {
		return in, err
	}
	if in.Triage, err = boolInput(gha, "triage", true); err != nil {
		return in, err
	}
	switch c := gha.GetInput("contain"); c {
	case "":
	case string(contain.Deactivate), string(contain.Quarantine):
		in.Contain = contain.Action(c)
	default:
		return in, fmt.Errorf("input contain: %q is not deactivate or quarantine", escape.Excerpt(c))
	}
	in.ContainRole = gha.GetInput("contain-role")
	if in.Contain != "" && in.ContainRole == "" {
		return in, fmt.Errorf("input contain needs contain-role: the write-capable role containment runs with (the scanning role stays read-only; docs/incident-response.md)")
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
	r.gha.WithFieldsMap(map[string]string{"title": "keysweep could not run"}).Errorf("%s", escape.Text(msg))
	// The error is in the log already; a summary file that cannot be
	// written adds nothing to it.
	_ = r.appendRunnerFile("GITHUB_STEP_SUMMARY", "## keysweep could not run\n\n"+escape.Markdown(msg)+"\n")
	return pipeline.ExitError
}

// appendRunnerFile appends text to the file the runner names in env
// (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY), if it names one. It never goes
// through go-githubactions, whose plain open would block forever on a
// FIFO: safefile refuses anything but a regular file (or a link to one)
// in one line, without waiting.
func (r *run) appendRunnerFile(env, text string) error {
	name := r.getenv(env)
	if name == "" {
		return nil
	}
	if err := safefile.AppendRunnerFile(name, []byte(text)); err != nil {
		return fmt.Errorf("%s: %w", env, err)
	}
	return nil
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
	// A path that does not exist fails here, before the enclosing
	// repository (the workspace) could be scanned instead; a directory
	// inside the repository scopes the findings (pipeline.Locate).
	if _, _, err := pipeline.Locate(in.Path); err != nil {
		return r.fail(fmt.Errorf("input path: %w", err))
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
		r.gha.Noticef("keysweep: %s", escape.Text(sc.Describe))
		if err := r.setOutputs(0, finding.SeverityNone, "", nil); err != nil {
			return r.fail(err)
		}
		return pipeline.ExitClean
	}

	cfg := pipeline.Config{
		Path:              in.Path,
		Since:             sc.Since,
		KnownKeys:         in.KnownKeys,
		KnownKeysComplete: in.KnownKeysComplete,
		NoInlineAllow:     in.NoInlineAllow,
		ConfigFile:        in.ConfigFile,
		// The verdict's settings and suppressions come from git objects
		// of the reviewed commit, never from the checkout's files.
		SettingsRev: sc.SettingsRev,
		Format:      "text",
		FailOn:      in.FailOn,
		// The step's fail-on input (default high) always decides; the
		// configuration file's fail-on is for local runs.
		FailOnSet: true,
		Now:       r.opts.Now,
		Verify:    in.VerifyKeys,
		AWS: pipeline.AWSConfig{
			RoleToAssume: in.RoleToAssume,
			Audience:     in.Audience,
			Region:       in.Region,
			Org:          in.Organization,
			MemberRole:   in.MemberRole,
			NoTriage:     !in.Triage,
		},
	}
	awsWarning := r.configureAWS(&cfg, in, sc)

	cfg, err = pipeline.Prepare(cfg)
	if err == nil && !cfg.Settings.Commit.IsZero() {
		sc.SettingsRev = cfg.Settings.Commit.String()
	}
	// The gate judges what the event adds; the upload is always the whole
	// history's analysis (full), so it never closes an alert the range
	// did not touch.
	var rep, full *finding.Report
	if err == nil {
		rep, full, err = pipeline.RunGate(ctx, cfg)
	}
	if rep != nil {
		// Every secret found is registered with ::add-mask:: before
		// anything else about the scan reaches the job log.
		r.mask(rep, full)
	}
	for _, n := range sc.Notices {
		r.gha.Noticef("%s", escape.Text(n))
	}
	if awsWarning != "" {
		r.gha.Warningf("%s", escape.Text(awsWarning))
	}
	if err != nil {
		// gitscan's errors, the shallow clone's among them, already
		// carry the fix (fetch-depth: 0) in their one line.
		return r.fail(err)
	}
	r.gha.Infof("keysweep scanned %s: %d %s, %d %s", escape.Text(sc.Describe), rep.Stats.Commits, plural(rep.Stats.Commits, "commit", "commits"), rep.Stats.Blobs, plural(rep.Stats.Blobs, "blob", "blobs"))

	var text bytes.Buffer
	if err := pipeline.Render(rep, cfg, &text); err != nil {
		return r.fail(err)
	}
	r.gha.Group("keysweep report")
	r.echo(rep.Scrubber().Replace(text.String()))
	r.gha.EndGroup()

	r.annotate(rep, in.Path)
	changed := r.settingsChanged(cfg, sc, in.Path)

	code, why := pipeline.ExitCode(rep, cfg)
	if why == "" && full != rep {
		// A partial full-history analysis would close the alerts of
		// what it could not read: that fails the job as a partial gate does.
		only := cfg
		only.FailOn = finding.SeverityNone
		if c, w := pipeline.ExitCode(full, only); c == pipeline.ExitError {
			code, why = c, "full-history analysis for code scanning: "+w
		}
	}
	if why != "" {
		r.gha.Errorf("%s", escape.Text(rep.Scrubber().Replace(why)))
	}

	sarifPath, sarifLog, err := r.writeSARIF(full, in)
	if err != nil {
		return r.fail(err)
	}
	uploads := []uploadOutcome{}
	if in.UploadSARIF {
		uploads = r.upload(ctx, full, in, sc, sarifLog)
	}
	// A failed upload fails the job: the summary's verdict says so too.
	for _, u := range uploads {
		if u.Failed && code == pipeline.ExitClean {
			code = pipeline.ExitError
		}
	}
	if err := r.summary(rep, full, in, sc, changed, uploads, code); err != nil {
		return r.fail(err)
	}
	contained, cfailed := r.contain(ctx, full, in, eventName)
	if cfailed && code == pipeline.ExitClean {
		code = pipeline.ExitError
	}
	if r.getenv("GITHUB_OUTPUT") != "" && in.Contain != "" {
		r.gha.SetOutput("contained", strconv.Itoa(contained))
	}
	var ids []string
	for _, u := range uploads {
		if u.ID != "" {
			ids = append(ids, u.ID)
		}
	}
	if err := r.setOutputs(rep.Count(finding.SeverityInfo), rep.MaxSeverity(), sarifPath, ids); err != nil {
		return r.fail(err)
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
func (r *run) configureAWS(cfg *pipeline.Config, in inputs, sc *scope) (warning string) {
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

// settingsChanged annotates each settings file the checkout changes from
// the commit the settings were read from: a suppression a pull request
// adds decides nothing until it is merged, and the author should see why.
func (r *run) settingsChanged(cfg pipeline.Config, sc *scope, repoPath string) []string {
	changed, err := pipeline.ChangedSettings(cfg, cfg.Settings)
	if err != nil {
		r.gha.Warningf("could not compare the settings files with %s: %s", sc.SettingsWhy, oneLine(err.Error()))
		return nil
	}
	root := repoRoot(repoPath)
	for _, f := range changed {
		file := f
		if root != "." && root != "" {
			file = path.Join(root, f)
		}
		r.gha.WithFieldsMap(map[string]string{"file": file, "title": "keysweep: suppression or setting changed"}).
			Noticef("%s", changedLine(f, sc))
	}
	return changed
}

// changedLine is the one line said of a changed settings file.
func changedLine(file string, sc *scope) string {
	what := "this change"
	if sc.PR != 0 {
		what = "this pull request"
	}
	return fmt.Sprintf("%s adds or changes a suppression or setting (%s); it applies after merge: this run read %s from %s (%s)", what, file, file, sc.SettingsWhy, short(sc.SettingsRev))
}

// mask registers every secret value the scan found with the runner, so
// that whatever prints one (this step or a later one) shows *** instead.
func (r *run) mask(reps ...*finding.Report) {
	seen := map[string]bool{}
	for _, rep := range reps {
		if rep == nil {
			continue
		}
		for _, k := range rep.Keys {
			for _, s := range []finding.Secret{k.Secret, k.SessionToken} {
				if v := s.Reveal(); v != "" && !seen[v] {
					seen[v] = true
					r.gha.AddMask(v)
				}
			}
		}
	}
}

// echo copies text keysweep rendered into the job log. The text is
// escaped already (report.Text shows control characters as \n, \x1b), so
// no line of data can begin a workflow command; as a second wall, the
// runner is told not to process commands until a token no repository can
// know (go-githubactions has no call for stop-commands).
func (r *run) echo(text string) {
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		lines = append(lines, escape.Text(l))
	}
	token := stopToken()
	fmt.Fprintf(r.stdout, "::stop-commands::%s\n%s\n::%s::\n", token, strings.Join(lines, "\n"), token)
}

// stopToken is a fresh random token for ::stop-commands::.
func stopToken() string {
	b := make([]byte, 16)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return "keysweep-" + hex.EncodeToString(b)
}

// writeSARIF writes the SARIF file (sarif-file input), creating its
// directory, and returns its path and contents for the upload.
func (r *run) writeSARIF(rep *finding.Report, in inputs) (string, []byte, error) {
	var buf bytes.Buffer
	opts := sarif.Options{
		AccountAnchor: workflowPath(r.getenv("GITHUB_WORKFLOW_REF"), r.getenv("GITHUB_REPOSITORY")),
		Category:      in.Category,
	}
	if err := sarif.Write(&buf, rep, opts); err != nil {
		return "", nil, fmt.Errorf("build SARIF: %w", err)
	}
	created, err := mkdirAll(filepath.Dir(in.SARIFFile))
	if err != nil {
		return "", nil, fmt.Errorf("write SARIF: %w", err)
	}
	// Never through a link: a pull request can commit keysweep.sarif as
	// one, pointing at a file of the runner's.
	if err := safefile.WriteFile(in.SARIFFile, buf.Bytes()); err != nil {
		return "", nil, fmt.Errorf("write SARIF: %w", err)
	}
	if err := giveToWorkspaceOwner(r.getenv("GITHUB_WORKSPACE"), append(created, in.SARIFFile)); err != nil {
		return "", nil, fmt.Errorf("write SARIF: %w", err)
	}
	return in.SARIFFile, buf.Bytes(), nil
}

// mkdirAll is os.MkdirAll that returns the directories it created,
// outermost first, so they can be handed over too.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append([]string{d}, missing...)
		if filepath.Dir(d) == d {
			break
		}
	}
	return missing, os.MkdirAll(dir, 0o755)
}

// giveToWorkspaceOwner chowns paths to the owner of the workspace. A
// Docker action runs as root, but the job's later steps run as the
// runner's user (uid 1001 on GitHub's runners), which owns the workspace:
// a root-owned SARIF file or directory there is one they cannot rewrite or
// remove (a second upload step, actions/upload-artifact's cleanup, the
// next job's checkout on a self-hosted runner). Handing the file to the
// workspace's owner gives them exactly what they have on their own files;
// making it world-writable instead would let any user of the machine
// change a report before it is uploaded. Not running as root (the CLI, a
// self-hosted runner without Docker) there is nothing to hand over.
func giveToWorkspaceOwner(workspace string, paths []string) error {
	if workspace == "" || os.Geteuid() != 0 {
		return nil
	}
	uid, gid, ok := owner(workspace)
	if !ok || uid == 0 {
		return nil
	}
	for _, p := range paths {
		if err := os.Lchown(p, uid, gid); err != nil {
			return err
		}
	}
	return nil
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
// there is nowhere to write them. sarifIDs are the code scanning uploads,
// git history's first.
func (r *run) setOutputs(findings int, max finding.Severity, sarifPath string, sarifIDs []string) error {
	if r.getenv("GITHUB_OUTPUT") == "" {
		return nil
	}
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return fmt.Errorf("GITHUB_OUTPUT: %w", err)
	}
	out := outputFile{delim: "ghadelimiter_" + hex.EncodeToString(nonce[:])}
	out.SetOutput("findings", strconv.Itoa(findings))
	out.SetOutput("max-severity", max.String())
	out.SetOutput("sarif-file", sarifPath)
	out.SetOutput("sarif-id", strings.Join(sarifIDs, ","))
	return r.appendRunnerFile("GITHUB_OUTPUT", out.b.String())
}

// outputFile collects step outputs in GITHUB_OUTPUT's syntax.
type outputFile struct {
	delim string
	b     strings.Builder
}

// SetOutput adds one output, in the runner's multi-line syntax
// (name<<DELIMITER), whose delimiter no value can contain.
func (o *outputFile) SetOutput(name, value string) {
	fmt.Fprintf(&o.b, "%s<<%s\n%s\n%s\n", name, o.delim, value, o.delim)
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
