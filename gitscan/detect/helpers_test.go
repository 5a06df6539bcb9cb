package detect

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Every credential in these tests is generated, so that no key-like string
// sits in the source for a scanner (this one included) to report.

const (
	alphaB32     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alphaB64     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	alphaLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

func randString(seed uint64, n int, alphabet string) string {
	r := rand.New(rand.NewPCG(seed, 0x6b657973776565))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// fakeKey returns a well-formed key ID with the given prefix that AWS never
// issued.
func fakeKey(prefix string, seed uint64) string {
	return prefix + randString(seed, keyLen-len(prefix), alphaB32)
}

// fakeSecret returns a 40-character secret as AWS would generate it: it
// has upper and lower case letters and a digit.
func fakeSecret(seed uint64) string {
	for i := uint64(0); ; i++ {
		s := randString(seed<<8|i, secretLen, alphaB64)
		if strings.ContainsAny(s, "0123456789") && plausibleSecret([]byte(s), false) {
			return s
		}
	}
}

// fakeToken returns an STS-like session token of n characters.
func fakeToken(seed uint64, n int) string {
	const prefix = "IQoJb3JpZ2luX2VjE"
	return prefix + randString(seed, n-len(prefix), alphaB64)
}

// redact shows enough of a credential to tell which one it is: test
// failures must not print a secret.
func redact(s string) string {
	if s == "" {
		return `""`
	}
	return fmt.Sprintf("%.4s…(%d)", s, len(s))
}

func redactMatch(m Match) string {
	return fmt.Sprintf("{%s@%d secret=%s@%d token=%s}", m.KeyID, m.Start, redact(m.Secret), m.SecretStart, redact(m.SessionToken))
}
