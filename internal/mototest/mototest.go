// Package mototest starts a real moto_server (the AWS emulator) for tests,
// so AWS code is exercised through the real aws-sdk-go-v2 over HTTP.
package mototest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Server is a running moto_server.
type Server struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:40123.
	Endpoint string
	cmd      *exec.Cmd
	out      *bytes.Buffer
}

// Start launches moto_server on a free loopback port, waits until it
// answers, and stops it when the test ends. Without moto it skips the test
// on a developer machine and fails it in CI (CI set), so CI never passes a
// suite that silently skipped its AWS tests.
func Start(t testing.TB) *Server {
	t.Helper()
	argv, err := command()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("moto is required in CI: %v", err)
		}
		t.Skipf("skipping: moto_server not available (%v); install moto or run .ci/run", err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	s := &Server{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), out: &bytes.Buffer{}}
	args := append(argv[1:], "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd = exec.Command(argv[0], args...)
	s.cmd.Stdout = &lockedWriter{w: s.out}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
	if err := s.wait(30 * time.Second); err != nil {
		t.Fatalf("moto_server did not come up on %s: %v\n%s", s.Endpoint, err, s.out.String())
	}
	return s
}

// Env sets the environment the AWS SDK needs to talk to this server with
// dummy credentials, for the duration of the test.
func (s *Server) Env(t testing.TB) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL", s.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Reset wipes all state in the server (moto's reset API), so tests that
// share one server start clean.
func (s *Server) Reset(t testing.TB) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.Endpoint+"/moto-api/reset", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("reset moto: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reset moto: %s", resp.Status)
	}
}

func (s *Server) wait(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		last = err
		if s.cmd.ProcessState != nil {
			return fmt.Errorf("exited: %v", s.cmd.ProcessState)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

// command finds moto_server, or python3 -m moto.server as the fallback the
// design names for shells where the pyenv shim is not on PATH.
func command() ([]string, error) {
	if p, err := exec.LookPath("moto_server"); err == nil {
		return []string{p}, nil
	}
	for _, py := range []string{"python3", os.ExpandEnv("$HOME/.pyenv/shims/python3")} {
		if p, err := exec.LookPath(py); err == nil {
			if exec.Command(p, "-c", "import moto.server").Run() == nil {
				return []string{p, "-m", "moto.server"}, nil
			}
		}
	}
	return nil, fmt.Errorf("neither moto_server nor python3 -m moto.server found")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
