package detect

import (
	"bytes"
	"cmp"
	"math/bits"
	"slices"
	"sort"
	"strings"
)

const (
	secretLen   = 40
	minTokenLen = 100

	// How far an unnamed secret (or token) may be from its key ID.
	nearLines = 5
	nearBytes = 4 << 10
	// How far a secret assigned to a secret-like name may be. The byte
	// limits keep minified files, where everything is on one line, from
	// pairing across the whole file.
	namedLines = 30
	namedBytes = 16 << 10

	// Candidates kept per key ID; enough for the greedy assignment to fall
	// back when the nearest is taken, while a file of thousands of key IDs
	// stays linear.
	maxPairs = 4
	// Candidates each key ID looks at either way before it stops: where
	// more are within reach (a dump of thousands of credentials on a few
	// lines), the nearest decide, and the named ones nearest to it are
	// looked at besides.
	maxWalk = 16
)

// A cand is a secret or session token that may belong to a key ID.
type cand struct {
	start, end int
	line       int
	named      bool // assigned to a secret-like or token-like name
	// val is the value percent-decoded when buf[start:end] holds %2B or
	// %2F (a secret in a URL), "" when the value is those bytes as they are.
	val string
	scope
}

// text returns the candidate's value.
func (c cand) text(buf []byte) string {
	if c.val != "" {
		return c.val
	}
	return string(buf[c.start:c.end])
}

// A scope is what says that a key ID and a secret belong together beyond
// their distance: the word a name adds to the credential words (prod of
// PROD_AWS_ACCESS_KEY_ID and PROD_AWS_SECRET_ACCESS_KEY, fss3abucketlogs of
// fs.s3a.bucket.logs.access.key), "" if the name has none or the value has
// no credential-like name; and the section of the file it is in.
type scope struct {
	qual string
	sec  section
	obj  int // offset of the inline object ('{') it is in, -1 for none
}

// A section is where a line is in a file's structure: the offsets of the
// INI or TOML header above it ("[prod]", "[profile dev]") and of the line
// that opens the block it is indented under (YAML "prod:", JSON
// "\"prod\": {", a Terraform block), -1 for none.
type section struct{ head, parent int }

// mismatch ranks how surely a and b belong to different credentials: 2
// when their names say so, 1 when only their sections do, 0 otherwise.
func (a scope) mismatch(b scope) uint64 {
	switch {
	case a.qual != "" && b.qual != "" && a.qual != b.qual:
		return 2
	case a.sec != b.sec, a.obj >= 0 && b.obj >= 0 && a.obj != b.obj:
		return 1
	}
	return 0
}

// maxObject bounds how far back objectOf looks for the '{' of the object
// an offset is in: the objects that hold a credential are small.
const maxObject = 256

// objectOf returns the offset of the innermost '{' still open at off,
// within maxObject bytes before it, or -1.
func objectOf(buf []byte, off int) int {
	depth := 0
	for j := off - 1; j >= max(off-maxObject, 0); j-- {
		switch buf[j] {
		case '}':
			depth++
		case '{':
			if depth == 0 {
				return j
			}
			depth--
		}
	}
	return -1
}

// A key is what pairing knows of a key ID besides its Match.
type key struct {
	line int
	scope
}

// pair fills in Secret, SecretStart and SessionToken of ms, which are in
// offset order.
func pair(buf []byte, ms []Match) {
	asia := func(k int) bool { return strings.HasPrefix(ms[k].KeyID, "ASIA") }
	wantTokens := slices.ContainsFunc(ms, func(m Match) bool { return strings.HasPrefix(m.KeyID, "ASIA") })
	secrets, tokens := candidates(buf, ms, wantTokens)
	if len(secrets) == 0 && len(tokens) == 0 {
		return
	}

	keys := make([]key, len(ms))
	lc := lineCounter{buf: buf}
	for k := range ms {
		keys[k].line = lc.at(ms[k].Start)
		keys[k].obj = -1
	}
	for _, cs := range [][]cand{secrets, tokens} {
		lc = lineCounter{buf: buf}
		for i := range cs {
			cs[i].line = lc.at(cs[i].start)
			cs[i].obj = -1
		}
	}
	if slices.ContainsFunc(ms[1:], func(m Match) bool { return m.KeyID != ms[0].KeyID }) {
		scopes(buf, ms, keys, secrets, tokens)
	}

	nb := neighbours{buf: buf, ms: ms}
	for k, c := range assign(ms, keys, secrets, true, func(int) bool { return true }, &nb) {
		if c >= 0 {
			ms[k].Secret = secrets[c].text(buf)
			ms[k].SecretStart = secrets[c].start
		}
	}
	for k, c := range assign(ms, keys, tokens, false, asia, nil) {
		if c >= 0 {
			ms[k].SessionToken = tokens[c].text(buf)
		}
	}
}

