package sarif

import (
	"bytes"
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
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return err
	}
	_, err = io.WriteString(w, r.Scrubber().Replace(buf.String()))
	return err
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
