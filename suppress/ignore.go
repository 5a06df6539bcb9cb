package suppress

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/internal/fileerr"
	"github.com/keysweep/keysweep/internal/safefile"
)

// IgnoreFileName is the ignore file keysweep reads at the repository root.
const IgnoreFileName = ".keysweepignore"

// Ignore is one .keysweepignore entry.
type Ignore struct {
	Fingerprint string
	// Until is the last day (UTC) the entry holds; zero means no expiry.
	Until  time.Time
	Reason string
	Line   int
}

// Expired reports whether the entry no longer holds at now: it covers
// the whole of its Until day.
func (ig Ignore) Expired(now time.Time) bool {
	return !ig.Until.IsZero() && !now.Before(ig.Until.AddDate(0, 0, 1))
}

// String formats the entry as a line of the file.
func (ig Ignore) String() string {
	s := ig.Fingerprint
	if !ig.Until.IsZero() {
		s += " until=" + ig.Until.Format(time.DateOnly)
	}
	return s + " # " + ig.Reason
}

// Ignores is a parsed ignore file.
type Ignores struct {
	// Path is the file read; "" when there was none.
	Path    string
	Entries []Ignore

	index map[string]int // fingerprint → Entries index, built on first find
}

// Error is a problem at one line of an input file.
type Error = fileerr.Error

// FingerprintLen is the length of keysweep's fingerprints in hex digits.
const FingerprintLen = 32

// ValidFingerprint reports whether s has the form of a keysweep
// fingerprint: 32 lowercase hexadecimal digits.
func ValidFingerprint(s string) bool {
	if len(s) != FingerprintLen {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// notFingerprint says why s is not a fingerprint, quoting it only as an
// excerpt: the ignore file may be a copy of anything.
func notFingerprint(s string) string {
	const want = "expected the 32 hex digits of a report's fingerprint"
	if ValidFingerprint(strings.ToLower(s)) {
		return fmt.Sprintf("%q is not a fingerprint, %s in lower case", s, want)
	}
	return fmt.Sprintf("%s is not a fingerprint, %s", escape.Excerpt(s), want)
}

// dateish shows a mistyped date as it is, anything else as an excerpt.
func dateish(v string) string {
	if len(v) <= 12 && strings.Trim(v, "0123456789-/.") == "" {
		return v
	}
	return escape.Excerpt(v)
}

// lineForm is the syntax every error message points to.
const lineForm = "expected `FINGERPRINT [until=YYYY-MM-DD] # reason`"

// ReadIgnores reads the ignore file at name, normally the repository
// root's: a regular file in its directory, never a symbolic link, at most
// safefile.SettingsLimit bytes. A missing file is no ignores.
func ReadIgnores(name string) (*Ignores, error) {
	b, err := safefile.ReadInTree(filepath.Dir(name), filepath.Base(name), safefile.SettingsLimit)
	if errors.Is(err, fs.ErrNotExist) {
		return &Ignores{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ignore file: %w", err)
	}
	return ParseIgnores(name, bytes.NewReader(b))
}

// ParseIgnores parses an ignore file read from r; name is for messages.
func ParseIgnores(name string, r io.Reader) (*Ignores, error) {
	igs := &Ignores{Path: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, safefile.LineLimit+1)
	seen := map[string]int{}
	n := 1
	for ; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ig, msg := parseLine(line)
		if msg != "" {
			return nil, &Error{File: name, Line: n, Msg: msg}
		}
		if prev, dup := seen[ig.Fingerprint]; dup {
			return nil, &Error{File: name, Line: n, Msg: fmt.Sprintf("fingerprint %s is already ignored at line %d, expected each fingerprint once", ig.Fingerprint, prev)}
		}
		seen[ig.Fingerprint] = n
		ig.Line = n
		igs.Entries = append(igs.Entries, ig)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, safefile.LongLineError(name, n)
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return igs, nil
}

// parseLine returns the entry, or a message saying what is wrong.
func parseLine(line string) (Ignore, string) {
	var ig Ignore
	body, reason, hasReason := strings.Cut(line, "#")
	fields := strings.Fields(body)
	ig.Fingerprint = fields[0]
	if !ValidFingerprint(ig.Fingerprint) {
		return ig, notFingerprint(ig.Fingerprint)
	}
	for _, f := range fields[1:] {
		v, ok := strings.CutPrefix(f, "until=")
		if !ok || !ig.Until.IsZero() {
			return ig, fmt.Sprintf("unexpected %s, %s", escape.Excerpt(f), lineForm)
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return ig, fmt.Sprintf("until=%s is not a date, expected until=YYYY-MM-DD", dateish(v))
		}
		ig.Until = d
	}
	ig.Reason = strings.TrimSpace(reason)
	if !hasReason || ig.Reason == "" {
		return ig, "ignore without a reason, " + lineForm
	}
	return ig, ""
}

// find returns the active, unexpired entry for any of fps, or else the
// expired one, so the report can say an ignore ran out. Entries are
// looked up by fingerprint (each is in the file once), so applying the
// file costs O(findings + entries), not their product.
func (igs *Ignores) find(now time.Time, fps ...string) (live, expired *Ignore) {
	if igs == nil {
		return nil, nil
	}
	if igs.index == nil {
		igs.index = make(map[string]int, len(igs.Entries))
		for i, ig := range igs.Entries {
			if _, dup := igs.index[ig.Fingerprint]; !dup {
				igs.index[ig.Fingerprint] = i
			}
		}
	}
	for _, fp := range fps {
		i, ok := igs.index[fp]
		if fp == "" || !ok {
			continue
		}
		ig := &igs.Entries[i]
		if ig.Expired(now) {
			expired = ig
		} else if live == nil {
			live = ig
		}
	}
	return live, expired
}

// Append adds ig to the ignore file in dir, creating it if needed. It
// refuses an entry without a reason, a malformed fingerprint, and a
// fingerprint the file already holds.
func Append(dir string, ig Ignore) (string, error) {
	name := filepath.Join(dir, IgnoreFileName)
	ig.Reason = strings.TrimSpace(ig.Reason)
	switch {
	case !ValidFingerprint(ig.Fingerprint):
		return name, errors.New(notFingerprint(ig.Fingerprint))
	case ig.Reason == "":
		return name, fmt.Errorf("an ignore needs a reason: --reason \"why this finding is accepted\"")
	case strings.ContainsAny(ig.Reason, "\r\n"):
		return name, fmt.Errorf("the reason must be one line")
	}
	// The file is read and written as a scan reads it: never through a
	// symbolic link, which could make `keysweep ignore` append to any
	// file the user can write.
	old, err := safefile.ReadInTree(dir, IgnoreFileName, safefile.SettingsLimit)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return name, fmt.Errorf("read ignore file: %w", err)
	}
	// Parse what is there first: appending to a broken file would only
	// move the error to the next scan.
	igs, err := ParseIgnores(name, bytes.NewReader(old))
	if err != nil {
		return name, err
	}
	for _, e := range igs.Entries {
		if e.Fingerprint == ig.Fingerprint {
			return name, &Error{File: name, Line: e.Line, Msg: fmt.Sprintf("fingerprint %s is already ignored here", ig.Fingerprint)}
		}
	}
	var b bytes.Buffer
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteString(ig.String() + "\n")
	if err := safefile.AppendInTree(dir, IgnoreFileName, b.Bytes()); err != nil {
		return name, fmt.Errorf("write ignore file: %w", err)
	}
	return name, nil
}
