package pack

import (
	"bufio"
	"compress/zlib"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/keysweep/keysweep/gitscan/decode"
	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// maxKeep is the largest buffer a worker keeps between delta trees, so that
// one huge blob does not pin its memory for the rest of the scan.
const maxKeep = 16 << 20

// worker resolves delta trees one at a time, reusing its buffers, and
// collects results that the scanner merges at the end.
type worker struct {
	s *scanner
	inflater
	cbuf   []byte // pack bytes from rstart, if rpack is not nil; or a loose object
	rpack  *pack
	rstart int64
	dbuf   []byte // delta stream of the entry being resolved
	spare  []byte // windows gathered from base and delta
	ops    []op
	ws     []span
	levels []*level           // the current delta chain's bases, root first
	frames []frame            // the delta tree being resolved (see descend)
	seen   *[seenSize]repo.ID // names present, by their low bits

	suspects  []repo.ID
	commits   [][]Commit // in chunks of commitChunk (see addCommit)
	people    interner   // of commits and tags
	tags      []Tag
	keyNames  bool // a tree entry's name holds a key ID
	problems  []Problem
	blobs     int
	blobBytes int64

	// What Trees keeps: entries in chunks, each tree's place in them, and
	// a cache of the shared name table.
	tents  [][]entry
	tspans []treeSpan
	names  map[string]uint32

	// Progress not yet reported.
	pendObjects int
	pendBytes   int64
}

// level is one object of the current delta chain: its content (unless it
// is a blob without delta children) and its key-ID offsets, or a tree's
// entry offsets and, when listing trees, what Trees keeps of each entry.
type level struct {
	buf  []byte
	keys []int
	// archive: a blob that starts like an archive, which the detectors
	// cannot read without decode.
	archive bool
	starts  []int
	ents    []entry
	broken  bool // a malformed tree
}

func (w *worker) level(d int) *level {
	for len(w.levels) <= d {
		w.levels = append(w.levels, new(level))
	}
	return w.levels[d]
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// root resolves the delta tree of full object e.
func (w *worker) root(p *pack, e int32) {
	if err, ok := p.bad[e]; ok {
		w.corrupt(p, e, err)
		return
	}
	if p.typ[e] == typeBlob && p.size[e] > w.s.opts.streamThreshold() && len(p.children(e)) == 0 {
		w.streamRoot(p, e)
		return
	}
	lv := w.level(0)
	content, err := w.inflate(p, e, lv.buf)
	lv.buf = content
	if err != nil {
		w.corrupt(p, e, err)
		return
	}
	typ := p.typ[e]
	switch typ {
	case typeBlob:
		lv.keys = keyIDs(lv.keys[:0], content)
		lv.archive = decode.Opens(content)
	case typeTree:
		w.treeStarts(lv, w.s.table.hashes[p.num[e]], content, len(content), nil, nil, !p.dup[e])
	}
	w.record(p, e, typ, content, len(content), lv)
	w.descend(p, e, typ)
	for i := range w.levels {
		if cap(w.levels[i].buf) > maxKeep {
			w.levels[i].buf = nil
		}
	}
	if cap(w.dbuf) > maxKeep {
		w.dbuf = nil
	}
	if cap(w.spare) > maxKeep {
		w.spare = nil
	}
	if cap(w.cbuf) > maxKeep {
		w.cbuf, w.rpack = nil, nil
	}
}

// frame is an entry of the delta tree being resolved whose children are
// not all resolved yet: the next one is children(e)[next]. Its content is
// w.levels[slot].
type frame struct {
	e, next, slot int32
}

// descend resolves the delta tree under entry e, whose content is level
// 0, without recursion: a chain of any depth is a loop, never a deep
// stack. When an entry's last child is resolved, the child takes its
// base's place (its level and its frame), so a chain holds two levels
// however deep; orderChildren put the child with the largest subtree
// last, so the levels held at once are at most log2 of the tree's size.
func (w *worker) descend(p *pack, e int32, typ uint8) {
	frames := append(w.frames[:0], frame{e: e})
	for len(frames) > 0 {
		f := &frames[len(frames)-1]
		kids := p.children(f.e)
		if int(f.next) == len(kids) {
			frames = frames[:len(frames)-1]
			continue
		}
		c := kids[f.next]
		f.next++
		slot := f.slot + 1
		if !w.delta(p, c, typ, w.level(int(f.slot)), w.level(int(slot))) || len(p.children(c)) == 0 {
			continue
		}
		if int(f.next) == len(kids) {
			w.levels[f.slot], w.levels[slot] = w.levels[slot], w.levels[f.slot]
			*f = frame{e: c, slot: f.slot}
			continue
		}
		frames = append(frames, frame{e: c, slot: slot})
	}
	w.frames = frames
}

// delta resolves entry c, a delta against baseLevel (whose buf is its
// whole content), into lv, and reports whether it could. The result is
// built only when something needs it: children to apply to, or a tree or
// commit to parse.
func (w *worker) delta(p *pack, c int32, typ uint8, baseLevel, lv *level) bool {
	base := baseLevel.buf
	var err error
	w.dbuf, err = w.inflate(p, c, w.dbuf)
	if err != nil {
		w.corrupt(p, c, err)
		return false
	}
	var n int
	if err = checkSize(typeName(typ)+" delta result", typ, deltaResult(w.dbuf)); err == nil {
		w.ops, n, err = parseDelta(w.dbuf, len(base), w.ops[:0])
	}
	if err != nil {
		w.corrupt(p, c, err)
		return false
	}
	var content []byte
	// A blob's or tree's result is built only for delta children to apply
	// to: a blob's key IDs come from its windows, a tree's entries from
	// what the delta inserts (treeStarts gathers those). Building every
	// tree version of git/git was 3 GB of copying.
	if typ != typeBlob && typ != typeTree || len(p.children(c)) > 0 {
		content = grow(lv.buf, n)
		apply(w.ops, base, w.dbuf, content)
		lv.buf = content
	}
	switch typ {
	case typeBlob:
		w.ws = windows(w.ws, w.ops, n)
		lv.keys = deltaKeys(lv.keys, w.ops, w.ws, base, w.dbuf, content, n, baseLevel.keys, &w.spare)
		if content == nil {
			lv.archive = w.opensGathered(base, n)
		} else {
			lv.archive = decode.Opens(content)
		}
	case typeTree:
		w.treeStarts(lv, w.s.table.hashes[p.num[c]], content, n, w.ops, baseLevel, !p.dup[c])
	}
	w.record(p, c, typ, content, n, lv)
	return true
}

// opensGathered is decode.Opens for the result of the delta in w.ops and
// w.dbuf, of n bytes, which was not built: its head is gathered, and the
// whole result only for a mail message, whose text decides, up to the
// streaming threshold (a larger one is decoded whatever its text).
func (w *worker) opensGathered(base []byte, n int) bool {
	w.spare = gather(w.spare[:0], w.ops, base, w.dbuf, 0, min(n, decode.HeadLen))
	switch {
	case decode.IsArchive(w.spare):
		return true
	case !decode.IsMail(w.spare):
		return false
	case int64(n) > w.s.opts.streamThreshold():
		return true
	}
	w.spare = gather(w.spare[:0], w.ops, base, w.dbuf, 0, n)
	return decode.MayBeQuotedPrintable(w.spare)
}

// external resolves entry e, a REF_DELTA whose base is not in its pack.
func (w *worker) external(p *pack, e int32, h repo.ID) {
	typ, base, err := w.s.external(h)
	if err != nil {
		w.corrupt(p, e, fmt.Errorf("delta base %s: %w", h, err))
		return
	}
	if !w.s.walks(typ) {
		p.skip(e, nil)
		return
	}
	// Roots are done with: level 0 is free.
	lv := w.level(0)
	lv.buf = base
	switch typ {
	case typeBlob:
		lv.keys = keyIDs(lv.keys[:0], base)
		lv.archive = decode.Opens(base)
	case typeTree:
		w.treeStarts(lv, h, base, len(base), nil, nil, false)
	}
	if w.delta(p, e, typ, lv, w.level(1)) {
		w.levels[0], w.levels[1] = w.levels[1], w.levels[0]
		w.descend(p, e, typ)
	}
}

// record counts an object once it is read. content is nil for a blob
// that was not built; lv holds its key IDs or tree entries.
func (w *worker) record(p *pack, e int32, typ uint8, content []byte, size int, lv *level) {
	p.done[e] = true
	if p.dup[e] {
		return
	}
	w.handle(p.num[e], typ, content, size, lv)
}

func (w *worker) handle(num int32, typ uint8, content []byte, size int, lv *level) {
	h := w.s.table.hashes[num]
	w.pendObjects++
	w.pendBytes += int64(size)
	if w.pendObjects >= 512 {
		w.flush()
	}
	switch typ {
	case typeBlob:
		w.blobs++
		w.blobBytes += int64(size)
		if len(lv.keys) > 0 || lv.archive {
			w.suspects = append(w.suspects, h)
		}
	case typeTree:
		if w.s.list != nil && !lv.broken {
			w.listTree(num, lv.ents)
		}
	case typeTag:
		t, err := parseTag(h, content, &w.people)
		if err != nil {
			w.problems = append(w.problems, Problem{Hash: h, What: "malformed tag " + h.String(), Err: err})
			return
		}
		w.tags = append(w.tags, t)
	case typeCommit:
		c, err := parseCommit(h, content, &w.people)
		if err != nil {
			w.problems = append(w.problems, Problem{Hash: h, What: "malformed commit " + h.String(), Err: err})
			return
		}
		// Trees check the objects they name; a commit's root tree is named
		// by no tree, so it is checked here. Missing parents are the
		// caller's to judge: they are how a shallow clone looks.
		if _, ok := w.s.table.lookup(&c.Tree); !ok {
			w.problems = append(w.problems, Problem{Hash: h, What: fmt.Sprintf("commit %s names missing tree %s", h, c.Tree), Missing: c.Tree})
		}
		w.addCommit(c)
	}
}

// commitChunk is how many commits a worker gathers per allocation. One
// slice grown by append is copied each time it grows, by a quarter past
// a few hundred elements: for git/git's 200,000 commits that was 185 MB
// allocated for 32 MB kept.
const commitChunk = 4096

func (w *worker) addCommit(c Commit) {
	if n := len(w.commits); n == 0 || len(w.commits[n-1]) == commitChunk {
		w.commits = append(w.commits, make([]Commit, 0, commitChunk))
	}
	last := &w.commits[len(w.commits)-1]
	*last = append(*last, c)
}

func (w *worker) flush() {
	if w.pendObjects > 0 && w.s.opts.Progress != nil {
		w.s.opts.Progress.Add(w.pendObjects, w.pendBytes)
	}
	w.pendObjects, w.pendBytes = 0, 0
}

// treeStarts sets lv.starts to the offsets of the entries of tree b, n
// bytes long (a delta result if ops is not nil, of base) and, when listing
// trees, lv.ents to what Trees keeps of each. If check, it reports entries
// naming objects the repository lacks.
//
// In a delta, an entry copied whole from the base was checked in the base,
// and a run of the base's entries inside one copy needs no parsing: where
// the parse reaches a base entry's start inside a copy, the copy's whole
// entries are the base's, shifted. b is nil for a delta result that was
// not built; the entries it parses are gathered from base and delta.
func (w *worker) treeStarts(lv *level, h repo.ID, b []byte, n int, ops []op, base *level, check bool) {
	listing := w.s.list != nil
	starts, ents := lv.starts[:0], lv.ents[:0]
	lv.broken = false
	defer func() { lv.starts, lv.ents = starts, ents }()
	j := 0
	for i := 0; i < n; {
		whole := false
		if ops != nil {
			for ops[j].dst+ops[j].n <= i {
				j++
			}
			o := ops[j]
			if !o.insert {
				bp := i - o.dst + o.src
				if k, ok := slices.BinarySearch(base.starts, bp); ok {
					// Entry k of the base ends where k+1 starts, the last at
					// the end of the base.
					end := func(x int) int {
						if x+1 < len(base.starts) {
							return base.starts[x+1]
						}
						return len(base.buf)
					}
					lim := o.src + o.n
					q := k + sort.Search(len(base.starts)-k, func(x int) bool { return end(k+x) > lim })
					if q > k {
						shift := o.dst - o.src
						for _, s := range base.starts[k:q] {
							starts = append(starts, s+shift)
						}
						if listing {
							ents = append(ents, base.ents[k:q]...)
						}
						i = end(q-1) + shift
						continue
					}
				}
				whole = true // decided below, once the entry's end is known
			}
		}
		eb, at := b, i
		if b == nil {
			eb, at = w.entryBytes(ops, base.buf, i, n), 0
		}
		modeEnd, nameEnd, end, err := nextEntry(eb, at, h.Size())
		if err != nil && b == nil && len(eb) < n-i {
			// A name longer than the gathered window: gather the rest.
			w.spare = gather(w.spare[:0], ops, base.buf, w.dbuf, i, n)
			eb = w.spare
			modeEnd, nameEnd, end, err = nextEntry(eb, 0, h.Size())
		}
		if err != nil {
			if check {
				w.problems = append(w.problems, Problem{Hash: h, What: fmt.Sprintf("malformed tree %s at byte %d", h, i), Err: err})
			}
			// Entries that do not reach the end of the tree must not be
			// carried into its deltas.
			starts, ents = starts[:0], ents[:0]
			lv.broken = true
			return
		}
		starts = append(starts, i)
		mode, name := eb[at:modeEnd], eb[modeEnd+1:nameEnd]
		id := repo.IDFromBytes(eb[nameEnd+1 : end])
		hash := &id
		end += i - at // a position in the tree, where eb is a window of it
		i = end
		if !listing && !w.keyNames && len(name) >= keyLen && detect.MayContain(name) {
			w.keyNames = true
		}
		if listing {
			ents = append(ents, w.keep(mode, name, hash))
		}
		// Trees leaves absent objects to Scan.
		if !check || listing || whole && end <= ops[j].dst+ops[j].n {
			continue
		}
		if string(mode) == "160000" {
			continue // a submodule commit lives in another repository
		}
		if !w.present(hash) {
			w.problems = append(w.problems, Problem{
				Hash: h,
				// *hash, not hash: the pointer would move every entry's
				// object name to the heap (4 million allocations on git/git).
				What:    fmt.Sprintf("tree %s names missing %s %s (%s)", h, kind(mode), *hash, name),
				Missing: *hash,
			})
		}
	}
}

// entryWindow is how much of an unbuilt tree is gathered to parse one
// entry: mode, name and object name, unless the name is very long.
const entryWindow = 320

// entryBytes gathers bytes [i, i+entryWindow) of the delta result ops
// describe, fewer at its end.
func (w *worker) entryBytes(ops []op, base []byte, i, n int) []byte {
	w.spare = gather(w.spare[:0], ops, base, w.dbuf, i, min(n, i+entryWindow))
	return w.spare
}

// seenSize is how many names a worker remembers as present. Nine in ten
// tree entries a scan of git/git checks were checked before, most of them
// a few trees earlier in the same delta chain; a hit costs a compare in
// the cache where the object table costs two misses to main memory.
const seenSize = 1 << 16

// present reports whether the repository has the object named h.
func (w *worker) present(h *repo.ID) bool {
	c := &w.seen[h.Key8()&(seenSize-1)]
	if c.Equal(h) {
		return true
	}
	if _, ok := w.s.table.lookup(h); !ok {
		return false
	}
	*c = *h
	return true
}

// corrupt reports entry e as unreadable, and every delta that depends on
// it.
func (w *worker) corrupt(p *pack, e int32, err error) {
	h := w.s.table.hashes[p.num[e]]
	p.done[e] = true
	if !p.dup[e] {
		w.count()
		what := "corrupt pack entry"
		if _, ok := err.(*BoundError); ok {
			what = "pack entry"
		}
		w.problems = append(w.problems, Problem{
			Hash: h,
			What: fmt.Sprintf("%s %s at offset %d in %s", what, h, p.offs[e], filepath.Base(p.name)),
			Err:  err,
		})
	}
	// Entries on a cycle of REF_DELTA bases are each other's children:
	// one done is not visited again.
	stack := append([]int32(nil), p.children(e)...)
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if p.done[c] {
			continue
		}
		stack = append(stack, p.children(c)...)
		p.done[c] = true
		if p.dup[c] {
			continue
		}
		w.count()
		w.problems = append(w.problems, Problem{
			Hash: w.s.table.hashes[p.num[c]],
			What: fmt.Sprintf("delta %s at offset %d in %s depends on unreadable %s", w.s.table.hashes[p.num[c]], p.offs[c], filepath.Base(p.name), h),
			Err:  err,
		})
	}
}

// count reports progress for an object that could not be read.
func (w *worker) count() {
	w.pendObjects++
}

// inflate reads entry e's compressed data, verifies it and inflates it
// into dst. Its declared size is checked first: against what its
// compressed bytes can hold, and against the bound of its type (a delta
// stream against MaxObject).
func (w *worker) inflate(p *pack, e int32, dst []byte) ([]byte, error) {
	start, end := p.offs[e]+int64(p.hlen[e]), p.offs[e+1]
	size := p.size[e]
	if !fitsCompressed(size, end-start) {
		return dst, fmt.Errorf("entry size %d does not fit its %d compressed bytes", size, end-start)
	}
	what, typ := "delta stream", uint8(typeBlob)
	if p.typ[e] < typeOfsDelta {
		what, typ = typeName(p.typ[e]), p.typ[e]
	}
	if err := checkSize(what, typ, size); err != nil {
		return dst, err
	}
	raw, err := w.read(p, p.offs[e], end)
	if err != nil {
		return dst, err
	}
	var crc uint32
	if p.crc != nil {
		crc = p.crc[e]
	}
	return w.inflateEntry(raw, int(p.hlen[e]), p.crc != nil, crc, grow(dst, int(size)))
}

// readAhead is how much of a pack a worker reads at once. A delta tree's
// entries tend to lie close together (git writes an object's versions
// near each other), so one read serves several entries.
const readAhead = 32 << 10

// read returns the pack's bytes [start, end), from the mapping or through
// a read-ahead buffer.
func (w *worker) read(p *pack, start, end int64) ([]byte, error) {
	if p.m != nil {
		return p.m.bytes(start, end), nil
	}
	if w.rpack == p && start >= w.rstart && end <= w.rstart+int64(len(w.cbuf)) {
		return w.cbuf[start-w.rstart : end-w.rstart], nil
	}
	n := min(max(end-start, readAhead), p.offs[p.n()]-start)
	w.cbuf = grow(w.cbuf, int(n))
	w.rpack = nil
	if _, err := p.f.ReadAt(w.cbuf, start); err != nil {
		return nil, err
	}
	w.rpack, w.rstart = p, start
	return w.cbuf[:end-start], nil
}

// loose reads and handles one loose object.
func (w *worker) loose(o looseObject) {
	if w.s.list == nil && w.streamLoose(o) {
		return
	}
	h := w.s.table.hashes[o.num]
	typ, content, err := w.readLoose(o.path, w.s.only())
	if err != nil {
		w.count()
		w.problems = append(w.problems, Problem{Hash: h, What: "corrupt loose object " + h.String() + " (" + o.path + ")", Err: err})
		return
	}
	if !w.s.walks(typ) {
		return
	}
	lv := w.level(0)
	switch typ {
	case typeBlob:
		lv.keys = keyIDs(lv.keys[:0], content)
		lv.archive = decode.Opens(content)
	case typeTree:
		w.treeStarts(lv, h, content, len(content), nil, nil, true)
	}
	w.handle(o.num, typ, content, len(content), lv)
}

// looseProbe is how much of a loose object is read to learn its type
// when only one type is wanted: enough for any zlib block header and the
// object header.
const looseProbe = 4 << 10

// readLoose inflates a loose object and splits off its header. If only is
// not 0 and the object is of another type, it returns just the type,
// having read no more than looseProbe bytes of the file.
func (w *worker) readLoose(path string, only uint8) (uint8, []byte, error) {
	f, st, err := repo.OpenFile(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	w.rpack = nil
	n := st.Size()
	if n > maxCompressed(MaxObject) {
		return 0, nil, &BoundError{What: "loose object file", Size: n, Bound: MaxObject}
	}
	if only != 0 {
		n = min(n, looseProbe)
	}
	for {
		w.cbuf = grow(w.cbuf, int(n))
		if m, err := f.ReadAt(w.cbuf, 0); m < len(w.cbuf) {
			return 0, nil, err
		}
		typ, size, rest, err := w.looseHeader(w.cbuf)
		if err != nil && n == st.Size() {
			return 0, nil, err
		}
		if err == nil && only != 0 && typ != only {
			return typ, nil, nil
		}
		if n < st.Size() {
			n = st.Size()
			continue
		}
		if err := checkSize(typeName(typ), typ, size); err != nil {
			return 0, nil, err
		}
		lv := w.level(0)
		lv.buf = grow(lv.buf, int(size))
		content, err := w.looseContent(lv.buf, rest)
		return typ, content, err
	}
}

// streamRoot reads a large full blob that no delta is built on through
// the detectors in windows, never holding it whole.
func (w *worker) streamRoot(p *pack, e int32) {
	start, end := p.offs[e]+int64(p.hlen[e]), p.offs[e+1]
	zr, err := zlib.NewReader(bufio.NewReaderSize(io.NewSectionReader(p.f, start, end-start), 64<<10))
	if err != nil {
		w.corrupt(p, e, fmt.Errorf("inflate: %w", err))
		return
	}
	suspect, err := w.streamKeys(exactly(zr, p.size[e]))
	if err != nil {
		w.corrupt(p, e, err)
		return
	}
	lv := w.level(0)
	lv.keys = lv.keys[:0]
	if suspect {
		lv.keys = append(lv.keys, 0) // only whether there is one counts
	}
	w.record(p, e, typeBlob, nil, int(p.size[e]), lv)
}

// streamLoose streams a loose object if it is a blob above the streaming
// threshold, and reports whether it did (or reported it unreadable).
func (w *worker) streamLoose(o looseObject) bool {
	threshold := w.s.opts.streamThreshold()
	fi, err := os.Stat(o.path)
	if err != nil || fi.Size()*1100+64 < threshold {
		return false // cannot inflate to more than the threshold
	}
	r, size, err := streamLoose(o.path)
	if err != nil || size <= threshold {
		if r != nil {
			r.Close()
		}
		return false // small, or not a blob: read whole, which names errors
	}
	defer r.Close()
	suspect, err := w.streamKeys(r)
	if err != nil {
		h := w.s.table.hashes[o.num]
		w.count()
		w.problems = append(w.problems, Problem{Hash: h, What: "corrupt loose object " + h.String() + " (" + o.path + ")", Err: err})
		return true
	}
	lv := w.level(0)
	lv.keys = lv.keys[:0]
	if suspect {
		lv.keys = append(lv.keys, 0)
	}
	w.handle(o.num, typeBlob, nil, int(size), lv)
	return true
}

// streamKeys reports whether r is a suspect as a blob read whole would be
// (keyIDs, decode.Opens), read in overlapping windows: a key ID or marker
// in some window, an archive head, or a mail head and a window that may
// be quoted-printable. A key ID cut by a window's end is whole in the next
// window; one the cut makes look whole only costs the suspect pass a read.
func (w *worker) streamKeys(r io.Reader) (bool, error) {
	found, mail := false, false
	var err error
	w.spare, err = Windows(r, StreamChunk(w.s.opts.streamThreshold()), w.spare, func(win []byte, base int64, _, _ int) error {
		if base == 0 {
			head := win[:min(len(win), decode.HeadLen)]
			found = decode.IsArchive(head)
			mail = decode.IsMail(head)
		}
		if !found && (mail && decode.MayBeQuotedPrintable(win) || detect.MayContainEncoded(win) || len(detect.Candidates(nil, win)) > 0) {
			found = true
		}
		return nil
	})
	return found, err
}
