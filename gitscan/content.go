package gitscan

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/keysweep/keysweep/gitscan/decode"
	"github.com/keysweep/keysweep/gitscan/detect"
)

// mayHold reports whether scanContent can find anything in buf; it is as
// cheap as the detectors' prefilters, and false for almost every blob.
func mayHold(buf []byte) bool {
	return detect.MayContain(buf) || detect.MayContainEncoded(buf) ||
		decode.IsArchive(buf[:min(len(buf), decode.HeadLen)])
}

// scanContent runs the detectors on a blob as it is, on its base64 tokens
// decoded, and on what decode finds inside it (archive members and their
// names, UTF-16 text), with their base64 tokens decoded too. gaps are the
// parts decode stopped short of, in one line each.
//
// A key ID an archive member holds is reported at the member only: the
// blob as it is holds it too when the member is stored uncompressed (a
// tar, a stored zip entry), and that is the same key in the same place.
func scanContent(buf []byte) (ms []located, gaps []string) {
	ms = scanText(buf, "", "")
	archive := decode.IsArchive(buf[:min(len(buf), decode.HeadLen)])
	if !archive && !detect.MayContainEncoded(buf) {
		return ms, nil
	}
	parts, gaps := decode.Expand(buf, decode.DefaultLimits)
	var inner []located
	for _, p := range parts {
		inner = append(inner, scanText(p.Data, p.Path, p.How)...)
		inner = append(inner, memberNameMatches(p)...)
	}
	if archive && len(inner) > 0 && len(ms) > 0 {
		members := map[string]bool{}
		for _, m := range inner {
			members[m.KeyID] = true
		}
		ms = slices.DeleteFunc(ms, func(m located) bool { return members[m.KeyID] })
	}
	return append(ms, inner...), gaps
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
func scanText(buf []byte, inner, how string) []located {
	plain, decoded := findText(buf)
	out := locate(buf, plain, inner, how)
	return append(out, locate(buf, decoded, inner, join(how, "base64"))...)
}

// findText runs the detectors on buf as it is (plain) and on its base64
// tokens decoded (decoded, each placed at its token's start, without a
// secret's offset), each in offset order. It is the one text scan of both
// a blob read whole and the windows of a streamed one.
func findText(buf []byte) (plain, decoded []detect.Match) {
	if detect.MayContain(buf) {
		plain = detect.Find(buf)
	}
	if !detect.MayContainEncoded(buf) {
		return plain, nil
	}
	sub, spans := decode.Base64(buf)
	if sub == nil || !detect.MayContain(sub) {
		return plain, nil
	}
	for _, m := range detect.Find(sub) {
		i := sort.Search(len(spans), func(i int) bool { return spans[i].OutEnd > m.Start })
		if i == len(spans) || m.Start < spans[i].OutStart {
			continue // in plain sight: found above
		}
		m.Start, m.SecretStart = spans[i].InStart, -1
		decoded = append(decoded, m)
	}
	return plain, decoded
}

func join(how, k string) string {
	if how == "" {
		return k
	}
	return how + " > " + k
}
