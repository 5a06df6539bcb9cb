package cli

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// ttyProgress draws a progress bar for the blob scan. Workers only bump
// two atomic counters; a ticker redraws, so the bar costs nothing
// measurable on the hot path.
type ttyProgress struct {
	w            io.Writer
	objs, bytes  atomic.Int64
	bar          *progressbar.ProgressBar
	stop, closed chan struct{}
	started      time.Time
}

func newTTYProgress(w io.Writer) *ttyProgress { return &ttyProgress{w: w} }

func (p *ttyProgress) Start(objects int, _ int64) {
	p.started = time.Now()
	p.bar = progressbar.NewOptions(objects,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription("scanning objects"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
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

func (p *ttyProgress) draw() {
	secs := time.Since(p.started).Seconds()
	if secs > 0 {
		p.bar.Describe(fmt.Sprintf("scanning objects %6.1f MB/s", float64(p.bytes.Load())/1e6/secs))
	}
	_ = p.bar.Set64(p.objs.Load())
}

func (p *ttyProgress) Add(objects int, bytes int64) {
	p.objs.Add(int64(objects))
	p.bytes.Add(bytes)
}

func (p *ttyProgress) Finish() {
	close(p.stop)
	<-p.closed
	p.draw()
	_ = p.bar.Finish()
	_ = p.bar.Clear()
}