// scopes fills in the scope of every key ID and candidate. Only a buffer
// holding more than one key ID needs them: they decide which credential a
// secret belongs to, never whether it is one.
func scopes(buf []byte, ms []Match, keys []key, secrets, tokens []cand) {
	var at []sectionAt
	for k := range ms {
		name := nameOf(buf, ms[k].Start)
		keys[k].qual = qualifier(name, idWords)
		// The object counts for named values: {"AccessKeyId": K,
		// "SecretAccessKey": S}, not a list of bare values.
		if credentialLike(name) {
			keys[k].obj = objectOf(buf, ms[k].Start)
		}
		at = append(at, sectionAt{ms[k].Start, &keys[k].sec})
	}
	for _, cs := range []struct {
		cs    []cand
		words []string
	}{{secrets, secretWords}, {tokens, tokenWords}} {
		for i := range cs.cs {
			c := &cs.cs[i]
			if c.named {
				c.qual = qualifier(nameOf(buf, c.start), cs.words)
				c.obj = objectOf(buf, c.start)
			}
			at = append(at, sectionAt{c.start, &c.sec})
		}
	}
	slices.SortFunc(at, func(a, b sectionAt) int { return cmp.Compare(a.off, b.off) })
	sections(buf, at)
}

// The words that make a name a credential's, longest first; what else a
// name holds, besides "aws", qualifies it.
var (
	idWords     = []string{"accesskeyid", "accesskey", "keyid", "access"}
	secretWords = []string{"secretaccesskey", "secretkey", "secret"}
	tokenWords  = []string{"sessiontoken", "securitytoken"}
)

// qualifier returns what name (normalized, see assignedName) holds besides
// the first of words it holds and "aws"; "" if it holds none of words.
func qualifier(name []byte, words []string) string {
	for _, w := range words {
		if i := bytes.Index(name, []byte(w)); i >= 0 {
			q := slices.Concat(name[:i], name[i+len(w):])
			return string(bytes.ReplaceAll(q, []byte("aws"), nil))
		}
	}
	return ""
}

// sectionAt asks for the section of the line holding offset off.
type sectionAt struct {
	off int
	sec *section
}

// sections fills in the section of each of at, in offset order. A line
// opens a block when it ends with ':', '{' or '['; the lines indented
// deeper than it, up to the next line that is not (blank lines and
// comments aside), are in its block. A header or block more than
// namedBytes before an offset counts as none, so that the section, like
// the rest of pairing, is decided within MaxContext, and only the lines
// that far before some offset are read.
//
// Each line is read once however many groups of offsets it serves: the
// reader remembers the line it read last, so a file of one long line with
// many credentials on it costs its length, not its length per credential.
func sections(buf []byte, at []sectionAt) {
	lr := lineReader{buf: buf}
	for len(at) > 0 {
		// The lines from namedBytes before at[0] up to the last offset
		// whose reach overlaps theirs.
		k := 1
		for k < len(at) && at[k].off-namedBytes <= at[k-1].off {
			k++
		}
		sectionsIn(&lr, lr.startOf(max(at[0].off-namedBytes, 0)), at[:k])
		at = at[k:]
	}
}

// A line is what sections needs of one line of a buffer.
type line struct {
	start, end int // buf[start:end] is the line, without its '\n'
	indent     int
	blank      bool // only blanks, or a comment
	header     bool // an INI or TOML section header
	opens      bool // ends with ':', '{' or '['
}

