// Package mototest starts a real moto_server (the AWS emulator) for tests,
// so AWS code is exercised through the real aws-sdk-go-v2 over HTTP.
//
// One server per test (Start) is the simplest; a package whose tests all
// talk to moto shares one through Shared, started on first use and stopped
// from TestMain, because each moto_server takes a second or two to boot.
// Tests that share a server call Reset first.
//
// The server's own front serves what moto lacks: CloudWatch's RPCv2 CBOR
// protocol (translated) and CloudTrail's LookupEvents (Trail, from events
// the test adds).
//
// Where moto differs from AWS (no pagination of ListUsers, no recorded
// error for one caller), Proxy puts an HTTP server in front of moto that
// answers chosen actions itself in AWS's documented wire format.
package mototest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Server is a running moto_server behind a loopback front that adapts
// the protocols moto lacks (see rpcv2CBOR), so clients use the SDK's
// defaults as they do against AWS.
type Server struct {
	// Endpoint is the base URL of the front, e.g. http://127.0.0.1:40123.
	Endpoint string
	front    *httptest.Server
	trail    *Trail
	cmd      *exec.Cmd
	out      *lockedBuffer
	// done is closed once the process has exited and been reaped.
	done chan struct{}
}

// errNoMoto marks "moto is not installed", which skips a test outside CI,
// as opposed to "moto is installed but did not start", which always fails.
var errNoMoto = errors.New("neither moto_server nor python3 -m moto.server found")

// Start launches moto_server on a free loopback port, waits until it
// answers, and stops it when the test ends. Without moto it skips the test
// on a developer machine and fails it in CI (CI set), so CI never passes a
// suite that silently skipped its AWS tests.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Config{})
}

// Config is how a server started by StartWith differs from moto's defaults.
type Config struct {
	// AWSManagedPolicies loads AWS's managed policies into IAM, as a real
	// account has them (moto loads none by default), so a test can attach
	// one by ARN.
	AWSManagedPolicies bool
}

// StartWith is Start with a configuration.
func StartWith(t testing.TB, c Config) *Server {
	t.Helper()
	s, err := launch(c)
	if err != nil {
		fail(t, err)
	}
	t.Cleanup(s.Stop)
	return s
}

func fail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNoMoto) {
		if os.Getenv("CI") != "" {
			t.Fatalf("moto is required in CI: %v", err)
		}
		t.Skipf("skipping: %v; install moto or run .ci/run", err)
	}
	t.Fatal(err)
}

func launch(c Config) (*Server, error) {
	argv, err := command()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	moto := "http://127.0.0.1:" + strconv.Itoa(port)
	s := &Server{
		Endpoint: moto,
		out:      &lockedBuffer{},
		done:     make(chan struct{}),
		trail:    &Trail{},
	}
	args := append(argv[1:], "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd = exec.Command(argv[0], args...)
	if c.AWSManagedPolicies {
		s.cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	}
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.wait(30 * time.Second); err != nil {
		s.Stop()
		return nil, fmt.Errorf("moto_server did not come up on %s: %v\n%s", s.Endpoint, err, s.out.String())
	}
	front := &Proxy{target: moto, answer: Chain(rpcv2CBOR, s.trail.answer, trailSelectorDefaults, organizationsFeatures), client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	s.front = httptest.NewServer(http.HandlerFunc(front.serve))
	s.Endpoint = s.front.URL
	return s, nil
}

// Stop kills the server. Start arranges it; Shared.Close calls it.
func (s *Server) Stop() {
	if s.front != nil {
		s.front.Close()
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Shared is one moto_server for all the tests of a package. The zero value
// is ready; keep it in a package variable of the test files and call Close
// from TestMain after m.Run.
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Get starts the server on first use and returns it, skipping or failing
// the test exactly as Start does when moto is missing or broken.
func (p *Shared) Get(t testing.TB) *Server {
	t.Helper()
	p.once.Do(func() { p.srv, p.err = launch(Config{}) })
	if p.err != nil {
		fail(t, p.err)
	}
	return p.srv
}

// Close stops the server if Get ever started one.
func (p *Shared) Close() {
	p.once.Do(func() {}) // a later Get must not start a server nobody stops
	if p.srv != nil {
		p.srv.Stop()
	}
}

// Env sets the environment the AWS SDK needs to talk to this server with
// dummy credentials, for the duration of the test.
func (s *Server) Env(t testing.TB) {
	t.Helper()
	EnvFor(t, s.Endpoint)
}

// EnvFor is Env for an endpoint in front of moto, such as a Proxy.
func EnvFor(t testing.TB, endpoint string) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
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
	s.trail.reset()
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
		select {
		case <-s.done:
			return errors.New("moto_server exited")
		case <-time.After(100 * time.Millisecond):
		}
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
	return nil, errNoMoto
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
