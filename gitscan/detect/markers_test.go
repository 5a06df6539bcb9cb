package detect

import (
	"encoding/base64"
	"testing"
)

// TestIndexEncodedArchive: every archive decode opens, base64-encoded once
// or twice where its encoding has a marker (all but zstd twice, whose
// encoded magic holds no run of rare grams), is found where its token
// starts, wherever in the token its marker is; the same bytes inside a
// longer token are not an archive.
func TestIndexEncodedArchive(t *testing.T) {
	marked := map[string]bool{}
	for _, a := range archiveMarkers {
		marked[a.token] = true
	}
	found := 0
	for _, magic := range archiveMagic {
		tok, p := magic+"\x00\x01\x02 the rest of an archive, whatever it holds \xff\xfe", magic
		for layer := 1; layer <= archiveLayers; layer++ {
			tok, p = base64.StdEncoding.EncodeToString([]byte(tok)), b64Markers(p)[0]
			if !marked[p] {
				continue
			}
			found++
			if got := IndexEncodedArchive([]byte("data: " + tok + "\n")); got != len("data: ") {
				t.Errorf("%q encoded %d times: at %d, want %d", magic, layer, got, len("data: "))
			}
			if got := IndexEncodedArchive([]byte("data: QUJD" + tok + "\n")); got >= 0 {
				t.Errorf("%q encoded %d times inside a token: at %d", magic, layer, got)
			}
		}
	}
	if found < 2*len(archiveMagic)-1 {
		t.Errorf("%d archive encodings have a marker, want all but one", found)
	}
}