// A lineReader reads the lines of buf in increasing order, each once.
type lineReader struct {
	buf  []byte
	last line
	read bool // last holds a line
	done int  // the start of a line at or before every offset asked about yet
}

// startOf returns the start of the line holding off; off is at or after
// every offset asked about before.
func (lr *lineReader) startOf(off int) int {
	if lr.read && lr.last.start <= off && off <= lr.last.end {
		return lr.last.start
	}
	from := max(lr.done, 0)
	if lr.read {
		from = max(from, lr.last.end+1)
	}
	from = min(from, off)
	start := from + bytes.LastIndexByte(lr.buf[from:off], '\n') + 1
	lr.done = start
	return start
}

// at returns the line that starts at start, valid until the next call.
func (lr *lineReader) at(start int) *line {
	if lr.read && lr.last.start == start {
		return &lr.last
	}
	buf := lr.buf
	end := bytes.IndexByte(buf[start:], '\n')
	if end < 0 {
		end = len(buf)
	} else {
		end += start
	}
	b, a := start, end // the line without the blanks around it
	for b < a && (buf[b] == ' ' || buf[b] == '\t') {
		b++
	}
	for a > b && (buf[a-1] == ' ' || buf[a-1] == '\t' || buf[a-1] == '\r') {
		a--
	}
	body := buf[b:a]
	l := &lr.last
	*l = line{start: start, end: end, indent: b - start}
	l.blank = len(body) == 0 || body[0] == '#' || body[0] == ';' || bytes.HasPrefix(body, []byte("//"))
	if n := len(body); !l.blank {
		l.header = n >= 3 && body[0] == '[' && body[n-1] == ']' && !bytes.ContainsAny(body[1:n-1], "[]\"'")
		l.opens = body[n-1] == ':' || body[n-1] == '{' || body[n-1] == '['
	}
	lr.read = true
	return l
}

// sectionsIn is sections for the lines from start, a line start, on.
func sectionsIn(lr *lineReader, start int, at []sectionAt) {
	type opener struct{ indent, off int }
	var open []opener
	head := -1
	for off := start; off < len(lr.buf) && len(at) > 0; {
		l := lr.at(off)
		if !l.blank {
			for len(open) > 0 && open[len(open)-1].indent >= l.indent {
				open = open[:len(open)-1]
			}
			if l.header {
				head, open = off, open[:0]
			}
		}
		for len(at) > 0 && at[0].off <= l.end {
			s := section{-1, -1}
			if head >= at[0].off-namedBytes {
				s.head = head
			}
			if n := len(open); n > 0 && open[n-1].off >= at[0].off-namedBytes {
				s.parent = open[n-1].off
			}
			*at[0].sec = s
			at = at[1:]
		}
		if l.opens {
			open = append(open, opener{l.indent, off})
		}
		off = l.end + 1
	}
}

// candidates collects the secrets and, if wantTokens, the session tokens
// in buf, in offset order: unnamed ones within reach of a key ID, named
// secrets anywhere, since a named secret pairs with a key ID anywhere in
// the same file.
//
// Only runs of 40 or more base64 characters matter, so, as for key IDs,
// probing every 40th byte finds them all, and no byte is walked twice.
func candidates(buf []byte, ms []Match, wantTokens bool) (secrets, tokens []cand) {
	n := len(buf)
	done := 0 // end of the last run walked
	cl := collector{buf: buf, ms: ms, wantTokens: wantTokens}
	for p := 0; p < n; {
		esc := false
		if k := class[buf[p]]; k&cB64 == 0 {
			if k&cEsc == 0 {
				p += secretLen
				continue
			}
			// An escape's '%', '\\' or '&' is in the run; so are the '#'
			// and ';' inside an entity.
			q, _ := escCover(buf, p, done)
			if q < 0 {
				p += secretLen
				continue
			}
			p, esc = q, true
		}
		s, e := p, p+1
		for s > done && class[buf[s-1]]&cB64 != 0 {
			s--
		}
		for e < n && class[buf[e]]&cB64 != 0 {
			e++
		}
		// A run with an escaped '+' or '/' in it (%2B in a URL, \/ in
		// JSON) is rare.
		pct := esc || s > done && class[buf[s-1]]&cEsc != 0 && escBefore(buf, s, done) < s ||
			e < n && class[buf[e]]&cEsc != 0 && escAt(buf, e) > 0
		if pct {
			s, e = escRun(buf, s, e, done)
		}
		done, p = e, e+secretLen
		if e-s >= secretLen {
			cl.run(s, e, pct)
		}
	}
	return cl.secrets, cl.tokens
}

