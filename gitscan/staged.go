package gitscan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/detect"
)

// StagedCommit stands for the commit of a key found in the index: the
// commit being prepared does not exist yet.
const StagedCommit = "staged"

// ScanStaged scans what `git commit` would add: the blobs in the index that
// differ from HEAD's tree at the same path. It is the pre-commit hook's
// scan, so it reports only keys the commit would introduce: work-tree
// changes that are not staged are not part of the commit, and a key that
// HEAD already holds at the path is history, which a full scan reports.
func ScanStaged(ctx context.Context, path string, opts Options) (*Result, error) {
	start := time.Now()
	repo, err := open(path)
	if err != nil {
		return nil, err
	}
	if _, err := repo.Worktree(); err != nil {
		return nil, &Error{Msg: path + " has no work tree, so no index to scan (--staged is for pre-commit hooks)", Err: err}
	}
	idx, err := repo.Storer.Index()
	if err != nil {
		return nil, &Error{Msg: "read the index of " + path, Err: err}
	}
	res := &Result{}
	var head *object.Tree
	ref, err := repo.Head()
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		// First commit: everything staged is new.
	case err != nil:
		return nil, &Error{Msg: "read HEAD", Err: err}
	default:
		c, err := repo.CommitObject(ref.Hash())
		if err != nil {
			return nil, &Error{Msg: fmt.Sprintf("read HEAD commit %s", ref.Hash()), Err: err}
		}
		if head, err = c.Tree(); err != nil {
			return nil, &Error{Msg: fmt.Sprintf("read HEAD tree %s", c.TreeHash), Err: err}
		}
		res.Head = c.Hash.String()
	}

	skipped := newSkipList()
	var buf []byte
	for _, e := range idx.Entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !staged(e) {
			continue
		}
		var old plumbing.Hash
		if head != nil {
			if te, err := head.FindEntry(e.Name); err == nil {
				old = te.Hash
			}
		}
		if old == e.Hash {
			continue
		}
		var size int64
		buf, size, err = readBlob(repo.Storer, e.Hash, buf[:0])
		res.Stats.Blobs++
		res.Stats.Bytes += size
		if err != nil {
			skipped.add(e.Hash, "staged blob at "+e.Name, err)
			continue
		}
		if !mayHold(buf) {
			continue
		}
		ms, gaps := scanContent(buf)
		if len(gaps) > 0 {
			skipped.addLine(e.Hash, "staged blob at "+e.Name+": partly scanned: "+gaps[0])
		}
		if len(ms) == 0 {
			continue
		}
		inHead := map[string]bool{}
		if !old.IsZero() {
			if oldBuf, _, err := readBlob(repo.Storer, old, nil); err == nil {
				oldMs, _ := scanContent(oldBuf)
				for _, m := range oldMs {
					inHead[m.KeyID] = true
				}
			}
		}
		res.Leaks = append(res.Leaks, stagedLeaks(e, ms, inHead)...)
	}
	linkOtherPaths(res.Leaks)
	res.Skipped = skipped.list()
	res.Stats.Duration = time.Since(start)
	return res, nil
}

// staged reports whether an index entry is content that the next commit
// records: merged, a file or symlink (not a submodule), and not a mere
// `git add -N` placeholder. A merged entry has stage 0 on disk; go-git's
// index.Merged constant is 1, so it cannot be compared with.
func staged(e *index.Entry) bool {
	return e.Stage == 0 && e.Mode.IsFile() && !e.IntentToAdd && !e.Hash.IsZero()
}

// stagedLeaks turns one blob's matches into one leak per key ID, leaving
// out keys the HEAD version of the file already held.
func stagedLeaks(e *index.Entry, ms []located, inHead map[string]bool) []finding.Leak {
	var out []finding.Leak
	type key struct{ id, path string }
	at := map[key]int{}
	for _, m := range ms {
		if inHead[m.KeyID] {
			continue
		}
		k := key{m.KeyID, m.pathIn(e.Name)}
		i, ok := at[k]
		if !ok {
			at[k] = len(out)
			l := finding.Leak{
				KeyID:       m.KeyID,
				Path:        k.path,
				Decoded:     m.how,
				Commit:      StagedCommit,
				Line:        m.line,
				Column:      m.col,
				Blob:        e.Hash.String(),
				InlineAllow: m.allow,
			}
			if acct, ok := detect.DecodeAccount(m.KeyID); ok {
				l.Account = acct
			}
			out = append(out, l)
			i = len(out) - 1
		}
		l := &out[i]
		if l.Secret.IsZero() && m.Secret != "" {
			l.Secret = finding.NewSecret(m.Secret)
		}
		if l.SessionToken.IsZero() && m.SessionToken != "" {
			l.SessionToken = finding.NewSecret(m.SessionToken)
		}
	}
	return out
}

// linkOtherPaths fills OtherPaths for keys staged at several paths.
func linkOtherPaths(leaks []finding.Leak) {
	paths := map[string][]string{}
	for _, l := range leaks {
		paths[l.KeyID] = append(paths[l.KeyID], l.Path)
	}
	for i := range leaks {
		l := &leaks[i]
		for _, p := range paths[l.KeyID] {
			if p != l.Path {
				l.OtherPaths = append(l.OtherPaths, p)
			}
		}
	}
	slices.SortStableFunc(leaks, func(a, b finding.Leak) int {
		return cmp.Or(strings.Compare(a.KeyID, b.KeyID), strings.Compare(a.Path, b.Path))
	})
}
