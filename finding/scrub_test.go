package finding

import (
	"strings"
	"testing"
)

func TestScrubber(t *testing.T) {
	secret := strings.Repeat("Zx9/", 10)
	token := "IQoJb3JpZ2luX2VjE" + secret + strings.Repeat("Q", 60)
	r := &Report{Keys: []KeyFinding{
		{Leak: Leak{Secret: NewSecret(secret), SessionToken: NewSecret(token)}},
		{Leak: Leak{Secret: NewSecret(secret)}},
		{},
	}}
	got := r.Scrubber().Replace("a " + secret + " b " + token + " c")
	want := "a " + Redact(secret) + " b " + Redact(token) + " c"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if (&Report{}).Scrubber().Replace("x") != "x" {
		t.Error("empty report changes text")
	}
}
