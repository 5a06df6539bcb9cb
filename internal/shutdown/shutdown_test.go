package shutdown

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRunReturnsMainsStatus(t *testing.T) {
	var stderr strings.Builder
	code := Run(io.Discard, &stderr, time.Second, func(ctx context.Context, stdout, stderr io.Writer) int {
		fmt.Fprintln(stderr, "keysweep: done")
		return 1
	})
	if code != 1 || stderr.String() != "keysweep: done\n" {
		t.Errorf("code %d, stderr %q", code, stderr.String())
	}
}

// A signal ends Run with one line and 128+N, even when main ignores its
// context (blocked in a read no context reaches), and what main writes
// afterwards is dropped. The signal is sent to this process, which Run
// has asked to be notified of it.
func TestSignalEndsBlockedWork(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		line string
	}{{syscall.SIGINT, 130, "keysweep: interrupted by SIGINT, nothing reported\n"}, {syscall.SIGTERM, 143, "keysweep: interrupted by SIGTERM, nothing reported\n"}} {
		var stdout, stderr syncBuilder
		started := make(chan struct{})
		block := make(chan struct{})
		start := time.Now()
		code := Run(&stdout, &stderr, 200*time.Millisecond, func(ctx context.Context, out, errOut io.Writer) int {
			close(started)
			go func() {
				<-ctx.Done()
				fmt.Fprintln(errOut, "keysweep: context canceled") // must not be seen
				fmt.Fprintln(out, "partial report")
			}()
			go syscall.Kill(syscall.Getpid(), tc.sig)
			<-block // never returns by itself
			return 0
		})
		close(block)
		<-started
		if code != tc.code {
			t.Errorf("%v: code %d, want %d", tc.sig, code, tc.code)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%v: took %s", tc.sig, took)
		}
		time.Sleep(20 * time.Millisecond) // let the late writes try
		if got := stderr.String(); got != tc.line {
			t.Errorf("%v: stderr %q, want %q", tc.sig, got, tc.line)
		}
		if stdout.String() != "" {
			t.Errorf("%v: stdout %q after the signal", tc.sig, stdout.String())
		}
	}
}

// syncBuilder is a strings.Builder safe for the writes of two goroutines.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
