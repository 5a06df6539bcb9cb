package config

import (
	"fmt"
	"path"
	"strings"

	"github.com/keysweep/keysweep/internal/escape"
)

// Glob matches slash-separated paths with gitignore-like rules: `**` as a
// whole segment matches any number of directories, other segments use
// path.Match, a pattern without a slash matches a name at any depth, and a
// pattern that matches a directory matches everything below it.
type Glob struct {
	pattern string
	segs    []string
}

// ParseGlob validates pattern.
func ParseGlob(pattern string) (Glob, error) {
	p := strings.TrimSpace(pattern)
	if p == "" {
		return Glob{}, fmt.Errorf("empty pattern")
	}
	anchored := strings.HasPrefix(p, "/")
	p = strings.Trim(p, "/")
	if p == "" {
		return Glob{}, fmt.Errorf("pattern %s matches nothing", escape.Excerpt(pattern))
	}
	if !anchored && !strings.Contains(p, "/") {
		p = "**/" + p
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		if s == "" {
			return Glob{}, fmt.Errorf("pattern %s has an empty path segment", escape.Excerpt(pattern))
		}
		if _, err := path.Match(s, ""); err != nil {
			return Glob{}, fmt.Errorf("pattern %s: bad segment %s", escape.Excerpt(pattern), escape.Excerpt(s))
		}
	}
	return Glob{pattern: pattern, segs: segs}, nil
}

// String returns the pattern as written.
func (g Glob) String() string { return g.pattern }

// Match reports whether p, a slash-separated path relative to the
// repository root, or one of its parent directories matches.
func (g Glob) Match(p string) bool {
	if len(g.segs) == 0 {
		return false
	}
	return matchSegs(g.segs, strings.Split(strings.Trim(p, "/"), "/"))
}

// matchSegs matches pattern segments against a prefix of the path's
// segments: a match on a directory covers what is inside it.
func matchSegs(pat, name []string) bool {
	if len(pat) == 0 {
		return true
	}
	if pat[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchSegs(pat[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, _ := path.Match(pat[0], name[0])
	return ok && matchSegs(pat[1:], name[1:])
}
