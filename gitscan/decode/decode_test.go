package decode

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/keysweep/keysweep/internal/leakshapes"
)

var enc = base64.StdEncoding.EncodeToString

func TestBase64(t *testing.T) {
	secretish := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz"
	tests := []struct {
		name string
		in   string
		want string // "" for no token decoded
	}{
		{"field", "id: " + enc([]byte("AKIAQ7ZK3MWPR2TVBN4D")) + "\n", "id: AKIAQ7ZK3MWPR2TVBN4D\n"},
		{"two fields", "a: " + enc([]byte("AKIAQ7ZK3MWPR2TVBN4D")) + "\nb: " + enc([]byte(secretish)) + "\n",
			"a: AKIAQ7ZK3MWPR2TVBN4D\nb: " + secretish + "\n"},
		{"URL-safe", "t=" + base64.RawURLEncoding.EncodeToString([]byte("AKIAQ7ZK3MWPR2TVBN4D:??>>")) + ";", "t=AKIAQ7ZK3MWPR2TVBN4D:??>>;"},
		{"twice", "x " + enc([]byte(`{"auth":"`+enc([]byte("AKIAQ7ZK3MWPR2TVBN4D:p"))+`"}`)) + " y", `x {"auth":"AKIAQ7ZK3MWPR2TVBN4D:p"} y`},
		{"wrapped", wrap(enc([]byte(strings.Repeat("line of text\n", 12))), 76), strings.Repeat("line of text\n", 12) + "\n"},
		{"UTF-16LE", "powershell -EncodedCommand " + enc(u16le("$env:KEY='AKIAQ7ZK3MWPR2TVBN4D'")) + "\n", "powershell -EncodedCommand $env:KEY='AKIAQ7ZK3MWPR2TVBN4D'\n"},
		{"garbage", "v: " + enc([]byte("\x00\x01\x02\xff\xfe binary \x03\x04\x05\x06\x07\x08\x09")) + "\n", ""},
		{"identifier", "const ThisIsAVeryLongIdentifierNameIndeed = 1", ""},
		{"short", "v: " + enc([]byte("short text")) + "\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, spans, _ := Base64([]byte(tt.in))
			if string(out) != tt.want {
				t.Fatalf("Base64 = %q, want %q", out, tt.want)
			}
			for _, s := range spans {
				if s.InEnd > len(tt.in) || s.OutEnd > len(out) || s.InStart >= s.InEnd {
					t.Errorf("bad span %+v", s)
				}
			}
		})
	}
}

func u16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// Made by bzip2(1), which the standard library cannot write: "inner\n",
// and a tar holding a.txt ("bee\n").
const (
	bzip2Inner = "QlpoOTFBWSZTWf41+lkAAAFBgAAQAiEQACAAMM0AwaBYHF3JFOFCQ/jX6WQ="
	bzip2Tar   = "QlpoOTFBWSZTWavuJ34AAHB7gMkQAAFAAXeAAAhyAB5ABAggAFRAk2o9CYm1GNQSQoeoGgNAfd4XwhBNqEIszkd2hAhlV56esaXI1YDlBUoAxnCxMTKaJEwxh75vt326zERAPxdyRThQkKvuJ34="
)

func unb64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// swap turns UTF-16LE into UTF-16BE.
func swap(b []byte) []byte {
	for i := 0; i+1 < len(b); i += 2 {
		b[i], b[i+1] = b[i+1], b[i]
	}
	return b
}

func tarOf(files ...string) []byte { return []byte(leakshapes.TarOf(files...)) }

func zipOf(files ...string) []byte { return []byte(leakshapes.ZipOf(files...)) }

func gz(b []byte) []byte { return []byte(leakshapes.Gzip(string(b))) }

var wrap = leakshapes.Wrap