// A collector keeps the candidates among the runs candidates walks.
type collector struct {
	buf             []byte
	ms              []Match
	wantTokens      bool
	k, kt           int // the first key ID a secret, a token may still reach
	secrets, tokens []cand
}

// run considers the run buf[s:e]; pct reports that it holds escapes of
// '+' or '/' (see escAt).
func (cl *collector) run(s, e int, pct bool) {
	buf, ms := cl.buf, cl.ms
	s += escapeTail(buf, s, e)
	size := e - s
	if pct {
		size = runLen(buf, s, e)
	}
	if size == secretLen+1 && buf[s] == '+' && (s == 0 || buf[s-1] == '\n') {
		s, size = s+1, size-1 // an added line of a patch: "+secret"
	}
	if g := e - secretLen - 1 - keyLen; size > secretLen && e-s == size && g >= s && buf[g+keyLen] == '/' && keyAt(buf, g, false) {
		s, size = g+keyLen+1, secretLen // glued to its key ID: "ID/SECRET", "https://host/ID/SECRET"
	}
	if size < secretLen {
		return
	}
	// Is the run within reach of a key ID, for an unnamed candidate?
	for cl.k < len(ms) && ms[cl.k].End()+nearBytes < s {
		cl.k++
	}
	near := cl.k < len(ms) && ms[cl.k].Start-nearBytes <= e
	if size == secretLen {
		var val string
		v := buf[s:e]
		if pct && e-s != size {
			val = unescape(v)
			v = []byte(val)
		}
		// The name is read only for a run that may be a secret.
		if plausibleSecret(v, true) {
			named, foreign := secretName(nameOf(buf, s))
			if (near || named) && !foreign && plausibleSecret(v, named) {
				cl.secrets = append(cl.secrets, cand{start: s, end: e, named: named, val: val})
			}
		}
	}
	for cl.kt < len(ms) && ms[cl.kt].End()+namedBytes < s {
		cl.kt++
	}
	if cl.wantTokens && cl.kt < len(ms) && ms[cl.kt].Start-namedBytes <= e && size >= minTokenLen {
		pad := e
		for pad < len(buf) && pad-e < 2 && buf[pad] == '=' {
			pad++
		}
		if c, ok := token(buf, s, pad); ok {
			if pct && pad-s != runLen(buf, s, pad) {
				c.val = unescape(buf[s:pad])
			}
			cl.tokens = append(cl.tokens, c)
		}
	}
}

// escRun extends the run buf[s:e] of base64 characters both ways over
// escaped '+' and '/' (escAt) and the base64 characters beyond them, not
// before done.
func escRun(buf []byte, s, e, done int) (int, int) {
	for {
		if s > done && class[buf[s-1]]&cB64 != 0 {
			s--
		} else if t := escBefore(buf, s, done); t < s {
			s = t
		} else {
			break
		}
	}
	for e < len(buf) {
		if class[buf[e]]&cB64 != 0 {
			e++
		} else if _, end := escCover(buf, e, s); end > e {
			e = end
		} else {
			break
		}
	}
	return s, e
}

// escAt returns the length of the escape of '+' or '/' at buf[i], or 0:
// the way a secret's '+' and '/' are written by its container, %2B and
// %2F in a URL, \/ in JSON (PHP's json_encode), \u002B and \u002F in
// JSON as .NET writes it, &#43; &#47; &#x2B; &#x2F; in HTML and XML.
func escAt(buf []byte, i int) int {
	_, n := escaped(buf[i:min(i+maxEsc, len(buf))])
	return n
}

