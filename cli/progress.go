package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// ttyProgress draws one status line for the blob scan on a terminal.
// Workers only bump two atomic counters; a ticker redraws, so the line
// costs nothing measurable on the hot path.
//
// The line is always shorter than the terminal is wide: a line that wraps
// cannot be taken back with a carriage return, and its first row would be
// left above the report (a bar library's 100-column line on an 80-column
// terminal did exactly that). Finish blanks the line it drew and returns
// the cursor to its start, so the report begins on a clean line.
type ttyProgress struct {
	w            io.Writer
	width        int // terminal columns
	total        int
	objs, bytes  atomic.Int64
	stop, closed chan struct{}
	started      time.Time

	mu    sync.Mutex
	drawn int // columns of the line on screen
}

// newTTYProgress draws on w, a terminal width columns wide.
func newTTYProgress(w io.Writer, width int) *ttyProgress {
	return &ttyProgress{w: w, width: width}
}

// terminalWidth is f's width in columns, 80 when it cannot be told.
func terminalWidth(f *os.File) int {
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
		return w
	}
	return 80
}

func (p *ttyProgress) Start(objects int, _ int64) {
	p.started = time.Now()
	p.total = objects
	p.stop, p.closed = make(chan struct{}), make(chan struct{})
	go p.loop()
}

func (p *ttyProgress) loop() {
	defer close(p.closed)
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

// line is the status, ASCII only (a byte is a column), at most width-1
// columns: the last column would make some terminals wrap.
func (p *ttyProgress) line() string {
	n := p.objs.Load()
	s := fmt.Sprintf("scanning objects %d/%d", n, p.total)
	if p.total > 0 {
		s += fmt.Sprintf(" %3d%%", min(n*100/int64(p.total), 100))
	}
	if secs := time.Since(p.started).Seconds(); secs > 0 {
		s += fmt.Sprintf(" %.1f MB/s", float64(p.bytes.Load())/1e6/secs)
	}
	if room := p.width - 1 - len(s) - 3; room >= 10 && p.total > 0 {
		bar := min(room, 30)
		filled := int(min(int64(bar)*n/int64(p.total), int64(bar)))
		s += " [" + strings.Repeat("#", filled) + strings.Repeat(".", bar-filled) + "]"
	}
	if limit := p.width - 1; len(s) > limit {
		s = s[:limit]
	}
	return s
}

func (p *ttyProgress) draw() {
	s := p.line()
	p.mu.Lock()
	defer p.mu.Unlock()
	// Spaces over what a longer previous line left.
	fmt.Fprint(p.w, "\r"+s+strings.Repeat(" ", max(p.drawn-len(s), 0)))
	p.drawn = max(p.drawn, len(s))
}

func (p *ttyProgress) Add(objects int, bytes int64) {
	p.objs.Add(int64(objects))
	p.bytes.Add(bytes)
}

// Finish stops the redraws and blanks the line.
func (p *ttyProgress) Finish() {
	if p.stop == nil {
		return // never started
	}
	close(p.stop)
	<-p.closed
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.drawn)+"\r")
		p.drawn = 0
	}
}
