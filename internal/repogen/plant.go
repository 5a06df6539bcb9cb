package repogen

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"path"
	"slices"
	"strings"
)

// FakeKey derives a well-formed, never-issued access key ID and secret
// from a seed and an index, as gittest.FakeKey does, so that no real or
// documentation key is planted (scanners ignore the latter by design).
func FakeKey(seed int64, n int) (id, secret string) {
	sum := sha256.Sum256(fmt.Appendf(nil, "repogen-%d-%d", seed, n))
	id = "AKIA" + base32.StdEncoding.EncodeToString(sum[:10])[:16]
	secret = base64.StdEncoding.EncodeToString(append(sum[10:], sum[:10]...))[:40]
	return id, strings.ReplaceAll(secret, "=", "Q")
}

func (g *gen) nextKey() (id, secret string) {
	g.nkeys++
	return FakeKey(g.opts.Seed, g.nkeys)
}

func (g *gen) record(kind, id, secret string, paired bool, p string, mark int, ref string) {
	g.keys = append(g.keys, PlantedKey{
		Kind: kind, KeyID: id, Secret: secret, PairedSecret: paired,
		Path: p, Mark: mark, Ref: ref,
	})
}

// scenario plants one credential somewhere a scanner might miss it.
type scenario struct {
	kind string
	run  func(g *gen, i int)
}

// scenarios run in this order through the history, so the long-lived key
// is planted early and edited around for the rest of it.
var scenarios = []scenario{
	{"long-lived-in-source", (*gen).plantLongLived},
	{"deleted-later", (*gen).plantDeletedLater},
	{"unmerged-branch", (*gen).plantUnmerged},
	{"annotated-tag-only", func(g *gen, i int) { g.plantBehindTag(i, true) }},
	{"merge-commit", (*gen).plantInMerge},
	{"renamed-later", (*gen).plantRenamed},
	{"rotated-in-place", (*gen).plantRotated},
	{"large-file-end", (*gen).plantLargeEnd},
	{"key-id-in-prose", (*gen).plantProse},
	{"merged-branch", (*gen).plantMergedBranch},
	{"file-deleted", (*gen).plantFileDeleted},
	{"lightweight-tag-only", func(g *gen, i int) { g.plantBehindTag(i, false) }},
	{"json-escaped", (*gen).plantJSON},
	{"session-key", (*gen).plantSession},
	{"copied", (*gen).plantCopied},
}

// Kinds lists the planted-credential scenarios, in the order they run.
func Kinds() []string {
	var ks []string
	for _, s := range scenarios {
		ks = append(ks, s.kind)
	}
	return ks
}

// delay is how long a follow-up waits: long enough for the file to be
// deltified against other versions, short enough to land in the history.
func (g *gen) delay() int { return max(3, g.opts.Commits/(3*(g.opts.PlantKeys+1))) }

// pinnedFile returns a new file of ordinary lines with block inserted at a
// random line, protected from random edits.
func (g *gen) pinnedFile(p string, block []string) *file {
	f := &file{lines: newLines(g.r, path.Ext(p))}
	at := g.r.IntN(len(f.lines) + 1)
	f.lines = slices.Insert(f.lines, at, block...)
	f.protect(block...)
	return f
}

// churn edits p on main every so often until the history ends, so its
// planted lines sit in a long delta chain.
func (g *gen) churn(p string) {
	every := max(g.opts.Commits/60, 2)
	var step func()
	step = func() {
		f, ok := g.main.files.m[p]
		if !ok {
			return
		}
		f = g.edit(f, path.Ext(p))
		g.main.files.put(p, f)
		g.commit(g.main, g.message(), []change{{op: 'M', path: p, f: f}}, nil)
		if g.n < g.opts.Commits {
			g.later(every, step)
		}
	}
	g.later(every, step)
}

func (g *gen) addOnMain(p string, f *file, msg string) int {
	g.main.files.put(p, f)
	return g.commit(g.main, msg, []change{{op: 'M', path: p, f: f}}, nil)
}

func (g *gen) plantLongLived(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	p := fmt.Sprintf("src/%s/settings_%d.py", pick(g.r, words), i)
	f := g.pinnedFile(p, []string{
		`AWS_ACCESS_KEY_ID = "` + id + `"`,
		`AWS_SECRET_ACCESS_KEY = "` + secret + `"`,
	})
	mark := g.addOnMain(p, f, "settings: add upload configuration")
	g.record(kind, id, secret, true, p, mark, "refs/heads/main")
	g.churn(p)
}

