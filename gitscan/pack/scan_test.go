package pack

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keysweep/keysweep/gitscan/repo"

	"github.com/keysweep/keysweep/gitscan/decode"
	"github.com/keysweep/keysweep/gitscan/detect"
	"github.com/keysweep/keysweep/internal/gittest"
)

// truth is what git itself says a repository stores.
type truth struct {
	objects, blobs, commits int
	blobBytes               int64
	leaky                   []repo.ID // blobs in which detect.Find finds something, sorted
	types                   map[repo.ID]string
}

// groundTruth reads every object with git cat-file and runs the detectors
// on every blob.
func groundTruth(t testing.TB, dir string) truth {
	t.Helper()
	cmd := exec.Command("git", "cat-file", "--batch-all-objects", "--batch")
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tr := truth{types: map[repo.ID]string{}}
	br := bufio.NewReader(out)
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(line)
		size, _ := strconv.Atoi(f[2])
		content := make([]byte, size+1)
		if _, err := io.ReadFull(br, content); err != nil {
			t.Fatal(err)
		}
		h := hexID(f[0])
		tr.objects++
		tr.types[h] = f[1]
		switch f[1] {
		case "blob":
			tr.blobs++
			tr.blobBytes += int64(size)
			if b := content[:size]; len(detect.Find(b)) > 0 || detect.MayContainEncoded(b) || decode.IsArchive(b[:min(size, decode.HeadLen)]) {
				tr.leaky = append(tr.leaky, h)
			}
		case "commit":
			tr.commits++
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(tr.leaky, repo.Compare)
	return tr
}

func scan(t testing.TB, dir string, opts Options) *Result {
	t.Helper()
	res, err := scanDir(context.Background(), filepath.Join(dir, ".git"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// checkAgainstTruth compares a clean repository's scan with git's view.
func checkAgainstTruth(t *testing.T, r *gittest.Repo, res *Result) truth {
	t.Helper()
	tr := groundTruth(t, r.Dir)
	if res.Objects != tr.objects || res.Blobs != tr.blobs || res.BlobBytes != tr.blobBytes || len(res.Commits) != tr.commits {
		t.Errorf("scan counts %d objects, %d blobs, %d blob bytes, %d commits; git: %d, %d, %d, %d",
			res.Objects, res.Blobs, res.BlobBytes, len(res.Commits), tr.objects, tr.blobs, tr.blobBytes, tr.commits)
	}
	for _, p := range res.Problems {
		t.Errorf("problem in a clean repository: %s", p)
	}
	// Every blob git's own content gives a hit must be a suspect; the
	// engine claims more: exactly those.
	for _, h := range tr.leaky {
		if _, ok := slices.BinarySearchFunc(res.Suspects, h, repo.Compare); !ok {
			t.Errorf("blob %s holds a key ID but is not a suspect", h)
		}
	}
	if !slices.Equal(res.Suspects, tr.leaky) {
		t.Errorf("%d suspects, %d blobs with hits", len(res.Suspects), len(tr.leaky))
	}
	checkCommits(t, r, res.Commits)
	return tr
}

// checkCommits compares every commit with git log.
func checkCommits(t *testing.T, r *gittest.Repo, got []*Commit) {
	t.Helper()
	want := map[repo.ID]string{}
	for _, line := range strings.Split(r.Git("log", "--all", "--format=%H %T %P|%ct %ci|%an|%ae"), "\n") {
		h, rest, _ := strings.Cut(line, " ")
		want[hexID(h)] = rest
	}
	if len(got) != len(want) {
		t.Errorf("%d commits, git rev-list --all has %d", len(got), len(want))
	}
	for _, c := range got {
		var ps []string
		for _, p := range c.Parents {
			ps = append(ps, p.String())
		}
		s := fmt.Sprintf("%s %s|%d %s|%s|%s", c.Tree, strings.Join(ps, " "), c.When.Unix(), c.When.Format("2006-01-02 15:04:05 -0700"), c.Author, c.Email)
		if want[c.Hash] != s {
			t.Errorf("commit %s: got %q, git says %q", c.Hash, s, want[c.Hash])
		}
	}
}

// lines is a source file of n numbered lines.
func lines(r *rand.Rand, n int) []string {
	words := strings.Fields("alpha beta gamma delta config token value bucket region user path cache retry")
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		fmt.Fprintf(&b, "%04d", i)
		for range 3 + r.IntN(8) {
			b.WriteString(" " + words[r.IntN(len(words))])
		}
		out[i] = b.String()
	}
	return out
}

func join(ls []string) string { return strings.Join(ls, "\n") + "\n" }

// buildHistory makes a repository whose files change in small edits over
// many commits, with key IDs that appear in the newest, the oldest and
// middle versions, keys that are rotated, keys whose boundary is edited
// next to them, and keys that only exist where two copied ranges join.
func buildHistory(t testing.TB, seed uint64, commits int, initArgs ...string) *gittest.Repo {
	r := gittest.New(t, initArgs...)
	rng := rand.New(rand.NewPCG(seed, 99))
	key := func(i int) string { id, _ := gittest.FakeKey(int(seed)*1000 + i); return id }
	files := map[string][]string{}
	for i := range 6 {
		files[fmt.Sprintf("src/file%d.txt", i)] = lines(rng, 150+rng.IntN(300))
	}
	edit := func(ls []string) []string {
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(ls))
			switch rng.IntN(3) {
			case 0:
				ls[i] = ls[i] + " edited"
			case 1:
				ls = slices.Insert(ls, i, fmt.Sprintf("new line %d", rng.IntN(1000)))
			default:
				if len(ls) > 20 {
					ls = slices.Delete(ls, i, i+1)
				}
			}
		}
		return ls
	}
	sess, _, token := gittest.FakeSessionKey(int(seed))
	for c := range commits {
		for name, ls := range files {
			if rng.IntN(2) == 0 {
				files[name] = edit(ls)
			}
		}
		f0 := files["src/file0.txt"]
		switch {
		case c == 0:
			// In the oldest version only: git stores it as a delta.
			f0[10] = "aws_access_key_id = " + key(1)
		case c == 1:
			f0[10] = "removed"
		case c == commits/2:
			// In middle versions.
			files["src/file1.txt"][20] = "key: " + key(2) + " # middle"
			files["src/file2.txt"][5] = "export AWS_SESSION_TOKEN=" + token + "\nexport KEY=" + sess
		case c == commits/2+3:
			files["src/file1.txt"][20] = "key gone"
		case c == commits-1:
			// In the newest version only: the base of every older one.
			f0[len(f0)/2] = "AKID=" + key(3)
		}
		// Rotated: the same line, a new key every few commits.
		if c%5 == 0 {
			files["src/file3.txt"][7] = "secret " + key(100+c)
		}
		// A boundary edit next to an unchanged key: x makes it part of a
		// longer word, a space or an escape lets it stand alone.
		files["src/file4.txt"][3] = []string{"x", " ", `\n`, `\u002F`, "%2F", "Z"}[c%6] + key(4) + []string{"", "a", " ", "/"}[c%4]
		// Two halves that form a key only when the line between them is
		// deleted: a delta joining two copies.
		half := key(5)
		if c%7 < 3 {
			files["src/file5.txt"][40] = "pre " + half[:11] + "\n" + strings.Repeat("filler ", 9) + "\n" + half[11:] + " post"
		} else {
			files["src/file5.txt"][40] = "pre " + half[:11] + half[11:] + " post"
		}
		for name, ls := range files {
			r.Write(name, join(ls))
		}
		r.Commit(fmt.Sprintf("commit %d", c))
		if c == commits/3 {
			r.Git("checkout", "-q", "-b", "side")
			r.Write("side.txt", "side "+key(6)+"\n")
			r.Commit("side")
			r.Git("checkout", "-q", "main")
			r.Git("merge", "-q", "--no-ff", "-m", "merge side", "side")
		}
	}
	return r
}

func TestRecallAgainstCatFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		seed    uint64
		commits int
		repack  []string
		init    []string
	}{
		{"loose only", 1, 25, nil, nil},
		{"default repack", 2, 60, []string{"repack", "-adq"}, nil},
		{"deep chains", 3, 80, []string{"repack", "-adfq", "--depth=50", "--window=250"}, nil},
		{"ref deltas", 4, 60, []string{"-c", "repack.useDeltaBaseOffset=false", "repack", "-adfq", "--depth=50", "--window=250"}, nil},
		{"one worker", 5, 40, []string{"repack", "-adfq", "--depth=10"}, nil},
		{"sha256 ref deltas", 10, 25, []string{"-c", "repack.useDeltaBaseOffset=false", "repack", "-adfq", "--depth=50", "--window=250"}, []string{"--object-format=sha256"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := buildHistory(t, tc.seed, tc.commits, tc.init...)
			if tc.repack != nil {
				r.Git(tc.repack...)
				r.Git("prune", "--expire=now")
			}
			var opts Options
			if tc.name == "one worker" {
				opts.Workers = 1
			}
			var objects, total atomic.Int64
			opts.Progress = progressFunc(func(n int, _ int64) { objects.Add(int64(n)) })
			opts.Total = func(n int) { total.Store(int64(n)) }
			res := scan(t, r.Dir, opts)
			tr := checkAgainstTruth(t, r, res)
			if objects.Load() != total.Load() || int(total.Load()) != tr.objects {
				t.Errorf("progress: %d of %d objects, repository has %d", objects.Load(), total.Load(), tr.objects)
			}
			if len(tr.leaky) < 10 {
				t.Errorf("only %d blobs with hits: the repository does not plant what it should", len(tr.leaky))
			}
			t.Logf("%d objects, %d blobs, %d suspects", res.Objects, res.Blobs, len(res.Suspects))
		})
	}
}

