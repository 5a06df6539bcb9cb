package repogen

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// reportKey is the part of a keysweep JSON report finding that recall is
// judged on.
type reportKey struct {
	KeyID  string `json:"keyId"`
	Secret string `json:"secret"`
	Path   string `json:"path"`
	Commit string `json:"commit"`
	InHead bool   `json:"inHead"`
}

type report struct {
	Keys    []reportKey `json:"keys"`
	Skipped []string    `json:"skipped"`
}

// Compare checks a keysweep JSON report of a full-history scan against m.
// It returns one line per problem: a planted key missed or attributed to
// the wrong commit, a wrong inHead, a secret not paired, a look-alike or
// anything else reported that was not planted.
func Compare(m *Manifest, reportJSON []byte) ([]string, error) {
	var r report
	if err := json.Unmarshal(reportJSON, &r); err != nil {
		return nil, fmt.Errorf("read report: %v", err)
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, s := range r.Skipped {
		add("skipped object: %s", s)
	}
	type key struct{ id, path string }
	got := map[key]reportKey{}
	for _, k := range r.Keys {
		got[key{k.KeyID, k.Path}] = k
	}
	want := map[key]bool{}
	for _, p := range m.Keys {
		want[key{p.KeyID, p.Path}] = true
		k, ok := got[key{p.KeyID, p.Path}]
		where := fmt.Sprintf("%s %s at %s", p.Kind, p.KeyID, p.Path)
		if !ok {
			add("missed: %s (introduced in %s on %s)", where, short(p.Commit), p.Ref)
			continue
		}
		if k.Commit != p.Commit {
			add("wrong commit: %s: reported %s, introduced in %s", where, short(k.Commit), short(p.Commit))
		}
		if k.InHead != p.InHead {
			add("wrong inHead: %s: reported %v, want %v", where, k.InHead, p.InHead)
		}
		// Reports redact secrets to their first four characters.
		if p.PairedSecret && (len(k.Secret) < 4 || !strings.HasPrefix(p.Secret, k.Secret[:4])) {
			add("secret not paired: %s: reported %q", where, k.Secret)
		}
	}
	negative := map[string]string{}
	for _, n := range m.Negatives {
		if n.KeyID != "" {
			negative[n.KeyID] = n.Kind
		}
	}
	for _, k := range r.Keys {
		switch {
		case negative[k.KeyID] != "":
			add("false positive: %s look-alike %s reported at %s", negative[k.KeyID], k.KeyID, k.Path)
		case !want[key{k.KeyID, k.Path}]:
			add("unexpected: %s at %s (commit %s)", k.KeyID, k.Path, short(k.Commit))
		}
	}
	return problems, nil
}

// CheckRecall fails t for every problem Compare finds, so a test can run it
// against the report of any scan engine.
func CheckRecall(t testing.TB, m *Manifest, reportJSON []byte) {
	t.Helper()
	problems, err := Compare(m, reportJSON)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