func (g *gen) plantDeletedLater(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	p := fmt.Sprintf("config/%s/settings-%d.yaml", pick(g.r, words), i)
	block := []string{"aws:", "  access_key_id: " + id, "  secret_access_key: " + secret}
	f := g.pinnedFile(p, block)
	mark := g.addOnMain(p, f, "config: staging credentials for the demo")
	g.record(kind, id, secret, true, p, mark, "refs/heads/main")
	g.later(g.delay(), func() {
		f := g.main.files.m[p].with()
		f.lines = slices.DeleteFunc(f.lines, func(l string) bool { return slices.Contains(block, l) })
		g.main.files.put(p, f)
		g.commit(g.main, "config: remove hard-coded credentials", []change{{op: 'M', path: p, f: f}}, nil)
	})
}

func (g *gen) plantUnmerged(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	b := g.fork(fmt.Sprintf("refs/heads/wip/creds-%d", i), g.ownable(2))
	g.randomCommit(b)
	p := fmt.Sprintf("services/%s/credentials-%d.ini", pick(g.r, words), i)
	f := g.pinnedFile(p, []string{"[deploy]", "aws_access_key_id = " + id, "aws_secret_access_key = " + secret})
	b.files.put(p, f)
	mark := g.commit(b, "wip: try deploy profile", []change{{op: 'M', path: p, f: f}}, nil)
	g.randomCommit(b)
	g.record(kind, id, secret, true, p, mark, b.ref)
}

func (g *gen) plantBehindTag(i int, annotated bool) {
	kind := g.planting
	id, secret := g.nextKey()
	ref := fmt.Sprintf("refs/heads/tmp/hotfix-%d", i)
	b := g.fork(ref, g.ownable(1))
	p := fmt.Sprintf("hotfix/patch_%d.go", i)
	f := g.pinnedFile(p, []string{
		"\tcreds := credentials.NewStaticCredentialsProvider(\"" + id + "\", \"" + secret + "\", \"\")",
	})
	b.files.put(p, f)
	mark := g.commit(b, "hotfix: hard-code credentials for the outage", []change{{op: 'M', path: p, f: f}}, nil)
	g.doomed = append(g.doomed, ref)
	var tag string
	if annotated {
		tag = fmt.Sprintf("v0.9.%d-hotfix", i)
		fmt.Fprintf(g.w, "tag %s\nfrom :%d\ntagger %s %s\n", tag, mark, authors[1], g.stamp())
		g.data([]byte("Hotfix build " + tag + "\n"))
	} else {
		tag = fmt.Sprintf("snapshot-%d", i)
		fmt.Fprintf(g.w, "reset refs/tags/%s\nfrom :%d\n\n", tag, mark)
	}
	g.record(kind, id, secret, true, p, mark, "refs/tags/"+tag)
}

// plantInMerge puts a key in a merge commit that neither parent has, as a
// conflict resolution might; scanners that skip merges miss it.
func (g *gen) plantInMerge(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	b := g.fork(fmt.Sprintf("refs/heads/feature/ci-%d", i), g.ownable(3))
	g.lock(b, true)
	g.randomCommit(b)
	g.randomCommit(b)
	g.randomCommit(g.main)
	g.lock(b, false)
	changes := g.mergeChanges(b)
	p := fmt.Sprintf("ci/%s/pipeline-%d.yaml", pick(g.r, words), i)
	f := g.pinnedFile(p, []string{"env:", "  AWS_ACCESS_KEY_ID: " + id, "  AWS_SECRET_ACCESS_KEY: " + secret})
	g.main.files.put(p, f)
	changes = append(changes, change{op: 'M', path: p, f: f})
	mark := g.commit(g.main, "Merge branch 'feature/ci-"+fmt.Sprint(i)+"'", changes, b)
	g.record(kind, id, secret, true, p, mark, "refs/heads/main")
}

func (g *gen) plantMergedBranch(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	b := g.fork(fmt.Sprintf("refs/heads/feature/upload-%d", i), g.ownable(3))
	g.lock(b, true)
	g.randomCommit(b)
	p := fmt.Sprintf("web/%s/upload_%d.js", pick(g.r, words), i)
	f := g.pinnedFile(p, []string{
		"  const s3 = new S3Client({ credentials: { accessKeyId: \"" + id + "\", secretAccessKey: \"" + secret + "\" } });",
	})
	b.files.put(p, f)
	mark := g.commit(b, "upload: talk to S3 directly", []change{{op: 'M', path: p, f: f}}, nil)
	g.randomCommit(b)
	g.randomCommit(g.main)
	g.lock(b, false)
	g.commit(g.main, "Merge branch 'feature/upload-"+fmt.Sprint(i)+"'", g.mergeChanges(b), b)
	g.record(kind, id, secret, true, p, mark, "refs/heads/main")
	g.churn(p)
}

