package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/internal/fileerr"
	"github.com/keysweep/keysweep/internal/safefile"
	"github.com/keysweep/keysweep/scan/checks"
)

// FileName is the settings file keysweep looks for at the repository root.
const FileName = ".keysweep.yml"

// Config is a parsed .keysweep.yml. The zero value means "no file": every
// default applies.
type Config struct {
	// Path is the file it was read from, "" for the zero value.
	Path string
	// FailOn is the default of --fail-on; nil when the file does not set it.
	FailOn *finding.Severity
	// ExcludePaths drops committed keys found at matching paths.
	ExcludePaths []Glob
	// AllowedAccounts are 12-digit account IDs whose keys are expected in
	// the repository (canary tokens, test accounts): their findings are
	// suppressed, with the account named in the justification.
	AllowedAccounts []string
	// VerifyDenyAccounts are accounts whose committed keys --verify never
	// uses (allowed accounts are never used either).
	VerifyDenyAccounts []string
	// CanaryAccounts add to the canary-token accounts keysweep knows:
	// their keys are reported as canaries and never used.
	CanaryAccounts []string
	// Enable and Disable select account checks by rule ID or glob ("iam-*").
	Enable, Disable []string
	// Thresholds tune the account checks; zero fields keep the defaults.
	Thresholds checks.Thresholds
}

// Error is a problem at one line of the file.
type Error = fileerr.Error

// Find reads FileName in dir, the repository root: a regular file inside
// the tree, never a symbolic link, at most safefile.SettingsLimit bytes. A
// missing file is not an error: it returns the zero Config.
func Find(dir string) (*Config, error) {
	b, err := safefile.ReadInTree(dir, FileName, safefile.SettingsLimit)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(filepath.Join(dir, FileName), b)
}

// Load reads and validates the settings file at name (--config).
func Load(name string) (*Config, error) { return LoadIn("", name) }

// LoadIn is Load for a file named in a tree rooted at root: a name inside
// the tree must not lead out of it (safefile.ReadNamed).
func LoadIn(root, name string) (*Config, error) {
	b, err := safefile.ReadNamed(root, name, safefile.SettingsLimit)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(name, b)
}

// Parse validates b, the content of the settings file name.
func Parse(name string, b []byte) (*Config, error) {
	c := &Config{Path: name}
	if len(bytes.TrimSpace(b)) == 0 {
		return c, nil
	}
	if n := safefile.LongLine(b); n > 0 {
		return nil, safefile.LongLineError(name, n)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil // only comments
		}
		return nil, yamlError(name, err)
	}
	// A second document would be silently ignored: a `---` and a pasted
	// block must not leave settings the reader thinks apply.
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &Error{File: name, Line: max(next.Line, 1), Msg: "a second YAML document (after ---), expected one document: settings in it would be ignored"}
	case !errors.Is(err, io.EOF):
		return nil, yamlError(name, err)
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	p := &parser{file: name}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return c, nil
	}
	if root.Kind == yaml.ScalarNode {
		// Not a settings file at all (a copy of /etc/passwd, say): say
		// so without quoting it.
		return nil, &Error{File: name, Line: root.Line, Msg: fmt.Sprintf("the file must be a mapping of keys to values such as `fail-on: high`, got a single value of %d bytes", len(root.Value))}
	}
	p.mapping(root, "the file", map[string]func(*yaml.Node){
		"version": func(n *yaml.Node) {
			if v := p.scalar(n, "version"); v != "" && v != "1" {
				p.fail(n, "version %s is not supported, expected 1", v)
			}
		},
		"fail-on": func(n *yaml.Node) {
			v := p.scalar(n, "fail-on")
			sev, err := finding.ParseSeverity(v)
			if err != nil || sev == finding.SeverityInfo {
				p.fail(n, "fail-on %s, expected one of critical, high, medium, low, none", escape.Excerpt(v))
				return
			}
			c.FailOn = &sev
		},
		"exclude-paths": func(n *yaml.Node) {
			for _, item := range p.list(n, "exclude-paths") {
				g, err := ParseGlob(p.scalar(item, "an exclude-paths entry"))
				if err != nil {
					p.fail(item, "exclude-paths: %v, expected a path glob such as testdata/** or *.md", err)
					continue
				}
				c.ExcludePaths = append(c.ExcludePaths, g)
			}
		},
		"allowed-accounts":     func(n *yaml.Node) { c.AllowedAccounts = p.accounts(n, "allowed-accounts") },
		"verify-deny-accounts": func(n *yaml.Node) { c.VerifyDenyAccounts = p.accounts(n, "verify-deny-accounts") },
		"canary-accounts":      func(n *yaml.Node) { c.CanaryAccounts = p.accounts(n, "canary-accounts") },
		"checks":               func(n *yaml.Node) { p.checks(n, c) },
	})
	if p.err != nil {
		return nil, p.err
	}
	return c, nil
}

