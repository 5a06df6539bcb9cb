// Package gitscan finds AWS credentials anywhere in a repository's git
// history and attributes each one to the commit that introduced it.
//
// The scan works on objects, not patches: it collects every unique blob
// reachable from every ref (or, for a range, every blob a range commit
// adds), scans each blob exactly once, and only then walks trees to find
// which commits and paths hold the blobs that had hits. A clean repository
// therefore costs one pass over its blobs and no attribution at all, and
// content that exists only in a merge commit, a deleted file, an unmerged
// branch or behind a tag is found like any other.
//
// Which objects and refs exist is decided by package repo (layout, refs,
// extensions) and read by package pack; go-git is used only to read the
// index for ScanStaged. The first commit that introduced a key is the
// first in history order: parents before children.
//
// Each blob read whole goes through one function, scanContent: the
// detectors on the blob as it is, then, only when the detectors' markers
// of an encoded key ID are present or the blob starts like an archive, on
// what package decode makes of it (base64 tokens decoded in place, UTF-16
// as UTF-8, archive members), each finding noting how it was decoded.
// Commit and annotated tag messages go through the same function (see
// messagePath). A blob above Options.StreamThreshold is streamed, and each
// window gets scanContent's text scan (findText: plain and base64); see
// findStream and findBlob for what that leaves out.
package gitscan
