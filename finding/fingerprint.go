package finding

import (
	"crypto/sha256"
	"encoding/hex"
)

// Family is the rule family of committed keys. Fingerprints use it rather
// than the rule ID, so a key keeps its identity when its status changes.
const Family = "committed-access-key"

// Fingerprint is the one identity function of every finding, keys and
// account checks alike: sha256 over facts that do not move when history
// is rewritten or lines shift (rule family, key ID, path; rule, account,
// region, resource): never a line number or a commit hash. GitHub uses it
// as primaryLocationLineHash to track one alert across analyses, and
// .keysweepignore and baselines name it.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		// The separator keeps ("ab","c") and ("a","bc") apart.
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// KeyFingerprint identifies a committed key ID wherever it appears. It is
// what .keysweepignore entries for keys should name: a rename or a move
// to another file gives the key a new per-path Fingerprint, but the same
// key fingerprint, so an ignore of a reviewed key holds.
func KeyFingerprint(keyID string) string { return Fingerprint(Family, keyID) }
