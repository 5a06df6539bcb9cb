package gitscan

import (
	"strings"
	"testing"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/keysweep/keysweep/internal/leakshapes"
	"github.com/keysweep/keysweep/judge"
)

// TestLeakShapes scans the leakshapes repository, every shape a committed
// credential takes and look-alikes that are none, loose, through a
// pull-request range, and repacked with deep delta chains.
func TestLeakShapes(t *testing.T) { testLeakShapes(t) }

// TestLeakShapesSHA256 is the same in a SHA-256 repository: markers carried
// through deltas, messages, file names and the tags whose messages are
// scanned all go through object names of 32 bytes.
func TestLeakShapesSHA256(t *testing.T) { testLeakShapes(t, "--object-format=sha256") }

func testLeakShapes(t *testing.T, initArgs ...string) {
	r := gittest.New(t, initArgs...)
	base := r.Commit("init")
	if len(initArgs) > 0 && len(base) != 64 {
		t.Fatalf("not a SHA-256 repository: commit %s", base)
	}
	cases := leakshapes.Cases()
	commits := leakshapes.Build(r, cases)

	check := func(t *testing.T, res *Result, rangeScan bool) {
		t.Helper()
		byKey := map[string][]finding.Leak{}
		for _, l := range res.Leaks {
			byKey[l.KeyID] = append(byKey[l.KeyID], l)
		}
		// Each key is reported where it is and nowhere else: a key in an
		// archive member is not reported at the archive too.
		type place struct{ id, path string }
		wanted := map[place]bool{}
		for _, c := range cases {
			if rangeScan && (c.TagName != "" || c.Branch != "") {
				continue // a range holds commits, not tags or ref names
			}
			for _, w := range c.Want {
				path := leakshapes.WantPath(w, commits[c.Name])
				wanted[place{w.KeyID, path}] = true
				var got *finding.Leak
				for i, l := range byKey[w.KeyID] {
					if l.Path == path {
						got = &byKey[w.KeyID][i]
					}
				}
				if got == nil {
					var paths []string
					for _, l := range byKey[w.KeyID] {
						paths = append(paths, l.Path)
					}
					t.Errorf("%s: %s not reported at %s (at %q)", c.Name, w.KeyID, path, paths)
					continue
				}
				if got.Secret.Reveal() != w.Secret {
					t.Errorf("%s: secret %v, want %v", c.Name, got.Secret, finding.NewSecret(w.Secret))
				}
				// A key paired with its secret is a working credential:
				// high, which the default gate fails on; a key ID alone
				// is not.
				if sev := judge.Judge([]finding.Leak{*got}, nil)[0].Severity; (sev == finding.SeverityHigh) != (w.Secret != "") {
					t.Errorf("%s: severity %v with secret %v", c.Name, sev, got.Secret)
				}
				if got.Decoded != w.Decoded {
					t.Errorf("%s: decoded %q, want %q", c.Name, got.Decoded, w.Decoded)
				}
				if got.Commit != commits[c.Name] {
					t.Errorf("%s: attributed to %.12s, want %.12s", c.Name, got.Commit, commits[c.Name])
				}
			}
			for _, id := range c.Absent {
				if len(byKey[id]) > 0 {
					t.Errorf("%s: %s reported at %s", c.Name, id, byKey[id][0].Path)
				}
			}
			if c.Gap != "" && !strings.Contains(strings.Join(res.Skipped, "\n"), c.Gap) {
				t.Errorf("%s: no skipped line says %q: %q", c.Name, c.Gap, res.Skipped)
			}
		}
		// What the scan skipped is named without a secret, decoded or not.
		for _, c := range cases {
			for _, w := range c.Want {
				if w.Secret != "" && strings.Contains(strings.Join(res.Skipped, "\n"), w.Secret) {
					t.Errorf("%s: a skipped line shows the secret", c.Name)
				}
			}
		}
		for _, l := range res.Leaks {
			if !wanted[place{l.KeyID, l.Path}] {
				t.Errorf("unexpected %s at %s", l.KeyID, l.Path)
			}
		}
		gaps := 0
		for _, c := range cases {
			if c.Gap != "" {
				gaps++
			}
		}
		if len(res.Skipped) != gaps {
			t.Errorf("skipped %q, want %d lines, one per case with a gap", res.Skipped, gaps)
		}
	}
	t.Run("loose", func(t *testing.T) { check(t, scanOK(t, r.Dir, Options{}), false) })
	t.Run("range", func(t *testing.T) { check(t, scanOK(t, r.Dir, Options{Since: base}), true) })
	r.Repack()
	t.Run("repacked", func(t *testing.T) { check(t, scanOK(t, r.Dir, Options{}), false) })
}
