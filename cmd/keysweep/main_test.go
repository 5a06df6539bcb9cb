package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binary is keysweep built once for every test here: hostile input is
// tried against the real process, its real environment (what
// /proc/self/environ shows), its real stderr (where the AWS SDK would
// log) and its real signal handling.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keysweep-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "keysweep")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build keysweep:", err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is one run of the binary.
type proc struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// run runs keysweep in dir with exactly env (plus PATH and HOME) and no
// terminal, failing the test if it has not ended after 20 seconds.
func run(t *testing.T, dir string, env map[string]string, stdin io.Reader, args ...string) proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = stdin
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	p := proc{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("keysweep %s did not end in 20 s; stderr:\n%s", strings.Join(args, " "), p.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		p.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run keysweep: %v", err)
	}
	return p
}

// oneLine checks the CLI contract for failures: exit 2, one line on
// stderr saying why.
func (p proc) oneLine(t *testing.T, want string) {
	t.Helper()
	if p.code != 2 {
		t.Errorf("exit %d, want 2; stderr:\n%s", p.code, p.stderr)
	}
	if n := strings.Count(p.stderr, "\n"); n != 1 {
		t.Errorf("stderr has %d lines, want 1:\n%s", n, p.stderr)
	}
	if !strings.Contains(p.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, p.stderr)
	}
	if strings.Contains(p.stderr, "goroutine ") || strings.Contains(p.stderr, "panic") {
		t.Errorf("stack trace:\n%s", p.stderr)
	}
}

// execKeysweep is the command for a run the test drives itself (signals).
func execKeysweep(dir string, env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AWS_EC2_METADATA_DISABLED=true"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func execGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}
