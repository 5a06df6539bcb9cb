package finding

import "time"

// Leak is one distinct (access key ID, path) found in git history: the raw
// fact the history scan collects, before anything is known about the key.
type Leak struct {
	// Repository names the repository the key was found in ("org/repo")
	// in a run over many repositories (keysweep org, merge); "" for a
	// single-repository scan, whose report names it once (Report.Repo).
	// Path, Commit and Blob are relative to it.
	Repository string `json:"repository,omitempty"`
	KeyID      string `json:"keyId"`
	// Secret is the secret access key paired with KeyID, if one was found.
	Secret Secret `json:"secret,omitzero"`
	// SessionToken is the session token found near an ASIA key ID.
	SessionToken Secret `json:"sessionToken,omitzero"`
	// Account is the 12-digit account decoded offline from KeyID ("" when
	// the ID's format does not encode one).
	Account string `json:"account,omitempty"`

	// Where the key was first introduced at Path.
	Path        string    `json:"path"`
	Commit      string    `json:"commit"` // StagedCommit for the index
	Author      string    `json:"author"`
	AuthorEmail string    `json:"authorEmail,omitempty"`
	Date        time.Time `json:"date,omitzero"` // zero (left out) for the index
	Line        int       `json:"line"`
	Column      int       `json:"column"`
	Blob        string    `json:"blob"`
	// Decoded names the encodings undone to find the key, outermost first
	// ("base64", "zip > base64", "utf-16le"), or "file name" for a key in
	// the name of the file or directory at Path (and "zip > file name" in
	// an archive member's); "" when it is in plain sight. Line and Column
	// are then those of the encoded token, of the line in the archive
	// member (Path "archive.zip!inner/path"), or 1 and the column in the
	// name.
	Decoded string `json:"decoded,omitempty"`

	// Commits counts the scanned commits whose tree holds the key at Path.
	Commits int `json:"commits"`
	// OtherPaths counts the other paths the same key ID appears at in
	// the scan. The places of a key are its leaks, one per path, so the
	// list exists once per key; a count per leak keeps a key copied into N
	// files at O(N) memory and output instead of O(N²) (see "Cost model:
	// findings and reports" in docs/architecture.md).
	OtherPaths int `json:"otherPathCount,omitempty"`
	// InHead reports whether HEAD's tree still holds the key at Path.
	InHead bool `json:"inHead"`
	// InlineAllow reports that the line holding the key carries a
	// `keysweep:allow` comment in the introducing blob.
	InlineAllow bool `json:"inlineAllow,omitempty"`
	// Unreachable marks a hit found only in a dangling object
	// (--include-unreachable): there is no commit to attribute it to.
	Unreachable bool `json:"unreachable,omitempty"`
}

// KeyStatus is the judge's verdict on a committed key ID.
type KeyStatus string

// Key statuses, as published in SARIF properties.status.
const (
	StatusActive       KeyStatus = "active"
	StatusInactive     KeyStatus = "inactive"
	StatusNotInAccount KeyStatus = "not-in-account"
	StatusOtherAccount KeyStatus = "other-account"
	StatusUnverified   KeyStatus = "unverified"
)

// Rule describes a class of finding; its ID is a public contract (SARIF
// ruleId, configuration, suppressions).
type Rule struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	// Description is one paragraph for SARIF fullDescription.
	Description string `json:"description"`
	// Help is markdown: what it means and the exact remediation steps.
	Help string   `json:"-"`
	Tags []string `json:"tags,omitempty"`
}

