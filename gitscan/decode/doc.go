// Package decode turns the encodings a credential hides in back into text
// for the detectors: base64 tokens (standard and URL-safe alphabets, up to
// two layers), UTF-16 text, and gzip, bzip2, zip (jar, whl, ...) and tar archives.
//
// It knows nothing of credentials. Callers ask it only about buffers the
// detectors' markers point at (see detect.MayContainEncoded) or that start
// like an archive (IsArchive), and it works within Limits: a blob that
// would decompress past them is cut at the bound, and the cut is reported,
// so an archive bomb costs bounded time and memory and is never mistaken
// for a clean file.
package decode
