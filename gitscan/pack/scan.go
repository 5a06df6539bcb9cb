package pack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// Options tune a scan.
type Options struct {
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
	// Progress, if non-nil, is told of objects and bytes done, from
	// several goroutines, every few hundred objects.
	Progress interface {
		Add(objects int, bytes int64)
	}
	// Total, if non-nil, is called once before work starts with the
	// number of objects Progress will count.
	Total func(objects int)
	// StreamThreshold is the blob size above which a blob that no delta
	// is built on is streamed through the detectors in windows rather
	// than inflated whole; 0 means DefaultStreamThreshold.
	StreamThreshold int64
}

func (o *Options) streamThreshold() int64 {
	if o.StreamThreshold > 0 {
		return o.StreamThreshold
	}
	return DefaultStreamThreshold
}

// StreamChunk is how much new content each window of a blob streamed at
// this threshold holds: a quarter of it, so a test's small threshold
// crosses many windows, up to 8 MiB.
func StreamChunk(threshold int64) int {
	return int(min(max(threshold/4, 4<<10), streamChunk))
}

// Commit is the part of a commit object the history walk needs.
type Commit struct {
	Hash, Tree    repo.ID
	Parents       []repo.ID
	When          time.Time // committer time, in the committer's zone
	Author, Email string
	// MessageHit reports that the message, or the author or committer
	// line, may hold a credential: a key ID or the marker of an encoded
	// one. The caller reads it and decides.
	MessageHit bool
}

// Tag is the part of an annotated tag object that peeling and the
// attribution of its message need.
type Tag struct {
	Hash, Target  repo.ID
	Tagger, Email string
	When          time.Time // the tagger's time, in the tagger's zone
	// MessageHit reports that the message may hold a credential, as
	// Commit.MessageHit.
	MessageHit bool
}

// Problem is an object that could not be read, or a tree entry that names
// an object the repository does not have.
type Problem struct {
	Hash    repo.ID // the unreadable object, or the tree naming a missing one
	What    string
	Err     error
	Missing repo.ID // the missing object a tree names; zero otherwise
}

func (p Problem) String() string {
	if p.Err != nil {
		return p.What + ": " + p.Err.Error()
	}
	return p.What
}

// Result is what a scan found.
type Result struct {
	// Suspects are the blobs that hold a key ID detect.Find reports, in
	// hash order. It is computed without reconstructing most blobs but
	// finds what running detect.Find on every blob finds; callers read
	// the suspects and run the detectors for the details.
	Suspects []repo.ID
	// Commits are every commit object stored, reachable or not, in no
	// particular order.
	Commits []*Commit
	// Tags are every annotated tag object stored, in hash order.
	Tags []Tag
	// KeyNames reports that the name of some tree entry holds a key ID;
	// Trees then keeps such entries, for attribution.
	KeyNames bool
	// Objects counts distinct objects, readable or not; Blobs and
	// BlobBytes count the blobs that were read and their sizes.
	Objects, Blobs int
	BlobBytes      int64
	// Problems are unreadable objects (with every delta that depends on
	// them) and tree entries naming absent objects. The rest of the
	// repository is scanned regardless.
	Problems []Problem
}

// Scan reads every object of the store once.
func (st *Store) Scan(ctx context.Context, opts Options) (*Result, error) {
	if st.lazy != nil {
		return nil, errLazy
	}
	s := st.scanner(opts)
	if opts.Total != nil {
		opts.Total(s.total)
	}
	if err := s.run(ctx); err != nil {
		return nil, err
	}
	return s.result(), nil
}

// errLazy is Scan or Trees asked of a store OpenReader opened.
var errLazy = errors.New("the object store was opened for single reads (OpenReader): open it with Open to scan every object")

// run reads every pack, then the loose objects.
func (s *scanner) run(ctx context.Context) error {
	for _, p := range s.packs {
		if err := s.scanPack(ctx, p); err != nil {
			return err
		}
	}
	return s.scanLoose(ctx)
}

// scanner is one scan's shared state; workers only read it.
type scanner struct {
	st       *Store
	opts     Options
	table    *objectTable
	packs    []*pack
	loose    []looseObject
	total    int
	problems []Problem
	workers  []*worker
	list     *listing // set when listing trees rather than scanning
}

// scanner sets up one pass over the store's objects.
func (st *Store) scanner(opts Options) *scanner {
	s := &scanner{st: st, opts: opts, table: st.table, loose: st.loose, problems: slices.Clone(st.problems)}
	for _, pf := range st.packs {
		p, err := newPack(pf)
		if err != nil {
			s.problems = append(s.problems, Problem{What: "unreadable pack " + pf.name, Err: err})
			continue
		}
		for e, num := range p.num {
			p.dup[e] = st.dup[num]
		}
		s.packs = append(s.packs, p)
		s.total += p.n()
	}
	s.total += len(s.loose)
	n := opts.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	for range n {
		s.workers = append(s.workers, &worker{s: s, seen: new([seenSize]repo.ID)})
	}
	return s
}

// parallel runs f on every worker and waits.
func (s *scanner) parallel(f func(w *worker)) {
	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A mapped pack that shrinks under the scan (another process
			// truncating it) faults on the next read: that becomes a panic
			// which safely turns into a Problem, not a crash.
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
			f(w)
			w.flush()
		}()
	}
	wg.Wait()
}

