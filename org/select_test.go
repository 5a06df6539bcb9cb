package org

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"1/1", Shard{1, 1}, true},
		{"3/8", Shard{3, 8}, true},
		{"8/8", Shard{8, 8}, true},
		{"0/8", Shard{}, false},
		{"9/8", Shard{}, false},
		{"1/0", Shard{}, false},
		{"-1/3", Shard{}, false},
		{"1", Shard{}, false},
		{"a/b", Shard{}, false},
		{"", Shard{}, false},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseShard(%q) = %v, %v", tt.in, got, err)
		}
	}
}

// Every repository is in exactly one shard of N, for every N, and the
// shards are not wildly uneven.
func TestShardsPartition(t *testing.T) {
	var names []string
	for i := range 1000 {
		names = append(names, fmt.Sprintf("acme/service-%d", i))
	}
	for _, n := range []int{1, 2, 3, 7, 16} {
		sizes := make([]int, n)
		for _, name := range names {
			in := 0
			for i := 1; i <= n; i++ {
				if (Shard{i, n}).Has(name) {
					in++
					sizes[i-1]++
				}
			}
			if in != 1 {
				t.Fatalf("%s is in %d of %d shards", name, in, n)
			}
		}
		for i, s := range sizes {
			if even := len(names) / n; s < even/2 || s > even*3/2 {
				t.Errorf("shard %d/%d has %d of %d repositories", i+1, n, s, len(names))
			}
		}
	}
	// The name alone decides, case-insensitively as GitHub compares names.
	if (Shard{2, 3}).Has("acme/Service-1") != (Shard{2, 3}).Has("ACME/service-1") {
		t.Error("shard depends on case")
	}
	if !(Shard{}).Has("x/y") {
		t.Error("the zero shard is every repository")
	}
}

func TestFilterSelect(t *testing.T) {
	repos := []Repo{
		{Name: "acme/api"}, {Name: "acme/api-legacy", Archived: true}, {Name: "acme/web"},
		{Name: "acme/lib-fork", Fork: true}, {Name: "acme/Docs"},
	}
	names := func(rs []Repo) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"default leaves out archived and forks", Filter{}, []string{"acme/api", "acme/web", "acme/Docs"}},
		{"archived and forks", Filter{Archived: true, Forks: true}, []string{"acme/api", "acme/api-legacy", "acme/web", "acme/lib-fork", "acme/Docs"}},
		{"include", Filter{Include: []string{"api*"}, Archived: true}, []string{"acme/api", "acme/api-legacy"}},
		{"include full name", Filter{Include: []string{"acme/w*"}}, []string{"acme/web"}},
		{"include other owner", Filter{Include: []string{"other/*"}}, nil},
		{"exclude wins", Filter{Include: []string{"*"}, Exclude: []string{"web", "docs"}}, []string{"acme/api"}},
		{"case-insensitive", Filter{Include: []string{"DOCS"}}, []string{"acme/Docs"}},
	}
	for _, tt := range tests {
		if got := names(tt.f.Select(repos)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if err := (Filter{Exclude: []string{"[a"}}).CheckGlobs(); err == nil {
		t.Error("a malformed glob passed")
	}
}

func TestWebHost(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.github.com":         "github.com",
		"https://ghe.example.com/api/v3": "ghe.example.com",
		"http://127.0.0.1:8080":          "127.0.0.1:8080",
		"https://api.ghe.example.com/":   "ghe.example.com",
	} {
		if got := webHost(in); got != want {
			t.Errorf("webHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClonePathRefusesEscapes(t *testing.T) {
	c := &cloner{dir: "/clones"}
	for _, name := range []string{"../x", "acme/..", "acme/../../etc", "acme/a/b", "/abs", "acme/", "acme/a b"} {
		if p, err := c.path(name); err == nil {
			t.Errorf("path(%q) = %q, want an error", name, p)
		}
	}
	if p, err := c.path("acme/api.v2"); err != nil || p != "/clones/acme/api.v2.git" {
		t.Errorf("path(acme/api.v2) = %q, %v", p, err)
	}
}

// A clone URL is the API's word, but not trusted further than https (or
// a local file): no ext:: transport, no credentials in the URL.
func TestFetchRefusesURLs(t *testing.T) {
	c := &cloner{dir: t.TempDir(), timeout: time.Minute}
	for url, want := range map[string]string{
		"ext::sh -c touch% /tmp/pwned":       "want https",
		"ssh://git@github.com/acme/x.git":    "want https",
		"https://user:pw@github.com/a/b.git": "carries credentials",
		"git://github.com/acme/x.git":        "want https",
	} {
		err := c.fetch(context.Background(), url, filepath.Join(c.dir, "x.git"))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "pw@") {
			t.Errorf("fetch(%q) = %v, want %q", url, err, want)
		}
	}
}
