package finding

import (
	"cmp"
	"slices"
	"strings"
)

// Scrubber redacts every secret value a report holds wherever it occurs
// in a text. Renderers run their whole output through it as a last line of
// defence against a message some stage built from a raw value.
//
// It costs O(secrets) memory (an index of the secrets' first bytes, not a
// trie of every byte as strings.Replacer builds, which took about 1 KB per
// secret) and O(text) time: a rolling hash of the window the index is
// keyed by filters the positions where a secret may start, and only those
// are looked up.
type Scrubber struct {
	// width is the length of the prefix the index is keyed by: the
	// shortest secret's, at most maxWidth.
	width  int
	index  map[string][]string // prefix → secrets, longest first
	filter []uint64            // bit set of the prefixes' rolling hashes
}

const (
	maxWidth   = 16
	filterBits = 1 << 20 // 128 KiB; a 1-in-(bits/secrets) false positive rate
	hashBase   = 1000003
)

// Scrubber returns the scrubber of every secret value the report holds.
func (r *Report) Scrubber() *Scrubber { return r.ScrubberWith() }

// ScrubberWith returns the scrubber of every secret value the report
// holds, each also in the forms the given escapers write it, for output
// that is escaped before it is scrubbed.
func (r *Report) ScrubberWith(forms ...func(string) string) *Scrubber {
	var values []string
	for _, k := range r.Keys {
		for _, s := range []Secret{k.Secret, k.SessionToken} {
			if s.IsZero() {
				continue
			}
			values = append(values, s.Reveal())
			for _, form := range forms {
				// Escaping only adds; a form that lost the value (cut
				// away) would scrub something else.
				if f := form(s.Reveal()); len(f) > len(s.Reveal()) {
					values = append(values, f)
				}
			}
		}
	}
	return NewScrubber(values)
}

// NewScrubber returns a scrubber of the given values.
func NewScrubber(values []string) *Scrubber {
	s := &Scrubber{}
	if len(values) == 0 {
		return s
	}
	// Longest first, so a token is not half-replaced by a shorter secret
	// it happens to contain.
	values = slices.Clone(values)
	slices.SortFunc(values, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	values = slices.Compact(values)
	s.width = min(len(values[len(values)-1]), maxWidth)
	s.index = make(map[string][]string, len(values))
	s.filter = make([]uint64, filterBits/64)
	for _, v := range values {
		p := v[:s.width]
		if _, ok := s.index[p]; !ok {
			h := hashOf(p)
			s.filter[h%filterBits/64] |= 1 << (h % 64)
		}
		s.index[p] = append(s.index[p], v)
	}
	return s
}

func hashOf(p string) uint64 {
	var h uint64
	for i := 0; i < len(p); i++ {
		h = h*hashBase + uint64(p[i])
	}
	return h
}

// Replace returns text with every secret replaced by its redacted form
// (Redact), leftmost first, the longest secret where several start at one
// place.
func (s *Scrubber) Replace(text string) string {
	if s.width == 0 || len(text) < s.width {
		return text
	}
	// pow is hashBase^(width-1), to drop the byte leaving the window.
	pow := uint64(1)
	for range s.width - 1 {
		pow *= hashBase
	}
	var b strings.Builder
	done := 0 // text[:done] is written to b
	h := hashOf(text[:s.width])
	for i := 0; ; {
		if s.filter[h%filterBits/64]&(1<<(h%64)) != 0 {
			if v := s.match(text[i:]); v != "" {
				if b.Len() == 0 {
					b.Grow(len(text))
				}
				b.WriteString(text[done:i])
				b.WriteString(Redact(v))
				done = i + len(v)
				i = done
				if i+s.width > len(text) {
					break
				}
				h = hashOf(text[i : i+s.width])
				continue
			}
		}
		if i+s.width >= len(text) {
			break
		}
		h = (h-uint64(text[i])*pow)*hashBase + uint64(text[i+s.width])
		i++
	}
	if done == 0 {
		return text
	}
	b.WriteString(text[done:])
	return b.String()
}

// match returns the longest secret text starts with, or "".
func (s *Scrubber) match(text string) string {
	for _, v := range s.index[text[:s.width]] {
		if strings.HasPrefix(text, v) {
			return v
		}
	}
	return ""
}
