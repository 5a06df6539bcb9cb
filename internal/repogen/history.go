package repogen

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strconv"
	"strings"
)

// file is one version of a file. Versions are never changed once
// committed: an edit makes a new one, so branches can share them.
type file struct {
	lines []string
	// keep holds lines that random edits must neither change nor delete
	// nor split apart: planted credentials and look-alikes.
	keep map[string]bool
	// pinned files hold planted text: random work never deletes, renames
	// or branches off with them, so the manifest stays true.
	pinned bool
	// static files are only edited by scheduled events.
	static bool
}

func (f *file) bytes() []byte {
	n := 0
	for _, l := range f.lines {
		n += len(l) + 1
	}
	b := make([]byte, 0, n)
	for _, l := range f.lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	return b
}

func (f *file) contains(s string) bool {
	for _, l := range f.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// with returns a copy of f whose lines may be changed freely.
func (f *file) with() *file {
	g := *f
	g.lines = slices.Clone(f.lines)
	return &g
}

// protect marks lines as planted text.
func (f *file) protect(lines ...string) {
	// Copy: the previous version may share the map.
	f.keep = maps.Clone(f.keep)
	if f.keep == nil {
		f.keep = map[string]bool{}
	}
	for _, l := range lines {
		f.keep[l] = true
	}
	f.pinned = true
}

// fileSet is a tree's files, with a slice for uniform random choice.
type fileSet struct {
	m    map[string]*file
	list []string
	idx  map[string]int
}

func newFileSet() *fileSet {
	return &fileSet{m: map[string]*file{}, idx: map[string]int{}}
}

func (s *fileSet) put(p string, f *file) {
	if _, ok := s.m[p]; !ok {
		s.idx[p] = len(s.list)
		s.list = append(s.list, p)
	}
	s.m[p] = f
}

func (s *fileSet) remove(p string) {
	i, ok := s.idx[p]
	if !ok {
		return
	}
	last := s.list[len(s.list)-1]
	s.list[i] = last
	s.idx[last] = i
	s.list = s.list[:len(s.list)-1]
	delete(s.idx, p)
	delete(s.m, p)
}

// branch is a ref being written. Main holds the whole tree; other branches
// hold only the files they own, which main leaves alone until they merge.
type branch struct {
	ref   string
	files *fileSet
	// tip is the mark of the branch's last commit; started says whether
	// fast-import has seen the branch (if not, the next commit needs from).
	tip     int
	started bool
	// base is what the branch's files were when it forked, to work out
	// what a merge brings.
	base map[string]*file
}

// change is one file change of a commit.
type change struct {
	op   byte // 'M', 'D' or 'R'
	path string
	to   string // R only
	f    *file  // M only
}

type gen struct {
	opts Options
	r    *rand.Rand
	w    *bufio.Writer

	n     int   // commits written
	mark  int   // last mark used
	clock int64 // committer time of the last commit

	main    *branch
	locked  map[string]bool // main's files that a live branch owns
	feature *feature
	pending []event
	// doomed refs are deleted after the import, so that what they reached
	// is reachable only through a tag.
	doomed []string

	keys      []PlantedKey
	negatives []Negative
	nkeys     int    // keys derived so far
	planting  string // kind of the scenario running
	large     string
}

type feature struct {
	b      *branch
	length int
	done   int
	merge  bool
}

type event struct {
	at int
	fn func()
}

var authors = []string{
	"Ada Quinn <ada@example.com>", "Bruno Silva <bruno@example.com>",
	"Chen Wei <chen@example.org>", "Dana Okafor <dana@example.net>",
	"Elif Kaya <elif@example.com>", "Farid Haddad <farid@example.org>",
	"Greta Lund <greta@example.com>", "Hiro Tanaka <hiro@example.net>",
	"Ines Duarte <ines@example.com>", "Jonas Weber <jonas@example.org>",
}

// epoch is 2019-01-01T00:00:00Z; dates are fixed so hashes are too.
const epoch = 1546300800

func newGen(opts Options, w *bufio.Writer) *gen {
	return &gen{
		opts:   opts,
		r:      newRand(opts.Seed),
		w:      w,
		clock:  epoch,
		main:   &branch{ref: "refs/heads/main", files: newFileSet()},
		locked: map[string]bool{},
	}
}

func (g *gen) data(b []byte) {
	g.w.WriteString("data ")
	g.w.WriteString(strconv.Itoa(len(b)))
	g.w.WriteByte('\n')
	g.w.Write(b)
	g.w.WriteByte('\n')
}

func (g *gen) stamp() string {
	// Strictly increasing dates make "oldest commit" unambiguous.
	g.clock += 60 + g.r.Int64N(1800)
	return strconv.FormatInt(g.clock, 10) + " +0000"
}

// commit writes a commit on b and returns its mark. from, if set, is the
// parent when b has not been written before.
func (g *gen) commit(b *branch, msg string, changes []change, merge *branch) int {
	g.n++
	g.mark++
	who, when := pick(g.r, authors), g.stamp()
	fmt.Fprintf(g.w, "commit %s\nmark :%d\nauthor %s %s\ncommitter %s %s\n", b.ref, g.mark, who, when, who, when)
	g.data([]byte(msg + "\n"))
	if !b.started && b.tip != 0 {
		fmt.Fprintf(g.w, "from :%d\n", b.tip)
	}
	if merge != nil {
		fmt.Fprintf(g.w, "merge :%d\n", merge.tip)
	}
	for _, c := range changes {
		switch c.op {
		case 'M':
			g.w.WriteString("M 100644 inline " + c.path + "\n")
			g.data(c.f.bytes())
		case 'D':
			g.w.WriteString("D " + c.path + "\n")
		case 'R':
			g.w.WriteString("R " + c.path + " " + c.to + "\n")
		}
	}
	g.w.WriteByte('\n')
	b.tip, b.started = g.mark, true
	return g.mark
}

func (g *gen) message() string {
	verbs := []string{"fix", "add", "refactor", "speed up", "document", "simplify", "test", "handle", "remove unused"}
	return pick(g.r, words) + ": " + pick(g.r, verbs) + " " + pick(g.r, words) + " " + pick(g.r, words) +
		" (#" + strconv.Itoa(1000+g.n) + ")"
}

// edit returns a new version of f with one to three small line edits.
func (g *gen) edit(f *file, ext string) *file {
	f = f.with()
	for i, n := 0, 1+g.r.IntN(3); i < n; i++ {
		g.editOnce(f, ext, 0)
	}
	return f
}

// editOnce inserts, deletes or modifies lines of f at a random place at or
// after from, leaving planted lines whole and adjacent.
func (g *gen) editOnce(f *file, ext string, from int) {
	n := len(f.lines)
	op := g.r.IntN(3)
	if n-from < 4 {
		op = 0
	}
	for try := 0; try < 8; try++ {
		at := from + g.r.IntN(n-from+1)
		switch op {
		case 0: // insert
			if at > 0 && at < n && f.keep[f.lines[at-1]] && f.keep[f.lines[at]] {
				continue
			}
			add := make([]string, 1+g.r.IntN(3))
			for i := range add {
				add[i] = line(g.r, ext)
			}
			f.lines = slices.Insert(f.lines, at, add...)
			return
		case 1: // delete
			if at >= n || f.keep[f.lines[at]] {
				continue
			}
			f.lines = slices.Delete(f.lines, at, at+1)
			return
		default: // modify
			if at >= n || f.keep[f.lines[at]] {
				continue
			}
			f.lines[at] = line(g.r, ext)
			return
		}
	}
}

// randomCommit edits one to five files of b, and now and then adds,
// renames or deletes one.
func (g *gen) randomCommit(b *branch) {
	var changes []change
	touched := map[string]bool{}
	usable := func(p string, structural bool) bool {
		f := b.files.m[p]
		if touched[p] || f.static || b == g.main && g.locked[p] {
			return false
		}
		return !structural || !f.pinned
	}
	choose := func(structural bool) (string, bool) {
		if len(b.files.list) == 0 {
			return "", false
		}
		for try := 0; try < 20; try++ {
			if p := pick(g.r, b.files.list); usable(p, structural) {
				return p, true
			}
		}
		return "", false
	}
	switch x := g.r.IntN(100); {
	case x < 3:
		p := newPath(g.r, g.exists)
		f := &file{lines: newLines(g.r, path.Ext(p))}
		b.files.put(p, f)
		touched[p] = true
		changes = append(changes, change{op: 'M', path: p, f: f})
	case x < 4 && len(b.files.list) > 20:
		if p, ok := choose(true); ok {
			b.files.remove(p)
			touched[p] = true
			changes = append(changes, change{op: 'D', path: p})
		}
	case x < 5:
		if p, ok := choose(true); ok {
			to := g.renamed(p)
			f := b.files.m[p]
			b.files.remove(p)
			b.files.put(to, f)
			touched[p], touched[to] = true, true
			changes = append(changes, change{op: 'R', path: p, to: to})
		}
	}
	// Most commits touch one or two files; some touch five.
	for i, n := 0, pick(g.r, []int{1, 1, 1, 1, 2, 2, 2, 3, 4, 5}); i < n; i++ {
		p, ok := choose(false)
		if !ok {
			break
		}
		touched[p] = true
		f := g.edit(b.files.m[p], path.Ext(p))
		b.files.put(p, f)
		changes = append(changes, change{op: 'M', path: p, f: f})
	}
	if len(changes) == 0 {
		// Every candidate was taken: add a line to a new file instead of
		// writing an empty commit.
		p := newPath(g.r, g.exists)
		f := &file{lines: newLines(g.r, path.Ext(p))}
		b.files.put(p, f)
		changes = append(changes, change{op: 'M', path: p, f: f})
	}
	g.commit(b, g.message(), changes, nil)
}

// exists reports whether a path is taken on any live branch, so that new
// paths never collide when branches merge.
func (g *gen) exists(p string) bool {
	if _, ok := g.main.files.m[p]; ok {
		return true
	}
	if g.feature != nil {
		if _, ok := g.feature.b.files.m[p]; ok {
			return true
		}
	}
	return false
}

// renamed returns a new name for p: another directory, or another name in
// the same one.
func (g *gen) renamed(p string) string {
	dir, ext := path.Dir(p), path.Ext(p)
	for {
		var to string
		if g.r.IntN(2) == 0 {
			to = path.Join(dir, ident(g.r)+ext)
		} else {
			to = path.Join(pick(g.r, dirs), pick(g.r, words[:40]), path.Base(p))
		}
		if !g.exists(to) {
			return to
		}
	}
}

// fork starts a branch off main's tip owning the given files of main.
func (g *gen) fork(ref string, own []string) *branch {
	b := &branch{ref: ref, files: newFileSet(), tip: g.main.tip, base: map[string]*file{}}
	for _, p := range own {
		f := g.main.files.m[p]
		b.files.put(p, f)
		b.base[p] = f
	}
	return b
}

// lock keeps main's random work off a branch's files until it merges.
func (g *gen) lock(b *branch, on bool) {
	for p := range b.base {
		if on {
			g.locked[p] = true
		} else {
			delete(g.locked, p)
		}
	}
}

// mergeChanges is what merging b into main changes on main, in a fixed
// order, applied to main's files.
func (g *gen) mergeChanges(b *branch) []change {
	var changes []change
	for _, p := range slices.Sorted(maps.Keys(b.base)) {
		if _, ok := b.files.m[p]; !ok {
			g.main.files.remove(p)
			changes = append(changes, change{op: 'D', path: p})
		}
	}
	for _, p := range slices.Sorted(maps.Keys(b.files.m)) {
		f := b.files.m[p]
		if b.base[p] != f {
			g.main.files.put(p, f)
			changes = append(changes, change{op: 'M', path: p, f: f})
		}
	}
	return changes
}

// ownable picks up to n files of main that a branch may take over.
func (g *gen) ownable(n int) []string {
	var own []string
	seen := map[string]bool{}
	for try := 0; try < 4*n && len(own) < n; try++ {
		p := pick(g.r, g.main.files.list)
		f := g.main.files.m[p]
		if seen[p] || f.pinned || f.static || g.locked[p] {
			continue
		}
		seen[p] = true
		own = append(own, p)
	}
	return own
}

func (g *gen) later(delay int, fn func()) {
	g.pending = append(g.pending, event{at: g.n + delay, fn: fn})
}

func (g *gen) runDue(all bool) {
	for len(g.pending) > 0 {
		i := slices.IndexFunc(g.pending, func(e event) bool { return all || e.at <= g.n })
		if i < 0 {
			return
		}
		e := g.pending[i]
		g.pending = slices.Delete(g.pending, i, i+1)
		e.fn()
	}
}

// run writes the whole fast-import stream.
func (g *gen) run(ctx context.Context) error {
	o := g.opts
	g.initial()

	var featureAt, tagAt, plantAt []int
	for i := range o.Branches {
		featureAt = append(featureAt, 1+(2*i+1)*o.Commits/(2*o.Branches))
	}
	for i := range o.Tags {
		tagAt = append(tagAt, (i+1)*o.Commits/(o.Tags+1))
	}
	for i := range o.PlantKeys {
		plantAt = append(plantAt, 2+i*o.Commits/(o.PlantKeys+1))
	}
	largeEvery := max(o.Commits/40, 5)
	features, tags, plants := 0, 0, 0
	for g.n < o.Commits {
		if g.n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		g.runDue(false)
		if plants < len(plantAt) && g.n >= plantAt[plants] {
			g.plant(plants)
			plants++
			continue
		}
		if tags < len(tagAt) && g.n >= tagAt[tags] {
			g.tag(tags)
			tags++
		}
		if g.feature == nil && features < len(featureAt) && g.n >= featureAt[features] {
			g.startFeature(features)
			features++
		}
		if ft := g.feature; ft != nil {
			if ft.done >= ft.length {
				g.endFeature()
				continue
			}
			if g.r.IntN(100) < 45 {
				g.randomCommit(ft.b)
				ft.done++
				continue
			}
		}
		if g.n%largeEvery == largeEvery-1 {
			g.editLarge()
			continue
		}
		g.randomCommit(g.main)
	}
	if g.feature != nil {
		g.endFeature()
	}
	for ; plants < len(plantAt); plants++ {
		g.plant(plants)
	}
	g.runDue(true)
	g.w.WriteString("done\n")
	return nil
}

func (g *gen) plant(i int) {
	s := scenarios[i%len(scenarios)]
	g.planting = s.kind
	s.run(g, i)
}

// initial writes the first commit: the source tree, the large file and the
// look-alikes.
func (g *gen) initial() {
	var changes []change
	for range g.opts.Files {
		p := newPath(g.r, g.exists)
		f := &file{lines: newLines(g.r, path.Ext(p))}
		g.main.files.put(p, f)
		changes = append(changes, change{op: 'M', path: p, f: f})
	}
	g.large = "data/fixtures/seed_data.sql"
	lf := &file{static: true, pinned: true, lines: make([]string, g.opts.LargeFileLines)}
	for i := range lf.lines {
		lf.lines[i] = line(g.r, ".sql")
	}
	g.main.files.put(g.large, lf)
	changes = append(changes, change{op: 'M', path: g.large, f: lf})
	changes = append(changes, g.negativeFiles()...)
	g.commit(g.main, "initial import", changes, nil)
}

// editLarge edits the large file near its start, so that what was
// appended to its end is copied by every later delta.
func (g *gen) editLarge() {
	f := g.main.files.m[g.large].with()
	for range 3 {
		g.editOnce(f, ".sql", 0)
	}
	g.main.files.put(g.large, f)
	g.commit(g.main, "fixtures: refresh seed data", []change{{op: 'M', path: g.large, f: f}}, nil)
}

func (g *gen) startFeature(i int) {
	name := fmt.Sprintf("refs/heads/feature/%d-%s", i, pick(g.r, words))
	b := g.fork(name, g.ownable(2+g.r.IntN(10)))
	spacing := max(g.opts.Commits/g.opts.Branches, 6)
	g.feature = &feature{b: b, length: 2 + g.r.IntN(min(25, spacing/3)), merge: i < g.opts.Merges}
	g.lock(b, true)
}

func (g *gen) endFeature() {
	ft := g.feature
	g.feature = nil
	g.lock(ft.b, false)
	if !ft.b.started {
		// Nothing was committed on it; leave no ref behind.
		return
	}
	if !ft.merge {
		return
	}
	msg := "Merge branch '" + strings.TrimPrefix(ft.b.ref, "refs/heads/") + "'"
	g.commit(g.main, msg, g.mergeChanges(ft.b), ft.b)
	// Hosts delete merged branches; a clone has only the unmerged ones.
	g.doomed = append(g.doomed, ft.b.ref)
}

func (g *gen) tag(i int) {
	name := fmt.Sprintf("v1.%d.0", i)
	if i%2 == 1 {
		fmt.Fprintf(g.w, "reset refs/tags/%s\nfrom :%d\n\n", name, g.main.tip)
		return
	}
	fmt.Fprintf(g.w, "tag %s\nfrom :%d\ntagger %s %s\n", name, g.main.tip, authors[0], g.stamp())
	g.data([]byte("Release " + name + "\n"))
}
