package report

import (
	"bufio"
	"bytes"
	"io"

	"github.com/keysweep/keysweep/finding"
)

// scrubWriter runs everything written through a report's scrubber
// (finding.Report.Scrubber) a line at a time, so a renderer streams its
// output instead of holding all of it to scrub at the end. A secret
// never spans lines, so scrubbing lines is scrubbing the whole.
type scrubWriter struct {
	w     *bufio.Writer // a line per write to a file would be a syscall per line
	scrub *finding.Scrubber
	line  []byte
	err   error
}

func newScrubWriter(w io.Writer, scrub *finding.Scrubber) *scrubWriter {
	return &scrubWriter{w: bufio.NewWriterSize(w, 64<<10), scrub: scrub}
}

// Write never fails itself; the first error of the underlying writer is
// kept for Close.
func (s *scrubWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && s.err == nil {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.line = append(s.line, p...)
			break
		}
		s.line = append(s.line, p[:i+1]...)
		p = p[i+1:]
		s.flush()
	}
	return n, nil
}

func (s *scrubWriter) flush() {
	if s.err == nil && len(s.line) > 0 {
		_, s.err = s.w.WriteString(s.scrub.Replace(string(s.line)))
	}
	s.line = s.line[:0]
}

// Close writes what is left of the last line and reports the first error.
func (s *scrubWriter) Close() error {
	s.flush()
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}
