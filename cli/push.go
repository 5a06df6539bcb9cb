package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/internal/safefile"
	"github.com/keysweep/keysweep/pipeline"
)

const preReceiveUsage = `usage: keysweep pre-receive [flags]      (a git server's pre-receive hook)
       keysweep pre-push REMOTE [URL] [flags]  (a client's pre-push hook)

Reads the ref updates git gives the hook on stdin and scans exactly what
the push brings that no existing ref reaches: new commits, their messages,
the files and names they add, annotated tags and notes. The verdict
settings (.keysweep.yml, .keysweepignore, inline allows) come from the
repository's default branch as it is before the push, never from the push.
A key at or above --fail-on rejects the push (exit 1) with a message that
names each key ID, path, commit and author, and how to fix it.
See docs/pre-receive.md.

Flags:
  --fail-on SEVERITY      critical|high|medium|low|none (default: the
                          config's fail-on, else high)
  --allow-bypass          honour git push -o keysweep.allow=FINGERPRINT[:REASON]
                          (pre-receive only; off by default)
  --audit-log FILE        append a JSON line for every bypass (pre-receive)
  --deadline DURATION     judge the push within this time (default 4s; 0: none)
  --on-deadline reject|accept  what a push not judged in time gets (default reject)
  --known-keys FILE       offline inventory (a keysweep inventory export)
  --known-keys-complete   the known-keys list holds every key of its account
  --config FILE           settings file read from the default branch
  --no-inline-allow       ignore every keysweep:allow comment
  --allow-partial         judge by findings even if some objects were unreadable

No network: --aws and --verify are refused in a hook.

Exit status: 0 the push is accepted; 1 it adds a key at or above --fail-on
(or was not judged by --deadline and --on-deadline is reject); 2 it could
not be judged (the reason in one line); 130/143 interrupted. git rejects
the push for any status but 0.
`

// maxUpdates and maxUpdateLine bound what a hook reads from git: a push
// of more refs than this is refused rather than read without end.
const (
	maxUpdates    = 100000
	maxUpdateLine = 4096
	maxPushOpts   = 100
	allowOption   = "keysweep.allow="
	maxReason     = 500
)

// pushFlags are the flags both hooks take.
type pushFlags struct {
	cfg         pipeline.Config
	allowBypass bool
	auditLog    string
	deadline    time.Duration
	onDeadline  string
}

// pushFlagValues are the flags parsed into pointers before they are
// checked.
type pushFlagValues struct {
	failOn      *string
	aws, verify *bool
}

// pushFlagSet is the flag set of both hooks, which completion reads too.
func pushFlagSet(name string, pf *pushFlags) (*flag.FlagSet, pushFlagValues) {
	fs := flag.NewFlagSet("keysweep "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&pf.allowBypass, "allow-bypass", false, "")
	fs.StringVar(&pf.auditLog, "audit-log", "", "")
	fs.DurationVar(&pf.deadline, "deadline", 4*time.Second, "")
	fs.StringVar(&pf.onDeadline, "on-deadline", "reject", "")
	fs.StringVar(&pf.cfg.KnownKeys, "known-keys", "", "")
	fs.BoolVar(&pf.cfg.KnownKeysComplete, "known-keys-complete", false, "")
	fs.StringVar(&pf.cfg.ConfigFile, "config", "", "")
	fs.BoolVar(&pf.cfg.NoInlineAllow, "no-inline-allow", false, "")
	fs.BoolVar(&pf.cfg.AllowPartial, "allow-partial", false, "")
	v := pushFlagValues{failOn: fs.String("fail-on", "high", ""), aws: fs.Bool("aws", false, ""), verify: fs.Bool("verify", false, "")}
	return fs, v
}

