package repo

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Ref is a name that points at an object.
type Ref struct {
	// Name is git's full name: refs/heads/main, HEAD (a detached HEAD),
	// worktrees/<id>/HEAD and worktrees/<id>/refs/... for a linked work
	// tree, logs/refs/stash@{n} for an older stash entry.
	Name   string
	Target ID
}

// Refs is every ref the repository keeps objects alive for, each once
// (symbolic refs are left out: what they point at is listed).
type Refs struct {
	List []Ref
	// Head is the commit the opened work tree's HEAD names; zero on an
	// unborn branch. HeadRef is the branch it names, if it is symbolic.
	Head    ID
	HeadRef string
	// Problems are refs that could not be read.
	Problems []string

	byName   map[string]ID
	symbolic map[string]string
}

// Lookup returns what the ref with this full name points at, following
// symbolic refs (refs/remotes/origin/HEAD); HEAD is the opened work
// tree's.
func (rs *Refs) Lookup(name string) (ID, bool) {
	for range maxSymrefDepth {
		if name == "HEAD" {
			return rs.Head, !rs.Head.IsZero()
		}
		if id, ok := rs.byName[name]; ok {
			return id, true
		}
		target, ok := rs.symbolic[name]
		if !ok {
			return ID{}, false
		}
		name = target
	}
	return ID{}, false
}

// maxSymrefDepth bounds chains of symbolic refs, as git does.
const maxSymrefDepth = 5

// Refs lists the refs: packed-refs and loose refs of the common
// directory, HEAD, and each linked work tree's HEAD and per-worktree refs
// (refs/bisect, refs/worktree, refs/rewritten), which git protects from
// gc like any branch, and the stash reflog's older entries.
func (r *Repo) Refs() (*Refs, error) {
	out := &Refs{byName: map[string]ID{}, symbolic: map[string]string{}}
	shared := out.byName
	if err := r.packedRefs(shared); err != nil {
		return nil, err
	}
	if err := r.looseRefs(r.CommonDir, "refs", "", shared, out); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(shared))
	for n := range shared {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		out.List = append(out.List, Ref{n, shared[n]})
	}

	// Each work tree's HEAD: the main one is the common directory's.
	heads := []string{r.CommonDir}
	if ents, err := os.ReadDir(filepath.Join(r.CommonDir, "worktrees")); err == nil {
		for _, e := range ents {
			if e.IsDir() {
				heads = append(heads, filepath.Join(r.CommonDir, "worktrees", e.Name()))
			}
		}
	}
	for _, dir := range heads {
		prefix := ""
		if dir != r.CommonDir {
			prefix = "worktrees/" + filepath.Base(dir) + "/"
			own := map[string]ID{}
			if err := r.looseRefs(dir, "refs", prefix, own, out); err != nil {
				return nil, err
			}
			var names []string
			for n := range own {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				out.List = append(out.List, Ref{n, own[n]})
				out.byName[n] = own[n]
			}
		}
		id, target, err := r.head(dir, shared)
		if err != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("%sHEAD: %v", escape(prefix), err))
		}
		if target == "" && !id.IsZero() {
			out.List = append(out.List, Ref{prefix + "HEAD", id})
		}
	}
	// The opened work tree's HEAD, read from its own git directory (which
	// the listing above names by another path when symlinks are involved).
	out.Head, out.HeadRef, _ = r.head(r.GitDir, shared)
	out.List = append(out.List, r.stashLog()...)
	return out, nil
}

