package snapshot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// policyDoc is the part of an IAM policy document admin detection reads.
type policyDoc struct {
	Statement oneOrMany[statement]
}

type statement struct {
	Effect   string
	Action   oneOrMany[string]
	Resource oneOrMany[string]
}

// oneOrMany decodes the policy grammar's "a value or an array of values"
// (Statement, Action, Resource).
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, (*[]T)(o))
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = oneOrMany[T]{v}
	return nil
}

// parsePolicy decodes a policy document. IAM returns documents URL-encoded
// (RFC 3986); moto and hand-written fixtures sometimes do not, and a JSON
// document never starts with '%'.
func parsePolicy(doc string) (policyDoc, error) {
	doc = strings.TrimSpace(doc)
	if !strings.HasPrefix(doc, "{") {
		dec, err := url.PathUnescape(doc)
		if err != nil {
			return policyDoc{}, fmt.Errorf("policy document: %w", err)
		}
		doc = dec
	}
	var d policyDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return policyDoc{}, fmt.Errorf("policy document: %w", err)
	}
	return d, nil
}