func TestExpand(t *testing.T) {
	var long []byte
	for i := range 2000 {
		long = strconv.AppendInt(long, int64(i*i*7919), 36)
	}
	truncated := gz(long)
	truncated = truncated[:len(truncated)/2]
	lim := Limits{MaxBytes: 1 << 20, MaxEntries: 5, MaxDepth: 2}
	tests := []struct {
		name  string
		in    []byte
		parts []string // "path|how|data"
		gap   string
	}{
		{"plain text", []byte("hello world\n"), nil, ""},
		{"gzip", gz([]byte("inner\n")), []string{"|gzip|inner\n"}, ""},
		{"zip", zipOf("a/b.txt", "bee\n", "c.txt", "sea\n"), []string{"a/b.txt|zip|bee\n", "c.txt|zip|sea\n"}, ""},
		{"bzip2", unb64(bzip2Inner), []string{"|bzip2|inner\n"}, ""},
		{"gzip base64-encoded in text", []byte("data:\n  app.conf.gz: " + enc(gz([]byte("inner\n"))) + "\n"), []string{"|base64 > gzip|inner\n"}, ""},
		{"zip base64-encoded, wrapped", []byte(wrap(enc(zipOf("a/b.txt", "bee\n")), 76)), []string{"a/b.txt|base64 > zip|bee\n"}, ""},
		{"bzip2 base64-encoded", []byte("v=" + enc(unb64(bzip2Inner)) + ";"), []string{"|base64 > bzip2|inner\n"}, ""},
		{"zip member holding a base64 gzip", zipOf("m.yaml", "x: "+enc(gz([]byte("inner\n")))+"\n"), []string{"m.yaml|zip|", "m.yaml|zip > base64 > gzip|inner\n"}, ""},
		{"base64 of garbage that starts like gzip", []byte("v: H4sI" + enc([]byte("\x00\x01 not gzip at all, just bytes \xff\xfe")) + "\n"), nil, ""},
		{"tar.bz2 in zip is two levels", zipOf("a.tar.bz2", string(unb64(bzip2Tar))), []string{"a.tar.bz2!a.txt|zip > bzip2 > tar|bee\n"}, ""},
		{"hostile member name", zipOf("a\x1b[31m\nb\xff.txt", "x"), []string{"a?[31m?b?.txt|zip|x"}, ""},
		{"zip in zip", zipOf("in.jar", string(zipOf("x.txt", "ex\n"))), []string{"in.jar!x.txt|zip > zip|ex\n"}, ""},
		{"tarball in zip is two levels", zipOf("app.tgz", string(gz(tarOf("./etc/x.txt", "ex\n")))), []string{"app.tgz!etc/x.txt|zip > gzip > tar|ex\n"}, ""},
		{"member names start with ./ or /", tarOf("./a.txt", "a", "/b.txt", "b", ".//./c.txt", "c"), []string{"a.txt|tar|a", "b.txt|tar|b", "c.txt|tar|c"}, ""},
		{"too deep", zipOf("in.jar", string(zipOf("in2.jar", string(zipOf("x.txt", "ex\n"))))), nil, "nested deeper than 2"},
		{"too many entries", zipOf("1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"),
			[]string{"1|zip|a", "2|zip|b", "3|zip|c", "4|zip|d", "5|zip|e"}, "stopped after 5 archive members"},
		{"bomb", zipOf("z", strings.Repeat("\x00", 2<<20)), []string{"z|zip|"}, "stopped at 1 MiB"},
		{"malformed zip", []byte("PK\x03\x04 not really a zip"), nil, ""},
		{"truncated gzip", truncated, []string{"|gzip|"}, ""},
		{"UTF-16LE BOM", []byte("\xff\xfeh\x00i\x00\n\x00"), []string{"|utf-16le|hi\n"}, ""},
		{"UTF-16BE", []byte("\x00h\x00e\x00l\x00l\x00o"), []string{"|utf-16be|hello"}, ""},
		{"UTF-16LE, other script first", append(u16le(strings.Repeat("鍵の確認。", 60)), u16le("\nkey = 0123456789abcdef")...), []string{"|utf-16le|"}, ""},
		{"UTF-16BE, other script first", swap(append(u16le(strings.Repeat("鍵の確認。", 60)), u16le("\nkey = 0123456789abcdef")...)), []string{"|utf-16be|"}, ""},
		{"zeros", make([]byte, 4096), nil, ""},
		{"binary", []byte("\x00\x01\x02\x03\x00\x00\x7f\x80\x90\xa0"), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, gaps := Expand(tt.in, lim)
			var got []string
			for _, p := range parts {
				d := string(p.Data)
				if len(d) > 16 {
					d = ""
				}
				got = append(got, p.Path+"|"+p.How+"|"+d)
			}
			if strings.Join(got, ",") != strings.Join(tt.parts, ",") {
				t.Errorf("parts %q, want %q", got, tt.parts)
			}
			if g := strings.Join(gaps, "\n"); tt.gap == "" && g != "" || !strings.Contains(g, tt.gap) {
				t.Errorf("gaps %q, want one saying %q", gaps, tt.gap)
			}
		})
	}
}

