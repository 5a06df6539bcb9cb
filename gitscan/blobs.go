package gitscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/keysweep/keysweep/gitscan/decode"
	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// blobHit is a blob whose content holds at least one credential.
type blobHit struct {
	hash    repo.ID
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

// scanBlobs reads each blob once and runs the detectors on it, on one
// goroutine per CPU (the store is safe for concurrent reads).
func scanBlobs(ctx context.Context, store *pack.Store, set *blobSet, opts Options, skipped *skipList) (map[repo.ID]*blobHit, int64, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(set.order)))
	threshold := opts.StreamThreshold
	if threshold <= 0 {
		threshold = pack.DefaultStreamThreshold
	}
	if opts.Progress != nil {
		opts.Progress.Start(len(set.order), 0)
		defer opts.Progress.Finish()
	}

	type failure struct {
		hash repo.ID
		err  error
	}
	var (
		mu       sync.Mutex
		hits     = map[repo.ID]*blobHit{}
		failures []failure
		cut      []failure // blobs decode stopped short of
		total    int64
		wg       sync.WaitGroup
	)
	next := make(chan repo.ID, 256)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int64
			var buf, win []byte
			for hash := range next {
				var found []located
				var gaps []string
				var size int64
				var err error
				found, gaps, size, buf, win, err = findBlob(store, hash, threshold, buf, win)
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
				if len(gaps) > 0 {
					mu.Lock()
					cut = append(cut, failure{hash, errors.New(gaps[0])})
					mu.Unlock()
				}
				if len(found) == 0 {
					continue
				}
				hit := &blobHit{hash: hash, matches: found}
				mu.Lock()
				hits[hash] = hit
				mu.Unlock()
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	// Read in the order the store holds them: a delta comes after its
	// base, which the previous read left in the store's cache, so every
	// version of a file costs one delta, not its whole chain.
	order := slices.Clone(set.order)
	store.Order(order)
	var ctxErr error
feed:
	for _, h := range order {
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

// findBlob runs scanContent on one blob read whole into buf if it is at
// most threshold bytes; a larger one is streamed through windows held in
// win (see findStream), unless it starts like an archive, which is read
// whole to be opened if it is within decode's bound (and is a gap if it
// is not). gaps are the parts decoding stopped short of.
func findBlob(store *pack.Store, hash repo.ID, threshold int64, buf, win []byte) (found []located, gaps []string, size int64, _, _ []byte, err error) {
	r, size, err := store.Stream(hash)
	if err != nil {
		return nil, nil, 0, buf, win, err
	}
	defer r.Close()
	var head []byte // what was read of a large blob before deciding
	if size > threshold {
		var hb [decode.HeadLen]byte
		n, err := io.ReadFull(r, hb[:])
		if err != nil && err != io.ErrUnexpectedEOF {
			return nil, nil, size, buf, win, err
		}
		head = hb[:n]
		src := io.MultiReader(bytes.NewReader(head), r)
		switch enc := decode.TextEncoding(head); {
		case enc != "":
			found, gaps, win, err := findStream(decode.Transcode(src, enc), pack.StreamChunk(threshold), win, enc)
			return found, gaps, size, buf, win, err
		case !decode.IsArchive(head) && !decode.IsMail(head):
			found, gaps, win, err := findStream(src, pack.StreamChunk(threshold), win, "")
			return found, gaps, size, buf, win, err
		case size > decode.DefaultLimits.MaxBytes:
			found, gaps, win, err := findStream(src, pack.StreamChunk(threshold), win, "")
			gap := fmt.Sprintf("the blob: an archive of %d bytes, more than the %d MiB decoding bound: its members were not read", size, decode.DefaultLimits.MaxBytes>>20)
			return found, append(gaps, gap), size, buf, win, err
		}
	}
	if int64(cap(buf)) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	n := copy(buf, head)
	if _, err := io.ReadFull(r, buf[n:]); err != nil {
		return nil, nil, size, buf, win, err
	}
	// The reader checks the object's end and checksum on the next read.
	if n, err := r.Read(make([]byte, 1)); n > 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = fmt.Errorf("object longer than its header says")
		}
		return nil, nil, size, buf, win, err
	}
	if !mayHold(buf) {
		return nil, nil, size, buf, win, nil
	}
	found, gaps = scanContent(buf)
	return found, gaps, size, buf, win, nil
}

func describe(set *blobSet, h repo.ID) string {
	if p := set.where[h]; p != "" {
		return "at " + p
	}
	return "(unreachable)"
}

// locate adds line and column to each match. Columns count characters
// (runes), which is what editors and GitHub show for UTF-8 text. ms are in
// offset order, so line and column are counted on from the previous match
// and each line is searched for the allow marker once: a one-line file of
// many matches costs its length, not its length per match.
func locate(buf []byte, ms []detect.Match, inner, how string) []located {
	out := make([]located, 0, len(ms))
	line, col, pos := 1, 1, 0
	var allow lineAllow
	lineStart := 0
	for _, m := range ms {
		for pos < m.Start {
			if buf[pos] == '\n' {
				line, col, lineStart = line+1, 1, pos+1
				pos++
				continue
			}
			_, size := decodeRune(buf[pos:m.Start])
			pos += size
			col++
		}
		out = append(out, located{Match: m, line: line, col: col, allow: allow.at(buf, lineStart, m.Start), inner: inner, how: how})
	}
	return out
}

// lineAllow tells whether a line holds the inline allow marker, reading
// each line once however many matches it has.
type lineAllow struct {
	start int // the line asked about last, if ok
	allow bool
	ok    bool
}

// at reports whether the line of buf that starts at start and holds
// offset off carries allowMarker.
func (a *lineAllow) at(buf []byte, start, off int) bool {
	if a.ok && a.start == start {
		return a.allow
	}
	end := bytes.IndexByte(buf[off:], '\n')
	if end < 0 {
		end = len(buf) - off
	}
	a.start, a.ok = start, true
	a.allow = bytes.Contains(buf[start:off+end], []byte(allowMarker))
	return a.allow
}
