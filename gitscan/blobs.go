package gitscan

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"

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
				var size int64
				var err error
				found, size, buf, win, err = findBlob(store, hash, threshold, buf, win)
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
	for _, f := range failures {
		skipped.add(f.hash, "blob "+describe(set, f.hash), f.err)
	}
	return hits, total, nil
}

// findBlob runs the detectors on one blob: read whole into buf if it is
// at most threshold bytes, else streamed through windows held in win.
func findBlob(store *pack.Store, hash repo.ID, threshold int64, buf, win []byte) ([]located, int64, []byte, []byte, error) {
	r, size, err := store.Stream(hash)
	if err != nil {
		return nil, 0, buf, win, err
	}
	defer r.Close()
	if size > threshold {
		found, win, err := findStream(r, pack.StreamChunk(threshold), win)
		return found, size, buf, win, err
	}
	if int64(cap(buf)) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, size, buf, win, err
	}
	// The reader checks the object's end and checksum on the next read.
	if n, err := r.Read(make([]byte, 1)); n > 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = fmt.Errorf("object longer than its header says")
		}
		return nil, size, buf, win, err
	}
	if !detect.MayContain(buf) {
		return nil, size, buf, win, nil
	}
	ms := detect.Find(buf)
	if len(ms) == 0 {
		return nil, size, buf, win, nil
	}
	return locate(buf, ms), size, buf, win, nil
}

func describe(set *blobSet, h repo.ID) string {
	if p := set.where[h]; p != "" {
		return "at " + p
	}
	return "(unreachable)"
}

// locate adds line and column to each match. Columns count characters
// (runes), which is what editors and GitHub show for UTF-8 text.
func locate(buf []byte, ms []detect.Match) []located {
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
		out = append(out, located{Match: m, line: line, col: col, allow: allow})
	}
	return out
}
