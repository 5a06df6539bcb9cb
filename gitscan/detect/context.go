package detect

// The detectors' context: how far around an offset the bytes that decide
// a verdict there may be. It is the one property both ways of scanning
// less than a whole blob rely on, and both derive their bounds from it:
// the pack engine scans a delta's result only in windows of Context bytes
// around its edges, and a streamed blob is scanned in windows that overlap
// by 2*MaxContext. TestContext fails if a detector ever looks further.

// ContextBefore and ContextAfter bound the bytes that decide whether a key
// ID is reported at offset s of a buffer: Find's verdict on a key ID at s
// depends only on buf[s-ContextBefore : s+ContextAfter] (clipped to the
// buffer), and on nothing else.
//
// Before a key ID: a '/' and the path segment before it, with the byte
// before that segment (pathBefore), which covers the escapes (six bytes,
// \u002F), ANSI colour codes (ansiBefore, as long as fit) and a patch's
// "\n+". After it: a '/', the segment after it or a glued secret, and the
// byte after that (pathAfter, secretAfter).
const (
	ContextBefore = 1 + maxSegment + 1
	ContextAfter  = keyLen + 1 + max(maxSegment, secretLen) + 1
)

// EncodedContextAfter bounds the bytes that decide whether Encoded reports
// an offset s: buf[s : s+EncodedContextAfter], nothing before s.
const EncodedContextAfter = maxMarker

// CandidateAfter bounds the bytes after s that decide whether Candidates
// reports a key ID at s: the key ID and the byte after it. Find's verdict
// looks further (ContextAfter), and Candidates reports every key ID Find
// does, so a scan that finds none of Candidates' finds none of Find's.
const CandidateAfter = keyLen + 1

// Context is the width of the bytes that decide whether Candidates reports
// a key ID at s, or Encoded a marker: from s-ContextBefore to
// s+max(CandidateAfter, EncodedContextAfter). A window this wide around
// every edge between two delta operations holds the whole context of any
// offset whose context crosses the edge, so scanning only those windows
// finds exactly what scanning the whole result finds; the result is read
// whole, by Find, only where they find something.
const Context = ContextBefore + max(CandidateAfter, EncodedContextAfter)

// pairedLen is room past namedBytes for the paired secret or session
// token itself (STS session tokens are a few KiB).
const pairedLen = 48<<10 - findContext

// MaxContext is how many bytes on either side of a key ID Find may look
// at to report it (findContext) and to pair it with a secret or session token
// within reach (namedBytes, with room for the secret or token itself). A
// buffer scanned in windows that overlap by twice this much yields each
// key ID once, decided on the same bytes as a scan of the whole buffer,
// paired the same way unless its secret is a named one farther away than
// this: only a scan of the whole buffer pairs those (see pair).
const MaxContext = findContext + namedBytes + pairedLen

// findContext is the width of the bytes Find's verdict on a key ID
// depends on.
const findContext = ContextBefore + ContextAfter
