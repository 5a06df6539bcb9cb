package leakshapes

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/keysweep/keysweep/internal/gittest"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// The shapes of issues 22 and 23: archive members and encodings a peer
// (unzip, GNU tar, a mail reader, a browser, a PDF reader, helm) reads.

// bzip2Env is what bzip2(1) -9 makes of env(FakeKey(1300)): the standard
// library writes no bzip2.
const bzip2Env = "QlpoOTFBWSZTWb/YmZQAAArPgAAQNsIuP9/whh/BACAAaiKGgDIaNGnpNHqeiARTRpggPUaA00DNTTK/palDP8cUwiw4RBo5hKzEFg51DSGkCqkQkiOZAJ0WWDfBE7FqYgICBl0OioCOBRbOxxpk5QSmUtkc0ythv+LuSKcKEhf7EzKA" // keysweep:allow bzip2 of a made-up key pair, never issued

// Bzip2Env returns bzip2Env's bytes and the text they compress.
func Bzip2Env() (compressed []byte, text string) {
	b, err := base64.StdEncoding.DecodeString(bzip2Env)
	if err != nil {
		panic(err)
	}
	k, s := keyOf(300)
	return b, env(k, s)
}

func keyOf(seed int) (string, string) {
	return gittest.FakeKey(1000 + seed)
}

// ZipRaw builds a zip of one member whose data is compressed already
// with method (APPNOTE 4.4.5), text being what it decompresses to.
func ZipRaw(name string, method, flags uint16, compressed []byte, text string) string {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.CreateRaw(&zip.FileHeader{Name: name, Method: method, Flags: flags, CRC32: crc32.ChecksumIEEE([]byte(text)),
		CompressedSize64: uint64(len(compressed)), UncompressedSize64: uint64(len(text))})
	if err != nil {
		panic(err)
	}
	f.Write(compressed)
	w.Close()
	return b.String()
}

// LZMAMember is text compressed as a zip member of method 14 holds it:
// version, properties' size, properties, the stream with its end marker
// (flag bit 1).
func LZMAMember(text string) []byte {
	var b bytes.Buffer
	w, err := lzma.NewWriter(&b)
	if err != nil {
		panic(err)
	}
	w.Write([]byte(text))
	w.Close()
	classic := b.Bytes() // properties, dictionary, size, stream
	out := []byte{9, 20, 5, 0}
	out = append(out, classic[:5]...)
	return append(out, classic[13:]...)
}

// XZ compresses s with xz.
func XZ(s string) string {
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		panic(err)
	}
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// Zstd compresses s with zstd.
func Zstd(s string) string {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		panic(err)
	}
	defer enc.Close()
	return string(enc.EncodeAll([]byte(s), nil))
}

// Zlib compresses s as a PDF's FlateDecode stream holds it.
func Zlib(s string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// TarHeader is one raw ustar header block, its checksum right.
func TarHeader(name string, typeflag byte, size int) []byte {
	h := make([]byte, 512)
	copy(h, name)
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], fmt.Sprintf("%011o\x00", size))
	copy(h[136:], "00000000000\x00")
	h[156] = typeflag
	copy(h[257:], "ustar\x0000")
	copy(h[148:], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

// TarMember is a raw header and its data, padded to whole blocks.
func TarMember(name string, typeflag byte, data string) []byte {
	out := append(TarHeader(name, typeflag, len(data)), data...)
	return append(out, make([]byte, (512-len(data)%512)%512)...)
}

// TarEnd is the two zero blocks a tar ends with.
func TarEnd() []byte { return make([]byte, 1024) }

// PAXHeader is a PAX extended header (typeflag 'x') holding one record
// key=value, for the member after it.
func PAXHeader(key, value string) []byte {
	rec := " " + key + "=" + value + "\n"
	n := len(rec)
	for len(strconv.Itoa(n))+len(rec) != n {
		n = len(strconv.Itoa(n)) + len(rec)
	}
	return TarMember("PaxHeaders/x", 'x', strconv.Itoa(n)+rec)
}

// Xxd is what xxd(1) prints for b.
func Xxd(b string) string {
	var out strings.Builder
	for o := 0; o < len(b); o += 16 {
		line := b[o:min(o+16, len(b))]
		fmt.Fprintf(&out, "%08x: ", o)
		hex := ""
		for i := 0; i < len(line); i++ {
			hex += fmt.Sprintf("%02x", line[i])
			if i%2 == 1 {
				hex += " "
			}
		}
		fmt.Fprintf(&out, "%-40s %s\n", hex, printable(line))
	}
	return out.String()
}

// HexdumpC is what hexdump -C prints for b.
func HexdumpC(b string) string {
	var out strings.Builder
	for o := 0; o < len(b); o += 16 {
		line := b[o:min(o+16, len(b))]
		fmt.Fprintf(&out, "%08x  ", o)
		hex := ""
		for i := 0; i < 16; i++ {
			if i < len(line) {
				hex += fmt.Sprintf("%02x ", line[i])
			} else {
				hex += "   "
			}
			if i == 7 {
				hex += " "
			}
		}
		fmt.Fprintf(&out, "%s |%s|\n", hex, printable(line))
	}
	return out.String() + fmt.Sprintf("%08x\n", len(b))
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return '.'
		}
		return r
	}, s)
}

