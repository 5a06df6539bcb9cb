package decode

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/keysweep/keysweep/internal/escape"
)

// Limits bound what Expand decodes from one blob.
type Limits struct {
	// MaxBytes is the most bytes decompressed or decoded in total.
	MaxBytes int64
	// MaxEntries is the most archive members read in total.
	MaxEntries int
	// MaxDepth is how deep archives may nest (a jar in a zip is 2).
	MaxDepth int
}

// DefaultLimits are generous for real archives (a jar of a few thousand
// classes, a wheel, a tarball of sources) and cut a bomb after a fraction
// of a second.
var DefaultLimits = Limits{MaxBytes: 64 << 20, MaxEntries: 10000, MaxDepth: 3}

// A Part is text decoded from a blob: a UTF-16 blob as UTF-8, a member of
// an archive, a quoted-printable body decoded.
type Part struct {
	// Path is where the part is inside the blob: "inner/path" of an
	// archive member, "a.jar!b/c" when nested, "" for the blob itself.
	Path string
	// How names the encodings undone, outermost first: "gzip", "zip",
	// "tar", "utf-16le", "quoted-printable", ... joined by " > ".
	How  string
	Data []byte
	// Orig, when Spans is set, is the text Data was decoded from (the
	// blob, or the member at Path), and Spans place Data's decoded
	// regions in it, so a match is reported where its encoding is (see
	// Part.Offset).
	Orig  []byte
	Spans []Span
}

// Offset returns where offset o of p.Data is in p.Orig: the start of the
// encoded text a decoded region came from, or the same byte of text
// copied as it was. It returns o if p has no Spans.
func (p Part) Offset(o int) int {
	if p.Spans == nil {
		return o
	}
	return mapOffset(p.Spans, o)
}

func mapOffset(spans []Span, o int) int {
	// The last span starting at or before o.
	lo, hi := 0, len(spans)
	for lo < hi {
		m := (lo + hi) / 2
		if spans[m].OutStart <= o {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return o
	}
	s := spans[lo-1]
	if o < s.OutEnd {
		return s.InStart
	}
	return o - s.OutEnd + s.InEnd
}

// HeadLen is how much of a blob IsArchive and IsMail need to see.
const HeadLen = 262

// IsArchive reports whether a blob starting with head (its first HeadLen
// bytes, or all of it if shorter) is something the detectors cannot read
// as it is and Expand opens: a gzip, bzip2, xz, zstd, zip or tar archive,
// UTF-32 text, a hex dump (xxd, hexdump -C) or a PDF. Such blobs are
// decoded whatever markers they hold; for the rest, the detectors'
// markers of encoded key IDs decide (see detect.MayContainEncoded), and
// for a mail message its text (see Opens).
func IsArchive(head []byte) bool {
	return kind(head) != "" || utf32Order(head) != "" || isDumpHead(head) ||
		bytes.HasPrefix(head, []byte("%PDF-"))
}

// Opens reports whether Expand decodes the whole blob buf whatever
// markers it holds: an archive (IsArchive), or a mail message (IsMail)
// whose text may be quoted-printable (MayBeQuotedPrintable), where a soft
// line break can cut a key ID so that no detector or marker sees it. A
// mail without one is plain text: git's own history holds 2,000 versions
// of mails and patches, 47 MB, of which 200 have one.
func Opens(buf []byte) bool {
	head := buf[:min(len(buf), HeadLen)]
	return IsArchive(head) || IsMail(head) && MayBeQuotedPrintable(buf)
}

// mailHeaders are header fields a mail message (an .eml file, an mbox)
// starts with.
var mailHeaders = []string{"Return-Path:", "Received:", "Delivered-To:", "MIME-Version:", "Message-ID:", "From:", "To:", "Cc:", "Subject:", "Date:", "X-", "Content-Type:", "Content-Transfer-Encoding:", "Reply-To:", "Sender:", "In-Reply-To:", "References:"}

// IsMail reports whether head starts as a mail message: an mbox
// "From " line (case as mbox writes it) or a known header field, and at
// least two known header fields among its first four lines (or a MIME
// part's Content-Transfer-Encoding header). One line is
// not enough: Python's "from x import y", a YAML "date:" or a compose
// file's "x-common:" start like a header, and reading every such file
// whole would cost a repository of Python sources its scan time.
func IsMail(head []byte) bool {
	// Every blob's head comes here: no allocation, and a first byte that
	// starts no header field ends it at once.
	if len(head) == 0 || head[0]|0x20 < 'a' || head[0]|0x20 > 'z' {
		return false
	}
	var lines [4][]byte
	n := 0
	for rest := head; n < len(lines); n++ {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break // the last line may be cut short: not counted
		}
		lines[n], rest = rest[:i], rest[i+1:]
	}
	if n < 2 {
		return false
	}
	ls := lines[:n]
	if bytes.HasPrefix(ls[0], []byte("From ")) {
		ls = ls[1:]
	}
	// A MIME part's own header names its encoding: enough by itself.
	const cte = "content-transfer-encoding:"
	if len(ls) > 0 && len(ls[0]) >= len(cte) && bytes.EqualFold(ls[0][:len(cte)], []byte(cte)) {
		return true
	}
	known := 0
	for i, l := range ls {
		if isKnownHeader(l) {
			known++
		} else if i == 0 {
			return false
		}
	}
	return known >= 2
}

