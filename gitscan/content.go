package gitscan

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keysweep/keysweep/gitscan/decode"
	"github.com/keysweep/keysweep/gitscan/detect"
)

// mayHold reports whether scanContent can find anything in buf; it is as
// cheap as the detectors' prefilters, and false for almost every blob.
func mayHold(buf []byte) bool {
	return detect.MayContain(buf) || detect.MayContainEncoded(buf) || decode.Opens(buf)
}

// scanContent runs the detectors on a blob as it is, on its base64 tokens
// decoded, and on what decode finds inside it (archive members and their
// names, UTF-16 text, text encodings undone), with their base64 tokens
// decoded too. gaps are the parts decoding stopped short of, in one line
// each.
//
// A key ID an archive member holds is reported at the member only: the
// blob as it is holds it too when the member is stored uncompressed (a
// tar, a stored zip entry), and that is the same key in the same place.
func scanContent(buf []byte) (ms []located, gaps []string) {
	ms, gaps = scanText(buf, "", "")
	if !decode.Opens(buf) && !detect.MayContainEncoded(buf) {
		return ms, gaps
	}
	archive := decode.IsArchive(buf[:min(len(buf), decode.HeadLen)])
	parts, more := decode.Expand(buf, decode.DefaultLimits)
	gaps = append(gaps, more...)
	// whole are the matches of archive members and of the blob decoded
	// whole (decompressed, transcoded); text decoded in place (a mail
	// body, entities) is the blob's own text, which attribution merges.
	var inner, whole []located
	for _, p := range parts {
		found, g := scanPart(p)
		inner = append(inner, found...)
		gaps = append(gaps, g...)
		if p.Spans == nil {
			names := memberNameMatches(p)
			inner = append(inner, names...)
			whole = append(append(whole, found...), names...)
		}
	}
	if archive && len(whole) > 0 && len(ms) > 0 {
		members := map[string]bool{}
		for _, m := range whole {
			members[m.KeyID] = true
		}
		ms = slices.DeleteFunc(ms, func(m located) bool { return members[m.KeyID] })
	}
	return append(ms, inner...), gaps
}

// scanPart scans a decoded part. One decoded in place (quoted-printable,
// entities, a hex dump: p.Spans) is located in the text it was decoded
// from, at the encoded text of each match; the matches its decoding did
// not change are those of that text itself, which attribution merges.
func scanPart(p decode.Part) ([]located, []string) {
	if p.Spans == nil {
		return scanText(p.Data, p.Path, p.How)
	}
	plain, decoded, gap := findText(p.Data)
	for _, ms := range [][]detect.Match{plain, decoded} {
		for i := range ms {
			ms[i].Start, ms[i].SecretStart = p.Offset(ms[i].Start), -1
		}
	}
	out := locate(p.Orig, plain, p.Path, p.How)
	return append(out, locate(p.Orig, decoded, p.Path, join(p.How, "base64"))...), gapLine(p.Path, gap)
}

// gapLine is the gap findText reports for the text at path, if any.
func gapLine(path string, gap string) []string {
	if gap == "" {
		return nil
	}
	where := "the blob"
	if path != "" {
		where = strconv.Quote(path)
	}
	return []string{where + ": " + gap}
}

// memberNameMatches finds the key IDs in the name of an archive member
// (any part of its path inside its archive: "keys/AKIA.../notes.txt"),
// located at line 1 and their column in that path, as nameMatches does
// for the files of a tree.
func memberNameMatches(p decode.Part) []located {
	if p.Path == "" {
		return nil // the blob itself, transcoded
	}
	name := p.Path[strings.LastIndexByte(p.Path, '!')+1:]
	var out []located
	col := 1
	for seg := range strings.SplitSeq(name, "/") {
		if keyName(seg) {
			for _, m := range detect.Find([]byte(seg)) {
				out = append(out, located{Match: m, line: 1, col: col + utf8.RuneCountInString(seg[:m.Start]),
					inner: p.Path, how: join(p.How, "file name")})
			}
		}
		col += utf8.RuneCountInString(seg) + 1
	}
	return out
}

// scanText finds the credentials of one text, those in plain sight and
// those in base64 tokens; the latter are located at their token, with
// "base64" added to how.
func scanText(buf []byte, inner, how string) ([]located, []string) {
	plain, decoded, gap := findText(buf)
	out := locate(buf, plain, inner, how)
	return append(out, locate(buf, decoded, inner, join(how, "base64"))...), gapLine(inner, gap)
}

// findText runs the detectors on buf as it is (plain) and on its base64
// tokens decoded (decoded, each placed at its token's start, without a
// secret's offset), each in offset order. It is the one text scan of both
// a blob read whole and the windows of a streamed one. gap says where the
// cost bound of decoding (decode.Base64) stopped it.
func findText(buf []byte) (plain, decoded []detect.Match, gap string) {
	if detect.MayContain(buf) {
		plain = detect.Find(buf)
	}
	if !detect.MayContainEncoded(buf) {
		return plain, nil, ""
	}
	sub, spans, cut := decode.Base64(buf)
	if cut {
		gap = fmt.Sprintf("base64 decoding stopped at its bound (%d times the text's %d bytes); deeper layers are not scanned", decode.Base64Cost, len(buf))
	}
	if sub == nil || !detect.MayContain(sub) {
		return plain, nil, gap
	}
	for _, m := range detect.Find(sub) {
		i := sort.Search(len(spans), func(i int) bool { return spans[i].OutEnd > m.Start })
		if i == len(spans) || m.Start < spans[i].OutStart {
			continue // in plain sight: found above
		}
		m.Start, m.SecretStart = spans[i].InStart, -1
		decoded = append(decoded, m)
	}
	return plain, decoded, gap
}

func join(how, k string) string {
	if how == "" || k == "" {
		return how + k
	}
	return how + " > " + k
}
