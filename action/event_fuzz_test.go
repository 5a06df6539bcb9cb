package action

import (
	"strings"
	"testing"

	"github.com/keysweep/keysweep/internal/gittest"
)

// FuzzParseEvent: any payload is an event or one error; and whatever the
// event, planning the scope from it gives a scope or one error, never a
// panic (the payload of a pull request names refs the PR author chose).
func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"abc","deleted":false}`,
		`{"pull_request":{"number":7,"base":{"sha":"` + strings.Repeat("a", 40) + `"},"head":{"sha":"b","repo":{"full_name":"x/y"}}}}`,
		`{"merge_group":{"base_sha":"","head_sha":"x"}}`, `{"pull_request":null}`, `{"ref":"refs/heads/x\n::warning::y"}`, `{"after":1}`,
	} {
		f.Add([]byte(s))
	}
	repo := gittest.New(f)
	repo.Write("README.md", "# app\n")
	repo.Commit("initial")
	facts, err := openFacts(repo.Dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := parseEvent("event.json", b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		for _, name := range []string{"push", "pull_request", "pull_request_target", "merge_group", "schedule", ""} {
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("planScope(%s) panicked: %v", name, p)
					}
				}()
				planScope(name, ev, "", "refs/heads/main", facts)
			}()
		}
	})
}
