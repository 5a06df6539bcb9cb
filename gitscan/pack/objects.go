package pack

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// parseCommit reads the headers of a commit object.
func parseCommit(h plumbing.Hash, b []byte) (Commit, error) {
	c := Commit{Hash: h}
	var haveTree, haveCommitter bool
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
			if !parseHex(&c.Tree, val) {
				return c, errors.New("bad tree line")
			}
			haveTree = true
		case "parent":
			var p plumbing.Hash
			if !parseHex(&p, val) {
				return c, errors.New("bad parent line")
			}
			c.Parents = append(c.Parents, p)
		case "author":
			c.Author, c.Email, _ = parseSignature(val)
		case "committer":
			_, _, c.When = parseSignature(val)
			haveCommitter = true
		}
	}
	if !haveTree || !haveCommitter {
		return c, errors.New("commit without tree or committer")
	}
	return c, nil
}

func parseHex(h *plumbing.Hash, s []byte) bool {
	if len(s) != 2*len(h) {
		return false
	}
	_, err := hex.Decode(h[:], s)
	return err == nil
}

// parseSignature splits "Name <email> 1700000000 +0100" as go-git does,
// time in the signature's own zone.
func parseSignature(b []byte) (name, email string, when time.Time) {
	open := bytes.LastIndexByte(b, '<')
	shut := bytes.LastIndexByte(b, '>')
	if open < 0 || shut < open {
		return string(bytes.TrimSpace(b)), "", time.Time{}
	}
	name = string(bytes.TrimSpace(b[:open]))
	email = string(b[open+1 : shut])
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
			when = when.In(time.FixedZone("", off))
		}
	}
	return name, email, when
}

// nextEntry parses the tree entry at b[i:] and returns where its mode
// and name end and where the entry ends; its hash is the 20 bytes before
// the end. Hand-written loops beat bytes.IndexByte on names this short.
func nextEntry(b []byte, i int) (modeEnd, nameEnd, end int, err error) {
	j := i
	for j < len(b) && b[j] != ' ' {
		j++
	}
	k := j + 1
	for k < len(b) && b[k] != 0 {
		k++
	}
	if j == i || k == j+1 || k+21 > len(b) {
		return 0, 0, 0, errors.New("malformed tree entry")
	}
	return j, k, k + 21, nil
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
