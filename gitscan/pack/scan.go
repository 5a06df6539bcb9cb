package pack

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
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
	// IncludeCruft also reads cruft packs (those with a .mtimes file),
	// which hold only unreachable objects.
	IncludeCruft bool
}

// Commit is the part of a commit object the history walk needs.
type Commit struct {
	Hash, Tree    plumbing.Hash
	Parents       []plumbing.Hash
	When          time.Time // committer time, in the committer's zone
	Author, Email string
	// MessageHit reports that the message may hold a credential: a key ID
	// or the marker of an encoded one. The caller reads it and decides.
	MessageHit bool
}

// Problem is an object that could not be read, or a tree entry that names
// an object the repository does not have.
type Problem struct {
	Hash    plumbing.Hash // the unreadable object, or the tree naming a missing one
	What    string
	Err     error
	Missing plumbing.Hash // the missing object a tree names; zero otherwise
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
	Suspects []plumbing.Hash
	// Commits are every commit object stored, reachable or not, in hash
	// order.
	Commits []Commit
	// Tags are the annotated tags whose message may hold a credential,
	// as MessageHit, in hash order.
	Tags []plumbing.Hash
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

// Scan reads every object in gitDir (a .git directory or a bare
// repository) once.
func Scan(ctx context.Context, gitDir string, opts Options) (*Result, error) {
	s, err := open(gitDir, opts)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if opts.Total != nil {
		opts.Total(s.total)
	}
	if err := s.run(ctx); err != nil {
		return nil, err
	}
	return s.result(), nil
}

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
	gitDir   string
	opts     Options
	table    *objectTable
	packs    []*pack
	loose    []looseObject
	total    int
	problems []Problem // found while opening
	workers  []*worker
	list     *listing // set when listing trees rather than scanning

	extOnce sync.Once
	extMu   sync.Mutex // go-git storage is not safe for concurrent use
	ext     *filesystem.Storage
}

type looseObject struct {
	num  int32
	path string
}

// open finds every pack and loose object and numbers them.
func open(gitDir string, opts Options) (*scanner, error) {
	dirs, err := objectDirs(gitDir)
	if err != nil {
		return nil, err
	}
	s := &scanner{gitDir: gitDir, opts: opts}
	var hashes []plumbing.Hash
	type packIdx struct {
		name  string
		first int32
		offs  []int64
	}
	var idxs []packIdx
	for _, dir := range dirs {
		names, err := filepath.Glob(filepath.Join(dir, "pack", "*.idx"))
		if err != nil {
			return nil, err
		}
		slices.Sort(names)
		for _, idx := range names {
			stem := strings.TrimSuffix(idx, ".idx")
			if _, err := os.Stat(stem + ".pack"); err != nil {
				continue // an index being written, or left behind
			}
			if _, err := os.Stat(stem + ".mtimes"); err == nil && !opts.IncludeCruft {
				continue
			}
			hs, offs, err := readIdx(idx)
			if err != nil {
				s.problems = append(s.problems, Problem{What: "unreadable pack index " + idx, Err: err})
				continue
			}
			idxs = append(idxs, packIdx{stem + ".pack", int32(len(hashes)), offs})
			hashes = append(hashes, hs...)
		}
	}
	var loose []looseObject
	for _, dir := range dirs {
		loose, hashes, err = listLoose(dir, loose, hashes)
		if err != nil {
			return nil, err
		}
	}
	if len(hashes) >= 1<<31-1 {
		return nil, errors.New("too many objects")
	}

	s.table = newObjectTable(hashes)
	dup := make([]bool, len(hashes))
	for i := range idxs {
		for num := idxs[i].first; num < idxs[i].first+int32(len(idxs[i].offs)); num++ {
			_, inserted := s.table.insert(num)
			dup[num] = !inserted
		}
	}
	for _, l := range loose {
		if _, ok := s.table.insert(l.num); ok {
			s.loose = append(s.loose, l)
		}
	}
	for _, x := range idxs {
		p, err := openPack(x.name, x.first, x.offs)
		if err != nil {
			s.problems = append(s.problems, Problem{What: "unreadable pack " + x.name, Err: err})
			continue
		}
		for e, num := range p.num {
			p.dup[e] = dup[num]
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
		s.workers = append(s.workers, &worker{s: s})
	}
	return s, nil
}

// objectDirs returns the object directory of gitDir and its alternates.
func objectDirs(gitDir string) ([]string, error) {
	dir := filepath.Join(gitDir, "objects")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		alt := filepath.Join(gitDir, ".git", "objects")
		if fi, err := os.Stat(alt); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("%s is not a git directory: no objects directory", gitDir)
		}
		dir = alt
	}
	dirs := []string{dir}
	for i := 0; i < len(dirs); i++ {
		f, err := os.Open(filepath.Join(dirs[i], "info", "alternates"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' {
				continue
			}
			if !filepath.IsAbs(line) {
				line = filepath.Join(dirs[i], line)
			}
			if !slices.Contains(dirs, filepath.Clean(line)) {
				dirs = append(dirs, filepath.Clean(line))
			}
		}
		f.Close()
	}
	return dirs, nil
}