func parsePushFlags(name string, args []string) (*pushFlags, []string, error) {
	pf := &pushFlags{cfg: pipeline.Config{Path: ".", Format: "text"}}
	fs, v := pushFlagSet(name, pf)
	failOn, aws, verify := v.failOn, v.aws, v.verify
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, err
			}
			return nil, nil, &usageError{msg: flagError(err) + " (see keysweep " + name + " --help)"}
		}
		if args = fs.Args(); len(args) == 0 {
			break
		}
		positional, args = append(positional, args[0]), args[1:]
	}
	if *aws || *verify {
		return nil, nil, &usageError{msg: name + " runs offline: --aws and --verify are refused (a hook must not wait on the network); keep a `keysweep inventory --aws` export on the machine and pass --known-keys FILE --known-keys-complete"}
	}
	sev, err := finding.ParseSeverity(*failOn)
	if err != nil || sev == finding.SeverityInfo {
		return nil, nil, &usageError{msg: fmt.Sprintf("--fail-on %q: want critical, high, medium, low or none", truncate(*failOn, 40))}
	}
	pf.cfg.FailOn = sev
	fs.Visit(func(f *flag.Flag) { pf.cfg.FailOnSet = pf.cfg.FailOnSet || f.Name == "fail-on" })
	if pf.cfg.KnownKeysComplete && pf.cfg.KnownKeys == "" {
		return nil, nil, &usageError{msg: "--known-keys-complete declares the --known-keys list complete: give --known-keys FILE"}
	}
	if pf.onDeadline != "reject" && pf.onDeadline != "accept" {
		return nil, nil, &usageError{msg: fmt.Sprintf("--on-deadline %q: want reject or accept", truncate(pf.onDeadline, 40))}
	}
	if pf.deadline < 0 {
		return nil, nil, &usageError{msg: "--deadline must not be negative"}
	}
	return pf, positional, nil
}

// preReceiveCommand is a server's pre-receive hook: "<old> <new> <ref>"
// lines on stdin, push options and the pusher's name in the environment.
func preReceiveCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	pf, positional, err := parsePushFlags("pre-receive", args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, preReceiveUsage)
		return ExitClean
	}
	if err == nil && len(positional) > 0 {
		err = &usageError{msg: "pre-receive takes no arguments: git gives the ref updates on stdin"}
	}
	if err != nil {
		fmt.Fprintf(stderr, "keysweep: %s\n", oneLine(err))
		return ExitError
	}
	if dir := getenv("GIT_DIR"); dir != "" {
		pf.cfg.Path = dir
	}
	updates, err := readUpdates(stdin, func(f []string) (pipeline.RefUpdate, error) {
		return parseUpdate(f[2], f[0], f[1])
	}, 3)
	if err != nil {
		fmt.Fprintf(stderr, "keysweep: pre-receive: %s\n", oneLine(err))
		return ExitError
	}
	allows, ignored := pushAllows(getenv, pf.allowBypass)
	if ignored > 0 {
		fmt.Fprintln(stderr, "keysweep: push option keysweep.allow ignored: this server does not allow bypass")
	}
	return judgePush(ctx, pf, pipeline.Push{Updates: updates}, allows, pusher(getenv), stderr)
}

// prePushCommand is a client's pre-push hook: git passes the remote's
// name and URL, and "<local ref> <local object> <remote ref> <remote
// object>" lines on stdin. What the remote has is its tracking refs.
func prePushCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	pf, positional, err := parsePushFlags("pre-push", args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, preReceiveUsage)
		return ExitClean
	}
	if err == nil && (len(positional) == 0 || len(positional) > 2) {
		err = &usageError{msg: "pre-push takes the remote's name and URL, as git passes them to the hook"}
	}
	if err == nil && (pf.allowBypass || pf.auditLog != "") {
		err = &usageError{msg: "--allow-bypass and --audit-log are the server's (pre-receive); a client hook is bypassed with git push --no-verify"}
	}
	if err != nil {
		fmt.Fprintf(stderr, "keysweep: %s\n", oneLine(err))
		return ExitError
	}
	remote := positional[0]
	updates, err := readUpdates(stdin, func(f []string) (pipeline.RefUpdate, error) {
		return parseUpdate(f[2], f[3], f[1])
	}, 4)
	if err != nil {
		fmt.Fprintf(stderr, "keysweep: pre-push: %s\n", oneLine(err))
		return ExitError
	}
	push := pipeline.Push{Updates: updates}
	tracking := "refs/remotes/" + remote + "/"
	push.Existing = func(ref string) bool { return strings.HasPrefix(ref, tracking) }
	for _, u := range updates {
		push.Have = append(push.Have, u.Old)
	}
	// The remote's default branch as this clone last saw it decides, as
	// the server's would; without one, the working tree's settings.
	pf.cfg.SettingsRev = tracking + "HEAD"
	if _, err := pipeline.LoadSettings(pf.cfg, pipeline.Source{Rev: pf.cfg.SettingsRev}); err != nil {
		pf.cfg.SettingsRev = ""
	}
	return judgePush(ctx, pf, push, nil, "", stderr)
}