// maxEsc is the longest escape escAt knows.
const maxEsc = 6

// escaped decodes the escape of '+' or '/' b starts with, returning the
// character and the escape's length, or 0, 0.
func escaped(b []byte) (byte, int) {
	if len(b) < 2 {
		return 0, 0
	}
	plusOrSlash := func(hex []byte) byte {
		switch string(hex) {
		case "2B", "2b":
			return '+'
		case "2F", "2f":
			return '/'
		}
		return 0
	}
	switch {
	case b[0] == '%' && len(b) >= 3:
		if c := plusOrSlash(b[1:3]); c != 0 {
			return c, 3
		}
	case b[0] == '\\' && b[1] == '/':
		return '/', 2
	case b[0] == '\\' && b[1] == 'u' && len(b) >= 6 && string(b[2:4]) == "00":
		if c := plusOrSlash(b[4:6]); c != 0 {
			return c, 6
		}
	case b[0] == '&' && b[1] == '#' && len(b) >= 5:
		switch {
		case string(b[2:5]) == "43;":
			return '+', 5
		case string(b[2:5]) == "47;":
			return '/', 5
		case len(b) >= 6 && (b[2] == 'x' || b[2] == 'X') && b[5] == ';':
			if c := plusOrSlash(b[3:5]); c != 0 {
				return c, 6
			}
		}
	}
	return 0, 0
}

// escCover returns the start and end of the escape (escAt) that covers
// buf[p], if it starts at or after lo, or -1, -1. Only '%', '\\', '&' start
// one, and every escape is at most maxEsc long.
func escCover(buf []byte, p, lo int) (int, int) {
	for q := p; q >= max(p-maxEsc+1, lo, 0); q-- {
		switch buf[q] {
		case '%', '\\', '&':
			if l := escAt(buf, q); l > 0 && q+l > p {
				return q, q + l
			}
		}
	}
	return -1, -1
}

// escBefore returns where an escape that covers buf[s-1] starts, if one
// does and starts at or after done, or s: the '%' of a %2B whose "2B"
// starts the run at s, the '&' of an &#43; before it.
func escBefore(buf []byte, s, done int) int {
	if s-1 < done || s == 0 {
		return s
	}
	switch buf[s-1] {
	case '%', '\\', '&', '#', ';':
		if q, _ := escCover(buf, s-1, done); q >= 0 {
			return q
		}
	}
	return s
}

// runLen is the length of the run buf[s:e] unescaped.
func runLen(buf []byte, s, e int) int {
	n := 0
	for i := s; i < e; i++ {
		if l := escAt(buf, i); l > 0 {
			i += l - 1
		}
		n++
	}
	return n
}

// unescape decodes the escaped '+' and '/' of a run.
func unescape(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c, l := escaped(b[i:min(i+maxEsc, len(b))])
		if l == 0 {
			out = append(out, b[i])
			continue
		}
		out = append(out, c)
		i += l - 1
	}
	return string(out)
}

// tokenPrefixes start the base64 of STS session tokens as issued over the
// years; a run that starts like one needs no name to be taken as a token.
var tokenPrefixes = []string{"IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz", "AQoDYXdz"}

func token(buf []byte, s, e int) (cand, bool) {
	t := buf[s:e]
	if isExample(t) {
		return cand{}, false
	}
	name := assignedName(buf, s)
	named := bytes.Contains(name, []byte("sessiontoken")) || bytes.Contains(name, []byte("securitytoken"))
	if !named && !slices.ContainsFunc(tokenPrefixes, func(p string) bool { return bytes.HasPrefix(t, []byte(p)) }) {
		return cand{}, false
	}
	return cand{start: s, end: e, named: named}, true
}