type progressFunc func(int, int64)

func (f progressFunc) Add(n int, b int64) { f(n, b) }

// writeLoose stores content as a loose object even if it is packed.
func writeLoose(t *testing.T, gitDir, typ string, content []byte) repo.ID {
	sum := sha1.Sum(append([]byte(fmt.Sprintf("%s %d\x00", typ, len(content))), content...))
	h := repo.IDFromBytes(sum[:])
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	fmt.Fprintf(zw, "%s %d\x00", typ, len(content))
	zw.Write(content)
	zw.Close()
	dir := filepath.Join(gitDir, "objects", h.String()[:2])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, h.String()[2:]), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestLooseAndPacked(t *testing.T) {
	r := buildHistory(t, 6, 20)
	r.Repack()
	// A second pack that repeats part of the first: each object counts once.
	r.GitInput(r.Git("rev-list", "--objects", "HEAD~5")+"\n", "pack-objects", "-q", ".git/objects/pack/pack")
	if packs, _ := filepath.Glob(filepath.Join(r.Dir, ".git/objects/pack/*.idx")); len(packs) != 2 {
		t.Fatalf("%d packs, want 2", len(packs))
	}
	// More history on top, loose.
	id, _ := gittest.FakeKey(600)
	r.Write("loose.txt", "token "+id+"\n")
	r.Commit("loose commit")
	// A packed blob stored loose as well counts once.
	content := []byte(r.Git("cat-file", "-p", "HEAD~1:src/file0.txt") + "\n")
	writeLoose(t, filepath.Join(r.Dir, ".git"), "blob", content)
	if n := r.Git("count-objects"); strings.HasPrefix(n, "0 ") {
		t.Fatalf("no loose objects: %s", n)
	}
	res := scan(t, r.Dir, Options{})
	checkAgainstTruth(t, r, res)
}