func (g *gen) plantRenamed(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	p := fmt.Sprintf("config/legacy/aws-%d.ini", i)
	f := g.pinnedFile(p, []string{"[default]", "aws_access_key_id=" + id, "aws_secret_access_key=" + secret})
	mark := g.addOnMain(p, f, "config: add legacy profile")
	g.record(kind, id, secret, true, p, mark, "refs/heads/main")
	g.later(g.delay(), func() {
		to := fmt.Sprintf("config/aws-%d.ini", i)
		f := g.main.files.m[p]
		g.main.files.remove(p)
		g.main.files.put(to, f)
		mark := g.commit(g.main, "config: move legacy profile", []change{{op: 'R', path: p, to: to}}, nil)
		g.record(kind, id, secret, true, to, mark, "refs/heads/main")
	})
}

func (g *gen) plantRotated(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	p := fmt.Sprintf("src/%s/client_%d.go", pick(g.r, words), i)
	block := func(id, secret string) []string {
		return []string{
			"\tcfg.AccessKeyID = \"" + id + "\"",
			"\tcfg.SecretAccessKey = \"" + secret + "\"",
		}
	}
	old := block(id, secret)
	f := g.pinnedFile(p, old)
	mark := g.addOnMain(p, f, "client: default credentials")
	g.record(kind, id, secret, true, p, mark, "refs/heads/main")
	g.churn(p)
	g.later(g.delay(), func() {
		id, secret := g.nextKey()
		repl := block(id, secret)
		f := g.main.files.m[p].with()
		for j, l := range f.lines {
			if k := slices.Index(old, l); k >= 0 {
				f.lines[j] = repl[k]
			}
		}
		f.protect(repl...)
		g.main.files.put(p, f)
		mark := g.commit(g.main, "client: rotate credentials", []change{{op: 'M', path: p, f: f}}, nil)
		g.record(kind, id, secret, true, p, mark, "refs/heads/main")
	})
}

func (g *gen) plantLargeEnd(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	block := []string{"-- aws_access_key_id = " + id, "-- aws_secret_access_key = " + secret}
	f := g.main.files.m[g.large].with()
	f.lines = append(f.lines, block...)
	f.protect(block...)
	g.main.files.put(g.large, f)
	mark := g.commit(g.main, "fixtures: add restore credentials", []change{{op: 'M', path: g.large, f: f}}, nil)
	g.record(kind, id, secret, true, g.large, mark, "refs/heads/main")
}

func (g *gen) plantProse(i int) {
	kind := g.planting
	id, _ := g.nextKey()
	p := fmt.Sprintf("docs/incidents/incident-%d.md", i)
	f := g.pinnedFile(p, []string{"The leaked key " + id + " was deactivated the same afternoon."})
	mark := g.addOnMain(p, f, "docs: incident write-up")
	g.record(kind, id, "", false, p, mark, "refs/heads/main")
	g.churn(p)
}

func (g *gen) plantFileDeleted(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	p := fmt.Sprintf("scripts/oneoff/upload_%d.py", i)
	f := g.pinnedFile(p, []string{
		`    s3 = boto3.client("s3", aws_access_key_id="` + id + `", aws_secret_access_key="` + secret + `")`,
	})
	mark := g.addOnMain(p, f, "scripts: one-off upload")
	g.record(kind, id, secret, true, p, mark, "refs/heads/main")
	g.later(g.delay(), func() {
		g.main.files.remove(p)
		g.commit(g.main, "scripts: remove one-off upload", []change{{op: 'D', path: p}}, nil)
	})
}

// plantJSON puts a key ID right after a \n escape inside a JSON string.
func (g *gen) plantJSON(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	p := fmt.Sprintf("deploy/%s/task-%d.json", pick(g.r, words), i)
	f := &file{lines: []string{
		"{",
		`  "family": "` + ident(g.r) + `",`,
		`  "rotated": "previous key:\n` + id + `",`,
		`  "secretAccessKey": "` + secret + `",`,
		`  "cpu": "256"`,
		"}",
	}}
	f.protect(f.lines[2], f.lines[3])
	mark := g.addOnMain(p, f, "deploy: task definition")
	g.record(kind, id, secret, true, p, mark, "refs/heads/main")
}