func isKnownHeader(line []byte) bool {
	for _, h := range mailHeaders {
		if len(line) > len(h) && bytes.EqualFold(line[:len(h)], []byte(h)) {
			if h != "X-" {
				return true
			}
			// X-Anything: a header name, then a colon.
			name, _, ok := bytes.Cut(line, []byte(":"))
			return ok && !bytes.ContainsAny(name, " \t")
		}
	}
	return false
}

func kind(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8:
		return "gzip"
	case len(b) >= 10 && string(b[:3]) == "BZh" && '1' <= b[3] && b[3] <= '9' && string(b[4:10]) == "1AY&SY":
		return "bzip2"
	case len(b) >= 6 && string(b[:6]) == "\xfd7zXZ\x00":
		return "xz"
	case len(b) >= 4 && string(b[:4]) == "\x28\xb5\x2f\xfd":
		return "zstd"
	case len(b) >= 4 && string(b[:4]) == "PK\x03\x04":
		return "zip"
	case len(b) >= 262 && string(b[257:262]) == "ustar":
		return "tar"
	}
	return ""
}

// Expand returns the text parts of a blob that are not the blob itself as
// it is: its archive members (recursively), compressed streams
// decompressed, executable jars and self-extracting zips, UTF-16 and
// UTF-32 text transcoded to UTF-8, quoted-printable, HTML numeric
// entities, hex dumps and PDF FlateDecode streams decoded, and archives
// base64-encoded in text (once or more). Where it stops at a limit, or
// meets a member it cannot read (an unsupported compression method, an
// encrypted member, a damaged tar header), gaps say so in one line each;
// what was read until then is returned. A malformed or truncated archive
// is not a gap: what it holds is read as far as it goes, and the blob
// itself is scanned as it is anyway (git's own tests commit such
// archives).
//
// The cost is bounded by lim.MaxBytes decoded bytes in total, whatever
// the nesting: every decoder is linear in what it reads and writes.
func Expand(blob []byte, lim Limits) (parts []Part, gaps []string) {
	x := &expander{lim: lim, blob: blob}
	x.expand("", "", blob, 0)
	return x.parts, x.gaps
}

type expander struct {
	lim     Limits
	blob    []byte // the blob Expand was given
	read    int64
	entries int
	parts   []Part
	gaps    []string
	stopped bool
}

func (x *expander) gap(path, format string, args ...any) {
	where := "the blob"
	if path != "" {
		where = quote(path)
	}
	x.gaps = append(x.gaps, where+": "+fmt.Sprintf(format, args...))
}

func (x *expander) expand(path, how string, b []byte, depth int) {
	k := kind(b)
	if k == "" {
		x.text(path, how, b, depth)
		return
	}
	if depth >= x.lim.MaxDepth {
		x.gap(path, "%s nested deeper than %d archives not opened", k, x.lim.MaxDepth)
		return
	}
	how = join(how, k)
	switch k {
	case "gzip", "bzip2", "xz", "zstd":
		data, ok := x.decompress(path, k, b)
		if ok || len(data) > 0 {
			// A compressed tarball (.tar.gz, .tgz) is one archive, not
			// two nested ones.
			next := depth + 1
			if kind(data) == "tar" {
				next = depth
			}
			x.expand(path, how, data, next)
		}
	case "zip":
		x.zip(path, how, b, depth)
	case "tar":
		x.tar(path, how, b, depth)
	}
}

