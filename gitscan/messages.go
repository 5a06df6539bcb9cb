package gitscan

import (
	"context"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/keysweep/keysweep/gitscan/detect"
)

// Credentials in commit and annotated tag messages are reported at a
// pseudo-path under .git/, which no tracked file can have (git refuses to
// track .git), so it never collides with a file and never moves: the
// fingerprint, built from key ID and path, is stable for as long as the
// commit or tag exists. Line and column are within the message, line 1
// being its subject. GitHub code scanning accepts such a path: the alert
// shows it without a file preview.
//
//	.git/commits/<commit hash>/message
//	.git/tags/<tag name>/message
func messagePath(kind, name string) string {
	return ".git/" + kind + "/" + name + "/message"
}

// messageHit is the credentials found in one message, with the commit
// they are attributed to: the commit itself, or for a tag the commit it
// points at, with the tagger as author.
type messageHit struct {
	commit  *commitInfo
	path    string
	matches []located
}

// mayHoldMessage is the prefilter on a message read through go-git; the
// pack engine applies the same one (pack.Commit.MessageHit).
func mayHoldMessage(msg string) bool {
	b := []byte(msg)
	return detect.MayContain(b) || detect.MayContainEncoded(b)
}

// messages scans the messages of the commits in scope whose prefilter
// hit, and of the annotated tags in tags (by hash, with their names).
func (h *history) messages(ctx context.Context, tags map[plumbing.Hash]string) ([]messageHit, error) {
	var out []messageHit
	for _, c := range h.commits {
		if !c.msgHit {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		obj, err := object.GetCommit(h.repo.Storer, c.hash)
		if err != nil {
			h.skipped.add(c.hash, "commit message", err)
			continue
		}
		ms, _ := scanContent([]byte(obj.Message))
		if len(ms) > 0 {
			out = append(out, messageHit{commit: c, path: messagePath("commits", c.hash.String()), matches: ms})
		}
	}
	for hash, name := range tags {
		tag, err := object.GetTag(h.repo.Storer, hash)
		if err != nil {
			h.skipped.add(hash, "tag "+name, err)
			continue
		}
		ms, _ := scanContent([]byte(tag.Message))
		if len(ms) == 0 {
			continue
		}
		// A tag of a tree or a blob has no commit to name.
		c := &commitInfo{author: tag.Tagger.Name, email: tag.Tagger.Email, when: tag.Tagger.When}
		if target := h.peelTags(tag.Target); h.isCommit(target) {
			c.hash = target
		}
		out = append(out, messageHit{commit: c, path: messagePath("tags", strings.TrimPrefix(name, "refs/tags/")), matches: ms})
	}
	return out, nil
}

// peelTags follows tags from hash to what the innermost one points at.
func (h *history) peelTags(hash plumbing.Hash) plumbing.Hash {
	for depth := 0; depth < 10; depth++ {
		tag, err := object.GetTag(h.repo.Storer, hash)
		if err != nil {
			return hash // not a tag
		}
		hash = tag.Target
	}
	return hash
}

func (h *history) isCommit(hash plumbing.Hash) bool {
	_, err := h.commit(hash)
	return err == nil
}
