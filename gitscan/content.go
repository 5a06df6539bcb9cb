package gitscan

import (
	"sort"

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
// decoded, and on what decode finds inside it (archive members, UTF-16
// text), with their base64 tokens decoded too. gaps are the parts decode
// stopped short of, in one line each.
func scanContent(buf []byte) (ms []located, gaps []string) {
	ms = scanText(buf, "", "")
	if decode.IsArchive(buf[:min(len(buf), decode.HeadLen)]) || detect.MayContainEncoded(buf) {
		parts, g := decode.Expand(buf, decode.DefaultLimits)
		for _, p := range parts {
			ms = append(ms, scanText(p.Data, p.Path, p.How)...)
		}
		gaps = g
	}
	return ms, gaps
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
