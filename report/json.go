package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/judge"
)

// SchemaVersion is the version of docs/report.schema.json the JSON report
// follows; it changes when a field changes meaning or shape.
const SchemaVersion = "1"

// keyJSON is a committed key as the JSON report has it: the finding and
// its remediation, which the judge derives on demand rather than storing
// in every finding.
type keyJSON struct {
	*finding.KeyFinding
	// Remediation is markdown with the exact steps for this key.
	Remediation string `json:"remediation"`
}

// keysField is how the report's keys array starts in the indented
// document: the only field named "keys" at the top level's indentation.
var keysField = []byte("\n  \"keys\": []")

// JSON writes r as indented JSON, as docs/report.schema.json describes it.
// It opens with "schemaVersion"; field order is the struct order of the
// finding package, so output is stable from run to run. A "summary" object
// closes it with the counts of the text report's summary line.
//
// The keys are encoded one at a time into the output, so rendering holds
// one finding's JSON at a time rather than the whole document several
// times over (see "Cost model: findings and reports" in
// docs/architecture.md).
func JSON(w io.Writer, r *finding.Report) error {
	out := struct {
		SchemaVersion string `json:"schemaVersion"`
		*finding.Report
		Summary Summary `json:"summary"`
	}{SchemaVersion: SchemaVersion, Report: new(finding.Report), Summary: Summarize(r)}
	*out.Report = *r
	// Consumers iterate "keys"; null would make them check first. The
	// empty array marks where the keys go.
	out.Keys = []finding.KeyFinding{}
	var frame bytes.Buffer
	if err := encode(&frame, &out, ""); err != nil {
		return err
	}
	at := bytes.Index(frame.Bytes(), keysField)
	if at < 0 {
		panic("report: no keys field in the JSON frame") // the struct has one
	}
	at += len(keysField) - len("[]")
	sw := r.Scrubber().Writer(w)
	sw.Write(frame.Bytes()[:at])
	if len(r.Keys) == 0 {
		sw.Write([]byte("[]"))
	} else {
		sw.Write([]byte("[\n"))
		var buf bytes.Buffer
		for i := range r.Keys {
			k := &r.Keys[i]
			buf.Reset()
			buf.WriteString("    ")
			if err := encode(&buf, keyJSON{k, judge.Remediation(k, r.Account)}, "    "); err != nil {
				return err
			}
			buf.Truncate(buf.Len() - 1) // the encoder's newline
			if i < len(r.Keys)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
			sw.Write(buf.Bytes())
		}
		sw.Write([]byte("  ]"))
	}
	sw.Write(frame.Bytes()[at+len("[]"):])
	return sw.Close()
}

// encode writes v as indented JSON, each line after the first starting
// with prefix.
func encode(buf *bytes.Buffer, v any, prefix string) error {
	enc := json.NewEncoder(buf)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false) // "<root_account>" reads better than "\u003croot_account\u003e"
	return enc.Encode(v)
}
