// Package shutdown ends keysweep promptly when it is interrupted. Ctrl-C
// or the runner's SIGTERM (a cancelled job) must end the process at once
// and say so in one line, even when the work is blocked somewhere no
// context reaches; and nothing the interrupted work prints afterwards may
// add to that line.
package shutdown

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Grace is how long the interrupted work may take to return after its
// context is cancelled, before the process exits anyway.
const Grace = 2 * time.Second

// Main is the work Run runs: the whole command, given a context that the
// first signal cancels and the writers it must use.
type Main func(ctx context.Context, stdout, stderr io.Writer) int

// Run runs main and returns its exit status. On the first SIGINT or
// SIGTERM it cancels main's context, silences main's output, writes one
// line to stderr and returns 130 or 143 (128 + the signal's number, as
// shells report a signal) as soon as main returns, after grace at the
// latest, or at once on a second signal.
func Run(stdout, stderr io.Writer, grace time.Duration, main Main) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	out, errOut := &gate{w: stdout}, &gate{w: stderr}
	done := make(chan int, 1)
	go func() { done <- main(ctx, out, errOut) }()

	select {
	case code := <-done:
		return code
	case sig := <-sigs:
		cancel()
		out.close()
		errOut.close()
		fmt.Fprintf(stderr, "keysweep: interrupted by %s, nothing reported\n", name(sig))
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
		case <-sigs:
		}
		return status(sig)
	}
}

func name(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// status is the shell's exit status for death by sig: 130, 143.
func status(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// gate passes writes through until it is closed, then drops them.
type gate struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
