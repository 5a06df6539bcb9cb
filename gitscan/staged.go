package gitscan

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/format/index"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// StagedCommit stands for the commit of a key found in the index: the
// commit being prepared does not exist yet.
const StagedCommit = finding.StagedCommit

// ScanStaged scans what `git commit` would add: the blobs in the index that
// differ from HEAD's tree at the same path. It is the pre-commit hook's
// scan, so it reports only keys the commit would introduce: work-tree
// changes that are not staged are not part of the commit, and a key that
// HEAD already holds at the path is history, which a full scan reports.
//
// The repository is opened by package repo like any scan; go-git only
// decodes the index file.
func ScanStaged(ctx context.Context, path string, opts Options) (*Result, error) {
	start := time.Now()
	r, err := openRepo(path)
	if err != nil {
		return nil, err
	}
	if r.Bare {
		return nil, &Error{Msg: path + " has no work tree, so no index to scan (--staged is for pre-commit hooks)"}
	}
	if r.HashSize != 20 {
		return nil, &Error{Msg: "--staged cannot read the index of a SHA-256 repository yet (go-git reads SHA-1 indexes only); full and --since scans read SHA-256 history"}
	}
	idx, err := readIndex(filepath.Join(r.GitDir, "index"))
	if err != nil {
		return nil, err
	}
	h, err := newHistory(r, pack.OpenReader)
	if err != nil {
		return nil, err
	}
	defer h.store.Close()
	refs, store := h.refs, h.store

	res := &Result{}
	var headTree []pack.Entry
	if !refs.Head.IsZero() {
		c, err := h.commit(refs.Head)
		if err != nil {
			return nil, &Error{Msg: fmt.Sprintf("read HEAD commit %s", refs.Head), Err: err}
		}
		if headTree = h.tree(c.Tree, "HEAD"); headTree == nil {
			return nil, &Error{Msg: fmt.Sprintf("read HEAD tree %s", c.Tree)}
		}
		res.Head = c.Hash.String()
	} // else the first commit: everything staged is new

	threshold := opts.StreamThreshold
	if threshold <= 0 {
		threshold = pack.DefaultStreamThreshold
	}
	trees := map[repo.ID][]pack.Entry{}
	names := map[string]bool{} // paths whose names were looked at
	var buf, win []byte
	for _, e := range idx.Entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !staged(e) {
			continue
		}
		blob := repo.IDFromBytes(e.Hash[:])
		old := h.pathIn(headTree, e.Name, trees)
		if old == blob {
			continue
		}
		res.Leaks = append(res.Leaks, h.stagedNames(e, blob, headTree, trees, names)...)
		var found []located
		var gaps []string
		var size int64
		found, gaps, size, buf, win, err = findBlob(store, blob, threshold, buf, win)
		res.Stats.Blobs++
		res.Stats.Bytes += size
		if err != nil {
			h.skipped.add(blob, "staged blob at "+e.Name, err)
			continue
		}
		if len(gaps) > 0 {
			h.skipped.addLine(blob, "staged blob at "+e.Name+": partly scanned: "+gaps[0])
		}
		if len(found) == 0 {
			continue
		}
		inHead := map[string]bool{}
		if !old.IsZero() {
			if was, _, _, _, _, err := findBlob(store, old, threshold, nil, nil); err == nil {
				for _, m := range was {
					inHead[m.KeyID] = true
				}
			}
		}
		res.Leaks = append(res.Leaks, stagedLeaks(e, blob, found, inHead)...)
	}
	linkOtherPaths(res.Leaks)
	res.Skipped = h.skipped.list()
	if h.skipped.promised > 0 {
		res.Remedy = partialCloneFix(r.Promisor)
	}
	res.Stats.Duration = time.Since(start)
	return res, nil
}

// readIndex decodes the index file; a repository with nothing staged yet
// has none.
func readIndex(path string) (*index.Index, error) {
	idx := &index.Index{}
	f, _, err := repo.OpenFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return idx, nil
	}
	if err != nil {
		return nil, &Error{Msg: "read the index", Err: err}
	}
	defer f.Close()
	if err := index.NewDecoder(bufio.NewReader(f)).Decode(idx); err != nil {
		if errors.Is(err, index.ErrUnknownExtension) {
			return nil, &Error{Msg: "the index uses an extension --staged cannot read (a split index, core.splitIndex, or a sparse index, index.sparse); turn it off with `git update-index --no-split-index` or `git sparse-checkout init --no-sparse-index`"}
		}
		return nil, &Error{Msg: "read the index", Err: err}
	}
	return idx, nil
}

// pathIn returns the blob at a slash-separated path of a tree, or the
// zero ID; trees caches the subtrees read.
func (h *history) pathIn(t []pack.Entry, p string, trees map[repo.ID][]pack.Entry) repo.ID {
	if e := h.lookup(t, p, trees); e != nil && !e.Dir() {
		return e.Hash
	}
	return repo.ID{}
}

// lookup returns the entry at a slash-separated path of a tree, or nil.
func (h *history) lookup(t []pack.Entry, p string, trees map[repo.ID][]pack.Entry) *pack.Entry {
	for t != nil {
		name, rest, more := strings.Cut(p, "/")
		e := entry(t, name)
		if e == nil || !more {
			return e
		}
		if !e.Dir() {
			return nil
		}
		sub, ok := trees[e.Hash]
		if !ok {
			sub = h.tree(e.Hash, "HEAD:"+p)
			trees[e.Hash] = sub
		}
		t, p = sub, rest
	}
	return nil
}

// stagedNames finds the key IDs in the names along a staged file's path
// (its directories' and its own) that HEAD's tree does not have at that
// path, each reported once at the path it names, as a full scan reports
// them (nameMatches).
func (h *history) stagedNames(e *index.Entry, blob repo.ID, head []pack.Entry, trees map[repo.ID][]pack.Entry, seen map[string]bool) []finding.Leak {
	var out []finding.Leak
	for i := 0; i <= len(e.Name); i++ {
		if i < len(e.Name) && e.Name[i] != '/' {
			continue
		}
		p := e.Name[:i]
		if seen[p] {
			continue
		}
		seen[p] = true
		ms := nameMatches(p)
		if len(ms) == 0 || h.lookup(head, p, trees) != nil {
			continue // no key, or a name HEAD has already
		}
		b := ""
		if i == len(e.Name) {
			b = blob.String()
		}
		for _, m := range ms {
			l := finding.Leak{KeyID: m.KeyID, Path: p, Decoded: m.how, Commit: StagedCommit, Line: m.line, Column: m.col, Blob: b}
			if acct, ok := detect.DecodeAccount(m.KeyID); ok {
				l.Account = acct
			}
			out = append(out, l)
		}
	}
	return out
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
func stagedLeaks(e *index.Entry, blob repo.ID, ms []located, inHead map[string]bool) []finding.Leak {
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
				Blob:        blob.String(),
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

// linkOtherPaths counts, for keys staged at several paths, the others.
func linkOtherPaths(leaks []finding.Leak) {
	paths := map[string]int{}
	for _, l := range leaks {
		paths[l.KeyID]++
	}
	for i := range leaks {
		leaks[i].OtherPaths = paths[leaks[i].KeyID] - 1
	}
	slices.SortStableFunc(leaks, func(a, b finding.Leak) int {
		return cmp.Or(strings.Compare(a.KeyID, b.KeyID), strings.Compare(a.Path, b.Path))
	})
}
