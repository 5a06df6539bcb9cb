package org

import (
	"fmt"
	"hash/fnv"
	"path"
	"strconv"
	"strings"
)

// Shard is one of N disjoint parts of an organization's repositories:
// the repositories whose name hashes to it. Index is 1-based, as a
// matrix lists 1..N; the zero Shard is all repositories.
type Shard struct{ Index, Count int }

// ParseShard reads "I/N" with 1 <= I <= N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 1 || a > b {
		return Shard{}, fmt.Errorf("--shard %q: want I/N with 1 <= I <= N, like 2/8", s)
	}
	return Shard{Index: a, Count: b}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Has reports whether the repository named name (owner/repo) is in the
// shard. The hash is of the lower-cased name, which GitHub treats as the
// same repository, so the assignment depends on nothing but the name:
// not on the listing's order, its other repositories, or the machine.
func (s Shard) Has(name string) bool {
	if s.Count <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(name)))
	return int(h.Sum64()%uint64(s.Count)) == s.Index-1
}

// Filter is which of the listed repositories to scan.
type Filter struct {
	// Include and Exclude are path.Match globs over the repository's
	// name ("api-*"), or its full name when the glob has a slash
	// ("acme/api-*"). With Include, only matching repositories are
	// scanned; Exclude wins over Include.
	Include, Exclude []string
	Archived, Forks  bool
	Shard            Shard
}

// CheckGlobs rejects a malformed glob before any request is made.
func (f Filter) CheckGlobs() error {
	for _, g := range append(append([]string(nil), f.Include...), f.Exclude...) {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("glob %q: %v", g, err)
		}
	}
	return nil
}

// Select returns the repositories f keeps, in the listing's order.
func (f Filter) Select(repos []Repo) []Repo {
	var out []Repo
	for _, r := range repos {
		if (r.Archived && !f.Archived) || (r.Fork && !f.Forks) || !f.Shard.Has(r.Name) {
			continue
		}
		if len(f.Include) > 0 && !matchAny(f.Include, r.Name) {
			continue
		}
		if matchAny(f.Exclude, r.Name) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func matchAny(globs []string, full string) bool {
	short := full[strings.LastIndexByte(full, '/')+1:]
	for _, g := range globs {
		name := short
		if strings.Contains(g, "/") {
			name = full
		}
		if ok, _ := path.Match(strings.ToLower(g), strings.ToLower(name)); ok {
			return true
		}
	}
	return false
}
