package sarif

import (
	"fmt"
	"net/url"
	"strings"
)

// Defaults for Options.
const (
	DefaultInformationURI = "https://github.com/keysweep/keysweep"
	DefaultAccountAnchor  = ".github/keysweep/aws-account"
	// MaxResultsPerRun is GitHub's limit; it rejects bigger runs.
	MaxResultsPerRun = 25000
)

// Automation IDs name the two analyses, so GitHub tracks the alerts of one
// without closing the other's.
const (
	HistoryCategory = "keysweep/git-history/"
	AccountCategory = "keysweep/aws-account/"
)

// Options tune Build.
type Options struct {
	// InformationURI is the tool's home page; DefaultInformationURI if empty.
	InformationURI string
	// AccountAnchor is the repository-relative path account findings are
	// anchored to (the workflow file in Actions); DefaultAccountAnchor if
	// empty. It must not be a URI with a scheme: GitHub rejects the upload.
	AccountAnchor string
	// MaxResults caps each run; MaxResultsPerRun if zero.
	MaxResults int
}

func (o Options) withDefaults() (Options, error) {
	if o.InformationURI == "" {
		o.InformationURI = DefaultInformationURI
	}
	if o.AccountAnchor == "" {
		o.AccountAnchor = DefaultAccountAnchor
	}
	if o.MaxResults <= 0 {
		o.MaxResults = MaxResultsPerRun
	}
	a := o.AccountAnchor
	if u, err := url.Parse(a); err != nil || u.Scheme != "" || strings.HasPrefix(a, "/") || strings.Contains(a, `\`) {
		return o, fmt.Errorf("sarif: account anchor %q must be a relative path in the repository, like %s", a, DefaultAccountAnchor)
	}
	return o, nil
}

// pathURI makes a git path a relative URI reference: each segment
// percent-encoded (UTF-8), and ':' too, lest "a:b/c" read as a scheme.
func pathURI(p string) string {
	segs := strings.Split(strings.TrimLeft(p, "/"), "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	return strings.Join(segs, "/")
}