// verifyPack parses git verify-pack -v: each entry's offset, packed
// size and delta base.
type packEntry struct {
	hash, typ, base string
	offset, packed  int64
}

func verifyPack(t *testing.T, r *gittest.Repo) (string, []packEntry) {
	idx, _ := filepath.Glob(filepath.Join(r.Dir, ".git/objects/pack/*.idx"))
	if len(idx) != 1 {
		t.Fatalf("%d packs", len(idx))
	}
	var es []packEntry
	for _, line := range strings.Split(r.Git("verify-pack", "-v", idx[0]), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || len(f[0]) != 40 {
			continue
		}
		e := packEntry{hash: f[0], typ: f[1]}
		e.packed, _ = strconv.ParseInt(f[3], 10, 64)
		e.offset, _ = strconv.ParseInt(f[4], 10, 64)
		if len(f) == 7 {
			e.base = f[6]
		}
		es = append(es, e)
	}
	return strings.TrimSuffix(idx[0], ".idx") + ".pack", es
}

func TestCorruptPackEntry(t *testing.T) {
	r := buildHistory(t, 7, 40)
	r.Repack()
	before := groundTruth(t, r.Dir)
	packFile, entries := verifyPack(t, r)

	// The blob with the most delta descendants.
	victim, lost := mostDescendants(entries, "blob")
	if len(lost) < 3 {
		t.Fatalf("no blob with delta descendants")
	}
	data, err := os.ReadFile(packFile)
	if err != nil {
		t.Fatal(err)
	}
	for i := victim.offset + victim.packed/2; i < victim.offset+victim.packed/2+8 && i < victim.offset+victim.packed; i++ {
		data[i] ^= 0xa5
	}
	_ = os.Chmod(packFile, 0o644)
	if err := os.WriteFile(packFile, data, 0o644); err != nil {
		t.Fatal(err)
	}

	res := scan(t, r.Dir, Options{})
	bad := map[string]string{}
	for _, p := range res.Problems {
		bad[p.Hash.String()] = p.String()
	}
	if !strings.Contains(bad[victim.hash], fmt.Sprint(victim.offset)) || !strings.Contains(bad[victim.hash], "corrupt") {
		t.Errorf("corrupt entry %s at offset %d: problem %q", victim.hash, victim.offset, bad[victim.hash])
	}
	for _, h := range lost {
		if !strings.Contains(bad[h], victim.hash) {
			t.Errorf("delta %s of the corrupt entry: problem %q", h, bad[h])
		}
	}
	if len(res.Problems) != 1+len(lost) {
		t.Errorf("%d problems, want %d: %v", len(res.Problems), 1+len(lost), res.Problems)
	}
	// Everything else is still read.
	if res.Objects != before.objects || res.Blobs != before.blobs-1-len(lost) {
		t.Errorf("%d objects, %d blobs; want %d and %d", res.Objects, res.Blobs, before.objects, before.blobs-1-len(lost))
	}
	lostSet := map[string]bool{victim.hash: true}
	for _, h := range lost {
		lostSet[h] = true
	}
	for _, h := range before.leaky {
		_, found := slices.BinarySearchFunc(res.Suspects, h, repo.Compare)
		if !found && !lostSet[h.String()] {
			t.Errorf("readable blob %s with a hit is not a suspect", h)
		}
	}
}