// head reads the HEAD of a git directory: a commit (detached) or the
// branch it names and that branch's commit, zero if it is unborn.
func (r *Repo) head(dir string, shared map[string]ID) (ID, string, error) {
	b, err := readSmall(filepath.Join(dir, "HEAD"))
	if err != nil {
		return ID{}, "", err
	}
	text := strings.TrimSpace(string(b))
	target := ""
	for range maxSymrefDepth {
		name, ok := strings.CutPrefix(text, "ref:")
		if !ok {
			break
		}
		target = strings.TrimSpace(name)
		if id, ok := shared[target]; ok {
			return id, target, nil
		}
		// A per-worktree ref, or a loose symbolic ref.
		b, err := readSmall(filepath.Join(dir, filepath.FromSlash(target)))
		if err != nil {
			return ID{}, target, nil // unborn
		}
		text = strings.TrimSpace(string(b))
	}
	var id ID
	if !id.SetHex([]byte(text)) {
		return ID{}, target, fmt.Errorf("not an object name or a ref")
	}
	if r.HashSize != 0 && id.Size() != r.HashSize {
		return ID{}, target, fmt.Errorf("object name of the wrong length")
	}
	return id, target, nil
}

// packedRefs reads packed-refs: "<id> <name>" lines, "^<id>" lines giving
// the peeled target of the tag above (read again from the tag itself).
func (r *Repo) packedRefs(into map[string]ID) error {
	f, _, err := OpenFile(filepath.Join(r.CommonDir, "packed-refs"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &Error{Msg: "read packed-refs: " + err.Error()}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' || line[0] == '^' {
			continue
		}
		hexID, name, ok := strings.Cut(string(line), " ")
		var id ID
		if !ok || !id.SetHex([]byte(hexID)) {
			continue
		}
		into[name] = id
	}
	if err := sc.Err(); err != nil {
		return &Error{Msg: "read packed-refs: " + err.Error()}
	}
	return nil
}

// looseRefs reads the ref files under dir/sub, named prefix+path.
func (r *Repo) looseRefs(dir, sub, prefix string, into map[string]ID, out *Refs) error {
	root := filepath.Join(dir, sub)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			out.Problems = append(out.Problems, fmt.Sprintf("unreadable ref directory %s: %v", escape(path), err))
			return nil
		}
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return nil // a legacy symbolic ref: its target is listed
		case !d.Type().IsRegular():
			out.Problems = append(out.Problems, fmt.Sprintf("unreadable ref %s: not a regular file (%s)", escape(path), kindOf(d.Type())))
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return nil
		}
		name := prefix + filepath.ToSlash(rel)
		if strings.HasSuffix(name, ".lock") {
			return nil
		}
		b, err := readSmall(path)
		if err != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("unreadable ref %s: %v", escape(name), err))
			return nil
		}
		text := strings.TrimSpace(string(b))
		if t, ok := strings.CutPrefix(text, "ref:"); ok {
			out.symbolic[name] = strings.TrimSpace(t) // what it names is listed
			return nil
		}
		var id ID
		if !id.SetHex([]byte(text)) {
			out.Problems = append(out.Problems, fmt.Sprintf("ref %s: not an object name", escape(name)))
			return nil
		}
		into[name] = id
		return nil
	})
	if err != nil {
		return &Error{Msg: "read refs: " + err.Error()}
	}
	return nil
}

// stashLog returns stash@{1} and older, which only the stash's reflog
// remembers: lines "<old> <new> <who> <when>\t<message>".
func (r *Repo) stashLog() []Ref {
	f, _, err := OpenFile(filepath.Join(r.CommonDir, "logs", "refs", "stash"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []Ref
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		var id ID
		if len(fields) >= 2 && id.SetHex([]byte(fields[1])) {
			out = append(out, Ref{"logs/refs/stash", id})
		}
	}
	return out
}

// Shallow returns the commits whose parents a shallow clone left out.
func (r *Repo) Shallow() (map[ID]bool, error) {
	f, _, err := OpenFile(filepath.Join(r.CommonDir, "shallow"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Msg: "read the shallow list: " + err.Error()}
	}
	defer f.Close()
	out := map[ID]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var id ID
		if id.SetHex([]byte(strings.TrimSpace(sc.Text()))) {
			out[id] = true
		}
	}
	return out, sc.Err()
}
