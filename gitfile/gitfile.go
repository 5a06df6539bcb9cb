// Package gitfile reads one file from a commit's tree through git objects,
// never through the working tree: that is how settings and suppressions are
// read from the reviewed commit of a pull request, so that the pull
// request's own files cannot decide its verdict. Only a regular file is
// read, never a symbolic link or anything else a tree entry can be, and
// only up to a size bound.
package gitfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// MaxSettings is the size bound for settings and ignore files: far more
// than any real one, small enough that a hostile one costs nothing.
const MaxSettings = 1 << 20

// ErrNotExist is returned (wrapped) when the commit's tree has no entry at
// the path; errors.Is(err, fs.ErrNotExist) holds too.
var ErrNotExist = fs.ErrNotExist

// File is a regular file read from a commit.
type File struct {
	// Name is rev:path, as git spells an object in a commit (for messages
	// and FILE:LINE errors).
	Name string
	Data []byte
	// Blob is the file's object ID: two commits hold the same content at
	// the path exactly when their blobs are equal.
	Blob plumbing.Hash
}

// Read returns the regular file at path (slash-separated, relative to the
// repository root) in commit's tree. A missing entry is ErrNotExist; a
// symbolic link (mode 120000), a submodule, a directory or a file over
// limit bytes is refused with an error that names the path and never the
// content.
func Read(repo *git.Repository, commit plumbing.Hash, path string, limit int64) (*File, error) {
	name := short(commit) + ":" + path
	c, err := object.GetCommit(repo.Storer, commit)
	if err != nil {
		return nil, fmt.Errorf("read %s: commit %s: %w", name, commit, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read %s: tree of commit %s: %w", name, short(commit), err)
	}
	e, err := entry(repo, tree, path)
	if errors.Is(err, ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	switch e.Mode {
	case filemode.Regular, filemode.Executable, filemode.Deprecated:
	case filemode.Symlink:
		return nil, fmt.Errorf("%s is a symbolic link, not a regular file: keysweep never follows links to read settings", name)
	default:
		return nil, fmt.Errorf("%s is not a regular file (mode %s)", name, e.Mode)
	}
	blob, err := object.GetBlob(repo.Storer, e.Hash)
	if err != nil {
		return nil, fmt.Errorf("read %s: blob %s: %w", name, short(e.Hash), err)
	}
	if blob.Size > limit {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d", name, blob.Size, limit)
	}
	rd, err := blob.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer rd.Close()
	data, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over the limit of %d bytes", name, limit)
	}
	return &File{Name: name, Data: data, Blob: e.Hash}, nil
}

// BlobAt is the object ID of the file at path in commit, the zero hash when
// there is none: enough to tell whether two commits differ at path without
// reading either.
func BlobAt(repo *git.Repository, commit plumbing.Hash, path string) (plumbing.Hash, error) {
	c, err := object.GetCommit(repo.Storer, commit)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit %s: %w", commit, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("tree of commit %s: %w", short(commit), err)
	}
	e, err := entry(repo, tree, path)
	if errors.Is(err, ErrNotExist) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return e.Hash, nil
}

// entry finds path's entry of any kind, walking only real directories: a
// component that is a file, a link or a submodule ends the walk as
// ErrNotExist. (go-git's FindEntry hides submodule entries.)
func entry(repo *git.Repository, tree *object.Tree, path string) (*object.TreeEntry, error) {
	parts := strings.Split(path, "/")
	for i, part := range parts {
		var found *object.TreeEntry
		for j := range tree.Entries {
			if tree.Entries[j].Name == part {
				found = &tree.Entries[j]
				break
			}
		}
		if found == nil || part == "" {
			return nil, ErrNotExist
		}
		if i == len(parts)-1 {
			return found, nil
		}
		if found.Mode != filemode.Dir {
			return nil, ErrNotExist
		}
		sub, err := object.GetTree(repo.Storer, found.Hash)
		if err != nil {
			return nil, err
		}
		tree = sub
	}
	return nil, ErrNotExist
}

func short(h plumbing.Hash) string { return h.String()[:12] }