// safely runs f and turns a panic into a Problem: a malformed pack that
// slipped past the checks costs the objects it holds, not the whole scan,
// and never prints a stack trace. what names what f reads; it is called
// only then (formatting a name for each of git/git's 300,000 delta trees
// was 27 MB of garbage).
func (w *worker) safely(what func() string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("internal error: %v", r)
			if _, ok := r.(interface{ Addr() uintptr }); ok {
				// Only a fault under debug.SetPanicOnFault has an address:
				// a mapped pack's pages could not be read.
				err = errors.New("a memory fault reading the mapped pack (did the file shrink while the scan ran?)")
			}
			w.problems = append(w.problems, Problem{What: "unreadable " + what(), Err: err})
		}
	}()
	f()
}

// only returns the one object type read, or 0 for all.
func (s *scanner) only() uint8 {
	if s.list != nil {
		return typeTree
	}
	return 0
}

// walks reports whether objects of type typ are read.
func (s *scanner) walks(typ uint8) bool {
	return s.list == nil || typ == typeTree
}

// scanPack resolves every delta forest of one pack.
func (s *scanner) scanPack(ctx context.Context, p *pack) error {
	if err := p.readHeaders(s.table); err != nil {
		s.problems = append(s.problems, Problem{What: "unreadable pack " + p.name, Err: err})
		return nil
	}
	roots := p.roots
	if s.list != nil {
		// A delta has its base's type, so a forest is read or skipped
		// whole by its root. An unreadable root may have been anything.
		roots = nil
		var stack []int32
		for _, e := range p.roots {
			if s.walks(p.typ[e]) || p.typ[e] == 0 {
				roots = append(roots, e)
			} else {
				stack = p.skip(e, stack)
			}
		}
	}
	var next atomic.Int64
	var stop atomic.Bool
	s.parallel(func(w *worker) {
		for !stop.Load() {
			i := next.Add(1) - 1
			if i >= int64(len(roots)) {
				return
			}
			if i%16 == 0 && ctx.Err() != nil {
				stop.Store(true)
				return
			}
			w.safely(func() string {
				return fmt.Sprintf("delta tree at offset %d in %s", p.offs[roots[i]], filepath.Base(p.name))
			}, func() { w.root(p, roots[i]) })
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(p.ext) > 0 {
		ext := make([]int32, 0, len(p.ext))
		for e := range p.ext {
			ext = append(ext, e)
		}
		slices.Sort(ext)
		w := s.workers[0]
		for _, e := range ext {
			w.external(p, e, p.ext[e])
		}
		w.flush()
	}
	// Entries no full object leads to: a cycle of REF_DELTAs.
	w := s.workers[0]
	for e, done := range p.done {
		if !done {
			w.corrupt(p, int32(e), errors.New("delta chain never reaches a full object (its REF_DELTA bases form a cycle)"))
		}
	}
	// Only the results and the file are needed from here on.
	*p = pack{name: p.name, f: p.f}
	return ctx.Err()
}

// scanLoose reads every loose object not also packed.
func (s *scanner) scanLoose(ctx context.Context) error {
	var next atomic.Int64
	s.parallel(func(w *worker) {
		for {
			i := next.Add(1) - 1
			if i >= int64(len(s.loose)) || ctx.Err() != nil {
				return
			}
			w.safely(func() string { return "loose object " + s.loose[i].path }, func() { w.loose(s.loose[i]) })
		}
	})
	return ctx.Err()
}

// external reads an object stored outside the pack: the rare base of a
// REF_DELTA that a thin pack left out.
func (s *scanner) external(h repo.ID) (uint8, []byte, error) {
	return s.st.Read(h)
}

func (s *scanner) result() *Result {
	res := &Result{Objects: s.table.count, Problems: s.allProblems()}
	// Commits are most of what is gathered (git/git: 200,000, 31 MB):
	// pointed at where the workers put them, not copied.
	n := 0
	for _, w := range s.workers {
		for _, c := range w.commits {
			n += len(c)
		}
	}
	res.Commits = make([]*Commit, 0, n)
	for _, w := range s.workers {
		res.Suspects = append(res.Suspects, w.suspects...)
		for _, chunk := range w.commits {
			for i := range chunk {
				res.Commits = append(res.Commits, &chunk[i])
			}
		}
		w.commits = nil
		res.Tags = append(res.Tags, w.tags...)
		res.KeyNames = res.KeyNames || w.keyNames
		res.Blobs += w.blobs
		res.BlobBytes += w.blobBytes
	}
	slices.SortFunc(res.Suspects, repo.Compare)
	res.Suspects = slices.Compact(res.Suspects)
	slices.SortFunc(res.Tags, func(a, b Tag) int { return repo.Compare(a.Hash, b.Hash) })
	return res
}

// allProblems gathers the problems of every worker, in hash order.
func (s *scanner) allProblems() []Problem {
	ps := slices.Clone(s.problems)
	for _, w := range s.workers {
		ps = append(ps, w.problems...)
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(repo.Compare(a.Hash, b.Hash), strings.Compare(a.What, b.What))
	})
	return ps
}