// KeyFinding is a committed key after the judge has matched it against the
// inventory.
type KeyFinding struct {
	Leak
	RuleID   string    `json:"ruleId"`
	Severity Severity  `json:"severity"`
	Status   KeyStatus `json:"status"`
	// Message is one line for people: whose key, its state, where.
	Message string `json:"message"`

	// AccountName is the name of Account in its AWS Organization, when
	// the organization was read (--org).
	AccountName string `json:"accountName,omitempty"`

	// Live facts, when the key is in the inventory.
	User            string    `json:"user,omitempty"`
	KeyCreated      time.Time `json:"keyCreated,omitzero"`
	LastUsed        time.Time `json:"lastUsed,omitzero"`
	LastUsedService string    `json:"lastUsedService,omitempty"`
	LastUsedRegion  string    `json:"lastUsedRegion,omitempty"`

	// Access and Activity are the triage of a key the inventory holds:
	// what it can do, and what CloudTrail saw it do since it was
	// committed; nil when not looked up (the report's gaps say why).
	// Triage is one line that says why the key ranks where it does.
	Access   *Access   `json:"access,omitempty"`
	Activity *Activity `json:"activity,omitempty"`
	Triage   string    `json:"triage,omitempty"`

	// Verification facts (--verify): the identity a live pair acts as,
	// the AWS error code that rejected an invalid one, the canary
	// service whose account a canary key belongs to.
	ARN          string `json:"arn,omitempty"`
	RejectedCode string `json:"rejectedCode,omitempty"`
	Canary       string `json:"canary,omitempty"`

	Fingerprint string `json:"fingerprint"`
	// KeyFingerprint identifies the key ID alone, at any path: a
	// .keysweepignore entry with it holds across renames, where
	// Fingerprint (one per key and path, as SARIF tracks alerts) does not.
	KeyFingerprint string       `json:"keyFingerprint,omitempty"`
	Suppressed     *Suppression `json:"suppressed,omitempty"`
	// SuppressionNote says why a suppression that names this finding did
	// not apply (an expired ignore, an inline allow on an active key).
	SuppressionNote string `json:"suppressionNote,omitempty"`
}

// CheckState is the outcome of one account check on one resource.
type CheckState string

// Check states.
const (
	CheckPass          CheckState = "pass"
	CheckFail          CheckState = "fail"
	CheckCouldNotRun   CheckState = "could-not-run"
	CheckNotApplicable CheckState = "not-applicable"
)

// CheckResult is one account check's verdict on one resource (or on the
// account as a whole when Resource is empty).
type CheckResult struct {
	RuleID   string     `json:"ruleId"`
	Severity Severity   `json:"severity"`
	State    CheckState `json:"state"`
	Resource string     `json:"resource,omitempty"`
	Region   string     `json:"region,omitempty"`
	// Account is the 12-digit account the result is about, and
	// AccountName its name in the organization (with --org).
	Account     string `json:"account,omitempty"`
	AccountName string `json:"accountName,omitempty"`
	Message     string `json:"message"`
	// Controls are the compliance controls the rule implements ("CIS
	// v7.0 2.5", "FSBP IAM.9").
	Controls []string `json:"controls,omitempty"`

	Fingerprint     string       `json:"fingerprint"`
	Suppressed      *Suppression `json:"suppressed,omitempty"`
	SuppressionNote string       `json:"suppressionNote,omitempty"`
}

// Suppression records why a finding is not counted.
type Suppression struct {
	Kind          string    `json:"kind"` // "inline", "fingerprint" or "config"
	Justification string    `json:"justification"`
	Expires       time.Time `json:"expires,omitzero"`
}

// ScanStats says how much history was read.
type ScanStats struct {
	Refs     int           `json:"refs"`
	Commits  int           `json:"commits"`
	Blobs    int           `json:"blobs"`
	Bytes    int64         `json:"bytes"`
	Duration time.Duration `json:"durationNs"`
}

// RepoScan is one repository of a run over many repositories.
type RepoScan struct {
	Name string `json:"name"`
	Head string `json:"head,omitempty"`
	// Stats are its history scan's; Fetch is how long cloning or
	// fetching it took.
	Stats ScanStats     `json:"stats"`
	Fetch time.Duration `json:"fetchNs,omitempty"`
	// Error says why it was not scanned, or not completely; "" when it was.
	Error string `json:"error,omitempty"`
}

