package gitscan

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/gitscan/pack"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// Credentials in commit and annotated tag messages are reported at a
// pseudo-path under .git/, which no tracked file can have (git refuses to
// track .git), so it never collides with a file and never moves: the
// fingerprint, built from key ID and path, is stable for as long as the
// commit or tag exists. Line and column are within the message, line 1
// being its subject. GitHub code scanning accepts such a path: the alert
// shows it without a file preview. So are those in a commit's author or
// committer line (name, email: anything git accepts) and in ref names,
// at line 1 and their column in the line's value or the ref's name:
//
//	.git/commits/<commit hash>/message
//	.git/commits/<commit hash>/author
//	.git/commits/<commit hash>/committer
//	.git/tags/<tag name>/message
//	.git/<ref name>                      (.git/refs/heads/fix-AKIA...)
func messagePath(kind, name string) string {
	return ".git/" + kind + "/" + name + "/message"
}

// signatures finds the credentials in the author and committer lines of
// a commit object, or the tagger line of a tag, each at its own path
// beside the message's (under dir: ".git/commits/<hash>").
func signatures(c *commitInfo, obj []byte, dir string) []messageHit {
	var out []messageHit
	for len(obj) > 0 {
		line, rest, _ := bytes.Cut(obj, []byte{'\n'})
		if len(line) == 0 {
			break // the message follows
		}
		obj = rest
		key, val, _ := bytes.Cut(line, []byte{' '})
		if k := string(key); k == "author" || k == "committer" || k == "tagger" {
			if ms := nameText(val, ""); len(ms) > 0 {
				out = append(out, messageHit{commit: c, path: dir + "/" + k, matches: ms})
			}
		}
	}
	return out
}

// nameText finds the key IDs in a one-line name (a signature, a ref
// name), located at line 1 and their column in it.
func nameText(b []byte, how string) []located {
	if !detect.MayContain(b) {
		return nil
	}
	return locate(b, detect.Find(b), "", how)
}

// refNames finds the key IDs in the names of refs ("refs/heads/rotate-
// AKIA..."), which every clone shows as plainly as a file name, each
// attributed to the commit its ref points at.
func (h *history) refNames() []messageHit {
	var out []messageHit
	for _, ref := range h.refs.List {
		ms := nameText([]byte(ref.Name), "ref name")
		if len(ms) == 0 {
			continue
		}
		c := &commitInfo{}
		if target, ok := h.peelCommit(ref.Target); ok {
			if ci, err := h.commit(target); err == nil {
				c = ci
			} else {
				c.Hash = target
			}
		}
		out = append(out, messageHit{commit: c, path: ".git/" + ref.Name, matches: ms})
	}
	return out
}

// messageHit is the credentials found in one message, with the commit
// they are attributed to: the commit itself, or for a tag the commit it
// points at, with the tagger as author.
type messageHit struct {
	commit  *commitInfo
	path    string
	matches []located
}

// messages scans the messages of the commits in scope whose prefilter
// hit (pack.Commit.MessageHit), and of the annotated tags in tags (by
// hash, with their names).
func (h *history) messages(ctx context.Context, tags map[repo.ID]string) ([]messageHit, error) {
	var out []messageHit
	for _, c := range h.commits {
		if !c.MessageHit {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		typ, b, err := h.store.Read(c.Hash)
		if err != nil {
			h.skipped.add(c.Hash, "commit message", err)
			continue
		}
		ms, gaps := scanContent(pack.Message(typ, b))
		h.partly(c.Hash, "commit "+c.Hash.String()+" message", gaps)
		if len(ms) > 0 {
			out = append(out, messageHit{commit: c, path: messagePath("commits", c.Hash.String()), matches: ms})
		}
		out = append(out, signatures(c, b, ".git/commits/"+c.Hash.String())...)
	}
	for hash, name := range tags {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		typ, b, err := h.store.Read(hash)
		if err == nil && typ != pack.TypeTag {
			err = fmt.Errorf("%s is not a tag", hash)
		}
		var tag pack.Tag
		if err == nil {
			tag, err = pack.ParseTag(hash, b)
		}
		if err != nil {
			h.skipped.add(hash, "tag "+name, err)
			continue
		}
		ms, gaps := scanContent(pack.Message(typ, b))
		h.partly(hash, "tag "+name+" ("+hash.String()+") message", gaps)
		// A tag of a tree or a blob has no commit to name.
		c := &commitInfo{Author: tag.Tagger, Email: tag.Email, When: tag.When}
		if target, ok := h.peelCommit(tag.Target); ok {
			c.Hash = target
		}
		short := strings.TrimPrefix(name, "refs/tags/")
		if len(ms) > 0 {
			out = append(out, messageHit{commit: c, path: messagePath("tags", short), matches: ms})
		}
		out = append(out, signatures(c, b, ".git/tags/"+short)...)
	}
	// Map order must not decide the order of findings.
	slices.SortFunc(out, func(a, b messageHit) int { return strings.Compare(a.path, b.path) })
	return out, nil
}

// partly records that decoding stopped short in the message of object
// hash (what names it), as a blob's gaps are: the scan is then partial,
// never silently so.
func (h *history) partly(hash repo.ID, what string, gaps []string) {
	if len(gaps) > 0 {
		h.skipped.addLine(hash, what+": partly scanned: "+gaps[0])
	}
}
