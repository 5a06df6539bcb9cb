package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/fileerr"
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
	// Enable and Disable select account checks by rule ID or glob ("iam-*").
	Enable, Disable []string
	// Thresholds tune the account checks; zero fields keep the defaults.
	Thresholds checks.Thresholds
}

// Error is a problem at one line of the file.
type Error = fileerr.Error

// Find reads FileName in dir, the repository root. A missing file is not
// an error: it returns the zero Config.
func Find(dir string) (*Config, error) {
	c, err := Load(filepath.Join(dir, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	return c, err
}

// Load reads and validates the settings file at name.
func Load(name string) (*Config, error) {
	b, err := os.ReadFile(name)
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
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
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
				p.fail(n, "fail-on %q, expected one of critical, high, medium, low, none", v)
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
		"allowed-accounts": func(n *yaml.Node) {
			for _, item := range p.list(n, "allowed-accounts") {
				v := p.scalar(item, "an allowed-accounts entry")
				if !isAccountID(v) {
					p.fail(item, "allowed-accounts: %q is not an AWS account ID, expected 12 digits (quote it: \"012345678901\")", v)
					continue
				}
				c.AllowedAccounts = append(c.AllowedAccounts, v)
			}
		},
		"checks": func(n *yaml.Node) { p.checks(n, c) },
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
					p.fail(item, "checks.public-security-groups: bad pattern %q, expected a name glob such as public-* or *_everywhere", s)
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
					p.fail(item, "checks.trusted-advisor-categories: unknown category %q, expected one of %s", s, strings.Join(advisorCategories, ", "))
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
				p.fail(v, "checks.%s: %q, expected a positive whole number", name, s)
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
			p.fail(item, "%s: %q: committed keys cannot be disabled, expected an account check rule ID (ignore a reviewed key by fingerprint in .keysweepignore)", where, id)
			continue
		}
		if _, err := checks.NewSelection([]string{id}, nil); err != nil || id == "" {
			p.fail(item, "%s: unknown rule %q, expected one of %s (or a glob such as iam-*)", where, id, strings.Join(checks.IDs(), ", "))
			continue
		}
		out = append(out, id)
	}
	return out
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
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
			p.fail(k, "unknown key %q in %s, expected one of %s", k.Value, where, strings.Join(names, ", "))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			p.fail(k, "key %q repeats line %d, expected each key once", k.Value, line)
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
	return fmt.Sprintf("%q", n.Value)
}

// yamlError turns a syntax error into the file:line form.
func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
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
