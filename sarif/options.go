package sarif

import (
	"fmt"
	"net/url"
	"regexp"
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
	// Category tells apart the analyses of several keysweep steps in one
	// repository (the action's category input): it extends each run's
	// automation ID, see AutomationID. Empty: the plain IDs.
	Category string
}

// categoryPattern is what a category may hold: it ends up in automation
// IDs, the job log and the summary, and comes from a workflow file a pull
// request can change.
var categoryPattern = regexp.MustCompile(`^[A-Za-z0-9._:=-]+(/[A-Za-z0-9._:=-]+)*$`)

// CheckCategory reports whether c is usable as Options.Category.
func CheckCategory(c string) error {
	if c == "" {
		return nil
	}
	if len(c) > 100 || !categoryPattern.MatchString(c) {
		return fmt.Errorf("category: want up to 100 letters, digits and . _ : = - in /-separated parts, got %d characters", len(c))
	}
	return nil
}

// AutomationID is the automation ID of the analysis base (HistoryCategory
// or AccountCategory) for category: base itself, or base + category + "/",
// so the tool's name stays first and each category its own analysis.
func AutomationID(base, category string) string {
	if category == "" {
		return base
	}
	return base + category + "/"
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
	if err := CheckCategory(o.Category); err != nil {
		return o, fmt.Errorf("sarif: %w", err)
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
