package gitscan

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"
)

// fakeKey derives a well-formed but never-issued key ID and secret from a
// seed, so tests plant credentials without any real or example key.
func fakeKey(seed int) (id, secret string) {
	sum := sha256.Sum256([]byte(fmt.Sprintf("keysweep-test-%d", seed)))
	id = "AKIA" + base32.StdEncoding.EncodeToString(sum[:10])[:16]
	secret = base64.StdEncoding.EncodeToString(append(sum[10:], sum[:10]...))[:40]
	return id, strings.ReplaceAll(secret, "=", "Q")
}