func TestMissingBlob(t *testing.T) {
	r := gittest.New(t)
	r.Write("keep.txt", "keep\n")
	r.Write("dir/lost.txt", "lost\n")
	r.Commit("one")
	r.Write("keep.txt", "keep 2\n")
	r.Commit("two")
	r.Repack()
	lost := r.Git("rev-parse", "HEAD:dir/lost.txt")
	r.DropObject(lost)
	res := scan(t, r.Dir, Options{})
	dirTree := r.Git("rev-parse", "HEAD:dir")
	if len(res.Problems) != 1 {
		t.Fatalf("problems: %v", res.Problems)
	}
	p := res.Problems[0]
	if p.Hash.String() != dirTree || p.Missing.String() != lost || !strings.Contains(p.What, "lost.txt") {
		t.Errorf("problem %+v, want tree %s naming missing %s (lost.txt)", p, dirTree, lost)
	}
}

func TestCorruptLooseObject(t *testing.T) {
	r := gittest.New(t)
	r.Write("a.txt", "fine\n")
	r.Write("b.txt", strings.Repeat("some text\n", 100))
	r.Commit("one")
	b := r.Git("rev-parse", "HEAD:b.txt")
	r.CorruptLoose(b)
	res := scan(t, r.Dir, Options{})
	if len(res.Problems) != 1 || res.Problems[0].Hash.String() != b {
		t.Fatalf("problems %v, want the corrupt blob %s", res.Problems, b)
	}
	if res.Blobs != 1 || res.Objects != 4 {
		t.Errorf("%d blobs of %d objects, want 1 of 4", res.Blobs, res.Objects)
	}
}