// plausibleSecret rules out what else comes in runs of 40: git hashes and
// hex digests (no mixed case), filler and repeated patterns (few distinct
// characters) and, when nothing names it a secret, identifiers and paths
// (no digit or '+'). A random 40-character secret fails these about once
// in 2,000 times, and only when unnamed.
func plausibleSecret(b []byte, named bool) bool {
	var seen [2]uint64
	var k uint8
	plus := false
	for _, c := range b {
		k |= class[c]
		seen[c>>6&1] |= 1 << (c & 63)
		plus = plus || c == '+'
	}
	if k&cUpper == 0 || k&cLower == 0 {
		return false
	}
	if !named && k&cDigit == 0 && !plus {
		return false
	}
	if bits.OnesCount64(seen[0])+bits.OnesCount64(seen[1]) < 15 {
		return false
	}
	return !isExample(b)
}

func normalize(name, b []byte) []byte {
	for _, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
			name = append(name, c+'a'-'A')
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			name = append(name, c)
		}
	}
	return name
}

func skipQuotes(buf []byte, i int) int {
	for j := 0; j < 8 && i > 0; j++ {
		switch buf[i-1] {
		case ' ', '\t', '"', '\'', '`', '\\', ']':
			i--
		default:
			return i
		}
	}
	return i
}

func isOp(c byte) bool { return c == '=' || c == ':' || c == '>' || c == ',' }

func isIdent(c byte) bool {
	return class[c]&(cUpper|cLower|cDigit) != 0 || c == '_' || c == '.' || c == '-' || c == '$'
}

// escapeTail returns how many bytes at the start of the run buf[s:e] are
// the tail of an escape sequence that begins at buf[s-1]; see
// escapeEndsAt.
func escapeTail(buf []byte, s, e int) int {
	if s == 0 {
		return 0
	}
	hex := func(from, to int) bool {
		if to > e {
			return false
		}
		for _, c := range buf[from:to] {
			if class[c]&cHex == 0 {
				return false
			}
		}
		return true
	}
	switch buf[s-1] {
	case '\\':
		switch buf[s] {
		case 'n', 't', 'r':
			return 1
		case 'x':
			if hex(s+1, s+3) {
				return 3
			}
		case 'u':
			if hex(s+1, s+5) {
				return 5
			}
		}
	case '%':
		if hex(s, s+2) {
			return 2
		}
	case '[', ';':
		// The tail of an ANSI colour code: "\x1b[33m" before a secret.
		j := s
		for j < e && j-s < 3 && class[buf[j]]&cDigit != 0 {
			j++
		}
		if j < e && buf[j] == 'm' && ansiBefore(buf, j+1) {
			return j + 1 - s
		}
	}
	return 0
}

