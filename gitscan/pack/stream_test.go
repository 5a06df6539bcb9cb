package pack

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/gitscan/repo"
	"github.com/keysweep/keysweep/internal/gittest"
)

// Every blob read by Stream (whole entries inflated as they are read,
// deltas applied as they are read) and by Read equals what git says.
func TestStreamAndReadMatchGit(t *testing.T) {
	r := buildHistory(t, 11, 20)
	r.Git("repack", "-adfq", "--depth=50", "--window=250")
	st, err := openDir(filepath.Join(r.Dir, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs := 0
	for id, want := range gitBlobs(t, r.Dir) {
		blobs++
		typ, got, err := st.Read(id)
		if err != nil || typ != TypeBlob || !bytes.Equal(got, want) {
			t.Fatalf("Read %s: type %d err %v, content differs: %v", id, typ, err, !bytes.Equal(got, want))
		}
		rc, size, err := st.Stream(id)
		if err != nil {
			t.Fatal(err)
		}
		streamed, err := io.ReadAll(iotest.HalfReader(rc))
		rc.Close()
		if err != nil || int64(len(streamed)) != size || !bytes.Equal(streamed, want) {
			t.Fatalf("Stream %s: %d of %d bytes, err %v, equal %v", id, len(streamed), size, err, bytes.Equal(streamed, want))
		}
	}
	if blobs < 50 {
		t.Fatalf("only %d blobs", blobs)
	}
	// git's delta search depends on object names, which depend on commit
	// times: the deepest chain varies from run to run (7 or 8 here), so
	// the check asks for a depth every run reaches.
	if v := r.Git("verify-pack", "-v", must1(filepath.Glob(filepath.Join(r.Dir, ".git/objects/pack/*.idx")))); !strings.Contains(v, "chain length = 5") {
		t.Fatalf("the pack has no deep delta chains:\n%s", v[max(0, len(v)-400):])
	}
}

func must1(m []string, _ error) string {
	if len(m) != 1 {
		panic("want one match")
	}
	return m[0]
}

// Windows takes each match once, and exactly those a scan of the whole
// stream finds, however the windows fall.
func TestWindowsTakeEachMatchOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for i := 0; b.Len() < 600<<10; i++ {
		if rng.IntN(40) == 0 {
			id, _ := gittest.FakeKey(700 + i)
			b.WriteString(id)
		}
		b.WriteString([]string{" ", "\n", "x", "é", "/"}[rng.IntN(5)])
	}
	content := b.Bytes()
	var want []int
	for _, m := range detect.Find(content) {
		want = append(want, m.Start)
	}
	if len(want) < 50 {
		t.Fatalf("only %d planted keys found", len(want))
	}
	for _, chunk := range []int{4 << 10, 100 << 10, 1 << 20} {
		var got []int
		_, err := Windows(iotest.HalfReader(bytes.NewReader(content)), chunk, nil, func(win []byte, base int64, lo, hi int) error {
			for _, m := range detect.Find(win) {
				if m.Start >= lo && m.Start < hi {
					got = append(got, int(base)+m.Start)
				}
			}
			return nil
		})
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("chunk %d: %d matches (err %v), whole scan %d", chunk, len(got), err, len(want))
		}
	}
}

// gitBlobs is every blob's content, as git cat-file gives it.
func gitBlobs(t *testing.T, dir string) map[repo.ID][]byte {
	cmd := exec.Command("git", "cat-file", "--batch-all-objects", "--batch")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	blobs := map[repo.ID][]byte{}
	for len(out) > 0 {
		line, rest, _ := bytes.Cut(out, []byte{'\n'})
		f := strings.Fields(string(line))
		size, _ := strconv.Atoi(f[2])
		if f[1] == "blob" {
			blobs[hexID(f[0])] = rest[:size]
		}
		out = rest[size+1:]
	}
	return blobs
}