func TestIsArchive(t *testing.T) {
	tar := make([]byte, 512)
	copy(tar[257:], "ustar")
	for _, tt := range []struct {
		in            []byte
		archive, mail bool
		opens         bool // the whole blob
	}{
		{in: gz([]byte("x")), archive: true, opens: true}, {in: zipOf("a", "b"), archive: true, opens: true},
		{in: tar, archive: true, opens: true}, {in: unb64(bzip2Inner), archive: true, opens: true},
		{in: []byte("BZh9 not bzip2")}, {in: []byte("PK")}, {in: []byte("plain")}, {in: nil},
		// Mail: an mbox, an .eml, a MIME part; not what merely starts like
		// a header (Python imports, YAML, a compose file's extension
		// field). A mail is opened when its text may be quoted-printable,
		// wherever that shows.
		{in: []byte("From ops@example.com Mon Jan  1 00:00:00 2024\nFrom: ops@example.com\nSubject: keys\n\nbody\n"), mail: true},
		{in: []byte("From ops@example.com Mon Jan  1 00:00:00 2024\nFrom: ops@example.com\nSubject: keys\n\n" + strings.Repeat("plain text\n", 100) + "a soft=\nbreak\n"), mail: true, opens: true},
		{in: []byte("Return-Path: <a@b>\nReceived: from x\nSubject: y\n\n"), mail: true},
		{in: []byte("Return-Path: <a@b>\nReceived: from x\nSubject: y\n\n" + strings.Repeat("x", 500) + "a=3Db\n"), mail: true, opens: true},
		{in: []byte("Return-Path: <a@b>\nReceived: from x\nSubject: y\n" + strings.Repeat("X-Header: x\n", 40) + "Content-Transfer-Encoding: Quoted-Printable\n\nbody\n"), mail: true, opens: true},
		{in: []byte("Content-Transfer-Encoding: quoted-printable\n\nbody=\n"), mail: true, opens: true},
		{in: []byte("From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\n\r\n" + strings.Repeat("x", 300) + "a soft=\r\nbreak\r\n"), mail: true, opens: true},
		{in: []byte("from datetime import datetime\nfrom os import path\nimport re\nx = 1=\n")},
		{in: []byte("From typing import Any\nfrom os import path\n\n")},
		{in: []byte("date: 2024-01-01\ntitle: notes\ntags: [a]\n")},
		{in: []byte("x-common: &common\n  image: app\nservices:\n")},
		{in: []byte("Subject: only one line")},
	} {
		head := tt.in[:min(len(tt.in), HeadLen)]
		if got := IsArchive(head); got != tt.archive {
			t.Errorf("IsArchive(%q) = %v", tt.in[:min(len(tt.in), 8)], got)
		}
		if got := IsMail(head); got != tt.mail {
			t.Errorf("IsMail(%q) = %v", tt.in[:min(len(tt.in), 8)], got)
		}
		if got := Opens(tt.in); got != tt.opens {
			t.Errorf("Opens(%q) = %v", tt.in[:min(len(tt.in), 8)], got)
		}
	}
}

// TestInnerName: a hostile member name is cut to maxName bytes without
// keeping the first characters of a secret the cut goes through, and made
// safe for every sink.
func TestInnerName(t *testing.T) {
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	for _, lead := range []int{maxName - 30, maxName - 10, maxName - 1} {
		name := "/" + strings.Repeat("a.b/", lead/4) + secret + ".txt"
		got := inner("a.zip", name)
		if !strings.HasPrefix(got, "a.zip!a.b/") || len(got) > len("a.zip!")+maxName+len("…") {
			t.Errorf("inner(%d-byte name) = %q", len(name), got)
		}
		for n := 4; n < len(secret); n++ {
			if strings.Contains(got, secret[:n]) {
				t.Fatalf("a name cut at %d bytes keeps %d characters of a secret: %q", maxName, n, got)
			}
		}
	}
	if got := inner("", "a\x1b[31mb\xff"); got != "a?[31mb?" {
		t.Errorf("control bytes: %q", got)
	}
}
