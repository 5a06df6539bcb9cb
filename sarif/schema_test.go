package sarif

import (
	"bytes"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/reportschema"
)

var schema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return reportschema.Compile("../testdata/sarif-schema-2.1.0.json", SchemaURI)
})

// writeValid renders r and fails the test unless the official schema
// accepts it.
func writeValid(t *testing.T, r *finding.Report, opts Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, opts); err != nil {
		t.Fatal(err)
	}
	validate(t, b.Bytes())
	return b.Bytes()
}

func validate(t *testing.T, data []byte) {
	t.Helper()
	sch, err := schema()
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("SARIF does not validate: %v\n%s", err, data)
	}
}

// TestSchemaCatchesErrors proves the validator is not vacuous.
func TestSchemaCatchesErrors(t *testing.T) {
	sch, err := schema()
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": []}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "suppressions": [{"kind": "external", "status": null}]}]}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"region": {"startLine": 0}}}]}]}]}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(doc)))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(inst) == nil {
			t.Errorf("schema accepts %s", doc)
		}
	}
}
