package decode

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits bound what Expand decompresses from one blob.
type Limits struct {
	// MaxBytes is the most decompressed bytes read in total.
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

// A Part is text decoded from a blob: a UTF-16 blob as UTF-8, or a member
// of an archive.
type Part struct {
	// Path is where the part is inside the blob: "inner/path" of an
	// archive member, "a.jar!b/c" when nested, "" for the blob itself.
	Path string
	// How names the encodings undone, outermost first: "gzip", "bzip2",
	// "zip", "tar", "utf-16le", "utf-16be".
	How  string
	Data []byte
}

// HeadLen is how much of a blob IsArchive needs to see.
const HeadLen = 262

// IsArchive reports whether a blob starting with head (its first HeadLen
// bytes, or all of it if shorter) is a gzip, bzip2, zip or tar archive, which
// Expand opens and the detectors cannot read as it is.
func IsArchive(head []byte) bool {
	return kind(head) != ""
}

func kind(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8:
		return "gzip"
	case len(b) >= 10 && string(b[:3]) == "BZh" && '1' <= b[3] && b[3] <= '9' && string(b[4:10]) == "1AY&SY":
		return "bzip2"
	case len(b) >= 4 && string(b[:4]) == "PK\x03\x04":
		return "zip"
	case len(b) >= 262 && string(b[257:262]) == "ustar":
		return "tar"
	}
	return ""
}

// Expand returns the text parts of a blob that are not the blob itself as
// it is: its archive members (recursively) and UTF-16 text transcoded to
// UTF-8. Where it stops at a limit, gaps say so in one line each; what was
// read until then is returned. A malformed or truncated archive is not a
// gap: what it holds is read as far as it goes, and the blob itself is
// scanned as it is anyway (git's own tests commit such archives).
func Expand(blob []byte, lim Limits) (parts []Part, gaps []string) {
	x := &expander{lim: lim}
	x.expand("", "", blob, 0)
	return x.parts, x.gaps
}

type expander struct {
	lim     Limits
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
		if u, order := utf16Text(b); u != nil {
			x.parts = append(x.parts, Part{Path: path, How: join(how, order), Data: u})
			b = u
		} else if depth > 0 {
			x.parts = append(x.parts, Part{Path: path, How: how, Data: b})
		}
		// Archives base64-encoded in text (a Kubernetes ConfigMap's
		// binaryData, a gzip'd value): opened like the blob's own.
		for _, a := range base64Archives(b) {
			if x.stopped {
				return
			}
			x.expand(path, join(how, "base64"), a, depth)
		}
		return
	}
	if depth >= x.lim.MaxDepth {
		x.gap(path, "%s nested deeper than %d archives not opened", k, x.lim.MaxDepth)
		return
	}
	how = join(how, k)
	switch k {
	case "gzip", "bzip2":
		var zr io.Reader = bzip2.NewReader(bytes.NewReader(b))
		if k == "gzip" {
			gr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return
			}
			zr = gr
		}
		data, ok := x.readAll(path, zr)
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
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, f := range zr.File {
			if x.stopped {
				return
			}
			if f.FileInfo().IsDir() || !x.entry(path) {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				continue
			}
			data, _ := x.readAll(inner(path, f.Name), rc)
			rc.Close()
			x.expand(inner(path, f.Name), how, data, depth+1)
		}
	case "tar":
		tr := tar.NewReader(bytes.NewReader(b))
		for !x.stopped {
			h, err := tr.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				return
			}
			if h.Typeflag != tar.TypeReg || !x.entry(path) {
				continue
			}
			data, _ := x.readAll(inner(path, h.Name), tr)
			x.expand(inner(path, h.Name), how, data, depth+1)
		}
	}
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

// readAll reads r up to what is left of MaxBytes; at the bound it says so
// and reports false.
func (x *expander) readAll(path string, r io.Reader) ([]byte, bool) {
	left := x.lim.MaxBytes - x.read
	if left <= 0 || x.stopped {
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(r, left+1))
	if int64(len(data)) > left {
		data = data[:left]
		x.read += left
		x.gap(path, "stopped at %d MiB decompressed; the rest is not scanned", x.lim.MaxBytes>>20)
		x.stopped = true
		return data, false
	}
	x.read += int64(len(data))
	return data, err == nil
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
// hostile archive: it is cut to maxName bytes, and control characters and
// bytes that are not UTF-8 become '?', so that no sink sees them.
func inner(path, name string) string {
	for strings.HasPrefix(name, "/") || strings.HasPrefix(name, "./") {
		name = strings.TrimPrefix(strings.TrimLeft(name, "/"), "./")
	}
	if len(name) > maxName {
		name = name[:maxName]
	}
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

// utf16Text returns b transcoded to UTF-8 if it is UTF-16 text: it starts
// with a byte-order mark, or, without one, every other byte of its start
// is NUL as ASCII text in UTF-16 has it, or it holds a run of ASCII text
// written that way (text whose start is in another script: CJK has no
// NUL bytes); its offset tells the byte order.
func utf16Text(b []byte) ([]byte, string) {
	if len(b) < 4 {
		return nil, ""
	}
	order := ""
	switch {
	case b[0] == 0xff && b[1] == 0xfe:
		order, b = "utf-16le", b[2:]
	case b[0] == 0xfe && b[1] == 0xff:
		order, b = "utf-16be", b[2:]
	default:
		head := b[:min(len(b), 512)&^1]
		var zeroEven, zeroOdd int
		for i := 0; i+1 < len(head); i += 2 {
			if head[i] == 0 {
				zeroEven++
			}
			if head[i+1] == 0 {
				zeroOdd++
			}
		}
		pairs := len(head) / 2
		switch {
		case zeroOdd*10 >= pairs*9 && zeroEven*10 < pairs:
			order = "utf-16le"
		case zeroEven*10 >= pairs*9 && zeroOdd*10 < pairs:
			order = "utf-16be"
		default:
			if order = utf16Run(b); order == "" {
				return nil, ""
			}
		}
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if order == "utf-16le" {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		} else {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
	}
	out := make([]byte, 0, len(u))
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return out, order
}

// minRun is how many ASCII characters in a row, each with a NUL byte,
// make a buffer that is not UTF-16 by its start UTF-16 after all.
const minRun = 16

// utf16Run returns the byte order of the first run of minRun printable
// ASCII characters written in UTF-16 in b, judged by where the run starts
// (text starts at an even offset: a character at an even offset is little
// endian), or "" if there is none. Text without NUL bytes, which is all
// UTF-8 text, costs one IndexByte.
func utf16Run(b []byte) string {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return ""
	}
	n := 0 // characters in the run ending at b[i-1]
	for i = max(i-1, 0); i+1 < len(b); i++ {
		if b[i+1] != 0 || b[i] < 0x20 || b[i] >= 0x7f {
			n = 0
			continue
		}
		if n++; n >= minRun {
			if (i-2*(n-1))%2 == 0 {
				return "utf-16le"
			}
			return "utf-16be"
		}
		i++ // past the NUL
	}
	return ""
}
