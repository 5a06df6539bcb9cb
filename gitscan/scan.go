package gitscan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
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
	// StreamThreshold is the blob size above which blobs are streamed
	// through the detectors in windows instead of being held whole; 0
	// means pack.DefaultStreamThreshold. Tests set it small.
	StreamThreshold int64
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
	// Remedy, when set, says in one line how to make a partial scan
	// complete: its cause is known (a partial clone).
	Remedy string
	// Unreached names the blobs holding key IDs that no ref reaches, which
	// are reported as findings only with IncludeUnreachable.
	Unreached []string
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
	r, err := openRepo(path)
	if err != nil {
		return nil, err
	}
	// A range reads the few objects it reaches by name; the whole
	// history is read by the pack engine, which numbers every object.
	open := pack.Open
	if opts.Since != "" {
		open = pack.OpenReader
	}
	h, err := newHistory(r, open)
	if err != nil {
		return nil, err
	}
	defer h.store.Close()
	refs, store := h.refs, h.store
	for _, p := range refs.Problems {
		h.skipped.addLine(repo.ID{}, p)
	}
	if h.shallow, err = r.Shallow(); err != nil {
		return nil, &Error{Msg: "read shallow list of " + path, Err: err}
	}
	res := &Result{}
	var set *blobSet
	if opts.Since == "" {
		if set, err = h.fullHistory(ctx, opts, &res.Stats); err != nil {
			return nil, err
		}
	} else {
		if refs.Head.IsZero() {
			return nil, &Error{Msg: "--since needs a HEAD commit, and " + path + " has none"}
		}
		if opts.IncludeUnreachable {
			return nil, &Error{Msg: "--include-unreachable scans the whole object store: it cannot be combined with --since"}
		}
		base, err := h.resolve(opts.Since)
		if err != nil {
			return nil, err
		}
		if err := h.rangeCommits(ctx, refs.Head, base, opts.Since); err != nil {
			return nil, err
		}
		if set, err = h.addedBlobs(ctx); err != nil {
			return nil, err
		}
	}
	// A HEAD commit that cannot be read costs what only it would tell
	// (which keys are still in HEAD), not the scan: every other ref is
	// scanned and the gap is named.
	var headTree repo.ID
	if !refs.Head.IsZero() {
		res.Head = refs.Head.String()
		if c, err := h.commit(refs.Head); err != nil {
			// Named even if the object is listed already: this is the gap.
			h.skipped.addLine(repo.ID{}, fmt.Sprintf("HEAD commit %s cannot be read (%v): every other ref was scanned, but whether a key is still in HEAD is unknown", refs.Head, err))
		} else {
			headTree = c.Tree
		}
	}

	// In a full scan the pack pass already reported progress and counted
	// every blob; here only its few suspects are read again.
	readOpts := opts
	if opts.Since == "" {
		readOpts.Progress = nil
	}
	hits, bytes, err := scanBlobs(ctx, store, set, readOpts, h.skipped)
	if err != nil {
		return nil, err
	}
	res.Stats.Commits = len(h.commits)
	if opts.Since != "" {
		res.Stats.Blobs = len(set.order)
		res.Stats.Bytes = bytes
	}

	msgs, err := h.messages(ctx, h.msgTags)
	if err != nil {
		return nil, err
	}
	if opts.Since == "" {
		// A range is commits; the refs are the whole history's.
		msgs = append(msgs, h.refNames()...)
	}
	if len(hits) > 0 || len(msgs) > 0 || h.keyNames {
		entries := h.storeTrees(hits)
		switch {
		case len(hits) == 0 && !h.keyNames:
			entries = noTrees
		case opts.Since == "":
			if entries, err = h.treeIndex(ctx, hits); err != nil {
				return nil, err
			}
		}
		if res.Leaks, res.Unreached, err = h.attribute(ctx, entries, hits, msgs, set, headTree, opts.IncludeUnreachable); err != nil {
			return nil, err
		}
	}
	res.Skipped = h.skipped.list()
	if r.Promisor != "" && h.skipped.promised > 0 {
		res.Remedy = partialCloneFix(r.Promisor)
	}
	res.Stats.Duration = time.Since(start)
	return res, nil
}

// noTrees is the tree source when no blob had hits: there is nothing to
// look for in trees.
func noTrees(repo.ID, string, func(string, repo.ID, bool)) bool { return true }

// openRepo opens the repository at path, or the one path is inside.
// newHistory reads r's refs and opens its object store with open
// (pack.Open to scan every object, pack.OpenReader to read a few by
// name): what every scan and revision lookup starts from. The caller
// closes h.store.
func newHistory(r *repo.Repo, open func(*repo.Repo) (*pack.Store, error)) (*history, error) {
	refs, err := r.Refs()
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	store, err := open(r)
	if err != nil {
		return nil, &Error{Msg: "read the objects of " + r.CommonDir, Err: err}
	}
	return &history{repo: r, store: store, refs: refs, skipped: newSkipList(r.Promisor != "")}, nil
}

func openRepo(path string) (*repo.Repo, error) {
	r, err := repo.Open(path)
	if errors.Is(err, repo.ErrNotRepository) {
		return nil, &Error{Msg: "not a git repository: " + path}
	}
	if err != nil {
		return nil, &Error{Msg: path + ": " + err.Error()}
	}
	return r, nil
}

// partialCloneFix says how to get the objects a partial clone left out.
func partialCloneFix(remote string) string {
	if remote == "" || remote[0] == '(' {
		remote = "origin"
	}
	return fmt.Sprintf("this is a partial clone (git clone --filter): the objects it did not download cannot be scanned; fetch them with `git config --unset remote.%[1]s.partialclonefilter && git fetch --refetch %[1]s`, or clone without --filter (actions/checkout: no `filter:`), or pass --allow-partial to accept", remote)
}
