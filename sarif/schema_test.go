package sarif

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/keysweep/keysweep/finding"
)

// offline refuses every fetch: the schema and its draft-04 metaschema (built
// into the library) are all validation needs.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, errors.New("offline: refusing to fetch " + url)
}

var schema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open("../testdata/sarif-schema-2.1.0.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(offline{})
	if err := c.AddResource(SchemaURI, doc); err != nil {
		return nil, err
	}
	return c.Compile(SchemaURI)
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
