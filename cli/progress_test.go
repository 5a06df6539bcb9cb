package cli

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the bar's redraw goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressShowsObjectsAndRate(t *testing.T) {
	var out syncBuffer
	p := newTTYProgress(&out)
	p.Start(1000, 0)
	for i := 0; i < 500; i++ {
		p.Add(1, 4096)
	}
	time.Sleep(400 * time.Millisecond) // at least two redraws
	drawn := out.String()
	p.Finish()
	if !strings.Contains(drawn, "500/1000") || !strings.Contains(drawn, "MB/s") {
		t.Fatalf("progress bar shows %q; want the object count and MB/s", drawn)
	}
}

func TestNoProgressOnAPipe(t *testing.T) {
	// Tests run with stderr on a pipe or file: the flag parser must not
	// attach a bar there.
	cfg, err := parseScanFlags([]string{"."}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Progress != nil && !isTerminal(os.Stderr) {
		t.Fatal("a progress bar was attached although stderr is not a terminal")
	}
}
