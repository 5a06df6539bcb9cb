package gitscan

import (
	"context"
	"runtime"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// fullHistory reads every object once with the pack engine, which names
// the blobs that hold key IDs, every commit and every tag, then walks the
// commit graph from the refs in memory. Blobs are not walked: whether a
// suspect is reachable is settled by attribution, which only runs when
// there are hits.
func (h *history) fullHistory(ctx context.Context, opts Options, stats *finding.ScanStats) (*blobSet, error) {
	popts := pack.Options{StreamThreshold: opts.StreamThreshold}
	if p := opts.Progress; p != nil {
		popts.Total = func(n int) { p.Start(n, 0) }
		popts.Progress = p
		defer p.Finish()
	}
	pres, err := h.store.Scan(ctx, popts)
	if err != nil {
		return nil, &Error{Msg: "read the objects of " + h.repo.CommonDir, Err: err}
	}
	// The pack pass's buffers and tables are garbage now, and what
	// follows allocates the commit graph: collected first, the graph
	// fills their memory instead of growing the heap (peak RSS on git/git
	// 290-305 -> 265-270 MB, for about 50 ms).
	runtime.GC()
	stats.Refs = len(h.refs.List)
	for _, p := range pres.Problems {
		// A partial clone leaves objects out on purpose: they are
		// counted, not listed one by one.
		if h.skipped.promisor && !p.Missing.IsZero() {
			h.skipped.absent(p.Missing)
			continue
		}
		h.skipped.addLine(problemKey(p), p.String())
	}
	h.packed = make(map[repo.ID]*commitInfo, len(pres.Commits))
	for _, c := range pres.Commits {
		h.packed[c.Hash] = c
	}
	h.tags = make(map[repo.ID]repo.ID, len(pres.Tags))
	for _, t := range pres.Tags {
		h.tags[t.Hash] = t.Target
	}
	if err := h.allCommits(ctx, h.roots()); err != nil {
		return nil, err
	}
	stats.Blobs, stats.Bytes = pres.Blobs, pres.BlobBytes
	h.keyNames = pres.KeyNames
	h.msgTags = map[repo.ID]string{}
	for _, t := range pres.Tags {
		if name, ok := h.tagNames[t.Hash]; t.MessageHit && ok {
			h.msgTags[t.Hash] = name
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
func problemKey(p pack.Problem) repo.ID {
	if !p.Missing.IsZero() {
		return p.Missing
	}
	return p.Hash
}

// treeIndex reads every stored tree's subtree and hit-blob entries with the
// pack engine, for attributing the hits of a full scan.
func (h *history) treeIndex(ctx context.Context, hits map[repo.ID]*blobHit) (treeEntries, error) {
	want := make(map[repo.ID]bool, len(hits))
	for b := range hits {
		want[b] = true
	}
	// Its problems are a subset of what the pack pass already reported.
	idx, _, err := h.store.Trees(ctx, want, pack.Options{})
	if err != nil {
		return nil, &Error{Msg: "read the trees of " + h.repo.CommonDir, Err: err}
	}
	return h.packTrees(idx), nil
}