// Report is everything one run concluded; the output stages only render it.
type Report struct {
	Tool    string    `json:"tool"`
	Version string    `json:"version"`
	Started time.Time `json:"started"`

	Repo string `json:"repo"`
	// Root is the top directory of the repository scanned (Repo may be a
	// directory in it), and Scope that directory relative to Root when
	// the findings are kept to it; OutOfScope counts the key findings
	// elsewhere in the repository that were left out.
	Root       string `json:"root,omitempty"`
	Scope      string `json:"scope,omitempty"`
	OutOfScope int    `json:"outOfScope,omitempty"`
	Head       string `json:"head,omitempty"`
	Since      string `json:"since,omitempty"`
	// Staged marks a scan of the index (keysweep scan --staged) rather
	// than of history.
	Staged bool      `json:"staged,omitempty"`
	Stats  ScanStats `json:"stats"`
	// Skipped names every object that could not be read, so a partial scan
	// is never mistaken for a complete one.
	Skipped []string `json:"skipped,omitempty"`
	// Remedy says in one line how to make a partial scan complete, when
	// its cause is known (a partial clone).
	Remedy string `json:"remedy,omitempty"`
	// Unreached names the blobs holding key IDs that no ref reaches, which
	// are findings only with --include-unreachable.
	Unreached []string `json:"unreached,omitempty"`

	// Account is the 12-digit ID of the account the inventory came from.
	Account string `json:"account,omitempty"`
	// InventorySource says where key statuses came from: "aws", "known-keys" or "".
	InventorySource string `json:"inventorySource,omitempty"`
	// Gaps are parts of the inventory or snapshot that could not be read.
	Gaps []string `json:"gaps,omitempty"`
	// Verify says what verification of committed pairs (--verify) and
	// the canary list did; nil when neither applied.
	Verify *VerifyStats `json:"verify,omitempty"`

	// Config and IgnoreFile name the files settings and suppressions
	// were read from; Baseline the previous report whose findings are
	// hidden, BaselineHidden how many were, and PathsExcluded how many
	// committed keys were dropped by the configuration's exclude-paths.
	Config         string `json:"config,omitempty"`
	IgnoreFile     string `json:"ignoreFile,omitempty"`
	Baseline       string `json:"baseline,omitempty"`
	BaselineHidden int    `json:"baselineHidden,omitempty"`
	PathsExcluded  int    `json:"pathsExcluded,omitempty"`
	// UnmatchedIgnores are the ignore file's entries that matched no
	// finding of this run, so stale entries can be removed; set only by
	// a full-history scan, where every key finding is in the report.
	UnmatchedIgnores []UnmatchedIgnore `json:"unmatchedIgnores,omitempty"`

	// Repositories lists, in a run over many repositories, each
	// repository and what became of it; those that could not be listed,
	// cloned or read carry the reason and are in Skipped too.
	Repositories []RepoScan `json:"repositories,omitempty"`

	Keys   []KeyFinding  `json:"keys"`
	Checks []CheckResult `json:"checks,omitempty"`
	// Rules holds every rule referenced by Keys and Checks.
	Rules []Rule `json:"-"`
}

// MaxSeverity is the highest severity among unsuppressed findings.
func (r *Report) MaxSeverity() Severity {
	max := SeverityNone
	for _, k := range r.Keys {
		if k.Suppressed == nil && k.Severity > max {
			max = k.Severity
		}
	}
	for _, c := range r.Checks {
		if c.Suppressed == nil && c.State == CheckFail && c.Severity > max {
			max = c.Severity
		}
	}
	return max
}

// Count returns how many unsuppressed findings are at or above min.
func (r *Report) Count(min Severity) int {
	n := 0
	for _, k := range r.Keys {
		if k.Suppressed == nil && k.Severity >= min {
			n++
		}
	}
	for _, c := range r.Checks {
		if c.Suppressed == nil && c.State == CheckFail && c.Severity >= min {
			n++
		}
	}
	return n
}

// StagedCommit stands for the commit of a key found in the index (keysweep
// scan --staged): the commit being prepared does not exist yet, so it has
// no hash, author or date.
const StagedCommit = "staged"

// UnmatchedIgnore is an ignore entry no finding of a run matched: the
// finding is gone (the key was removed from history or the check now
// passes), or, for a run without account checks, it may be a check's.
type UnmatchedIgnore struct {
	Fingerprint string `json:"fingerprint"`
	Line        int    `json:"line"`
	Reason      string `json:"reason"`
}
