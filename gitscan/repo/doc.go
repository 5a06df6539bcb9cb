// Package repo is the one place that decides what a git repository holds:
// where its objects are (its own object directory and every alternate),
// which object format names them, which refs exist (every branch, tag,
// remote-tracking ref, every work tree's HEAD and per-worktree refs, and
// the stash reflog), and whether the repository can be read at all.
//
// It reads the repository's files itself, so that what keysweep scans is
// decided here and not by what a library happens to support: extensions
// that do not change how objects and refs are stored are accepted, and a
// layout that cannot be read is refused in one line that names it.
package repo