// text looks for what a text (or a blob that is no archive) holds
// encoded. b is reported as a part of its own when it is not the blob
// itself (depth > 0, or transcoded).
func (x *expander) text(path, how string, b []byte, depth int) {
	if u, order := unicodeText(b); u != nil {
		if !x.spend(path, int64(len(u))) {
			return
		}
		x.parts = append(x.parts, Part{Path: path, How: join(how, order), Data: u})
		how, b = join(how, order), u
	} else if depth > 0 {
		x.parts = append(x.parts, Part{Path: path, How: how, Data: b})
	}
	// A zip after other data: an executable jar (a shell script in
	// front), a self-extracting archive (an executable in front).
	if off := prefixedZip(b); off > 0 {
		if depth >= x.lim.MaxDepth {
			x.gap(path, "zip nested deeper than %d archives not opened", x.lim.MaxDepth)
		} else {
			x.zip(path, join(how, "zip"), b, depth)
		}
	}
	x.nested(path, how, b, depth)
	// Text encodings undone in place: the part maps back to b.
	for _, d := range textDecoders {
		if x.stopped || !d.may(b) {
			continue
		}
		out, spans := d.decode(b)
		if out == nil || !x.spend(path, int64(len(out))) {
			continue
		}
		h := join(how, d.name)
		x.parts = append(x.parts, Part{Path: path, How: h, Data: out, Orig: b, Spans: spans})
		// What the decoded text holds in turn (an archive in a hex dump,
		// base64 in a mail body).
		if kind(out) != "" {
			x.expand(path, h, out, depth+1)
		} else {
			x.nested(path, h, out, depth)
		}
	}
	// PDF streams: each decompressed, then read as text.
	for _, s := range pdfStreams(b) {
		if x.stopped {
			return
		}
		data, ok := x.inflate(path, s)
		if ok || len(data) > 0 {
			x.expand(path, join(how, "pdf"), data, depth+1)
		}
	}
}

// nested opens the archives base64-encoded in text (a Kubernetes
// ConfigMap's binaryData, a gzip'd value, a Helm release: base64 of base64
// of gzip), like the blob's own.
//
// A compressed stream in the blob's own text has no place of its own: the
// text parts it decompresses to are placed at the token that encodes it,
// so a finding names the line of the token, not a line of the
// decompressed text under the blob's path. (An archive's members have
// their own paths, and text decoded from other text keeps its place.)
func (x *expander) nested(path, how string, b []byte, depth int) {
	own := path == "" && len(b) == len(x.blob) && len(b) > 0 && &b[0] == &x.blob[0]
	for _, a := range base64Archives(b) {
		if x.stopped || !x.spend(path, int64(len(a.data))) {
			return
		}
		first := len(x.parts)
		x.expand(path, join(how, a.how), a.data, depth)
		if !own {
			continue
		}
		for i := first; i < len(x.parts); i++ {
			if p := &x.parts[i]; p.Path == path && p.Spans == nil {
				p.Orig, p.Spans = b, []Span{{OutStart: 0, OutEnd: len(p.Data), InStart: a.start, InEnd: a.end}}
			}
		}
	}
}

// spend counts n more decoded bytes and reports whether they are within
// MaxBytes; at the bound it says so once and stops.
func (x *expander) spend(path string, n int64) bool {
	if x.stopped {
		return false
	}
	if x.read+n > x.lim.MaxBytes {
		x.gap(path, "stopped at %d MiB decoded; the rest is not scanned", x.lim.MaxBytes>>20)
		x.stopped = true
		return false
	}
	x.read += n
	return true
}

// entry counts one more member, and reports whether it may be read.
func (x *expander) entry(path string) bool {
	if x.entries >= x.lim.MaxEntries {
		if !x.stopped {
			x.gap(path, "stopped after %d archive members; the rest is not scanned", x.lim.MaxEntries)
			x.stopped = true
		}
		return false
	}
	x.entries++
	return true
}

func join(how, k string) string {
	if how == "" {
		return k
	}
	return how + " > " + k
}

// maxName bounds a member name taken from a hostile archive.
const maxName = 256

// inner names member name of the archive at path. The name comes from a
// hostile archive: it is cut to maxName bytes (escape.Cut), and control characters and
// bytes that are not UTF-8 become '?', so that no sink sees them.
func inner(path, name string) string {
	for strings.HasPrefix(name, "/") || strings.HasPrefix(name, "./") {
		name = strings.TrimPrefix(strings.TrimLeft(name, "/"), "./")
	}
	name = escape.Cut(name, maxName) // never the first characters of a secret
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || 0x80 <= r && r < 0xa0 {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(name, "?"))
	if path == "" {
		return name
	}
	return path + "!" + name
}

func quote(s string) string {
	return fmt.Sprintf("%q", s)
}

// prefixedZip returns the offset of the zip that b ends with after other
// data (found from its end-of-central-directory record, as unzip finds
// it), or 0 if there is none or b starts with it.
func prefixedZip(b []byte) int {
	if len(b) < 22 || !bytes.Contains(b, []byte("PK\x03\x04")) {
		return 0
	}
	// The record is 22 bytes and a comment of up to 64 KiB.
	tail := b[max(0, len(b)-(22+0xffff)):]
	if i := bytes.LastIndex(tail, []byte("PK\x05\x06")); i < 0 || len(tail)-i < 22 {
		return 0
	}
	return bytes.Index(b, []byte("PK\x03\x04"))
}
