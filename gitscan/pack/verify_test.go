package pack

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/gittest"
)

// flipInKey changes the last character of the key ID where it is stored
// in file, within [from, to), as a broken disk would: with compression
// off the object's bytes stay a valid zlib stream, so only the checksums
// tell.
func flipInKey(t *testing.T, file, key string, from, to int64) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data[from:min(to, int64(len(data)))], []byte(key))
	if i < 0 {
		t.Fatalf("key not stored as is in %s", file)
	}
	data[from+int64(i)+int64(len(key))-1] ^= 0x01
	_ = os.Chmod(file, 0o644)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// One byte changed in a stored commit or blob is a named corrupt object
// on every path that reads it, the pack pass and Read and Stream alike:
// never the object with the byte changed (a key ID differing by one
// character, the real one dropped).
func TestEveryReadIsVerified(t *testing.T) {
	key, _ := gittest.FakeKey(7)
	for _, tc := range []struct {
		name   string
		packed bool
		blob   bool
	}{
		{"packed commit", true, false},
		{"packed blob", true, true},
		{"loose commit", false, false},
		{"loose blob", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gittest.New(t)
			r.Git("config", "core.compression", "0")
			r.Git("config", "pack.compression", "0")
			r.Write("a.txt", "aws_access_key_id = "+key+"\n")
			r.Commit("first")
			r.Write("b.txt", "other\n")
			commit := r.Commit("rotate " + key)
			target := hexID(commit)
			if tc.blob {
				target = hexID(r.Git("rev-parse", "HEAD~1:a.txt"))
			}
			if tc.packed {
				r.Git("repack", "-adq")
				file, entries := verifyPack(t, r)
				for _, e := range entries {
					if e.hash == target.String() {
						flipInKey(t, file, key, e.offset, e.offset+e.packed)
					}
				}
			} else {
				h := target.String()
				flipInKey(t, filepath.Join(r.Dir, ".git", "objects", h[:2], h[2:]), key, 0, 1<<30)
			}

			st, err := openDir(r.Dir)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			res, err := st.Scan(context.Background(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			probs := problemsOf(t, res.Problems)
			if p := probs[target]; !strings.Contains(p, "corrupt") {
				t.Errorf("pack pass: problem %q", p)
			}
			if _, b, err := st.Read(target); err == nil {
				t.Errorf("Read returned the changed object:\n%s", b)
			} else if !strings.Contains(err.Error(), target.String()) && !strings.Contains(err.Error(), filepath.Base(target.String()[2:])) {
				t.Errorf("Read: %v, want the object named", err)
			}
			// The store that reads a few objects without listing them
			// (a push hook, settings) verifies the same way.
			rp, err := repo.Open(r.Dir)
			if err != nil {
				t.Fatal(err)
			}
			lazy, err := OpenReader(rp)
			if err != nil {
				t.Fatal(err)
			}
			defer lazy.Close()
			if _, b, err := lazy.Read(target); err == nil {
				t.Errorf("OpenReader's Read returned the changed object:\n%s", b)
			}
			if tc.blob {
				rd, _, err := st.Stream(target)
				if err == nil {
					var b bytes.Buffer
					_, err = b.ReadFrom(rd)
					rd.Close()
				}
				if err == nil {
					t.Errorf("Stream read the changed blob")
				}
			}
		})
	}
}
