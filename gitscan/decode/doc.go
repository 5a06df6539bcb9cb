// Package decode turns the encodings a credential hides in back into text
// for the detectors: base64 tokens (standard and URL-safe alphabets, any
// number of layers), UTF-16 and UTF-32 text, quoted-printable, HTML
// character references, hex dumps (xxd, hexdump -C), PDF FlateDecode
// streams, gzip, bzip2, xz and zstd streams, and zip (jar, whl, executable
// jars, self-extracting; stored, deflated, bzip2, LZMA, zstd and xz
// members) and tar archives (every member type holding data, past PAX
// headers of any size and damaged headers, as GNU tar reads them).
//
// It knows nothing of credentials. Callers ask it only about buffers the
// detectors' markers point at (see detect.MayContainEncoded) or that start
// like something it opens (IsArchive, Opens), and it works within Limits, a
// budget of decoded bytes per blob rather than a depth: a blob that would
// decode past them is cut at the bound, and the cut is reported, so an
// archive bomb costs bounded time and memory and is never mistaken for a
// clean file. A member it cannot read (an unsupported compression method,
// encryption, a damaged header) is reported the same way.
package decode
