package suppress

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/safefile"
)

// Baseline is what a previous report found, by fingerprint.
type Baseline struct {
	Path string
	// keys holds per-path and per-key fingerprints of committed keys, so
	// a key already in the baseline is old wherever it appears now.
	keys   map[string]bool
	checks map[string]bool
}

// baselineDoc is the part of a JSON report a baseline needs.
type baselineDoc struct {
	Tool *string `json:"tool"`
	Keys *[]struct {
		KeyID          string `json:"keyId"`
		Fingerprint    string `json:"fingerprint"`
		KeyFingerprint string `json:"keyFingerprint"`
	} `json:"keys"`
	Checks []struct {
		Fingerprint string             `json:"fingerprint"`
		State       finding.CheckState `json:"state"`
	} `json:"checks"`
}

// ReadBaseline reads a report written by `keysweep scan --format json`:
// a regular file, not a symbolic link, at most safefile.BaselineLimit bytes.
func ReadBaseline(name string) (*Baseline, error) {
	b, err := safefile.Read(name, safefile.BaselineLimit)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	return ParseBaseline(name, b)
}

// ParseBaseline parses the JSON report b; name is for messages.
func ParseBaseline(name string, b []byte) (*Baseline, error) {
	const want = "expected a report written by keysweep scan --format json"
	var doc baselineDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, &Error{File: name, Line: lineOf(b, int64(len(b))), Msg: "invalid JSON (the file ends early), " + want}
		case errors.As(err, &syn):
			return nil, &Error{File: name, Line: lineOf(b, syn.Offset), Msg: fmt.Sprintf("invalid JSON (%v), %s", syn, want)}
		case errors.As(err, &typ):
			return nil, &Error{File: name, Line: lineOf(b, typ.Offset), Msg: fmt.Sprintf("%s has the wrong type, %s", typ.Field, want)}
		}
		return nil, &Error{File: name, Msg: fmt.Sprintf("invalid JSON (%v), %s", err, want)}
	}
	if doc.Tool == nil || *doc.Tool != "keysweep" || doc.Keys == nil {
		return nil, &Error{File: name, Msg: "not a keysweep report (no \"tool\": \"keysweep\" and \"keys\"), " + want}
	}
	bl := &Baseline{Path: name, keys: map[string]bool{}, checks: map[string]bool{}}
	for i, k := range *doc.Keys {
		if k.Fingerprint == "" && k.KeyID == "" {
			return nil, &Error{File: name, Msg: fmt.Sprintf("keys[%d] has neither fingerprint nor keyId, %s", i, want)}
		}
		bl.keys[k.Fingerprint] = true
		bl.keys[k.KeyFingerprint] = true
		if k.KeyID != "" {
			// Reports older than keyFingerprint still name the key.
			bl.keys[finding.KeyFingerprint(k.KeyID)] = true
		}
	}
	delete(bl.keys, "")
	for _, c := range doc.Checks {
		if c.State == finding.CheckFail && c.Fingerprint != "" {
			bl.checks[c.Fingerprint] = true
		}
	}
	return bl, nil
}

func lineOf(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return 1 + bytes.Count(b[:off], []byte("\n"))
}

// hasKey reports whether the baseline already held this key, at this
// path or any other: moving a known leaked key is not a new leak.
func (bl *Baseline) hasKey(k finding.KeyFinding) bool {
	return bl.keys[k.Fingerprint] || bl.keys[keyFingerprint(k)]
}