func (g *gen) plantSession(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	id = "ASIA" + id[4:]
	var tok strings.Builder
	for n := 0; tok.Len() < 300; n++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "repogen-token-%d-%d-%d", g.opts.Seed, i, n))
		tok.WriteString(base64.StdEncoding.EncodeToString(sum[:]))
	}
	token := "FwoGZXIvYXdzE" + strings.ReplaceAll(tok.String(), "=", "A")[:300]
	p := fmt.Sprintf("ops/%s/sts-%d.ini", pick(g.r, words), i)
	f := g.pinnedFile(p, []string{
		"[assumed]",
		"aws_access_key_id = " + id,
		"aws_secret_access_key = " + secret,
		"aws_session_token = " + token,
	})
	mark := g.addOnMain(p, f, "ops: temporary profile for the migration")
	g.record(kind, id, secret, true, p, mark, "refs/heads/main")
}

func (g *gen) plantCopied(i int) {
	kind := g.planting
	id, secret := g.nextKey()
	block := []string{"    env:", "      AWS_ACCESS_KEY_ID: " + id, "      AWS_SECRET_ACCESS_KEY: " + secret}
	p := fmt.Sprintf("ci/workflows/deploy-%d.yml", i)
	mark := g.addOnMain(p, g.pinnedFile(p, block), "ci: deploy workflow")
	g.record(kind, id, secret, true, p, mark, "refs/heads/main")
	g.later(g.delay(), func() {
		to := fmt.Sprintf("infra/%s/deploy-%d.yml", pick(g.r, words), i)
		mark := g.addOnMain(to, g.pinnedFile(to, block), "infra: copy deploy workflow")
		g.record(kind, id, secret, true, to, mark, "refs/heads/main")
	})
}

// negativeFiles returns the files of the first commit that hold text
// resembling credentials that is not: each must go unreported.
func (g *gen) negativeFiles() []change {
	seed, _ := FakeKey(g.opts.Seed, -1)
	body := seed[4:]
	var changes []change
	add := func(p string, negs ...Negative) {
		var block []string
		for _, n := range negs {
			n.Path = p
			g.negatives = append(g.negatives, n)
			block = append(block, n.Text)
		}
		f := g.pinnedFile(p, block)
		g.main.files.put(p, f)
		changes = append(changes, change{op: 'M', path: p, f: f})
	}
	add("README.md",
		Negative{Kind: "aws-doc-example", KeyID: "AKIAIOSFODNN7EXAMPLE",
			Text: "Run aws configure and enter AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY when asked."})
	add("deploy/iam/trust-policy.json",
		Negative{Kind: "iam-role-id", KeyID: "AROA" + body, Text: `      "Condition": {"StringLike": {"aws:userid": "AROA` + body + `:*"}},`},
		Negative{Kind: "iam-user-id", KeyID: "AIDA" + body, Text: `      "Principal": {"AWS": "AIDA` + body + `"},`})
	h := sha256.Sum256([]byte(body))
	hex := fmt.Sprintf("%x", h[:20])
	add("CHANGELOG.md",
		Negative{Kind: "hex-digest", Text: "- reverted " + hex + " (flaky)"},
		Negative{Kind: "hex-digest-upper", Text: "- SHA1 " + strings.ToUpper(hex)})
	var b64 strings.Builder
	for n := 0; b64.Len() < 400; n++ {
		s := sha256.Sum256(fmt.Appendf(nil, "repogen-b64-%d-%d", g.opts.Seed, n))
		b64.WriteString(base64.StdEncoding.EncodeToString(s[:30]))
	}
	run := b64.String()
	add("web/static/icons.css",
		Negative{Kind: "base64-substring", KeyID: "AKIA" + body,
			Text: ".logo { background: url(data:image/png;base64," + run[:200] + "AKIA" + body + run[200:] + "); }"})
	add("config/templates/app.env.example",
		Negative{Kind: "placeholder", KeyID: "AKIAXXXXXXXXXXXXXXXX", Text: "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX"})
	add("scripts/cache/notes.md",
		// A '/' next to a key ID is a boundary only in a path or URL
		// (s3://bucket/AKIA.../ is found); between base64 segments it is not.
		Negative{Kind: "base64-slashes", KeyID: "AKIA" + body, Text: "Cache token " + run[:60] + "Xq9Tz3kLmR/AKIA" + body + "/bN8wQ2pYv" + run[60:120] + " for now."},
		Negative{Kind: "too-long-id", KeyID: "AKIA" + body + "Q", Text: "The fixture id AKIA" + body + "Q is one character too long."})
	return changes
}
