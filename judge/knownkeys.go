package judge

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/internal/safefile"
)

// keyIDPattern is a credential access key ID (README, "What it finds").
var keyIDPattern = regexp.MustCompile(`^(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}$`)

// LoadKnownKeys reads the offline inventory given by --known-keys: access
// key IDs one per line, the JSON printed by `aws iam list-access-keys`
// (one document, several concatenated, or an array of them), or the export
// `keysweep inventory --aws` writes (WriteInventory). Only the export says
// it is complete; the other formats list some keys and prove nothing about
// the rest.
func LoadKnownKeys(path string) (*finding.Inventory, error) {
	// A regular file, not a link or a FIFO, and bounded: the path may name
	// a file of the repository under review.
	data, err := safefile.Read(path, safefile.KnownKeyLimit)
	if err != nil {
		return nil, fmt.Errorf("known-keys file: %w", err)
	}
	return ParseKnownKeys(path, data)
}

// ParseKnownKeys parses data, the content of the known-keys file path.
func ParseKnownKeys(path string, data []byte) (*finding.Inventory, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	inv := &finding.Inventory{Source: "known-keys", Keys: map[string]finding.AccessKey{}}
	var err error
	switch trimmed := bytes.TrimSpace(data); {
	case len(trimmed) == 0:
		return nil, fmt.Errorf("known-keys file %s is empty", path)
	case isExport(trimmed):
		err = readExport(inv, trimmed)
	case looksJSON(trimmed):
		err = readJSON(inv, data)
	default:
		err = readLines(inv, data)
	}
	var le *lineError
	switch {
	case errors.As(err, &le):
		return nil, fmt.Errorf("known-keys file %s, line %d: %s", path, le.line, le.msg)
	case err != nil:
		return nil, fmt.Errorf("known-keys file %s: %w", path, err)
	}
	if len(inv.Keys) == 0 && !inv.Complete {
		// An empty inventory would quietly turn every committed key into
		// "not in account"; a list that names no key is a mistake.
		return nil, fmt.Errorf("known-keys file %s lists no access keys", path)
	}
	return inv, nil
}

// looksJSON tells JSON from a list of IDs, and from the INI sections
// ("[default]") of a credentials file given by mistake.
func looksJSON(b []byte) bool {
	if b[0] == '{' {
		return true
	}
	rest := bytes.TrimSpace(b[1:])
	return b[0] == '[' && len(rest) > 0 && (rest[0] == '{' || rest[0] == ']')
}

// lineError is a problem at one line of the file.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func errAt(line int, format string, args ...any) error {
	return &lineError{line: line, msg: fmt.Sprintf(format, args...)}
}

func readLines(inv *finding.Inventory, data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, safefile.LineLimit+1)
	n := 1
	for ; sc.Scan(); n++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		id := strings.TrimSpace(text)
		if id == "" {
			continue
		}
		if !keyIDPattern.MatchString(id) {
			return errAt(n, "%s is not an access key ID (want one ID like AKIA… per line, or the JSON of aws iam list-access-keys)", clip(id))
		}
		if _, dup := inv.Keys[id]; !dup {
			inv.Keys[id] = finding.AccessKey{ID: id}
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return errAt(n, "line longer than %s, want one key ID per line", safefile.Size(safefile.LineLimit))
	} else if err != nil {
		return err
	}
	return nil
}

// listAccessKeys is the output of `aws iam list-access-keys`.
type listAccessKeys struct {
	AccessKeyMetadata *[]keyMetadata
	IsTruncated       bool
}

type keyMetadata struct {
	UserName    string
	AccessKeyId string
	Status      string
	CreateDate  string
}

func readJSON(inv *finding.Inventory, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := skipSpace(data, int(dec.InputOffset()))
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return jsonError(data, 0, err)
		}
		line := lineOf(data, start)
		if raw[0] == '[' {
			var docs []json.RawMessage
			if err := json.Unmarshal(raw, &docs); err != nil {
				return jsonError(data, start, err)
			}
			for i, doc := range docs {
				if err := readDoc(inv, doc, line, fmt.Sprintf("[%d]", i)); err != nil {
					return err
				}
			}
			continue
		}
		if err := readDoc(inv, raw, line, ""); err != nil {
			return err
		}
	}
}

// readDoc adds one list-access-keys document; line and where locate it for
// errors, since encoding/json gives no positions inside a value.
func readDoc(inv *finding.Inventory, doc json.RawMessage, line int, where string) error {
	var out listAccessKeys
	if err := json.Unmarshal(doc, &out); err != nil || out.AccessKeyMetadata == nil {
		return errAt(line, "document%s is not the output of aws iam list-access-keys (want {\"AccessKeyMetadata\": [...]})", where)
	}
	if out.IsTruncated {
		inv.Partial = true
		inv.Gaps = append(inv.Gaps, fmt.Sprintf("known-keys document at line %d is truncated (IsTruncated): run aws iam list-access-keys without --max-items", line))
	}
	for i, m := range *out.AccessKeyMetadata {
		at := fmt.Sprintf("%sAccessKeyMetadata[%d]", where, i)
		if !keyIDPattern.MatchString(m.AccessKeyId) {
			return errAt(line, "%s: AccessKeyId %s is not an access key ID", at, clip(m.AccessKeyId))
		}
		if m.Status != "" && m.Status != "Active" && m.Status != "Inactive" {
			return errAt(line, "%s: Status %s is neither Active nor Inactive", at, clip(m.Status))
		}
		k := finding.AccessKey{ID: m.AccessKeyId, User: m.UserName, Status: m.Status}
		if m.CreateDate != "" {
			t, err := time.Parse(time.RFC3339, m.CreateDate)
			if err != nil {
				return errAt(line, "%s: CreateDate %s is not an RFC 3339 time", at, clip(m.CreateDate))
			}
			k.Created = t
		}
		if prev, ok := inv.Keys[k.ID]; ok && prev.Status != "" && k.Status != "" && prev.Status != k.Status {
			return errAt(line, "%s: key %s is listed both %s and %s", at, k.ID, prev.Status, k.Status)
		}
		inv.Keys[k.ID] = k
	}
	return nil
}

