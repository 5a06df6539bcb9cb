package pack

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/gittest"
)

// TestMessages: the message of a commit or tag is what follows its
// headers, a tag's without its signature, and MessageHit is set from it
// and, for a commit, from its author and committer lines (issue 23), in
// both object formats.
func TestMessages(t *testing.T) {
	k, _ := gittest.FakeKey(77)
	sig := "-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----\n"
	for _, hs := range []int{20, 32} {
		hex := strings.Repeat("ab", hs)
		var id repo.ID
		if !id.SetHex([]byte(hex)) {
			t.Fatalf("SetHex of %d bytes failed", hs)
		}
		cases := []struct {
			name, obj, msg string
			typ            uint8
			hit            bool
		}{
			{"commit", "tree " + hex + "\nparent " + hex + "\nauthor A <a@x> 1700000000 +0000\ncommitter C <c@x> 1700000000 +0000\n\nsubject\n\nid " + k + "\n", "subject\n\nid " + k + "\n", TypeCommit, true},
			{"key in the author line only", "tree " + hex + "\nauthor " + k + " <a@x> 1700000000 +0000\ncommitter C <c@x> 1700000000 +0000\n\nclean\n", "clean\n", TypeCommit, true},
			{"key in the committer line only", "tree " + hex + "\nauthor A <a@x> 1700000000 +0000\ncommitter C <" + k + "@x> 1700000000 +0000\n\nclean\n", "clean\n", TypeCommit, true},
			{"key in another header only", "tree " + hex + "\nauthor A <a@x> 1700000000 +0000\ncommitter C <c@x> 1700000000 +0000\nx-note " + k + "\n\nclean\n", "clean\n", TypeCommit, false},
			{"tag", "object " + hex + "\ntype commit\ntag v1\ntagger T <t@x> 1700000100 +0100\n\nrelease " + k + "\n", "release " + k + "\n", TypeTag, true},
			{"signed tag", "object " + hex + "\ntype commit\ntag v1\ntagger T <t@x> 1700000100 +0100\n\nrelease\n" + sig, "release\n", TypeTag, false},
		}
		// Read alone, and by one interner for all (as the pack pass reads
		// them): the same fields, one copy of each name.
		shared := &interner{}
		for _, in := range []*interner{nil, shared} {
			for _, c := range cases {
				if got := string(Message(c.typ, []byte(c.obj))); got != c.msg {
					t.Errorf("%d-byte %s: message %q, want %q", hs, c.name, got, c.msg)
				}
				switch c.typ {
				case TypeCommit:
					cm, err := parseCommit(id, []byte(c.obj), in)
					_, off := cm.When.Zone()
					if err != nil || cm.MessageHit != c.hit || cm.Tree != id || cm.Author == "" || cm.When.Unix() != 1700000000 || off != 0 {
						t.Errorf("%d-byte %s: %+v, %v; want MessageHit %v", hs, c.name, cm, err, c.hit)
					}
				case TypeTag:
					tg, err := parseTag(id, []byte(c.obj), in)
					_, off := tg.When.Zone()
					if err != nil || tg.MessageHit != c.hit || tg.Target != id || tg.Tagger != "T" || tg.Email != "t@x" || !tg.When.Equal(time.Unix(1700000100, 0)) || off != 3600 {
						t.Errorf("%d-byte %s: %+v, %v; want MessageHit %v", hs, c.name, tg, err, c.hit)
					}
				}
			}
		}
		if len(shared.zones) != 2 || shared.strs["A"] == "" || shared.strs["t@x"] == "" {
			t.Errorf("interned %d zones, names %q", len(shared.zones), shared.strs)
		}
	}
}

func TestByOffset(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for k, n := range []int{0, 1, 2, 100, 5000, 5000, 5000} {
		// 1, 2, 3 and 4 radix passes.
		bound := []int64{1 << 42, 1 << 10, 1 << 20, 1 << 30, 1 << 42, 1 << 11, 1 << 33}[k]
		offs := make([]int64, n)
		for i := range offs {
			offs[i] = r.Int64N(bound)
		}
		order := byOffset(offs)
		if len(order) != n {
			t.Fatalf("%d positions for %d offsets", len(order), n)
		}
		seen := map[int32]bool{}
		for e, i := range order {
			seen[i] = true
			if e > 0 && offs[order[e-1]] > offs[i] {
				t.Fatalf("n=%d: offsets out of order at %d", n, e)
			}
		}
		if len(seen) != n {
			t.Fatalf("n=%d: %d distinct positions", n, len(seen))
		}
	}
}
