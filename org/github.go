package org

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v88/github"

	"github.com/keysweep/keysweep/version"
)

// DefaultAPIURL is github.com's REST API; GitHub Enterprise Server's is
// https://HOST/api/v3, which Actions passes as GITHUB_API_URL.
const DefaultAPIURL = "https://api.github.com"

// Repo is one repository as the listing gives it.
type Repo struct {
	// Name is the full name, "owner/repo".
	Name     string
	CloneURL string
	Archived bool
	Fork     bool
}

// listPageSize is GitHub's largest page; fewer requests for a big org.
const listPageSize = 100

// List returns every repository of org that the token can see, following
// the Link header's next page until there is none.
func List(ctx context.Context, apiURL, token, org string) ([]Repo, error) {
	base := strings.TrimSuffix(apiURL, "/") + "/"
	opts := []github.ClientOptionsFunc{
		github.WithURLs(&base, nil),
		github.WithUserAgent("keysweep/" + version.String()),
		github.WithTimeout(time.Minute),
	}
	if token != "" {
		opts = append(opts, github.WithAuthToken(token))
	}
	client, err := github.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("GitHub API %s: %w", apiURL, err)
	}
	lo := &github.RepositoryListByOrgOptions{Type: "all", Sort: "full_name", ListOptions: github.ListOptions{PerPage: listPageSize}}
	var repos []Repo
	for page := 1; ; page++ {
		got, resp, err := client.Repositories.ListByOrg(ctx, org, lo)
		if err != nil {
			return nil, listError(apiURL, org, page, err)
		}
		for _, r := range got {
			repos = append(repos, Repo{Name: r.GetFullName(), CloneURL: r.GetCloneURL(), Archived: r.GetArchived(), Fork: r.GetFork()})
		}
		if resp.NextPage == 0 {
			return repos, nil
		}
		lo.Page = resp.NextPage
	}
}

// listError says in one line why the listing failed and what to do.
func listError(apiURL, org string, page int, err error) error {
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return fmt.Errorf("GitHub API %s: rate limit exhausted listing the repositories of %s (page %d); it resets at %s", apiURL, org, page, rl.Rate.Reset.UTC().Format(time.RFC3339))
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("GitHub API %s: bad credentials (401) listing the repositories of %s: set GITHUB_TOKEN to a token that can read them", apiURL, org)
		case http.StatusForbidden:
			return fmt.Errorf("GitHub API %s: forbidden (403) listing the repositories of %s (page %d): %s", apiURL, org, page, er.Message)
		case http.StatusNotFound:
			return fmt.Errorf("GitHub API %s: organization %q not found (404), or the token cannot see it", apiURL, org)
		}
		return fmt.Errorf("GitHub API %s: listing the repositories of %s (page %d): %d %s", apiURL, org, page, er.Response.StatusCode, er.Message)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("GitHub API %s: listing the repositories of %s: %v", apiURL, org, ue.Err)
	}
	return fmt.Errorf("GitHub API %s: listing the repositories of %s: %w", apiURL, org, err)
}

// webHost is the host that serves the clones of the API at apiURL:
// github.com for api.github.com, the same host for GitHub Enterprise.
// The token is sent to that host only.
func webHost(apiURL string) string {
	u, err := url.Parse(apiURL)
	if err != nil {
		return ""
	}
	if h := strings.TrimPrefix(u.Host, "api."); h != u.Host {
		return h
	}
	return u.Host
}