func TestNotARepository(t *testing.T) {
	if _, err := scanDir(context.Background(), t.TempDir(), Options{}); err == nil {
		t.Fatal("no error")
	}
}

func TestCanceled(t *testing.T) {
	r := buildHistory(t, 8, 10)
	r.Repack()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := scanDir(ctx, filepath.Join(r.Dir, ".git"), Options{}); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func BenchmarkScan(b *testing.B) {
	r := buildHistory(b, 9, 300)
	r.Git("repack", "-adfq", "--depth=50", "--window=250")
	dir := filepath.Join(r.Dir, ".git")
	res := scan(b, r.Dir, Options{})
	b.SetBytes(res.BlobBytes)
	for b.Loop() {
		if _, err := scanDir(context.Background(), dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// mostDescendants picks the entry of type typ with the most delta
// descendants, and lists them: the best victim for a corruption test.
func mostDescendants(entries []packEntry, typ string) (packEntry, []string) {
	kids := map[string][]string{}
	for _, e := range entries {
		if e.base != "" {
			kids[e.base] = append(kids[e.base], e.hash)
		}
	}
	var descendants func(h string) []string
	descendants = func(h string) []string {
		var out []string
		for _, k := range kids[h] {
			out = append(out, k)
			out = append(out, descendants(k)...)
		}
		return out
	}
	var victim packEntry
	var lost []string
	for _, e := range entries {
		if d := descendants(e.hash); e.typ == typ && len(d) > len(lost) {
			victim, lost = e, d
		}
	}
	return victim, lost
}

func TestSafelyTurnsPanicIntoProblem(t *testing.T) {
	w := &worker{}
	w.safely(func() string { return "delta tree at offset 12 in pack-x.pack" }, func() {
		var b []byte
		_ = b[3] // what a bounds bug in a decoder would do
	})
	if len(w.problems) != 1 || !strings.Contains(w.problems[0].String(), "offset 12") || !strings.Contains(w.problems[0].String(), "internal error") {
		t.Fatalf("problems = %v, want one naming the delta tree and the internal error", w.problems)
	}
}

// TestEntryChecksums flips a byte inside a blob stored without
// compression, which inflates without error: only a checksum notices.
// With a version 2 index that is the entry's CRC-32; with version 1,
// which has none, zlib's Adler-32.
func TestEntryChecksums(t *testing.T) {
	for _, version := range []string{"1", "2"} {
		t.Run("index v"+version, func(t *testing.T) {
			r := gittest.New(t)
			content := strings.Repeat("stored, not deflated: a checksum is all that can notice a flip\n", 20)
			r.Write("plain.txt", content)
			r.Commit("one")
			blob := r.Git("rev-parse", "HEAD:plain.txt")
			r.Git("-c", "pack.compression=0", "repack", "-adf")
			packFile, entries := verifyPack(t, r)
			idx := strings.TrimSuffix(packFile, ".pack") + ".idx"
			_ = os.Chmod(idx, 0o644)
			_ = os.Remove(idx)
			r.Git("index-pack", "--index-version="+version, packFile)
			var victim packEntry
			for _, e := range entries {
				if e.hash == blob {
					victim = e
				}
			}
			data, err := os.ReadFile(packFile)
			if err != nil {
				t.Fatal(err)
			}
			at := bytes.Index(data[victim.offset:victim.offset+victim.packed], []byte("a checksum"))
			if at < 0 {
				t.Fatalf("blob %s is not stored uncompressed", blob)
			}
			data[victim.offset+int64(at)] ^= 0x20
			_ = os.Chmod(packFile, 0o644)
			if err := os.WriteFile(packFile, data, 0o644); err != nil {
				t.Fatal(err)
			}
			res := scan(t, r.Dir, Options{})
			want := map[string]string{"1": "checksum", "2": "CRC-32"}[version]
			if len(res.Problems) != 1 || res.Problems[0].Hash.String() != blob || !strings.Contains(res.Problems[0].String(), want) {
				t.Fatalf("problems %v; want one for blob %s naming the %s", res.Problems, blob, want)
			}
		})
	}
}
