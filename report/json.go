package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/keysweep/keysweep/finding"
)

// JSON writes r as indented JSON. Field order is the struct order of the
// finding package, so output is stable from run to run. A "summary" object
// closes it with the counts of the text report's summary line.
func JSON(w io.Writer, r *finding.Report) error {
	out := struct {
		*finding.Report
		Summary Summary `json:"summary"`
	}{Report: new(finding.Report), Summary: Summarize(r)}
	*out.Report = *r
	if out.Keys == nil {
		// Consumers iterate "keys"; null would make them check first.
		out.Keys = []finding.KeyFinding{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "<root_account>" reads better than "\u003croot_account\u003e"
	if err := enc.Encode(&out); err != nil {
		return err
	}
	_, err := io.WriteString(w, r.Scrubber().Replace(buf.String()))
	return err
}