// readUpdates reads the hook's lines of n fields, bounded.
func readUpdates(r io.Reader, parse func([]string) (pipeline.RefUpdate, error), n int) ([]pipeline.RefUpdate, error) {
	var out []pipeline.RefUpdate
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxUpdateLine)
	for line := 1; sc.Scan(); line++ {
		if line > maxUpdates {
			return nil, fmt.Errorf("more than %d ref updates on stdin", maxUpdates)
		}
		f := strings.Split(sc.Text(), " ")
		if len(f) != n {
			return nil, fmt.Errorf("stdin line %d: want %d fields separated by spaces, as git writes them", line, n)
		}
		u, err := parse(f)
		if err != nil {
			return nil, fmt.Errorf("stdin line %d: %w", line, err)
		}
		out = append(out, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the ref updates: %w", err)
	}
	return out, nil
}

func parseUpdate(ref, oldHex, newHex string) (pipeline.RefUpdate, error) {
	u := pipeline.RefUpdate{Ref: ref}
	var err error
	if u.Old, err = pipeline.ParseObjectName(oldHex); err != nil {
		return u, err
	}
	if u.New, err = pipeline.ParseObjectName(newHex); err != nil {
		return u, err
	}
	if ref == "" {
		return u, errors.New("empty ref name")
	}
	return u, nil
}

// judgePush runs the pipeline on the push and turns the report into the
// hook's verdict: stderr lines (which the pusher sees after "remote:")
// and the exit code.
func judgePush(ctx context.Context, pf *pushFlags, push pipeline.Push, allows map[string]string, who string, stderr io.Writer) int {
	cfg := pf.cfg
	cfg.Push = &push
	if pf.deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, pf.deadline)
		defer cancel()
	}
	if cfg.SettingsRev == "" && push.Existing == nil {
		rev, err := pipeline.PushSettingsRev(cfg.Path)
		if err != nil {
			printError(stderr, err)
			return ExitError
		}
		cfg.SettingsRev = rev
	}
	var err error
	if cfg, err = pipeline.Prepare(cfg); err != nil {
		printError(stderr, err)
		return ExitError
	}
	rep, err := pipeline.Run(ctx, cfg)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			if pf.onDeadline == "accept" {
				fmt.Fprintf(stderr, "keysweep: the push was not judged within --deadline %s: accepted unscanned, as this server's policy says (--on-deadline accept)\n", pf.deadline)
				return ExitClean
			}
			fmt.Fprintf(stderr, "keysweep: the push was not judged within --deadline %s: rejected, as this server's policy says (--on-deadline reject); push fewer commits at a time, or ask the server's admin\n", pf.deadline)
			return ExitFindings
		}
		printError(stderr, err)
		return ExitError
	}
	bypassed := bypass(rep, cfg.FailOn, allows)
	if len(bypassed) > 0 {
		if err := recordBypasses(pf.auditLog, bypassed, push, who, cfg.Path); err != nil {
			fmt.Fprintf(stderr, "keysweep: the bypass could not be recorded, so it is refused: %s\n", oneLine(err))
			return ExitError
		}
		for _, b := range bypassed {
			fmt.Fprintf(stderr, "keysweep: bypass by %s: %s at %s let through (%s)\n", escape.Text(cmpOr(who, "an unnamed pusher")), escape.Text(b.KeyID), escape.Text(truncate(b.Path, 200)), escape.Text(truncate(b.Suppressed.Justification, 200)))
		}
	}
	code, why := pipeline.ExitCode(rep, cfg)
	switch code {
	case ExitError:
		fmt.Fprintf(stderr, "keysweep: push rejected: %s\n", escape.Text(why))
		// There is no report to list them in: the first few here.
		for i, s := range rep.Skipped {
			if i == maxListed {
				fmt.Fprintf(stderr, "keysweep:   and %d more\n", len(rep.Skipped)-i)
				break
			}
			fmt.Fprintf(stderr, "keysweep:   %s\n", escape.Text(truncate(s, 200)))
		}
	case ExitFindings:
		rejectMessage(stderr, rep, cfg.FailOn, pf.allowBypass)
	}
	if code != ExitError {
		belowFailOn(stderr, rep, cfg.FailOn)
	}
	return code
}

