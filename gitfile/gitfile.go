// Package gitfile reads one file from a commit's tree through git objects,
// never through the working tree: that is how settings and suppressions are
// read from the reviewed commit of a pull request, so that the pull
// request's own files cannot decide its verdict. Only a regular file is
// read, never a symbolic link or anything else a tree entry can be, and
// only up to a size bound.
//
// The repository is opened by package repo and its objects read by package
// pack, the scan's own owners of layout and objects: every repository the
// scan reads (SHA-256, extensions.worktreeConfig, alternates, linked work
// trees, partial clones) has its settings read the same way.
package gitfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
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
	Blob repo.ID
}

// Repo is an opened repository to read files from.
type Repo struct {
	repo  *repo.Repo
	store *pack.Store
	refs  *repo.Refs
}

// Open opens the repository at path (a work tree, any directory in one, a
// git directory or a linked work tree) for reading files of its commits.
func Open(path string) (*Repo, error) {
	r, err := repo.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", path, err)
	}
	refs, err := r.Refs()
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", path, err)
	}
	store, err := pack.OpenReader(r)
	if err != nil {
		return nil, fmt.Errorf("read the objects of %s: %w", r.CommonDir, err)
	}
	return &Repo{repo: r, store: store, refs: refs}, nil
}

// Close releases the repository's pack files.
func (r *Repo) Close() { r.store.Close() }

// Head is the commit the opened work tree's HEAD names, false on an
// unborn branch.
func (r *Repo) Head() (repo.ID, bool) { return r.refs.Head, !r.refs.Head.IsZero() }

// Read returns the regular file at path (slash-separated, relative to the
// repository root) in commit's tree. A missing entry is ErrNotExist; a
// symbolic link (mode 120000), a submodule, a directory or a file over
// limit bytes is refused with an error that names the path and never the
// content.
func (r *Repo) Read(commit repo.ID, path string, limit int64) (*File, error) {
	name := commit.Short() + ":" + path
	tree, err := r.tree(commit)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	e, err := r.entry(tree, path)
	if errors.Is(err, ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	switch e.Mode {
	case "100644", "100755", "100664":
	case "120000":
		return nil, fmt.Errorf("%s is a symbolic link, not a regular file: keysweep never follows links to read settings", name)
	default:
		return nil, fmt.Errorf("%s is not a regular file (mode %s)", name, modeString(e.Mode))
	}
	rd, size, err := r.store.Stream(e.Hash)
	if err != nil {
		return nil, fmt.Errorf("read %s: blob %s: %w", name, e.Hash.Short(), err)
	}
	defer rd.Close()
	if size > limit {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d", name, size, limit)
	}
	data, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over the limit of %d bytes", name, limit)
	}
	return &File{Name: name, Data: data, Blob: e.Hash}, nil
}

// BlobAt is the object ID of the file at path in commit, the zero ID when
// there is none: enough to tell whether two commits differ at path without
// reading either.
func (r *Repo) BlobAt(commit repo.ID, path string) (repo.ID, error) {
	tree, err := r.tree(commit)
	if err != nil {
		return repo.ID{}, err
	}
	e, err := r.entry(tree, path)
	if errors.Is(err, ErrNotExist) {
		return repo.ID{}, nil
	}
	if err != nil {
		return repo.ID{}, err
	}
	return e.Hash, nil
}

// tree returns the entries of commit's root tree.
func (r *Repo) tree(commit repo.ID) ([]pack.Entry, error) {
	typ, b, err := r.store.Read(commit)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", commit, err)
	}
	if typ != pack.TypeCommit {
		return nil, fmt.Errorf("%s is not a commit", commit)
	}
	c, err := pack.ParseCommit(commit, b)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", commit, err)
	}
	ents, err := r.readTree(c.Tree)
	if err != nil {
		return nil, fmt.Errorf("tree of commit %s: %w", commit.Short(), err)
	}
	return ents, nil
}

func (r *Repo) readTree(id repo.ID) ([]pack.Entry, error) {
	typ, b, err := r.store.Read(id)
	if err != nil {
		return nil, err
	}
	if typ != pack.TypeTree {
		return nil, fmt.Errorf("%s is not a tree", id)
	}
	return pack.ParseTree(b, r.store.HashSize())
}

// entry finds path's entry of any kind, walking only real directories: a
// component that is a file, a link or a submodule ends the walk as
// ErrNotExist.
func (r *Repo) entry(tree []pack.Entry, path string) (*pack.Entry, error) {
	parts := strings.Split(path, "/")
	for i, part := range parts {
		var found *pack.Entry
		for j := range tree {
			if tree[j].Name == part {
				found = &tree[j]
				break
			}
		}
		if found == nil || part == "" {
			return nil, ErrNotExist
		}
		if i == len(parts)-1 {
			return found, nil
		}
		if !found.Dir() {
			return nil, ErrNotExist
		}
		sub, err := r.readTree(found.Hash)
		if err != nil {
			return nil, err
		}
		tree = sub
	}
	return nil, ErrNotExist
}

// modeString is a tree entry's mode as git's octal, seven digits (0040000
// for a directory, as go-git printed it); a mode that is not octal digits
// (a hostile tree) is quoted, at most a few bytes of it.
func modeString(mode string) string {
	if len(mode) > 7 || strings.Trim(mode, "01234567") != "" {
		return fmt.Sprintf("%q", mode[:min(len(mode), 12)])
	}
	return strings.Repeat("0", 7-len(mode)) + mode
}
