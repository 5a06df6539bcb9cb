package pack

import (
	"slices"
	"sort"

	"github.com/keysweep/keysweep/gitscan/detect"
)

// Whether the detectors report a key ID that may be one (detect.Candidates),
// or the marker of an encoded one, at s depends on the bytes
// [s-keyBefore, s+keyAfter), a property detect exports and tests
// (detect.Context).
const (
	keyLen    = 20
	keyBefore = detect.ContextBefore
	keyAfter  = detect.Context - detect.ContextBefore
	// window is how far around every delta operation edge the result is
	// scanned: the whole context above, so that any key ID whose context
	// crosses an edge lies wholly inside one scanned window.
	window = detect.Context
)

// keyIDs appends the offsets of the key IDs detect.Candidates reports in b
// and of the markers of encoded key IDs (detect.Encoded), in order. A blob
// with either is a suspect; the caller reads it whole and runs Find.
func keyIDs(out []int, b []byte) []int {
	n := len(out)
	out = detect.Candidates(out, b)
	if detect.MayContainEncoded(b) {
		out = detect.Encoded(out, b)
		slices.Sort(out[n:])
		out = slices.Compact(out)
	}
	return out
}

// messageHit reports whether the message of a commit or tag object (see
// Message) may hold a key ID or the marker of an encoded one.
func messageHit(msg []byte) bool {
	return detect.MayContain(msg) || detect.MayContainEncoded(msg)
}

// span is a half-open range of a delta result.
type span struct{ a, b int }

// windows returns the ranges of a delta's result that must be scanned:
// every inserted range and the first and last window bytes, each widened
// by window, and window bytes either side of every edge between two
// operations. Outside them, every byte and its detector context come
// from one copy of the base.
func windows(ws []span, ops []op, n int) []span {
	ws = ws[:0]
	add := func(a, b int) {
		a, b = max(a, 0), min(b, n)
		if a >= b {
			return
		}
		if k := len(ws) - 1; k >= 0 && a <= ws[k].b {
			ws[k].b = max(ws[k].b, b)
			return
		}
		ws = append(ws, span{a, b})
	}
	for _, o := range ops {
		if o.insert {
			add(o.dst-window, o.dst+o.n+window)
		} else {
			add(o.dst-window, o.dst+window)
		}
	}
	add(n-window, n)
	return ws
}

// covered reports whether ws (sorted, disjoint) has a span holding the
// context of a key ID at s in a result of n bytes.
func covered(ws []span, s, n int) bool {
	a, b := max(s-keyBefore, 0), min(s+keyAfter, n)
	i := sort.Search(len(ws), func(i int) bool { return ws[i].b > a })
	return i < len(ws) && ws[i].a <= a && b <= ws[i].b
}

// deltaKeys returns the key-ID offsets of a delta's result: those found in
// its windows, whose context the window holds, and the base's key IDs
// that a copy carries over unchanged with their context. content is the
// result if it was built; otherwise the windows are gathered from base
// and delta into *scratch.
func deltaKeys(out []int, ops []op, ws []span, base, delta, content []byte, n int, baseKeys []int, scratch *[]byte) []int {
	out = out[:0]
	var found []int
	for _, w := range ws {
		var b []byte
		if content != nil {
			b = content[w.a:w.b]
		} else {
			*scratch = gather((*scratch)[:0], ops, base, delta, w.a, w.b)
			b = *scratch
		}
		found = keyIDs(found[:0], b)
		for _, s := range found {
			if (s >= keyBefore || w.a == 0) && (s+keyAfter <= len(b) || w.b == n) {
				out = append(out, w.a+s)
			}
		}
	}
	if len(baseKeys) == 0 {
		return out
	}
	carried := false
	for _, o := range ops {
		if o.insert {
			continue
		}
		i, _ := slices.BinarySearch(baseKeys, o.src)
		for ; i < len(baseKeys) && baseKeys[i]+keyLen <= o.src+o.n; i++ {
			s := o.dst + baseKeys[i] - o.src
			if !covered(ws, s, n) {
				out = append(out, s)
				carried = true
			}
		}
	}
	if carried {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out
}