// maxListed bounds the lines a hook prints for one kind of thing.
const maxListed = 10

// belowFailOn notes, in one line, keys the push adds that do not block it
// (a key ID without its secret at the default fail-on high).
func belowFailOn(w io.Writer, rep *finding.Report, failOn finding.Severity) {
	var ids []string
	for _, k := range rep.Keys {
		if k.Suppressed == nil && k.Severity < failOn && k.Severity > finding.SeverityInfo && len(ids) < maxListed {
			ids = append(ids, escape.Text(k.KeyID)+" in "+escape.Text(truncate(k.Path, 100)))
		}
	}
	if len(ids) > 0 {
		fmt.Fprintf(w, "keysweep: note: below fail-on %s, not blocking: %s\n", failOn, strings.Join(ids, "; "))
	}
}

// rejectMessage tells the pusher which keys stopped the push and how to
// push without them, in lines short enough for a terminal.
func rejectMessage(w io.Writer, rep *finding.Report, failOn finding.Severity, allowBypass bool) {
	var keys []finding.KeyFinding
	for _, k := range rep.Keys {
		if k.Suppressed == nil && k.Severity >= failOn {
			keys = append(keys, k)
		}
	}
	fmt.Fprintf(w, "keysweep: push rejected: it adds %d AWS access key(s) at or above fail-on %s\n", len(keys), failOn)
	for i, k := range keys {
		if i == maxListed {
			fmt.Fprintf(w, "keysweep:   and %d more\n", len(keys)-i)
			break
		}
		where := escape.Text(truncate(k.Path, 200))
		if k.Line > 0 && !strings.HasPrefix(k.Path, ".git/") {
			where += ":" + strconv.Itoa(k.Line)
		}
		fmt.Fprintf(w, "keysweep:   %s (%s, %s) in %s\n", escape.Text(k.KeyID), k.Severity, k.Status, where)
		author := k.Author
		if k.AuthorEmail != "" {
			author += " <" + k.AuthorEmail + ">"
		}
		commit := k.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		fmt.Fprintf(w, "keysweep:     commit %s by %s; fingerprint %s\n", escape.Text(cmpOr(commit, "(none)")), escape.Text(truncate(cmpOr(author, "unknown"), 80)), escape.Text(k.Fingerprint))
	}
	fmt.Fprintln(w, "keysweep: to push, take the key out of the commits that add it, then push again:")
	fmt.Fprintln(w, "keysweep:   the last commit: remove the key, `git commit --amend`")
	fmt.Fprintln(w, "keysweep:   an older one: `git rebase -i <commit>~1`, mark it edit, remove the key, `git commit --amend`, `git rebase --continue`")
	fmt.Fprintln(w, "keysweep:   a tag: delete it (`git tag -d`) and tag again without the key")
	fmt.Fprintln(w, "keysweep: the key has left your machine: rotate it in AWS (create a new key, switch to it, delete this one)")
	if allowBypass {
		fmt.Fprintln(w, "keysweep: a reviewed false positive: git push -o keysweep.allow=<fingerprint>:<reason> (recorded)")
	}
}

