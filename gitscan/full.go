package gitscan

import (
	"context"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/pack"
)

// fullHistory reads every object once with the pack engine, which names
// the blobs that hold key IDs and every commit, then walks the commit
// graph from the refs in memory. Blobs are not walked: whether a suspect
// is reachable is settled by attribution, which only runs when there are
// hits.
func (h *history) fullHistory(ctx context.Context, opts Options, stats *finding.ScanStats) (*blobSet, error) {
	gitDir, err := h.gitDir()
	if err != nil {
		return nil, err
	}
	var popts pack.Options
	if p := opts.Progress; p != nil {
		popts.Total = func(n int) { p.Start(n, 0) }
		popts.Progress = p
		defer p.Finish()
	}
	// The pack pass has its own file handles; reading the refs through
	// go-git meanwhile takes the peeling of tags off the critical path.
	type packed struct {
		res *pack.Result
		err error
	}
	done := make(chan packed, 1)
	go func() {
		res, err := pack.Scan(ctx, gitDir, popts)
		done <- packed{res, err}
	}()
	roots, nrefs, rootsErr := h.roots()
	out := <-done
	if rootsErr != nil {
		return nil, rootsErr
	}
	if out.err != nil {
		return nil, &Error{Msg: "read the objects of " + gitDir, Err: out.err}
	}
	pres := out.res
	stats.Refs = nrefs
	for _, p := range pres.Problems {
		h.skipped.addLine(problemKey(p), p.String())
	}
	h.packed = make(map[plumbing.Hash]*commitInfo, len(pres.Commits))
	for i := range pres.Commits {
		c := &pres.Commits[i]
		h.packed[c.Hash] = &commitInfo{hash: c.Hash, tree: c.Tree, parents: c.Parents, when: c.When, author: c.Author, email: c.Email, msgHit: c.MessageHit}
	}
	if err := h.allCommits(ctx, roots); err != nil {
		return nil, err
	}
	stats.Blobs, stats.Bytes = pres.Blobs, pres.BlobBytes
	h.keyNames = pres.KeyNames
	h.msgTags = map[plumbing.Hash]string{}
	for _, t := range pres.Tags {
		if name, ok := h.tagNames[t]; ok {
			h.msgTags[t] = name
		}
	}

	set := newBlobSet()
	for _, b := range pres.Suspects {
		set.add(b, "")
		// Until attribution finds it under a commit, a suspect may be a
		// dangling object.
		set.unreachable[b] = true
	}
	return set, nil
}

// problemKey dedupes problems: a missing object named by many trees is
// one problem.
func problemKey(p pack.Problem) plumbing.Hash {
	if !p.Missing.IsZero() {
		return p.Missing
	}
	return p.Hash
}

// gitDir is the directory holding objects/, for the pack engine.
func (h *history) gitDir() (string, error) {
	fs, ok := h.repo.Storer.(*filesystem.Storage)
	if !ok {
		return "", &Error{Msg: "repository storage is not on disk"}
	}
	dir := fs.Filesystem().Root()
	// A linked work tree's git dir keeps its objects in the common dir.
	if b, err := os.ReadFile(filepath.Join(dir, "commondir")); err == nil {
		common := filepath.Clean(string(trimNewline(b)))
		if !filepath.IsAbs(common) {
			common = filepath.Join(dir, common)
		}
		return common, nil
	}
	return dir, nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// treeIndex reads every stored tree's subtree and hit-blob entries with the
// pack engine, for attributing the hits of a full scan.
func (h *history) treeIndex(ctx context.Context, hits map[plumbing.Hash]*blobHit) (treeEntries, error) {
	gitDir, err := h.gitDir()
	if err != nil {
		return nil, err
	}
	want := make(map[plumbing.Hash]bool, len(hits))
	for b := range hits {
		want[b] = true
	}
	// Its problems are a subset of what the pack pass already reported.
	idx, _, err := pack.Trees(ctx, gitDir, want, pack.Options{})
	if err != nil {
		return nil, &Error{Msg: "read the trees of " + gitDir, Err: err}
	}
	return h.packTrees(idx), nil
}