// Excluded reports whether a key found at p is dropped by exclude-paths.
func (c *Config) Excluded(p string) bool {
	for _, g := range c.ExcludePaths {
		if g.Match(p) {
			return true
		}
	}
	return false
}

// thresholdKeys maps the file's names to the Thresholds fields they set.
func thresholdKeys(t *checks.Thresholds) map[string]*int {
	return map[string]*int{
		"password-min-length":    &t.PasswordMinLength,
		"key-max-age-days":       &t.KeyMaxAgeDays,
		"unused-days":            &t.UnusedDays,
		"ami-max-age-days":       &t.AMIMaxAgeDays,
		"service-unused-days":    &t.ServiceUnusedDays,
		"delivery-max-age-hours": &t.DeliveryMaxAgeHours,
	}
}

// advisorCategories are the Trusted Advisor category names AWS uses.
var advisorCategories = []string{"cost_optimizing", "security", "fault_tolerance", "performance", "service_limits"}

func (p *parser) checks(n *yaml.Node, c *Config) {
	fields := map[string]func(*yaml.Node){
		"enable":  func(v *yaml.Node) { c.Enable = p.rules(v, "checks.enable") },
		"disable": func(v *yaml.Node) { c.Disable = p.rules(v, "checks.disable") },
		"public-security-groups": func(v *yaml.Node) {
			pats := []string{}
			for _, item := range p.list(v, "checks.public-security-groups") {
				s := p.scalar(item, "a public-security-groups entry")
				if _, err := path.Match(s, ""); err != nil || s == "" {
					p.fail(item, "checks.public-security-groups: bad pattern %s, expected a name glob such as public-* or *_everywhere", escape.Excerpt(s))
					continue
				}
				pats = append(pats, s)
			}
			c.Thresholds.PublicGroupPatterns = pats
		},
		"trusted-advisor-categories": func(v *yaml.Node) {
			cats := []string{}
			for _, item := range p.list(v, "checks.trusted-advisor-categories") {
				s := p.scalar(item, "a trusted-advisor-categories entry")
				if !slices.Contains(advisorCategories, s) {
					p.fail(item, "checks.trusted-advisor-categories: unknown category %s, expected one of %s", escape.Excerpt(s), strings.Join(advisorCategories, ", "))
					continue
				}
				cats = append(cats, s)
			}
			c.Thresholds.AdvisorCategories = cats
		},
	}
	for name, dst := range thresholdKeys(&c.Thresholds) {
		fields[name] = func(v *yaml.Node) {
			s := p.scalar(v, "checks."+name)
			i, err := strconv.Atoi(s)
			if err != nil || i <= 0 {
				p.fail(v, "checks.%s: %s, expected a positive whole number", name, escape.Excerpt(s))
				return
			}
			*dst = i
		}
	}
	p.mapping(n, "checks", fields)
}