// jsonError locates err at a line; base is where the failing value starts
// when err came from json.Unmarshal of it, 0 when from the stream decoder
// (whose offsets count from the start of the file).
func jsonError(data []byte, base int, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return errAt(lineOf(data, base+int(syn.Offset)-1), "invalid JSON: %s", syn)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errAt(lineOf(data, len(data)), "invalid JSON: unexpected end of file")
	}
	return errAt(lineOf(data, base), "invalid JSON: %s", err)
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && strings.IndexByte(" \t\r\n", data[i]) >= 0 {
		i++
	}
	return i
}

func lineOf(data []byte, offset int) int {
	offset = min(max(offset, 0), len(data))
	return 1 + bytes.Count(data[:offset], []byte{'\n'})
}

// clip quotes a value for an error line unless it is long enough to be a
// secret: people point --known-keys at credentials files by mistake.
func clip(s string) string {
	if len(s) > 24 {
		return fmt.Sprintf("a %d-character value", len(s))
	}
	if uniqueIDPattern.MatchString(s) {
		return fmt.Sprintf("%q", s) // an identifier, shown so the mistake is clear
	}
	return escape.Excerpt(s)
}

// ExportFormat names the format of WriteInventory's files, so a file says
// what it is and which version of it.
const ExportFormat = "keysweep-inventory/v1"

// export is the file `keysweep inventory --aws` writes: a live inventory,
// with the completeness it had.
type export struct {
	Format        string              `json:"format"`
	Account       string              `json:"account,omitempty"`
	Complete      bool                `json:"complete"`
	Generated     time.Time           `json:"generated,omitzero"`
	Keys          []finding.AccessKey `json:"keys"`
	RootKeysKnown bool                `json:"rootKeysKnown,omitempty"`
	RootKeys      []finding.AccessKey `json:"rootKeys,omitempty"`
	Gaps          []string            `json:"gaps,omitempty"`
}

// WriteInventory writes inv as a known-keys file that carries its
// completeness: a live inventory read at now, for offline runs.
func WriteInventory(w io.Writer, inv *finding.Inventory, now time.Time) error {
	e := export{
		Format: ExportFormat, Account: inv.Account, Complete: inv.Complete, Generated: now.UTC(),
		Keys: make([]finding.AccessKey, 0, len(inv.Keys)), RootKeysKnown: inv.RootKeysKnown, RootKeys: inv.RootKeys, Gaps: inv.Gaps,
	}
	for _, k := range inv.Keys {
		e.Keys = append(e.Keys, k)
	}
	slices.SortFunc(e.Keys, func(a, b finding.AccessKey) int { return strings.Compare(a.ID, b.ID) })
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(e)
}

// isExport tells WriteInventory's files from aws iam list-access-keys.
func isExport(b []byte) bool {
	if b[0] != '{' {
		return false
	}
	var head struct{ Format string }
	return json.Unmarshal(b, &head) == nil && head.Format != ""
}

func readExport(inv *finding.Inventory, data []byte) error {
	var e export
	if err := json.Unmarshal(data, &e); err != nil {
		return jsonError(data, 0, err)
	}
	if e.Format != ExportFormat {
		return errAt(1, "format %s is not %s (written by a newer keysweep?)", clip(e.Format), ExportFormat)
	}
	if e.Account != "" && !accountPattern.MatchString(e.Account) {
		return errAt(1, "account %s is not a 12-digit AWS account ID", clip(e.Account))
	}
	for i, k := range e.Keys {
		if !keyIDPattern.MatchString(k.ID) {
			return errAt(1, "keys[%d]: id %s is not an access key ID", i, clip(k.ID))
		}
		if k.Status != "Active" && k.Status != "Inactive" {
			return errAt(1, "keys[%d]: status %s is neither Active nor Inactive", i, clip(k.Status))
		}
		inv.Keys[k.ID] = k
	}
	inv.Account, inv.Complete = e.Account, e.Complete
	inv.RootKeys, inv.RootKeysKnown = e.RootKeys, e.RootKeysKnown
	inv.Gaps = append(inv.Gaps, e.Gaps...)
	return nil
}

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// uniqueIDPattern is the shape of IAM unique IDs (AIDA…, AROA…) and key IDs.
var uniqueIDPattern = regexp.MustCompile(`^A[A-Z0-9]{3}[A-Z2-7]{16}$`)
