package org

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/keysweep/keysweep/internal/escape"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultCloneTimeout bounds one repository's clone or fetch.
const DefaultCloneTimeout = 15 * time.Minute

// cloner clones and updates bare repositories with the real git binary:
// it speaks every transport, proxy and protocol version the user's git
// does, and a hung transfer is killed at the timeout.
type cloner struct {
	dir     string
	token   string
	host    string // the only host the token is sent to
	timeout time.Duration
}

// safeName is a GitHub owner/repo name; anything else could point the
// clone outside the clone directory.
var safeName = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// path is where the bare clone of the repository named name lives.
func (c *cloner) path(name string) (string, error) {
	if !safeName.MatchString(name) || strings.Contains(name, "..") {
		return "", fmt.Errorf("unsafe repository name %q", name)
	}
	return filepath.Join(c.dir, filepath.FromSlash(name)+".git"), nil
}

// fetch makes dir a bare clone of cloneURL with every branch and tag:
// a new clone, or, when dir already holds one, a fetch into it, so a
// clone directory kept between runs (a cache) only downloads what is
// new. A clone is made beside dir and renamed, so a clone interrupted
// halfway is never taken for a complete one.
func (c *cloner) fetch(ctx context.Context, cloneURL, dir string) error {
	u, err := url.Parse(cloneURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") {
		return fmt.Errorf("clone URL %q: want https", cloneURL)
	}
	if u.User != nil {
		// Credentials in a URL end up in git's messages and config.
		return errors.New("clone URL carries credentials: refused")
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if isBare(dir) {
		return c.git(ctx, u, dir, "fetch", "--quiet", "--prune", "--force", "--no-write-fetch-head", "--", cloneURL,
			"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp := dir + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil { // not a clone: a leftover
		return err
	}
	if err := c.git(ctx, u, "", "clone", "--bare", "--quiet", "--", cloneURL, tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return os.Rename(tmp, dir)
}

// isBare reports whether dir holds a bare repository (as fetch leaves
// it), from its files: no git process per repository for the question.
func isBare(dir string) bool {
	for _, f := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "config"))
	return err == nil && bytes.Contains(cfg, []byte("bare = true"))
}

// git runs one git command for the repository at u. The token goes in an
// Authorization header scoped to the API's own host, through the
// environment (GIT_CONFIG_*), so it is in no URL, argument list, remote
// configuration or log line; prompts are off, so a repository that wants
// other credentials fails at once instead of waiting for a terminal.
func (c *cloner) git(ctx context.Context, u *url.URL, gitDir string, args ...string) error {
	verb := args[0]
	if gitDir != "" {
		args = append([]string{"--git-dir", gitDir}, args...)
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	env := append(os.Environ(),
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=",
		"SSH_ASKPASS=",
		"GCM_INTERACTIVE=never",
		// ext:: and fd:: run commands; a listing never needs them.
		"GIT_ALLOW_PROTOCOL=https:http:file",
		"LC_ALL=C",
	)
	if c.token != "" && u.Host != "" && u.Host == c.host {
		auth := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + c.token))
		// After any GIT_CONFIG_* entries the environment already has.
		n, _ := strconv.Atoi(os.Getenv("GIT_CONFIG_COUNT"))
		n = max(n, 0)
		env = append(env,
			fmt.Sprintf("GIT_CONFIG_COUNT=%d", n+1),
			fmt.Sprintf("GIT_CONFIG_KEY_%d=http.%s://%s/.extraheader", n, u.Scheme, u.Host),
			fmt.Sprintf("GIT_CONFIG_VALUE_%d=Authorization: Basic %s", n, auth),
		)
	}
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	killGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("git %s timed out after %s", verb, c.timeout)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("git %s: %s", verb, gitReason(stderr.String(), err))
}

// gitReason is git's own reason in one bounded line: its first fatal or
// error line (later lines are advice), else its last line.
func gitReason(stderr string, err error) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	pick := ""
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "fatal: ") || strings.HasPrefix(l, "error: ") {
			pick = l[len("fatal: "):]
			break
		}
		if l != "" {
			pick = l
		}
	}
	if pick == "" {
		return err.Error()
	}
	return escape.Cut(pick, 300)
}
