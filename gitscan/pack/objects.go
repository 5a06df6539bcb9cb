package pack

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// parseCommit reads the headers of a commit object.
func parseCommit(h repo.ID, b []byte, in *interner) (Commit, error) {
	hs := h.Size()
	c := Commit{Hash: h}
	var haveTree, haveCommitter, sigHit bool
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(line) == 0 {
			break // the message follows
		}
		key, val, _ := bytes.Cut(line, []byte{' '})
		switch string(key) {
		case "tree":
			if !parseHex(&c.Tree, val, hs) {
				return c, errors.New("bad tree line")
			}
			haveTree = true
		case "parent":
			var p repo.ID
			if !parseHex(&p, val, hs) {
				return c, errors.New("bad parent line")
			}
			c.Parents = append(c.Parents, p)
		case "author":
			name, email, _ := parseSignature(val, in)
			c.Author, c.Email = in.str(name), in.str(email)
			sigHit = sigHit || messageHit(val)
		case "committer":
			_, _, c.When = parseSignature(val, in)
			haveCommitter = true
			sigHit = sigHit || messageHit(val)
		}
	}
	if !haveTree || !haveCommitter {
		return c, errors.New("commit without tree or committer")
	}
	c.MessageHit = sigHit || messageHit(b)
	return c, nil
}

// parseTag reads the object a tag object points at, and its tagger.
func parseTag(h repo.ID, b []byte, in *interner) (Tag, error) {
	line, rest, _ := bytes.Cut(b, []byte{'\n'})
	val, ok := bytes.CutPrefix(line, []byte("object "))
	t := Tag{Hash: h}
	if !ok || !parseHex(&t.Target, val, h.Size()) {
		return t, errors.New("no object line")
	}
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		if len(line) == 0 {
			break
		}
		if val, ok := bytes.CutPrefix(line, []byte("tagger ")); ok {
			var name, email []byte
			name, email, t.When = parseSignature(val, in)
			t.Tagger, t.Email = in.str(name), in.str(email)
			t.MessageHit = messageHit(val)
		}
	}
	t.MessageHit = t.MessageHit || messageHit(Message(TypeTag, b))
	return t, nil
}

// Message returns the message of a commit or tag object: what follows
// its headers, and for a tag without the signature git appends to it (as
// go-git and git show it).
func Message(typ uint8, obj []byte) []byte {
	i := bytes.Index(obj, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	msg := obj[i+2:]
	if typ == TypeTag {
		for _, sig := range []string{"-----BEGIN PGP SIGNATURE-----", "-----BEGIN PGP MESSAGE-----", "-----BEGIN SSH SIGNATURE-----", "-----BEGIN SIGNED MESSAGE-----"} {
			if j := bytes.LastIndex(msg, []byte(sig)); j >= 0 && (j == 0 || msg[j-1] == '\n') {
				msg = msg[:j]
				break
			}
		}
	}
	return msg
}

// parseHex parses the hexadecimal name of an hs-byte object name.

func parseHex(h *repo.ID, s []byte, hs int) bool {
	return len(s) == 2*hs && h.SetHex(s)
}

// parseSignature splits "Name <email> 1700000000 +0100" as go-git does,
// time in the signature's own zone.
func parseSignature(b []byte, in *interner) (name, email []byte, when time.Time) {
	open := bytes.LastIndexByte(b, '<')
	shut := bytes.LastIndexByte(b, '>')
	if open < 0 || shut < open {
		return bytes.TrimSpace(b), nil, time.Time{}
	}
	name = bytes.TrimSpace(b[:open])
	email = b[open+1 : shut]
	rest := bytes.TrimSpace(b[shut+1:])
	ts, tz, _ := bytes.Cut(rest, []byte{' '})
	sec, err := strconv.ParseInt(string(ts), 10, 64)
	if err != nil {
		return name, email, time.Time{}
	}
	when = time.Unix(sec, 0)
	if len(tz) == 5 && (tz[0] == '+' || tz[0] == '-') {
		hh, err1 := strconv.Atoi(string(tz[1:3]))
		mm, err2 := strconv.Atoi(string(tz[3:5]))
		if err1 == nil && err2 == nil {
			off := hh*3600 + mm*60
			if tz[0] == '-' {
				off = -off
			}
			when = when.In(in.zone(off))
		}
	}
	return name, email, when
}

// interner keeps one copy of each author name, e-mail address and time
// zone the pack pass reads: git/git has 200,000 commits by a few thousand
// people in a few dozen zones. It holds at most what it is given, so a
// hostile repository costs what it would without it. A nil interner
// copies each.
type interner struct {
	strs  map[string]string
	zones map[int]*time.Location
}

func (in *interner) str(b []byte) string {
	if in == nil {
		return string(b)
	}
	if s, ok := in.strs[string(b)]; ok {
		return s
	}
	if in.strs == nil {
		in.strs = map[string]string{}
	}
	s := string(b)
	in.strs[s] = s
	return s
}

func (in *interner) zone(off int) *time.Location {
	if in == nil {
		return time.FixedZone("", off)
	}
	if z, ok := in.zones[off]; ok {
		return z
	}
	if in.zones == nil {
		in.zones = map[int]*time.Location{}
	}
	z := time.FixedZone("", off)
	in.zones[off] = z
	return z
}

// nextEntry parses the tree entry at b[i:] and returns where its mode
// and name end and where the entry ends; its object name is the hs bytes
// before the end. Hand-written loops beat bytes.IndexByte on names this
// short.
func nextEntry(b []byte, i, hs int) (modeEnd, nameEnd, end int, err error) {
	j := i
	for j < len(b) && b[j] != ' ' {
		j++
	}
	k := j + 1
	for k < len(b) && b[k] != 0 {
		k++
	}
	if j == i || k == j+1 || k+1+hs > len(b) {
		return 0, 0, 0, errors.New("malformed tree entry")
	}
	return j, k, k + 1 + hs, nil
}

// kind names what a tree entry of this mode points to.
func kind(mode []byte) string {
	switch string(mode) {
	case "40000", "040000":
		return "tree"
	case "160000":
		return "commit"
	}
	return "blob"
}

// ParseCommit reads the headers of commit object h.
func ParseCommit(h repo.ID, b []byte) (Commit, error) { return parseCommit(h, b, nil) }

// ParseTag reads what tag object h points at.
func ParseTag(h repo.ID, b []byte) (Tag, error) { return parseTag(h, b, nil) }

// Entry is one entry of a tree object.
type Entry struct {
	Mode string // as git writes it: 100644, 100755, 120000, 40000, 160000
	Name string
	Hash repo.ID
}

// Dir reports whether the entry is a subtree.
func (e Entry) Dir() bool { return e.Mode == "40000" || e.Mode == "040000" }

// Submodule reports whether the entry names a commit of another
// repository.
func (e Entry) Submodule() bool { return e.Mode == "160000" }

// ParseTree reads the entries of a tree object whose object names are hs
// bytes long.
func ParseTree(b []byte, hs int) ([]Entry, error) {
	var out []Entry
	for i := 0; i < len(b); {
		modeEnd, nameEnd, end, err := nextEntry(b, i, hs)
		if err != nil {
			return out, fmt.Errorf("byte %d: %w", i, err)
		}
		out = append(out, Entry{Mode: string(b[i:modeEnd]), Name: string(b[modeEnd+1 : nameEnd]), Hash: repo.IDFromBytes(b[nameEnd+1 : end])})
		i = end
	}
	return out, nil
}
