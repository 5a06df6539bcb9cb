package canary

import "testing"

func TestBuiltin(t *testing.T) {
	l := Builtin()
	if l.Len() != 26 {
		t.Errorf("builtin list has %d accounts, want the 26 of accounts.txt", l.Len())
	}
	for account, want := range map[string]string{
		"052310077262": "canarytokens.org",
		"992382622183": "canarytokens.org",
		"044858866125": "a canarytokens.org-style service",
	} {
		if got, ok := l.Lookup(account); !ok || got != want {
			t.Errorf("Lookup(%s) = %q, %v; want %q", account, got, ok, want)
		}
	}
	for _, account := range []string{"123456789012", "", "05231007726"} {
		if _, ok := l.Lookup(account); ok {
			t.Errorf("Lookup(%q) found a canary", account)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, text string
		n          int
		ok         bool
	}{
		{"empty", "", 0, true},
		{"comments", "# x\n\n111122223333 svc # trailing\n", 1, true},
		{"short", "11112222333 svc\n", 0, false},
		{"letters", "11112222333x svc\n", 0, false},
		{"no service", "111122223333\n", 0, false},
		{"duplicate", "111122223333 a\n111122223333 b\n", 0, false},
	}
	for _, tt := range tests {
		l, err := Parse(tt.text)
		if (err == nil) != tt.ok || (err == nil && l.Len() != tt.n) {
			t.Errorf("%s: Parse = %v, %v; want ok %v with %d", tt.name, l, err, tt.ok, tt.n)
		}
	}
}

func TestWith(t *testing.T) {
	base := Builtin()
	l := base.With([]string{"111122223333", "052310077262"})
	if s, ok := l.Lookup("111122223333"); !ok || s != Configured {
		t.Errorf("configured account: %q, %v", s, ok)
	}
	if s, _ := l.Lookup("052310077262"); s != "canarytokens.org" {
		t.Errorf("a configured account already listed keeps its service, got %q", s)
	}
	if _, ok := base.Lookup("111122223333"); ok {
		t.Error("With changed the list it was called on")
	}
	var none *List
	if _, ok := none.With([]string{"111122223333"}).Lookup("111122223333"); !ok {
		t.Error("With on a nil list")
	}
}