// listLoose numbers the loose objects of an object directory.
func listLoose(dir string, loose []looseObject, hashes []plumbing.Hash) ([]looseObject, []plumbing.Hash, error) {
	const hexDigits = "0123456789abcdef"
	for i := range 256 {
		sub := filepath.Join(dir, string([]byte{hexDigits[i>>4], hexDigits[i&15]}))
		ents, err := os.ReadDir(sub)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return loose, hashes, err
		}
		for _, e := range ents {
			var h plumbing.Hash
			if len(e.Name()) != 38 || !parseHex(&h, []byte(filepath.Base(sub)+e.Name())) {
				continue // temporary files
			}
			loose = append(loose, looseObject{int32(len(hashes)), filepath.Join(sub, e.Name())})
			hashes = append(hashes, h)
		}
	}
	return loose, hashes, nil
}

func (s *scanner) close() {
	for _, p := range s.packs {
		p.f.Close()
	}
}

// parallel runs f on every worker and waits.
func (s *scanner) parallel(f func(w *worker)) {
	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w)
			w.flush()
		}()
	}
	wg.Wait()
}

// safely runs f and turns a panic into a Problem: a malformed pack that
// slipped past the checks costs the objects it holds, not the whole scan,
// and never prints a stack trace.
func (w *worker) safely(what string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			w.problems = append(w.problems, Problem{What: "unreadable " + what, Err: fmt.Errorf("internal error: %v", r)})
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
			w.safely(fmt.Sprintf("delta tree at offset %d in %s", p.offs[roots[i]], filepath.Base(p.name)), func() { w.root(p, roots[i]) })
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
			w.corrupt(p, int32(e), errors.New("delta chain never reaches a full object"))
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
			w.safely("loose object "+s.loose[i].path, func() { w.loose(s.loose[i]) })
		}
	})
	return ctx.Err()
}

// external reads an object stored outside the pack through go-git: the
// rare base of a REF_DELTA that a thin pack left out.
func (s *scanner) external(h plumbing.Hash) (uint8, []byte, error) {
	s.extOnce.Do(func() {
		s.ext = filesystem.NewStorage(osfs.New(s.gitDir), cache.NewObjectLRUDefault())
	})
	s.extMu.Lock()
	defer s.extMu.Unlock()
	obj, err := s.ext.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, nil, err
	}
	r, err := obj.Reader()
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return uint8(obj.Type()), b, err
}

func (s *scanner) result() *Result {
	res := &Result{Objects: s.table.count, Problems: s.allProblems()}
	for _, w := range s.workers {
		res.Suspects = append(res.Suspects, w.suspects...)
		res.Commits = append(res.Commits, w.commits...)
		res.Tags = append(res.Tags, w.tags...)
		res.KeyNames = res.KeyNames || w.keyNames
		res.Blobs += w.blobs
		res.BlobBytes += w.blobBytes
	}
	slices.SortFunc(res.Suspects, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	res.Suspects = slices.Compact(res.Suspects)
	slices.SortFunc(res.Commits, func(a, b Commit) int { return bytes.Compare(a.Hash[:], b.Hash[:]) })
	slices.SortFunc(res.Tags, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	return res
}

// allProblems gathers the problems of every worker, in hash order.
func (s *scanner) allProblems() []Problem {
	ps := slices.Clone(s.problems)
	for _, w := range s.workers {
		ps = append(ps, w.problems...)
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(bytes.Compare(a.Hash[:], b.Hash[:]), strings.Compare(a.What, b.What))
	})
	return ps
}
