package pipeline

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
)

const module = "github.com/keysweep/keysweep"

// readVerbs begin the IAM client's methods that only read.
var readVerbs = []string{"Get", "List", "Generate", "Simulate"}

// TestScanPathIsReadOnly: the scanning path (this package and everything
// it imports) never imports package contain, the one package that changes
// an AWS account, and no file of it calls an IAM method that writes. So a
// scan cannot change an account, whatever its input or settings.
func TestScanPathIsReadOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \",\"}}", module+"/pipeline", module+"/org").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	writes := map[string]bool{}
	client := reflect.TypeOf(&iam.Client{})
	for i := range client.NumMethod() {
		name := client.Method(i).Name
		if !hasAnyPrefix(name, readVerbs) && name != "Options" {
			writes[name] = true
		}
	}
	if !writes["UpdateAccessKey"] || !writes["AttachUserPolicy"] || writes["ListUsers"] {
		t.Fatalf("the IAM write methods are not what this test thinks: %d", len(writes))
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		path, dir := f[0], f[1]
		if path == module+"/contain" || strings.HasPrefix(path, module+"/contain/") {
			t.Errorf("the scanning path imports %s", path)
		}
		if !strings.HasPrefix(path, module) || len(f) < 3 || f[2] == "" {
			continue
		}
		for _, name := range strings.Split(f[2], ",") {
			seen++
			file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && writes[sel.Sel.Name] {
					var b bytes.Buffer
					b.WriteString(sel.Sel.Name)
					t.Errorf("%s/%s calls %s, an IAM write", path, name, b.String())
				}
				return true
			})
		}
	}
	if seen < 50 {
		t.Errorf("only %d files checked: is the package list right?", seen)
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
