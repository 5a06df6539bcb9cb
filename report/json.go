package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/keysweep/keysweep/finding"
)

// SchemaVersion is the version of docs/report.schema.json the JSON report
// follows; it changes when a field changes meaning or shape.
const SchemaVersion = "1"

// JSON writes r as indented JSON, as docs/report.schema.json describes it.
// It opens with "schemaVersion"; field order is the struct order of the
// finding package, so output is stable from run to run. A "summary" object
// closes it with the counts of the text report's summary line.
func JSON(w io.Writer, r *finding.Report) error {
	out := struct {
		SchemaVersion string `json:"schemaVersion"`
		*finding.Report
		Summary Summary `json:"summary"`
	}{SchemaVersion: SchemaVersion, Report: new(finding.Report), Summary: Summarize(r)}
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
