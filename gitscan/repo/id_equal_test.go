package repo

import (
	"strings"
	"testing"
)

func TestIDEqual(t *testing.T) {
	sha1 := strings.Repeat("ab", 20)
	sha256 := strings.Repeat("ab", 32)
	lastDiffers := strings.Repeat("ab", 31) + "ac"
	id := func(s string) ID {
		v, err := ParseID(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{sha1, sha1, true},
		{sha256, sha256, true},
		{sha256, lastDiffers, false},                                // the last word counts
		{sha1, sha256[:40], true},                                   // the same name
		{sha1, strings.Repeat("ab", 19) + "ac", false},              // the third word
		{strings.Repeat("00", 20), strings.Repeat("00", 32), false}, // same bytes, other size
	}
	for _, tt := range tests {
		a, b := id(tt.a), id(tt.b)
		if got := a.Equal(&b); got != tt.want || got != (a == b) {
			t.Errorf("Equal(%s, %s) = %v, want %v (== says %v)", tt.a, tt.b, got, tt.want, a == b)
		}
	}
}
