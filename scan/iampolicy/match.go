package iampolicy

import "strings"

// The two relations between IAM wildcard patterns ('*' any run, '?' one
// character) the evaluator needs. A query is itself a pattern: the set of
// requests it stands for.
//
//   - covers(p, q): every string q matches, p matches too (an Allow of p
//     answers all of q);
//   - overlaps(p, q): some string matches both (a Deny of p touches q).
//
// Both are dynamic programs over the two patterns, O(len(p)·len(q)) time
// and O(len(q)) memory; documents are bounded (MaxDocument), so is the cost.

// covers reports whether pattern p matches every string that q matches. A
// literal or '?' of q is matched by itself, '?' or a '*' of p; a '*' of q
// only by a '*' of p (which absorbs any run of q, wildcards included).
func covers(p, q string, fold bool) bool {
	if fold {
		p, q = strings.ToLower(p), strings.ToLower(q)
	}
	// prev[j]: p[:i] covers q[:j].
	prev := make([]bool, len(q)+1)
	cur := make([]bool, len(q)+1)
	prev[0] = true
	for i := 1; i <= len(p); i++ {
		pc := p[i-1]
		cur[0] = pc == '*' && prev[0]
		for j := 1; j <= len(q); j++ {
			qc := q[j-1]
			switch {
			case pc == '*':
				cur[j] = prev[j] || cur[j-1]
			case qc == '*':
				cur[j] = false
			case pc == '?' || pc == qc:
				cur[j] = prev[j-1]
			default:
				cur[j] = false
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(q)]
}

// overlaps reports whether some string matches both p and q.
func overlaps(p, q string, fold bool) bool {
	if fold {
		p, q = strings.ToLower(p), strings.ToLower(q)
	}
	// m[i][j]: p[i:] and q[j:] have a common string. Filled from the ends.
	w := len(q) + 1
	m := make([]bool, (len(p)+1)*w)
	at := func(i, j int) bool { return m[i*w+j] }
	for i := len(p); i >= 0; i-- {
		for j := len(q); j >= 0; j-- {
			var v bool
			switch {
			case i == len(p) && j == len(q):
				v = true
			case i < len(p) && p[i] == '*':
				// '*' matches nothing, or one more character of the
				// common string (which q must also produce).
				v = at(i+1, j) || (j < len(q) && at(i, j+1))
			case j < len(q) && q[j] == '*':
				v = at(i, j+1) || (i < len(p) && at(i+1, j))
			case i < len(p) && j < len(q):
				v = (p[i] == '?' || q[j] == '?' || p[i] == q[j]) && at(i+1, j+1)
			}
			m[i*w+j] = v
		}
	}
	return m[0]
}
