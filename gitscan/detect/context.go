package detect

// MaxContext is how many bytes on either side of a key ID Find may look
// at to report and pair it: the distance a named secret may be
// (namedBytes), with room for the secret or session token itself. A
// buffer scanned in windows that overlap by twice this much yields each
// match once, decided on the same bytes as a scan of the whole buffer.
const MaxContext = 64 << 10
