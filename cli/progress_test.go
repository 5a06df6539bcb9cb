package cli

import (
	"bytes"
	"io"
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
	p := newTTYProgress(&out, 80)
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

// screen plays terminal output on a width-column screen: printable bytes
// fill columns and wrap at the edge, \r returns to the row's start, \n
// starts a new row. It returns the rows.
func screen(out string, width int) []string {
	rows := [][]byte{{}}
	row, col := 0, 0
	for i := 0; i < len(out); i++ {
		switch c := out[i]; c {
		case '\r':
			col = 0
		case '\n':
			row, col = row+1, 0
		default:
			if col == width {
				row, col = row+1, 0
			}
			for len(rows) <= row {
				rows = append(rows, []byte{})
			}
			for len(rows[row]) <= col {
				rows[row] = append(rows[row], ' ')
			}
			rows[row][col] = c
			col++
		}
		for len(rows) <= row {
			rows = append(rows, []byte{})
		}
	}
	out2 := make([]string, len(rows))
	for i, r := range rows {
		out2[i] = strings.TrimRight(string(r), " ")
	}
	return out2
}

// TestProgressLeavesNoStaleLine: at 80 columns (and narrower), with counts
// and rates as wide as they get, the status line never wraps, and after
// Finish the report starts on a clean screen: nothing of the line is left.
func TestProgressLeavesNoStaleLine(t *testing.T) {
	for _, width := range []int{80, 40, 20} {
		var out syncBuffer
		p := newTTYProgress(&out, width)
		p.Start(123456789, 0)
		p.Add(98765432, 1<<40)
		p.draw()
		p.Add(1, 1)
		p.draw()
		p.Finish()
		out.Write([]byte("keysweep report\n"))
		rows := screen(out.String(), width)
		var text []string
		for _, r := range rows {
			if r != "" {
				text = append(text, r)
			}
		}
		if len(text) != 1 || text[0] != "keysweep report" {
			t.Errorf("width %d: screen after Finish %q, want only the report", width, rows)
		}
		p2 := newTTYProgress(io.Discard, width)
		p2.Start(123456789, 0)
		p2.Add(98765432, 1<<40)
		if l := p2.line(); len(l) >= width || !strings.HasPrefix("scanning objects 98765432/123456789  80%", l[:min(len(l), 20)]) {
			t.Errorf("width %d: line %q (%d columns) must be shorter than the terminal", width, l, len(l))
		}
		p2.Finish()
	}
}