// rules validates a list of account check rule IDs or globs.
func (p *parser) rules(n *yaml.Node, where string) []string {
	out := []string{}
	for _, item := range p.list(n, where) {
		id := p.scalar(item, "a rule ID")
		if strings.HasPrefix(id, "committed-access-key") {
			p.fail(item, "%s: %s: committed keys cannot be disabled, expected an account check rule ID (ignore a reviewed key by fingerprint in .keysweepignore)", where, escape.Excerpt(id))
			continue
		}
		if _, err := checks.NewSelection([]string{id}, nil); err != nil || id == "" {
			p.fail(item, "%s: unknown rule %s, expected one of %s (or a glob such as iam-*)", where, escape.Excerpt(id), strings.Join(checks.IDs(), ", "))
			continue
		}
		out = append(out, id)
	}
	return out
}

// accounts validates a list of 12-digit account IDs.
func (p *parser) accounts(n *yaml.Node, where string) []string {
	var out []string
	for _, item := range p.list(n, where) {
		article := "a "
		if strings.ContainsRune("aeiou", rune(where[0])) {
			article = "an "
		}
		v := p.scalar(item, article+where+" entry")
		if !finding.IsAccountID(v) {
			p.fail(item, "%s: %s is not an AWS account ID, expected 12 digits (quote it: \"012345678901\")", where, escape.Excerpt(v))
			continue
		}
		out = append(out, v)
	}
	return out
}

// parser walks the YAML tree, keeping the first error.
type parser struct {
	file string
	err  error
}

func (p *parser) fail(n *yaml.Node, format string, args ...any) {
	if p.err == nil {
		p.err = &Error{File: p.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
	}
}

// mapping calls fields[key] for each key of n, rejecting unknown and
// repeated keys.
func (p *parser) mapping(n *yaml.Node, where string, fields map[string]func(*yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s must be a mapping of keys to values, got %s", where, describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := fields[k.Value]
		if !ok {
			names := make([]string, 0, len(fields))
			for name := range fields {
				names = append(names, name)
			}
			slices.Sort(names)
			p.fail(k, "unknown key %s in %s, expected one of %s", escape.Excerpt(k.Value), where, strings.Join(names, ", "))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			p.fail(k, "key %s repeats line %d, expected each key once", escape.Excerpt(k.Value), line)
			continue
		}
		seen[k.Value] = k.Line
		f(v)
	}
}

// list returns the items of a sequence; a single scalar is taken as a
// one-item list, as people write `exclude-paths: testdata/**`.
func (p *parser) list(n *yaml.Node, where string) []*yaml.Node {
	switch n.Kind {
	case yaml.SequenceNode:
		return n.Content
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return []*yaml.Node{n}
	}
	p.fail(n, "%s must be a list, got %s", where, describe(n))
	return nil
}

// scalar returns the value as written, so an account ID like 012345678901
// is not read as a number.
func (p *parser) scalar(n *yaml.Node, where string) string {
	if n.Kind != yaml.ScalarNode {
		p.fail(n, "%s must be a single value, got %s", where, describe(n))
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return escape.Excerpt(n.Value)
}

// yamlQuoted is a value yaml.v3 quotes in an error.
var yamlQuoted = regexp.MustCompile(`'[^'\s]{4,}'|"[^"\s]{4,}"`)

// yamlError turns a syntax error into the file:line form.
func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	// yaml.v3 quotes some input ("unknown anchor 'NAME' referenced"):
	// only as an excerpt.
	msg = yamlQuoted.ReplaceAllStringFunc(msg, func(q string) string { return escape.Excerpt(q[1 : len(q)-1]) })
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return &Error{File: name, Line: line, Msg: "invalid YAML: " + msg + ", expected a mapping such as `fail-on: high`"}
}

// Selection is the account checks the file enables and disables.
func (c *Config) Selection() (checks.Selection, error) {
	return checks.NewSelection(c.Enable, c.Disable)
}
