package gittest

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"
)

// FakeKey derives a well-formed but never-issued access key ID and secret
// from a seed, so tests plant credentials without using real or AWS
// documentation keys (the scanner ignores the latter by design).
func FakeKey(seed int) (id, secret string) {
	sum := sha256.Sum256([]byte(fmt.Sprintf("keysweep-test-%d", seed)))
	id = "AKIA" + base32.StdEncoding.EncodeToString(sum[:10])[:16]
	secret = base64.StdEncoding.EncodeToString(append(sum[10:], sum[:10]...))[:40]
	return id, strings.ReplaceAll(secret, "=", "Q")
}

// FakeSessionKey is FakeKey for temporary credentials: an ASIA key ID,
// its secret, and a session token.
func FakeSessionKey(seed int) (id, secret, token string) {
	id, secret = FakeKey(seed)
	var b strings.Builder
	for i := 0; b.Len() < 300; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("keysweep-token-%d-%d", seed, i)))
		b.WriteString(base64.StdEncoding.EncodeToString(sum[:]))
	}
	token = "FwoGZXIvYXdzE" + strings.ReplaceAll(b.String(), "=", "A")[:300]
	return "ASIA" + id[4:], secret, token
}
