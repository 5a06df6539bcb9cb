package finding

import (
	"bufio"
	"bytes"
	"io"
)

// ScrubWriter runs everything written through a scrubber a line at a
// time, so a renderer streams its output instead of holding all of it to
// scrub at the end. A secret never spans lines, so scrubbing lines is
// scrubbing the whole.
type ScrubWriter struct {
	w     *bufio.Writer // a line per write to a file would be a syscall per line
	scrub *Scrubber
	line  []byte
	err   error
}

// Writer returns a ScrubWriter to w; Close it to write the last line.
func (s *Scrubber) Writer(w io.Writer) *ScrubWriter {
	return &ScrubWriter{w: bufio.NewWriterSize(w, 64<<10), scrub: s}
}

// Write never fails itself; the first error of the underlying writer is
// kept for Close.
func (s *ScrubWriter) Write(p []byte) (int, error) {
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

func (s *ScrubWriter) flush() {
	if s.err == nil && len(s.line) > 0 {
		_, s.err = s.w.WriteString(s.scrub.Replace(string(s.line)))
	}
	s.line = s.line[:0]
}

// Close writes what is left of the last line and reports the first error.
func (s *ScrubWriter) Close() error {
	s.flush()
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}
