package sarif

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	gosarif "github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/keysweep/keysweep/finding"
)

// suppressionKind maps where keysweep read a suppression to SARIF's terms.
var suppressionKind = map[string]string{"inline": "inSource", "fingerprint": "external"}

// suppress records s on res. go-sarif writes null for every unset field of
// a suppression, which the schema rejects, so all of them are set: the
// status, the location, and a GUID derived from the fingerprint so that it
// is stable from run to run.
func suppress(res *gosarif.Result, s *finding.Suppression, loc *gosarif.Location, fp string) {
	if s == nil {
		return
	}
	kind := suppressionKind[s.Kind]
	if kind == "" {
		kind = "external"
	}
	sup := gosarif.NewSuppression(kind).
		WithStatus("accepted").
		WithJustifcation(s.Justification).
		WithLocation(loc).
		WithGuid(guid(kind + "\x00" + fp))
	if !s.Expires.IsZero() {
		sup.Properties = gosarif.Properties{"expires": s.Expires.UTC().Format(time.RFC3339)}
	}
	res.AddSuppression(sup)
}

// guid formats a hash of seed as a name-based (version 5 style) UUID.
func guid(seed string) string {
	h := sha256.Sum256([]byte(seed))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
