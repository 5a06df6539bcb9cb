// Package reportschema checks, in tests, that a JSON report follows the
// published schema of the report (docs/report.schema.json), so the schema
// and the renderer cannot drift apart unnoticed.
package reportschema

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// URI is the schema's $id.
const URI = "https://github.com/keysweep/keysweep/docs/report.schema.json"

// offline refuses every fetch: the schema and the 2020-12 metaschema
// (built into the library) are all validation needs.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, errors.New("offline: refusing to fetch " + url)
}

// Path is the schema file in the repository.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "report.schema.json")
}

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return Compile(Path(), URI)
})

// Compile reads the JSON Schema at path, whose $id is uri, and compiles
// it offline, asserting formats: the one way the tests load a schema
// (this report's, SARIF's).
func Compile(path, uri string) (*jsonschema.Schema, error) {
	f, err := os.Open(path)
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
	c.AssertFormat()
	if err := c.AddResource(uri, doc); err != nil {
		return nil, err
	}
	return c.Compile(uri)
}

// Check returns why data does not follow the schema, or nil.
func Check(data []byte) error {
	sch, err := compiled()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// Validate fails t unless data follows the schema.
func Validate(t testing.TB, data []byte) {
	t.Helper()
	if err := Check(data); err != nil {
		t.Fatalf("the JSON report does not follow docs/report.schema.json: %v", err)
	}
}