// Entities writes every character of s as an HTML numeric character
// reference, decimal or hex.
func Entities(s string, hex bool) string {
	var b strings.Builder
	for _, r := range s {
		if hex {
			fmt.Fprintf(&b, "&#x%x;", r)
		} else {
			fmt.Fprintf(&b, "&#%d;", r)
		}
	}
	return b.String()
}

// QuotedPrintable encodes s as a mail body (RFC 2045): '=' and bytes
// outside ASCII as =XX, lines cut at 76 characters with a soft line
// break.
func QuotedPrintable(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		body := strings.TrimSuffix(line, "\n")
		col := 0
		for i := 0; i < len(body); i++ {
			tok := string(body[i])
			if body[i] == '=' || body[i] >= 0x7f {
				tok = fmt.Sprintf("=%02X", body[i])
			}
			if col+len(tok) > 75 {
				b.WriteString("=\n")
				col = 0
			}
			b.WriteString(tok)
			col += len(tok)
		}
		if strings.HasSuffix(line, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// PDF is a one-page PDF whose content stream (FlateDecode) shows lines.
func PDF(lines ...string) string {
	var content strings.Builder
	content.WriteString("BT /F1 10 Tf 40 800 Td\n")
	for _, l := range lines {
		fmt.Fprintf(&content, "(%s) Tj 0 -12 Td\n", l)
	}
	content.WriteString("ET\n")
	stream := Zlib(content.String())
	var b strings.Builder
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	b.WriteString("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	b.WriteString("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n")
	b.WriteString("3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n")
	fmt.Fprintf(&b, "4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n", len(stream), stream)
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.String()
}

// HelmRelease is a Kubernetes Secret holding a Helm 3 release: the
// release's JSON gzip'd and base64-encoded by helm, base64-encoded again
// as every Secret value is.
func HelmRelease(name, releaseJSON string) string {
	inner := base64.StdEncoding.EncodeToString([]byte(Gzip(releaseJSON)))
	return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sh.helm.release.v1." + name + ".v1\n  labels:\n    owner: helm\ntype: helm.sh/release.v1\ndata:\n  release: " +
		base64.StdEncoding.EncodeToString([]byte(inner)) + "\n"
}

// B64Times base64-encodes s n times.
func B64Times(s string, n int) string {
	for range n {
		s = base64.StdEncoding.EncodeToString([]byte(s))
	}
	return s
}

func utf32(s string, bigEndian, bom bool) string {
	var b []byte
	if bom {
		s = "\ufeff" + s
	}
	for _, r := range s {
		u := uint32(r)
		if bigEndian {
			b = append(b, byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
		}
	}
	return string(b)
}

// damageChecksum changes one digit of the checksum of the tar header at
// off, as one flipped bit on a disk would.
func damageChecksum(tar []byte, off int) []byte {
	tar[off+148+2] ^= 1
	return tar
}

func concat(parts ...[]byte) string {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return string(b)
}

// encodingCases are the shapes of issues 22 and 23.
func encodingCases() []Case {
	var cs []Case
	add := func(c Case) { cs = append(cs, c) }

	k, s := keyOf(300)
	bz, text := Bzip2Env()
	add(Case{Name: "zip member compressed with bzip2 (zip -Z bzip2)", Files: map[string]string{"backup/bzip2.zip": ZipRaw("aws.env", 12, 0, bz, text)},
		Want: []Want{{KeyID: k, Path: "backup/bzip2.zip!aws.env", Secret: s, Decoded: "zip"}}})
	k, s = keyOf(301)
	add(Case{Name: "zip member compressed with LZMA", Files: map[string]string{"backup/lzma.zip": ZipRaw("aws.env", 14, 2, LZMAMember(env(k, s)), env(k, s))},
		Want: []Want{{KeyID: k, Path: "backup/lzma.zip!aws.env", Secret: s, Decoded: "zip"}}})
	k, s = keyOf(302)
	add(Case{Name: "zip member compressed with zstd", Files: map[string]string{"backup/zstd.zip": ZipRaw("aws.env", 93, 0, []byte(Zstd(env(k, s))), env(k, s))},
		Want: []Want{{KeyID: k, Path: "backup/zstd.zip!aws.env", Secret: s, Decoded: "zip"}}})
	k, _ = keyOf(303)
	add(Case{Name: "zip member compressed with Deflate64: a gap", Negative: true, Files: map[string]string{"backup/deflate64.zip": ZipRaw("aws.env", 9, 0, []byte("\x00\x01 not read \x02"), k)},
		Gap: `"aws.env": zip member not read: compression method Deflate64 is not supported`})

	k, s = keyOf(304)
	add(Case{Name: "tar.gz whose first member has a PAX header of 2 MiB", Files: map[string]string{"release/pax.tar.gz": Gzip(concat(
		PAXHeader("comment", strings.Repeat("release notes ", 150000)), TarMember("aws.env", '0', env(k, s)), TarEnd()))},
		Want: []Want{{KeyID: k, Path: "release/pax.tar.gz!aws.env", Secret: s, Decoded: "gzip > tar"}}})
	k, s = keyOf(305)
	add(Case{Name: "tar member of type 7 (contiguous file)", Files: map[string]string{"release/cont.tar.gz": Gzip(concat(
		TarMember("README", '0', "hello\n"), TarMember("aws.env", '7', env(k, s)), TarEnd()))},
		Want: []Want{{KeyID: k, Path: "release/cont.tar.gz!aws.env", Secret: s, Decoded: "gzip > tar"}}})
	k, s = keyOf(306)
	add(Case{Name: "tar with a damaged header before the member holding the key", Files: map[string]string{"release/damaged.tar.gz": Gzip(string(damageChecksum([]byte(concat(
		TarMember("README", '0', "hello\n"), TarMember("aws.env", '0', env(k, s)), TarEnd())), 0)))},
		Want: []Want{{KeyID: k, Path: "release/damaged.tar.gz!aws.env", Secret: s, Decoded: "gzip > tar"}},
		Gap:  "tar header at byte 0 is damaged"})

	k, s = keyOf(307)
	add(Case{Name: "xz", Files: map[string]string{"backup/aws.env.xz": XZ(env(k, s))},
		Want: []Want{{KeyID: k, Path: "backup/aws.env.xz", Secret: s, Decoded: "xz"}}})
	k, s = keyOf(308)
	add(Case{Name: "zstd", Files: map[string]string{"backup/aws.env.zst": Zstd(env(k, s))},
		Want: []Want{{KeyID: k, Path: "backup/aws.env.zst", Secret: s, Decoded: "zstd"}}})
	k, s = keyOf(309)
	add(Case{Name: "UTF-32LE with BOM", Files: map[string]string{"win/creds32.txt": utf32(env(k, s), false, true)},
		Want: []Want{{KeyID: k, Path: "win/creds32.txt", Secret: s, Decoded: "utf-32le"}}})
	k, s = keyOf(310)
	add(Case{Name: "UTF-32BE without BOM", Files: map[string]string{"win/creds32be.txt": utf32(env(k, s), true, false)},
		Want: []Want{{KeyID: k, Path: "win/creds32be.txt", Secret: s, Decoded: "utf-32be"}}})

	k, s = keyOf(311)
	add(Case{Name: "executable jar (a shell script in front of the zip)", Files: map[string]string{"bin/app": "#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n" +
		ZipOf("META-INF/MANIFEST.MF", "Main-Class: App\n", "config/aws.properties", "aws.accessKeyId="+k+"\naws.secretKey="+s+"\n")},
		Want: []Want{{KeyID: k, Path: "bin/app!config/aws.properties", Secret: s, Decoded: "zip"}}})
	k, s = keyOf(312)
	add(Case{Name: "self-extracting zip (an executable in front)", Files: map[string]string{"tools/setup.exe": "MZ\x90\x00\x03\x00\x00\x00" + string(randBytes(312, 3000)) +
		ZipOf("setup/aws.env", env(k, s))},
		Want: []Want{{KeyID: k, Path: "tools/setup.exe!setup/aws.env", Secret: s, Decoded: "zip"}}})

	k, s = keyOf(313)
	add(Case{Name: "quoted-printable mail body, =3D before the key, a soft break in the secret", Files: map[string]string{"mail/rotation.eml": "From: ops@example.com\nTo: dev@example.com\nSubject: new keys\n" +
		"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
		QuotedPrintable("Hi team, here are the new credentials for the deployment pipeline, effective today:\naws_access_key_id="+k+"\n"+
			"please set the following, which is long enough to wrap here, aws_secret_access_key="+s+"\nThanks\n")},
		Want: []Want{{KeyID: k, Path: "mail/rotation.eml", Secret: s, Decoded: "quoted-printable"}}})
	k, s = keyOf(314)
	add(Case{Name: "quoted-printable, a soft line break inside the key ID", Files: map[string]string{"mail/body.txt": "Content-Transfer-Encoding: quoted-printable\n\n" +
		QuotedPrintable("The deployment pipeline now signs its requests with the key id "+k+"\nand its secret access key is aws_secret_access_key="+s+"\n")},
		Want: []Want{{KeyID: k, Path: "mail/body.txt", Secret: s, Decoded: "quoted-printable"}}})
	k, s = keyOf(327)
	add(Case{Name: "mail with the key ID in plain sight, its secret cut by a soft line break", Files: map[string]string{"mail/plain-key.eml": "From: ops@example.com\nSubject: keys\nContent-Transfer-Encoding: quoted-printable\n\n" +
		QuotedPrintable("key id: "+k+"\nThe secret for the deployment pipeline, valid from today, is aws_secret_access_key: "+s+"\n")},
		Want: []Want{{KeyID: k, Path: "mail/plain-key.eml", Secret: s}}})
	// A mail is decoded only when its text may be quoted-printable (see
	// decode.Opens): a plain version of a mail, then a later one, smaller
	// so that git stores it as a delta of the first, whose
	// quoted-printable part far past the head cuts the key ID.
	thread := "From: ops@example.com\nTo: dev@example.com\nSubject: rotation\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
	add(Case{Name: "a plain mail", Negative: true, Files: map[string]string{"mail/thread.eml": thread + filler(200)}})
	k, s = keyOf(328)
	add(Case{Name: "a later version of a mail, quoted-printable far past its head, a soft line break inside the key ID", Files: map[string]string{"mail/thread.eml": thread + filler(150) +
		"--b\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n" +
		QuotedPrintable("The deployment pipeline now signs its requests with the key id "+k+"\nand its secret access key is aws_secret_access_key="+s+"\n") + "--b--\n"},
		Want: []Want{{KeyID: k, Path: "mail/thread.eml", Secret: s, Decoded: "quoted-printable"}}})
	k, s = keyOf(329)
	add(Case{Name: "quoted-printable mail with CRLF line ends, a soft line break inside the key ID", Files: map[string]string{"mail/outlook.eml": strings.ReplaceAll("From: ops@example.com\nTo: dev@example.com\nSubject: access\nMIME-Version: 1.0\n"+
		"Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n"+
		QuotedPrintable("The deployment pipeline now signs its requests with the key id "+k+"\nand its secret access key is aws_secret_access_key="+s+"\n"), "\n", "\r\n")},
		Want: []Want{{KeyID: k, Path: "mail/outlook.eml", Secret: s, Decoded: "quoted-printable"}}})
	k, s = keyOf(315)
	add(Case{Name: "HTML numeric entities (decimal)", Files: map[string]string{"site/obfuscated.html": "<p>Key: <code>" + Entities(k, false) + "</code></p>\n<p>Secret: <code>" + Entities(s, false) + "</code></p>\n"},
		Want: []Want{{KeyID: k, Path: "site/obfuscated.html", Secret: s, Decoded: "html-entities"}}})
	k, s = keyOf(316)
	add(Case{Name: "HTML numeric entities (hex)", Files: map[string]string{"site/hex.html": "<input value=\"" + Entities(k, true) + "\">\n<input name=\"aws_secret_access_key\" value=\"" + Entities(s, true) + "\">\n"},
		Want: []Want{{KeyID: k, Path: "site/hex.html", Secret: s, Decoded: "html-entities"}}})
	k, s = keyOf(317)
	add(Case{Name: "xxd dump", Files: map[string]string{"debug/creds.xxd": Xxd("[default]\naws_access_key_id = " + k + "\naws_secret_access_key = " + s + "\n")},
		Want: []Want{{KeyID: k, Path: "debug/creds.xxd", Secret: s, Decoded: "hex-dump"}}})
	k, s = keyOf(318)
	add(Case{Name: "hexdump -C dump", Files: map[string]string{"debug/creds.hex": HexdumpC(env(k, s))},
		Want: []Want{{KeyID: k, Path: "debug/creds.hex", Secret: s, Decoded: "hex-dump"}}})
	k, s = keyOf(319)
	add(Case{Name: "Helm 3 release secret (base64 of base64 of gzip of JSON)", Files: map[string]string{"k8s/helm-release.yaml": HelmRelease("app",
		`{"name":"app","info":{"status":"deployed"},"config":{"aws":{"accessKeyId":"`+k+`","secretAccessKey":"`+s+`"}},"version":1,"namespace":"default"}`)},
		Want: []Want{{KeyID: k, Path: "k8s/helm-release.yaml", Secret: s, Decoded: "base64 > base64 > gzip"}}})
	k, s = keyOf(320)
	add(Case{Name: "PDF FlateDecode stream", Files: map[string]string{"docs/handover.pdf": PDF("Handover notes", "aws_access_key_id = "+k, "aws_secret_access_key = "+s)},
		Want: []Want{{KeyID: k, Path: "docs/handover.pdf", Secret: s, Decoded: "pdf"}}})
	k, s = keyOf(321)
	add(Case{Name: "base64 three times", Files: map[string]string{"ci/token.txt": "TOKEN=" + B64Times(env(k, s), 3) + "\n"},
		Want: []Want{{KeyID: k, Path: "ci/token.txt", Secret: s, Decoded: "base64"}}})
	k, s = keyOf(322)
	add(Case{Name: "base64 six times", Files: map[string]string{"ci/token6.txt": B64Times(k+":"+s, 6) + "\n"},
		Want: []Want{{KeyID: k, Path: "ci/token6.txt", Secret: s, Decoded: "base64"}}})

	// Look-alikes: decoding must not invent a key.
	k, _ = keyOf(323)
	ids := []string{iam("AIDA", k), iam("AROA", k), "AKIAXXXXXXXXXXXXXXXX"}
	add(Case{Name: "hex- and entity-encoded non-keys", Negative: true, Files: map[string]string{"debug/ids.txt": Xxd(strings.Join(ids, "\n")) + HexdumpC(strings.Join(ids, " ")) +
		Entities(strings.Join(ids, ","), false) + "\n" + Entities(strings.Join(ids, ","), true) + "\n"}, Absent: ids})
	k, _ = keyOf(324)
	img := base64.StdEncoding.EncodeToString(append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), randBytes(324, 3000)...))
	lines := Wrap(img[:400], 76)
	// Key-shaped runs where base64 lines end and start.
	lines = lines[:len(lines)-1] + k[:10] + "\n" + k[10:] + img[400:470] + "\n" + k + img[500:570] + "\n"
	add(Case{Name: "base64 image with key-shaped runs at line boundaries", Negative: true, Files: map[string]string{"site/logo.html": "<img src=\"data:image/png;base64," + lines + "\">\n"},
		Absent: []string{k}})
	return cs
}
