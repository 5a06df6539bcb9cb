package finding

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Secret holds a credential value (secret access key, session token) that
// must never be printed. Every way Go has of formatting or encoding it
// yields the redacted form; only Reveal returns the value, and the only
// legitimate caller is the GitHub Actions "::add-mask::" command, which
// exists to hide exactly that value from the job log.
type Secret struct{ v string }

// NewSecret wraps a credential value.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal returns the raw value. Do not print it.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether no value is held.
func (s Secret) IsZero() bool { return s.v == "" }

// String returns the redacted form.
func (s Secret) String() string { return Redact(s.v) }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return strconv.Quote(Redact(s.v)) }

// Format makes every fmt verb redact, including %x and %q.
func (s Secret) Format(f fmt.State, verb rune) {
	_, _ = fmt.Fprint(f, Redact(s.v))
}

// MarshalJSON writes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redact(s.v)) }

// MarshalText writes the redacted form (YAML, XML and map keys).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redact(s.v)), nil }

// UnmarshalJSON keeps a redacted value read back from a report, so a
// baseline round-trip never pretends to hold the real secret.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	s.v = v
	return nil
}

const redactedMark = "…[redacted "

// Redact shows the first four characters and the length: enough to tell two
// secrets apart in a report, far too little to use one.
func Redact(v string) string {
	if v == "" || strings.Contains(v, redactedMark) {
		return v
	}
	const shown = 4
	if len(v) <= shown*2 {
		return "****"
	}
	return v[:shown] + redactedMark + strconv.Itoa(len(v)) + " chars]"
}