// assign pairs each key ID k for which want(k) with at most one of cs,
// nearest first; see the package comment for what nearest means. If far,
// a named candidate anywhere in the buffer is within reach, after every
// nearer one. It returns, for each key ID, the index of its candidate or
// -1.
func assign(ms []Match, keys []key, cs []cand, far bool, want func(k int) bool, nb *neighbours) []int {
	type pairing struct {
		mismatch, score uint64
		key, at         int
	}
	byScore := func(a, b pairing) int {
		return cmp.Or(cmp.Compare(a.mismatch, b.mismatch), cmp.Compare(a.score, b.score), cmp.Compare(a.key, b.key), cmp.Compare(a.at, b.at))
	}
	var all, best []pairing
	// keep adds p to best, the maxPairs best pairings of a key ID in
	// order, each candidate once: a selection, not a sort of everything
	// within reach.
	keep := func(p pairing) {
		for _, q := range best {
			if q.at == p.at {
				return // met twice: the walk and the named list
			}
		}
		switch {
		case len(best) < maxPairs:
			best = append(best, p)
		case byScore(p, best[len(best)-1]) < 0:
			best[len(best)-1] = p
		default:
			return
		}
		for i := len(best) - 1; i > 0 && byScore(best[i], best[i-1]) < 0; i-- {
			best[i], best[i-1] = best[i-1], best[i]
		}
	}
	// Named candidates reach farther than unnamed ones; without any, the
	// walk from each key ID stops at the unnamed reach.
	anyNamed := slices.ContainsFunc(cs, func(c cand) bool { return c.named })
	reachLines, reachBytes := nearLines, nearBytes
	if anyNamed {
		reachLines, reachBytes = namedLines, namedBytes
	}
	var named []int             // indexes of the named candidates, for far pairing
	var byQual map[string][]int // and of those with each qualifier
	if far {
		for i, c := range cs {
			if !c.named {
				continue
			}
			named = append(named, i)
			if c.qual != "" {
				if byQual == nil {
					byQual = map[string][]int{}
				}
				byQual[c.qual] = append(byQual[c.qual], i)
			}
		}
	}
	for k, m := range ms {
		if !want(k) {
			continue
		}
		// Walk out from the key ID in both directions until out of reach,
		// so that a file of many credentials costs a few candidates each.
		best = best[:0]
		line := keys[k].line
		at := sort.Search(len(cs), func(i int) bool { return cs[i].start >= m.End() })
		// Either way, once maxPairs candidates are named, on the key ID's
		// line and in its scope, none farther can rank before them: a
		// line of many credentials costs a few candidates each too.
		consider := func(i int, sure *int) {
			if s, ok := score(m, line, cs[i]); ok {
				p := pairing{keys[k].mismatch(cs[i].scope), s, k, i}
				keep(p)
				// Farther ones that way have as many lines and bytes or
				// more: only a named one on the key ID's line could rank
				// before this one, and only if there are named ones.
				if p.mismatch == 0 && (s>>50 == 0 || !anyNamed) {
					*sure++
				}
			}
		}
		sure := 0
		for i := at; i < len(cs) && i-at < maxWalk && sure < maxPairs && cs[i].line-line <= reachLines && cs[i].start-m.End() <= reachBytes; i++ {
			consider(i, &sure)
		}
		sure = 0
		for i := at - 1; i >= 0 && at-i <= maxWalk && sure < maxPairs && line-cs[i].line <= reachLines && m.Start-cs[i].end <= reachBytes; i-- {
			consider(i, &sure)
		}
		// The nearest named candidates on either side, however far, and
		// those whose name says they belong to this key ID (a candidate
		// met twice is compacted below).
		for _, list := range [][]int{named, byQual[keys[k].qual]} {
			j, _ := slices.BinarySearch(list, at)
			for _, i := range list[max(j-maxPairs, 0):min(j+maxPairs, len(list))] {
				s, ok := score(m, line, cs[i])
				if !ok {
					s, ok = farScore(m, line, cs[i])
				}
				if ok {
					keep(pairing{keys[k].mismatch(cs[i].scope), s, k, i})
				}
			}
		}
		all = append(all, best...)
	}
	slices.SortFunc(all, byScore)

	got := make([]int, len(ms))
	owner := make([]int, len(cs))
	for i := range got {
		got[i] = -1
	}
	for i := range owner {
		owner[i] = -1
	}
	for _, p := range all {
		if got[p.key] >= 0 {
			continue
		}
		// The same key ID often appears twice near its secret (a comment,
		// an export line); a different one is another credential.
		if o := owner[p.at]; o >= 0 && ms[o].KeyID != ms[p.key].KeyID {
			continue
		}
		// A secret with a key ID of its own next to it, valid or not, is
		// not another's from farther away.
		if nb != nil && nb.owned(&cs[p.at], ms[p.key].KeyID, abs(cs[p.at].line-keys[p.key].line)) {
			continue
		}
		got[p.key] = p.at
		if owner[p.at] < 0 {
			owner[p.at] = p.key
		}
	}
	return got
}

// score ranks candidate c for key ID m on line line, lower is nearer, and
// reports whether c is within reach at all.
func score(m Match, line int, c cand) (uint64, bool) {
	before := c.end <= m.Start
	dist := c.start - m.End()
	if before {
		dist = m.Start - c.end
	}
	lines := c.line - line
	if lines < 0 {
		lines = -lines
	}
	if c.named && (lines > namedLines || dist > namedBytes) ||
		!c.named && (lines > nearLines || dist > nearBytes) {
		return 0, false
	}
	var rank uint64
	switch {
	case lines == 0 && c.named:
		rank = 0
	case lines == 0:
		rank = 1
	case c.named:
		rank = 2
	default:
		rank = 3
	}
	var b uint64
	if before {
		b = 1
	}
	return rank<<60 | uint64(lines)<<50 | b<<40 | uint64(dist), true
}

