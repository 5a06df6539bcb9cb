package gitscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/keysweep/keysweep/gitscan/detect"
)

// blobHit is a blob whose content holds at least one credential.
type blobHit struct {
	hash    plumbing.Hash
	matches []located
}

// located is a detector match with its 1-based line and column.
type located struct {
	detect.Match
	line, col int
	// allow: the match's line carries an inline keysweep:allow marker.
	allow bool
	// inner is the archive member the match is in ("" for the blob
	// itself), and how the encodings undone to find it (see
	// finding.Leak.Decoded).
	inner, how string
}

// pathIn returns where the match is when the blob is at p:
// "archive.zip!inner/path" for an archive member.
func (m located) pathIn(p string) string {
	if m.inner == "" {
		return p
	}
	return p + "!" + m.inner
}

// allowMarker is the inline suppression comment, in any comment syntax.
const allowMarker = "keysweep:allow"

// blobsPerHandle is how many blobs justify opening one more repository
// handle: go-git loads the pack index and maps every offset for each
// handle, which on a large repository costs more than reading a few
// thousand blobs.
const blobsPerHandle = 2000

// scanBlobs reads each blob once and runs the detectors on it. The first
// worker uses repo, which the caller leaves idle meanwhile; further workers
// open their own handles, since go-git storage is not safe for concurrent
// use.
func scanBlobs(ctx context.Context, repo *git.Repository, path string, set *blobSet, opts Options, skipped *skipList) (map[plumbing.Hash]*blobHit, int64, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), 1+len(set.order)/blobsPerHandle)
	}
	workers = max(1, min(workers, len(set.order)))
	if opts.Progress != nil {
		opts.Progress.Start(len(set.order), 0)
		defer opts.Progress.Finish()
	}

	type failure struct {
		hash plumbing.Hash
		err  error
	}
	var (
		mu       sync.Mutex
		hits     = map[plumbing.Hash]*blobHit{}
		failures []failure
		cut      []failure // blobs decode stopped short of
		total    int64
		openErr  error
		wg       sync.WaitGroup
	)
	next := make(chan plumbing.Hash, 256)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := repo
			if w > 0 {
				var err error
				if r, err = open(path); err != nil {
					mu.Lock()
					openErr = err
					mu.Unlock()
					for range next {
					}
					return
				}
			}
			var buf []byte
			var n int64
			for hash := range next {
				var size int64
				var err error
				buf, size, err = readBlob(r.Storer, hash, buf[:0])
				if opts.Progress != nil {
					opts.Progress.Add(1, size)
				}
				n += size
				if err != nil {
					mu.Lock()
					failures = append(failures, failure{hash, err})
					mu.Unlock()
					continue
				}
				if !mayHold(buf) {
					continue
				}
				ms, gaps := scanContent(buf)
				if len(gaps) > 0 {
					mu.Lock()
					cut = append(cut, failure{hash, errors.New(gaps[0])})
					mu.Unlock()
				}
				if len(ms) == 0 {
					continue
				}
				hit := &blobHit{hash: hash, matches: ms}
				mu.Lock()
				hits[hash] = hit
				mu.Unlock()
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	var ctxErr error
feed:
	for _, h := range set.order {
		select {
		case next <- h:
		case <-ctx.Done():
			ctxErr = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctxErr != nil {
		return nil, 0, ctxErr
	}
	if openErr != nil {
		return nil, 0, openErr
	}
	for _, f := range failures {
		skipped.add(f.hash, "blob "+describe(set, f.hash), f.err)
	}
	for _, f := range cut {
		where := ""
		if p := set.where[f.hash]; p != "" {
			where = " at " + p
		}
		skipped.addLine(f.hash, "blob "+f.hash.String()+where+": partly scanned: "+f.err.Error())
	}
	return hits, total, nil
}

func describe(set *blobSet, h plumbing.Hash) string {
	if p := set.where[h]; p != "" {
		return "at " + p
	}
	return "(unreachable)"
}

type objectReader interface {
	EncodedObject(plumbing.ObjectType, plumbing.Hash) (plumbing.EncodedObject, error)
}

// readBlob reads a whole blob into buf, reusing its storage. A panic in
// go-git on a malformed object is that object's error, not a crash.
func readBlob(s objectReader, hash plumbing.Hash, buf []byte) (out []byte, size int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = buf[:0], fmt.Errorf("internal error: %v", r)
		}
	}()
	obj, err := s.EncodedObject(plumbing.BlobObject, hash)
	if err != nil {
		return buf, 0, err
	}
	size = obj.Size()
	r, err := obj.Reader()
	if err != nil {
		return buf, size, err
	}
	defer r.Close()
	if int64(cap(buf)) < size {
		buf = make([]byte, 0, size)
	}
	buf = buf[:size]
	if _, err := io.ReadFull(r, buf); err != nil {
		return buf[:0], size, err
	}
	return buf, size, nil
}

// locate adds line and column to each match. Columns count characters
// (runes), which is what editors and GitHub show for UTF-8 text.
func locate(buf []byte, ms []detect.Match, inner, how string) []located {
	out := make([]located, 0, len(ms))
	line, lineStart, pos := 1, 0, 0
	for _, m := range ms {
		for ; pos < m.Start; pos++ {
			if buf[pos] == '\n' {
				line++
				lineStart = pos + 1
			}
		}
		col := 1
		for i := lineStart; i < m.Start; {
			_, size := decodeRune(buf[i:m.Start])
			i += size
			col++
		}
		end := bytes.IndexByte(buf[m.Start:], '\n')
		if end < 0 {
			end = len(buf) - m.Start
		}
		allow := bytes.Contains(buf[lineStart:m.Start+end], []byte(allowMarker))
		out = append(out, located{Match: m, line: line, col: col, allow: allow, inner: inner, how: how})
	}
	return out
}
