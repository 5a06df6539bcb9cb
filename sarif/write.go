package sarif

import (
	"encoding/json"
	"io"
	"os"

	"github.com/keysweep/keysweep/finding"
)

// Write writes r as indented SARIF.
func Write(w io.Writer, r *finding.Report, opts Options) error {
	log, err := Build(r, opts)
	if err != nil {
		return err
	}
	// Scrubbed a line at a time on the way out, not as one more copy of
	// the whole log.
	sw := r.Scrubber().Writer(w)
	enc := json.NewEncoder(sw)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return err
	}
	return sw.Close()
}

// WriteFile writes r as SARIF to path, replacing what was there: go-sarif's
// own WriteFile does not truncate, leaving a longer old file's tail behind.
func WriteFile(path string, r *finding.Report, opts Options) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, r, opts); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