// pushAllows reads the keysweep.allow push options: fingerprint → reason.
// Without --allow-bypass they are counted, not honoured.
func pushAllows(getenv func(string) string, allowed bool) (map[string]string, int) {
	n, err := strconv.Atoi(getenv("GIT_PUSH_OPTION_COUNT"))
	if err != nil || n <= 0 {
		return nil, 0
	}
	out := map[string]string{}
	seen := 0
	for i := range min(n, maxPushOpts) {
		v, ok := strings.CutPrefix(getenv("GIT_PUSH_OPTION_"+strconv.Itoa(i)), allowOption)
		if !ok {
			continue
		}
		seen++
		fp, reason, _ := strings.Cut(v, ":")
		if fp = strings.TrimSpace(fp); fp != "" && len(fp) <= 128 {
			// The pusher writes the reason: bounded before it is logged.
			out[fp] = truncate(strings.TrimSpace(reason), maxReason)
		}
	}
	if !allowed {
		return nil, seen
	}
	return out, 0
}

// bypass marks the findings at or above fail-on that a push option names
// (by fingerprint, or by key fingerprint for every path) as suppressed,
// and returns them.
func bypass(rep *finding.Report, failOn finding.Severity, allows map[string]string) []finding.KeyFinding {
	if len(allows) == 0 {
		return nil
	}
	var out []finding.KeyFinding
	for i := range rep.Keys {
		k := &rep.Keys[i]
		if k.Suppressed != nil || k.Severity < failOn {
			continue
		}
		reason, ok := allows[k.Fingerprint]
		if !ok && k.KeyFingerprint != "" {
			reason, ok = allows[k.KeyFingerprint]
		}
		if !ok {
			continue
		}
		k.Suppressed = &finding.Suppression{Kind: "bypass", Justification: cmpOr(reason, "(no reason given)")}
		out = append(out, *k)
	}
	return out
}

// auditRecord is one line of --audit-log.
type auditRecord struct {
	Time        time.Time `json:"time"`
	Event       string    `json:"event"`
	Pusher      string    `json:"pusher"`
	Repository  string    `json:"repository"`
	Refs        []string  `json:"refs"`
	KeyID       string    `json:"keyId"`
	Path        string    `json:"path"`
	Commit      string    `json:"commit"`
	Fingerprint string    `json:"fingerprint"`
	Reason      string    `json:"reason"`
}

// maxAuditRefs bounds the ref names one audit record lists.
const maxAuditRefs = 100

func recordBypasses(file string, ks []finding.KeyFinding, push pipeline.Push, who, repoPath string) error {
	if file == "" {
		return nil
	}
	// A pusher chooses paths, ref names and reasons: each record stays a
	// few kilobytes however many refs a push updates.
	var refs []string
	for i, u := range push.Updates {
		if i == maxAuditRefs {
			refs = append(refs, fmt.Sprintf("and %d more", len(push.Updates)-i))
			break
		}
		refs = append(refs, truncate(u.Ref, 256))
	}
	var b strings.Builder
	now := time.Now().UTC()
	for _, k := range ks {
		line, err := json.Marshal(auditRecord{Time: now, Event: "bypass", Pusher: who, Repository: repoPath, Refs: refs,
			KeyID: k.KeyID, Path: truncate(k.Path, 1024), Commit: k.Commit, Fingerprint: k.Fingerprint, Reason: truncate(k.Suppressed.Justification, 1024)})
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return safefile.Append(file, []byte(b.String()))
}

// pusher is who pushes, as the server names them: GitHub Enterprise
// Server, GitLab, Gitea/Forgejo, or the ssh account.
func pusher(getenv func(string) string) string {
	for _, v := range []string{"GITHUB_USER_LOGIN", "GL_USERNAME", "GITEA_PUSHER_NAME"} {
		if s := getenv(v); s != "" {
			return truncate(s, 100)
		}
	}
	if getenv("SSH_CONNECTION") != "" {
		if s := cmpOr(getenv("USER"), getenv("LOGNAME")); s != "" {
			return truncate(s, 100) + " (ssh)"
		}
	}
	return truncate(cmpOr(getenv("USER"), getenv("LOGNAME")), 100)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
