package finding

import (
	"fmt"
	"runtime"
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

// TestScrubberAgrees compares the scrubber with strings.Replacer, the
// obvious implementation, on texts dense with secrets, their prefixes,
// overlaps and a secret that is a prefix of another.
func TestScrubberAgrees(t *testing.T) {
	values := []string{"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdEXTRA", "short123", "hort1234xx", "zzzzzzzzzz"}
	var pairs []string
	for _, v := range []string{values[1], values[0], values[3], values[2], values[4]} {
		pairs = append(pairs, v, Redact(v))
	}
	want := strings.NewReplacer(pairs...)
	s := NewScrubber(values)
	for _, text := range []string{
		"", "short12", "short123", "xshort123x", "short1234xx", "hort1234xx",
		"a " + values[0] + " b " + values[1] + "!" + values[0][:20],
		values[0] + values[0] + values[2] + values[4] + "zzzzz",
		strings.Repeat("z", 35), "ABCDEFGHIJKLMNOP" + values[2] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abc",
	} {
		if got, w := s.Replace(text), want.Replace(text); got != w {
			t.Errorf("Replace(%q) = %q, want %q", text, got, w)
		}
	}
}

// TestScrubberCost: memory per secret is small, and scrubbing is linear in
// the text.
func TestScrubberCost(t *testing.T) {
	values := make([]string, 20000)
	for i := range values {
		values[i] = fmt.Sprintf("%040d", i*7919)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewScrubber(values)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(len(values)); per > 200 {
		t.Errorf("scrubber holds %d bytes per secret, want <= 200", per)
	}
	text := strings.Repeat(values[123]+" some text around it, ", 2000)
	out := s.Replace(text)
	if strings.Contains(out, values[123]) || strings.Count(out, Redact(values[123])) != 2000 {
		t.Errorf("not every occurrence redacted")
	}
	runtime.KeepAlive(s)
}
