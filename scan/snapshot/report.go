package snapshot

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"github.com/keysweep/keysweep/finding"
)

// CredentialRow is one row of the IAM credential report.
type CredentialRow struct {
	User    string    `json:"user"`
	ARN     string    `json:"arn"`
	Created time.Time `json:"created"`
	// PasswordEnabled says whether the user has a console password.
	// PasswordUnknown is set when the cell is a placeholder
	// ("not_supported", what older reports say for the root user).
	PasswordEnabled      bool          `json:"passwordEnabled"`
	PasswordUnknown      bool          `json:"passwordUnknown,omitempty"`
	PasswordLastUsed     Stamp         `json:"passwordLastUsed"`
	PasswordLastChanged  Stamp         `json:"passwordLastChanged"`
	PasswordNextRotation Stamp         `json:"passwordNextRotation"`
	MFAActive            bool          `json:"mfaActive"`
	Keys                 [2]ReportKey  `json:"keys"`
	Certs                [2]ReportCert `json:"certs"`
}

// Root reports whether the row is the account's root user.
func (r CredentialRow) Root() bool { return r.User == finding.RootUser }

// ReportKey is one of the two access key slots of a report row.
type ReportKey struct {
	Active          bool   `json:"active"`
	LastRotated     Stamp  `json:"lastRotated"`
	LastUsed        Stamp  `json:"lastUsed"`
	LastUsedRegion  string `json:"lastUsedRegion,omitempty"`
	LastUsedService string `json:"lastUsedService,omitempty"`
}

// ReportCert is one of the two signing certificate slots of a report row.
type ReportCert struct {
	Active      bool  `json:"active"`
	LastRotated Stamp `json:"lastRotated"`
}

// Stamp is a time cell of the report. Where there is no time AWS writes a
// placeholder, which is kept because it means different things: "N/A" (no
// such credential), "no_information" (never used, or not since Oct 2014),
// "not_supported" (root password columns).
type Stamp struct {
	Time        time.Time `json:"time,omitzero"`
	Placeholder string    `json:"placeholder,omitempty"`
}

// IsZero reports whether the cell holds no time.
func (s Stamp) IsZero() bool { return s.Time.IsZero() }

// reportColumns are the 22 columns AWS documents, in its order.
var reportColumns = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// ParseCredentialReport parses the CSV that GetCredentialReport returns.
// Columns are found by header name, so a reordered or extended report still
// parses; a missing column is an error.
func ParseCredentialReport(content []byte) ([]CredentialRow, error) {
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("credential report: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("credential report: empty")
	}
	col := make(map[string]int, len(recs[0]))
	for i, h := range recs[0] {
		col[strings.TrimSpace(h)] = i
	}
	for _, name := range reportColumns {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("credential report: no %q column", name)
		}
	}
	rows := make([]CredentialRow, 0, len(recs)-1)
	for n, rec := range recs[1:] {
		p := cellParser{rec: rec, col: col}
		row := CredentialRow{
			User:                 p.text("user"),
			ARN:                  p.text("arn"),
			Created:              p.stamp("user_creation_time").Time,
			PasswordEnabled:      p.bool("password_enabled"),
			PasswordUnknown:      placeholder(p.raw("password_enabled")),
			PasswordLastUsed:     p.stamp("password_last_used"),
			PasswordLastChanged:  p.stamp("password_last_changed"),
			PasswordNextRotation: p.stamp("password_next_rotation"),
			MFAActive:            p.bool("mfa_active"),
		}
		for i := range row.Keys {
			k := fmt.Sprintf("access_key_%d_", i+1)
			row.Keys[i] = ReportKey{
				Active:          p.bool(k + "active"),
				LastRotated:     p.stamp(k + "last_rotated"),
				LastUsed:        p.stamp(k + "last_used_date"),
				LastUsedRegion:  p.text(k + "last_used_region"),
				LastUsedService: p.text(k + "last_used_service"),
			}
			c := fmt.Sprintf("cert_%d_", i+1)
			row.Certs[i] = ReportCert{Active: p.bool(c + "active"), LastRotated: p.stamp(c + "last_rotated")}
		}
		if p.err != nil {
			return nil, fmt.Errorf("credential report row %d (%s): %w", n+2, row.User, p.err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// cellParser reads typed cells of one record and keeps the first error, so
// the row is built in one expression and checked once.
type cellParser struct {
	rec []string
	col map[string]int
	err error
}

func (p *cellParser) raw(name string) string {
	i := p.col[name]
	if i >= len(p.rec) {
		p.fail(fmt.Errorf("short row: no %s", name))
		return ""
	}
	return strings.TrimSpace(p.rec[i])
}

func (p *cellParser) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

func placeholder(v string) bool {
	switch v {
	case "", "N/A", "no_information", "not_supported":
		return true
	}
	return false
}

// text returns the cell, with placeholders as "".
func (p *cellParser) text(name string) string {
	v := p.raw(name)
	if placeholder(v) {
		return ""
	}
	return v
}

func (p *cellParser) bool(name string) bool {
	switch v := p.raw(name); v {
	case "true", "TRUE", "True":
		return true
	case "false", "FALSE", "False":
		return false
	default:
		if !placeholder(v) {
			p.fail(fmt.Errorf("%s: %q is not a boolean", name, v))
		}
		return false
	}
}

func (p *cellParser) stamp(name string) Stamp {
	v := p.raw(name)
	if placeholder(v) {
		return Stamp{Placeholder: v}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		p.fail(fmt.Errorf("%s: %w", name, err))
	}
	return Stamp{Time: t.UTC()}
}
