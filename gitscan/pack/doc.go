// Package pack reads every object of a git repository once, straight from
// its packfiles and loose objects, and reports which blobs may hold an AWS
// credential key ID, every commit, and every object it could not read.
//
// It follows git index-pack: the .idx gives each pack entry's offset, so
// the entry headers alone give the delta forest (which entry is a delta
// against which), and each forest is resolved depth first from its full
// root. Every entry is inflated exactly once, and only the current delta
// chain's contents are held in memory.
//
// A delta blob is not scanned whole. A key ID in a range the delta copies
// from its base was already found in the base; so only the bytes the
// delta inserts, and a window around every edge between two operations,
// are scanned, and the base's key-ID positions are carried through the
// copy operations. The window is wider than a key ID plus the context the
// detector looks at, so the result is exactly what scanning every
// reconstructed blob would find. Blobs that have no delta children are
// never reconstructed at all: their windows are gathered from the base and
// the delta.
//
// Trees walks the same forests, but only those whose root is a tree (a
// delta has its base's type), for attribution: it keeps each tree's
// subtree entries and entries naming wanted blobs. Each tree level of a
// chain carries what was kept of every entry, so entries a delta copies
// from its base are neither parsed nor looked up again.
//
// A Store lists every pack (cruft packs included: an object in one may be
// reachable again) and loose object of the object directories package
// repo names, the repository's own and its alternates, and numbers each
// object once; it also reads single objects, for the few a scan reads
// again. Object names are repo.IDs, SHA-1 or SHA-256 as the repository's
// object format says. A blob above Options.StreamThreshold that no delta
// is built on is streamed through the detectors in overlapping windows
// (Windows) rather than inflated whole.
//
// Objects are not hashed: integrity is left to the CRC-32 a version 2
// pack index records for each entry (zlib's Adler-32 for version 1
// indexes and loose objects), the sizes recorded in headers and delta
// streams, and the structure of each object. The pack pass and Read and
// Stream all inflate through one verified path (inflater), and every
// declared size is checked against a bound before anything is allocated
// (MaxObject, MaxTree, MaxCommit): an object past one is a Problem, not
// an allocation.
package pack
