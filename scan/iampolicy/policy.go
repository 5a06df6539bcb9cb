package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MaxDocument bounds a document Parse accepts. IAM's own limits are far
// below it (10,240 characters for an inline user policy, 6,144 for a
// managed one, 5,120 for an SCP); the bound keeps a hostile or corrupt
// input from costing more than a few comparisons per character.
const MaxDocument = 128 << 10

// Effect is a statement's effect.
type Effect string

// Effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Statement is one statement of a policy. Exactly one of Action and
// NotAction is set, and at most one of Resource and NotResource (a
// statement with neither, as in a trust policy, matches every resource).
type Statement struct {
	Sid         string   `json:"sid,omitempty"`
	Effect      Effect   `json:"effect"`
	Action      []string `json:"action,omitempty"`
	NotAction   []string `json:"notAction,omitempty"`
	Resource    []string `json:"resource,omitempty"`
	NotResource []string `json:"notResource,omitempty"`
	// Conditional is set when the statement has a Condition block or its
	// resources use policy variables (${aws:username}): whether it applies
	// depends on the request, so its grant is never taken as unconditional.
	Conditional bool `json:"conditional,omitempty"`
}

// Policy is a parsed policy document and the name of where it came from
// (a managed policy's ARN, "inline:NAME", "group:G/inline:NAME", an SCP's
// ID), which grants and results carry so a reader can find it.
type Policy struct {
	Name       string      `json:"name"`
	Statements []Statement `json:"statements"`
}

// Parse decodes a policy document. IAM returns documents URL-encoded
// (RFC 3986); other sources (SCPs, moto, fixtures) give plain JSON, and a
// JSON document never starts with '%' or a letter, so both are accepted.
func Parse(name, doc string) (Policy, error) {
	if len(doc) > MaxDocument {
		return Policy{}, fmt.Errorf("policy %s: document of %d bytes exceeds %d", name, len(doc), MaxDocument)
	}
	doc = strings.TrimSpace(doc)
	if !strings.HasPrefix(doc, "{") {
		dec, err := url.PathUnescape(doc)
		if err != nil {
			return Policy{}, fmt.Errorf("policy %s: %w", name, err)
		}
		doc = strings.TrimSpace(dec)
	}
	var raw struct {
		Statement oneOrMany[rawStatement]
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	if err := dec.Decode(&raw); err != nil {
		return Policy{}, fmt.Errorf("policy %s: %w", name, err)
	}
	p := Policy{Name: name, Statements: make([]Statement, 0, len(raw.Statement))}
	for i, rs := range raw.Statement {
		s, err := rs.statement()
		if err != nil {
			return Policy{}, fmt.Errorf("policy %s: statement %d: %w", name, i+1, err)
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

type rawStatement struct {
	Sid         string
	Effect      string
	Action      oneOrMany[string]
	NotAction   oneOrMany[string]
	Resource    oneOrMany[string]
	NotResource oneOrMany[string]
	Condition   json.RawMessage
}

func (r rawStatement) statement() (Statement, error) {
	s := Statement{
		Sid: r.Sid, Action: r.Action, NotAction: r.NotAction,
		Resource: r.Resource, NotResource: r.NotResource,
	}
	switch r.Effect {
	case "Allow":
		s.Effect = Allow
	case "Deny":
		s.Effect = Deny
	default:
		return s, fmt.Errorf("effect %q is neither Allow nor Deny", r.Effect)
	}
	switch {
	case (r.Action == nil) == (r.NotAction == nil):
		return s, errors.New("needs exactly one of Action and NotAction")
	case r.Resource != nil && r.NotResource != nil:
		return s, errors.New("has both Resource and NotResource")
	}
	c := bytes.TrimSpace(r.Condition)
	s.Conditional = len(c) > 0 && !bytes.Equal(c, []byte("null")) && !bytes.Equal(c, []byte("{}"))
	// A policy variable makes the resource depend on the request; it is
	// matched as a wildcard, and the grant is conditional.
	for _, res := range append(s.Resource, s.NotResource...) {
		if strings.Contains(res, "${") {
			s.Conditional = true
		}
	}
	return s, nil
}

// resourcePattern is a resource as a wildcard pattern: each ${…} policy
// variable becomes "*" (the special ${*}, ${?} and ${$} stand for the
// characters, matched as what they spell).
func resourcePattern(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		switch v := s[i+2 : i+j]; v {
		case "*", "?", "$":
			b.WriteString(v) // a literal; matched as the wildcard it spells
		default:
			b.WriteByte('*')
		}
		s = s[i+j+1:]
	}
	return b.String()
}

// oneOrMany decodes the policy grammar's "a value or an array of values".
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var v []T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		if v == nil {
			v = []T{}
		}
		*o = v
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = oneOrMany[T]{v}
	return nil
}
