package finding

import (
	"cmp"
	"slices"
	"strings"
)

// Scrubber returns a replacer that redacts every secret value the report
// holds. Renderers run their whole output through it as a last line of
// defence against a message some stage built from a raw value.
func (r *Report) Scrubber() *strings.Replacer {
	var values []string
	for _, k := range r.Keys {
		for _, s := range []Secret{k.Secret, k.SessionToken} {
			if !s.IsZero() {
				values = append(values, s.Reveal())
			}
		}
	}
	// Longest first, so a token is not half-replaced by a shorter secret
	// it happens to contain.
	slices.SortFunc(values, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	values = slices.Compact(values)
	pairs := make([]string, 0, 2*len(values))
	for _, v := range values {
		pairs = append(pairs, v, Redact(v))
	}
	return strings.NewReplacer(pairs...)
}
