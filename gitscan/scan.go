package gitscan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/keysweep/keysweep/finding"
)

// Options select what history to scan.
type Options struct {
	// Since limits the scan to commits reachable from HEAD and not from
	// this revision; empty means the whole history of every ref.
	Since string
	// IncludeUnreachable also scans blobs no ref reaches (dangling objects).
	IncludeUnreachable bool
	// Workers is the number of blob readers; 0 means one per CPU.
	Workers int
	// Progress, if set, is told how far the blob scan has come.
	Progress Progress
}

// Progress receives blob-scan progress. Calls come from several goroutines.
type Progress interface {
	Start(objects int, bytes int64)
	Add(objects int, bytes int64)
	Finish()
}

// Result is what a scan found and how much it read.
type Result struct {
	Head  string
	Leaks []finding.Leak
	Stats finding.ScanStats
	// Skipped names every object that could not be read. A non-empty list
	// means the scan is partial; the caller must say so.
	Skipped []string
}

// Error is a scan that could not be done at all, with one line that says
// why and how to fix it.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// shallowFix is the one-line remedy for every shallow-history error.
const shallowFix = "fetch the full history with `git fetch --unshallow` (actions/checkout: fetch-depth: 0)"

// Scan scans the history of the repository at path.
func Scan(ctx context.Context, path string, opts Options) (*Result, error) {
	start := time.Now()
	repo, err := open(path)
	if err != nil {
		return nil, err
	}
	h := &history{repo: repo, skipped: newSkipList()}
	if h.shallow, err = shallowSet(repo); err != nil {
		return nil, &Error{Msg: "read shallow list of " + path, Err: err}
	}
	res := &Result{}
	var (
		set                *blobSet
		headHash, headTree plumbing.Hash
	)
	if opts.Since == "" {
		if set, err = h.fullHistory(ctx, opts, &res.Stats); err != nil {
			return nil, err
		}
		// After the pack pass HEAD's commit is a map lookup.
		if headHash, headTree, err = h.head(); err != nil {
			return nil, err
		}
	} else {
		if headHash, headTree, err = h.head(); err != nil {
			return nil, err
		}
		if headHash.IsZero() {
			return nil, &Error{Msg: "--since needs a HEAD commit, and " + path + " has none"}
		}
		if opts.IncludeUnreachable {
			return nil, &Error{Msg: "--include-unreachable scans the whole object store: it cannot be combined with --since"}
		}
		base, err := h.resolve(opts.Since)
		if err != nil {
			return nil, err
		}
		if err := h.rangeCommits(ctx, headHash, base, opts.Since); err != nil {
			return nil, err
		}
		if set, err = h.addedBlobs(ctx); err != nil {
			return nil, err
		}
	}

	// In a full scan the pack pass already reported progress and counted
	// every blob; here only its few suspects are read again.
	readOpts := opts
	if opts.Since == "" {
		readOpts.Progress = nil
	}
	hits, bytes, err := scanBlobs(ctx, repo, path, set, readOpts, h.skipped)
	if err != nil {
		return nil, err
	}
	res.Stats.Commits = len(h.commits)
	if opts.Since != "" {
		res.Stats.Blobs = len(set.order)
		res.Stats.Bytes = bytes
	}

	if !headHash.IsZero() {
		res.Head = headHash.String()
	}
	msgs, err := h.messages(ctx, h.msgTags)
	if err != nil {
		return nil, err
	}
	if len(hits) > 0 || len(msgs) > 0 || h.keyNames {
		entries := h.gitTrees(hits)
		switch {
		case len(hits) == 0 && !h.keyNames:
			entries = noTrees
		case opts.Since == "":
			if entries, err = h.treeIndex(ctx, hits); err != nil {
				return nil, err
			}
		}
		if res.Leaks, err = h.attribute(ctx, entries, hits, msgs, set, headTree, opts.IncludeUnreachable); err != nil {
			return nil, err
		}
	}
	res.Skipped = h.skipped.list()
	res.Stats.Duration = time.Since(start)
	return res, nil
}

// noTrees is the tree source when no blob had hits: there is nothing to
// look for in trees.
func noTrees(plumbing.Hash, string, func(string, plumbing.Hash, bool)) bool { return true }

// open opens the repository at path, or the one path is inside.
func open(path string) (*git.Repository, error) {
	// Without detection first: that is what opens a bare repository.
	repo, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	}
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, &Error{Msg: "not a git repository: " + path}
		}
		return nil, &Error{Msg: "open git repository " + path, Err: err}
	}
	return repo, nil
}

// head returns HEAD's commit and tree; zero hashes for an unborn branch.
func (h *history) head() (plumbing.Hash, plumbing.Hash, error) {
	ref, err := h.repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, plumbing.ZeroHash, &Error{Msg: "read HEAD", Err: err}
	}
	c, err := h.commit(ref.Hash())
	if err != nil {
		return plumbing.ZeroHash, plumbing.ZeroHash, &Error{Msg: fmt.Sprintf("read HEAD commit %s", ref.Hash()), Err: err}
	}
	return c.hash, c.tree, nil
}