// farScore ranks a named candidate beyond the reach of score, after every
// candidate within it, in the same order: fewer lines, after rather than
// before, fewer bytes.
func farScore(m Match, line int, c cand) (uint64, bool) {
	if _, ok := score(m, line, c); ok {
		return 0, false // ranked by score already
	}
	var b uint64
	dist := c.start - m.End()
	if c.end <= m.Start {
		dist, b = m.Start-c.end, 1
	}
	lines := c.line - line
	if lines < 0 {
		lines = -lines
	}
	return 4<<60 | uint64(min(lines, 1<<19-1))<<41 | b<<40 | uint64(min(dist, 1<<40-1)), true
}

// lineCounter numbers lines for offsets visited in increasing order.
type lineCounter struct {
	buf  []byte
	off  int
	line int
}

func (lc *lineCounter) at(off int) int {
	lc.line += bytes.Count(lc.buf[lc.off:off], []byte{'\n'})
	lc.off = off
	return lc.line
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// neighbours finds the tokens next to a candidate that are shaped like key
// IDs but are none ("AKIA" and 16 letters and digits, as test data and
// typos have them), each candidate's once. Which of the key IDs found a
// secret goes to is for assign to decide; these own it outright.
type neighbours struct {
	buf  []byte
	ms   []Match
	near map[int][]neighbour // by candidate start
}

// A neighbour is a key-ID-shaped token lines lines from a candidate.
type neighbour struct {
	lines int
	id    string
}

// owned reports whether a token other than keyID is fewer than lines lines
// from c, within the reach of an unnamed secret (nearLines, nearBytes).
func (nb *neighbours) owned(c *cand, keyID string, lines int) bool {
	if lines == 0 {
		return false
	}
	ns, ok := nb.near[c.start]
	if !ok {
		ns = nb.find(c)
		if nb.near == nil {
			nb.near = map[int][]neighbour{}
		}
		nb.near[c.start] = ns
	}
	for _, n := range ns {
		if n.lines < lines && n.id != keyID {
			return true
		}
	}
	return false
}

// find lists the key-ID-shaped tokens within nearLines and nearBytes of c.
func (nb *neighbours) find(c *cand) []neighbour {
	buf := nb.buf
	lo, hi := max(c.start-nearBytes, 0), min(c.end+nearBytes, len(buf))
	// Clip to nearLines lines either way.
	for i, n := c.start, 0; i > lo; i-- {
		if buf[i-1] == '\n' {
			if n++; n > nearLines {
				lo = i
				break
			}
		}
	}
	for i, n := c.end, 0; i < hi; i++ {
		if buf[i] == '\n' {
			if n++; n > nearLines {
				hi = i
				break
			}
		}
	}
	var out []neighbour
	w := buf[lo:hi]
	for _, p := range []string{"AKIA", "ASIA", "ABIA", "ACCA"} {
		for off := 0; ; {
			j := bytes.Index(w[off:], []byte(p))
			if j < 0 {
				break
			}
			j += off
			off = j + 1
			if !keyShaped(w, j) {
				continue
			}
			s := lo + j
			if _, found := slices.BinarySearchFunc(nb.ms, s, func(m Match, s int) int { return cmp.Compare(m.Start, s) }); found {
				continue
			}
			n := bytes.Count(buf[min(s, c.start):max(s, c.start)], []byte{'\n'})
			out = append(out, neighbour{n, string(w[j : j+keyLen])})
		}
	}
	return out
}

// keyShaped reports whether w[j:] starts with a token of a key ID's
// shape: 20 upper-case letters and digits standing alone.
func keyShaped(w []byte, j int) bool {
	if j+keyLen > len(w) || j > 0 && class[w[j-1]]&(cUpper|cLower|cDigit) != 0 {
		return false
	}
	for _, c := range w[j : j+keyLen] {
		if class[c]&(cUpper|cDigit) == 0 {
			return false
		}
	}
	return j+keyLen == len(w) || class[w[j+keyLen]]&(cUpper|cLower|cDigit) == 0
}
