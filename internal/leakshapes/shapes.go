// Package leakshapes builds a git repository holding an AWS credential in
// every shape keysweep must find (issue 10), and look-alikes it must not
// report, one commit per shape, with what a scan should report for each.
// gitscan's tests scan it loose and repacked; cmd/leakshapes writes it to
// a directory to compare scanners on it.
package leakshapes

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf16"

	"github.com/keysweep/keysweep/internal/gittest"
)

// Repo is what Build needs of a repository under construction;
// *gittest.Repo is one.
type Repo interface {
	Write(path, content string)
	Git(args ...string) string
	Commit(msg string) string
}

// Want is one finding a scan must report. Path may name the commit of its
// case as {commit}.
type Want struct {
	KeyID   string
	Path    string
	Secret  string // "" if no secret is to be paired
	Decoded string // finding.Leak.Decoded
}

// Case is one shape: the files of its commit, or its commit or tag message.
type Case struct {
	Name     string
	Files    map[string]string
	Message  string // commit message, if the shape is in one
	TagName  string // annotated tag on the case's commit, with TagMessage
	TagMsg   string
	Gitlink  string // path of a submodule gitlink the commit adds
	Want     []Want
	Absent   []string // key IDs that must not be reported
	Gap      string   // a substring one of the scan's skipped lines must hold
	Negative bool     // a look-alike: nothing to find
	Author   string   // "Name <email>" of the author of the case's commit, if not the default
	Tagger   string   // "Name <email>" of the tagger of TagName, if not the default
	Branch   string   // a branch the case adds at its commit (refs/heads/...)
}

// MessagePath is where keysweep reports a credential in the commit
// message of commit.
func MessagePath(commit string) string { return ".git/commits/" + commit + "/message" }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

var b64u = base64.URLEncoding.EncodeToString

func env(id, secret string) string {
	return "AWS_ACCESS_KEY_ID=" + id + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n"
}

func filler(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "# setting %d: nothing secret here\n", i)
	}
	return b.String()
}

func Wrap(s string, width int) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + "\n")
		s = s[width:]
	}
	return b.String() + s + "\n"
}

func utf16LE(s string, bom bool) string {
	var b []byte
	if bom {
		b = append(b, 0xff, 0xfe)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

func utf16BE(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return string(b)
}

// Gzip, ZipOf, TarOf and Wrap build the containers of the corpus; the
// decode package's tests build theirs with them too.
func Gzip(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// ZipOf builds a zip of name/content pairs.
func ZipOf(files ...string) string {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		f, _ := w.Create(files[i])
		f.Write([]byte(files[i+1]))
	}
	w.Close()
	return b.String()
}

// storedZip is ZipOf without compression: the members' bytes are in the
// archive as they are.
func storedZip(files ...string) string {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		f, _ := w.CreateHeader(&zip.FileHeader{Name: files[i], Method: zip.Store})
		f.Write([]byte(files[i+1]))
	}
	w.Close()
	return b.String()
}

// urlish gives a secret a '+' and a '/', which a URL percent-encodes.
func urlish(s string) string { return s[:9] + "+" + s[10:19] + "/" + s[20:] }

// pctEncode is what a URL makes of a secret's '+' and '/'.
func pctEncode(s string) string { return strings.NewReplacer("+", "%2B", "/", "%2F").Replace(s) }

func TarOf(files ...string) string {
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		w.WriteHeader(&tar.Header{Name: files[i], Mode: 0o644, Size: int64(len(files[i+1])), Typeflag: tar.TypeReg})
		w.Write([]byte(files[i+1]))
	}
	w.Close()
	return b.String()
}

// bomb is a small zip that inflates to n bytes of zeros.
func bomb(n int) string {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("zeros.txt")
	zero := make([]byte, 1<<20)
	for range n >> 20 {
		f.Write(zero)
	}
	w.Close()
	return b.String()
}

func randB64(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 10))
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	for i := range b {
		b[i] = a[r.IntN(64)]
	}
	return string(b)
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 11))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// iam turns a key ID into the IAM unique ID of the same body.
func iam(prefix, id string) string { return prefix + id[4:] }

// Cases returns every shape, keys derived from gittest.FakeKey.
func Cases() []Case {
	key := func(seed int) (string, string) { return gittest.FakeKey(1000 + seed) }
	var cs []Case
	add := func(c Case) { cs = append(cs, c) }

	k, _ := key(1)
	add(Case{Name: "presigned URL", Files: map[string]string{"docs/presigned.txt": "https://reports.s3.amazonaws.com/q1.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + k +
		"/20240101/us-east-1/s3/aws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + strings.Repeat("3f9a", 16) + "\n"},
		Want: []Want{{KeyID: k, Path: "docs/presigned.txt"}}})
	k, _ = key(2)
	add(Case{Name: "SigV4 Authorization header", Files: map[string]string{"logs/request.log": "GET /?list-type=2 HTTP/1.1\nHost: reports.s3.amazonaws.com\nX-Amz-Date: 20240101T000000Z\nAuthorization: AWS4-HMAC-SHA256 Credential=" + k +
		"/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("be07", 16) + "\n"},
		Want: []Want{{KeyID: k, Path: "logs/request.log"}}})
	k, s := key(3)
	add(Case{Name: "s3n://ID:SECRET@ URL", Files: map[string]string{"conf/spark.conf": "spark.input s3n://" + k + ":" + s + "@logs-bucket/2024/\n"},
		Want: []Want{{KeyID: k, Path: "conf/spark.conf", Secret: s}}})
	k, s = key(4)
	add(Case{Name: "s3://ID:SECRET@ URL", Files: map[string]string{"etl/job.py": "SOURCE = \"s3://" + k + ":" + s + "@bucket/data\"\n"},
		Want: []Want{{KeyID: k, Path: "etl/job.py", Secret: s}}})
	k, _ = key(5)
	add(Case{Name: "path segment keys/ID/", Files: map[string]string{"backup/list.txt": "keys/" + k + "/credentials.csv\n"},
		Want: []Want{{KeyID: k, Path: "backup/list.txt"}}})
	k, _ = key(6)
	add(Case{Name: "path /etc/ID", Files: map[string]string{"scripts/load.sh": "#!/bin/sh\nsource /etc/" + k + "\n"},
		Want: []Want{{KeyID: k, Path: "scripts/load.sh"}}})
	k, s = key(7)
	add(Case{Name: "patch line +ID,SECRET", Files: map[string]string{"patches/add-key.patch": "--- a/creds.csv\n+++ b/creds.csv\n@@ -1 +1,2 @@\n Access key ID,Secret access key\n+" + k + "," + s + "\n"},
		Want: []Want{{KeyID: k, Path: "patches/add-key.patch", Secret: s}}})
	k, s = key(8)
	add(Case{Name: "Kubernetes Secret, base64 fields", Files: map[string]string{"k8s/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws\ntype: Opaque\ndata:\n  AWS_ACCESS_KEY_ID: " + b64(k) + "\n  AWS_SECRET_ACCESS_KEY: " + b64(s) + "\n"},
		Want: []Want{{KeyID: k, Path: "k8s/secret.yaml", Secret: s, Decoded: "base64"}}})
	k, s = key(9)
	add(Case{Name: "whole file base64, wrapped", Files: map[string]string{"k8s/credentials.b64": Wrap(b64("[default]\nregion = eu-west-1\naws_access_key_id = "+k+"\naws_secret_access_key = "+s+"\noutput = json\n"), 76)},
		Want: []Want{{KeyID: k, Path: "k8s/credentials.b64", Secret: s, Decoded: "base64"}}})
	k, s = key(10)
	add(Case{Name: ".dockerconfigjson, base64 twice", Files: map[string]string{"k8s/pull-secret.yaml": "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: " +
		b64(`{"auths":{"registry.example.com":{"auth":"`+b64(k+":"+s)+`"}}}`) + "\n"},
		Want: []Want{{KeyID: k, Path: "k8s/pull-secret.yaml", Secret: s, Decoded: "base64"}}})
	k, s = key(11)
	tok := b64u([]byte(k + ":" + s + " ?>?>"))
	add(Case{Name: "URL-safe base64 token", Files: map[string]string{"config/token.txt": "token=" + strings.TrimRight(tok, "=") + "\n"},
		Want: []Want{{KeyID: k, Path: "config/token.txt", Secret: s, Decoded: "base64"}}})
	k, s = key(12)
	add(Case{Name: "commit message", Message: "Rotate credentials\n\nThe old pair was " + k + " " + s + "\n",
		Want: []Want{{KeyID: k, Path: "{message}", Secret: s}}})
	// Decoding that stops short in a commit message makes the scan
	// partial, as in a blob: a gzip bomb base64-encoded in a message.
	add(Case{Name: "archive bomb in a commit message", Negative: true, Message: "Build artefact\n\n" + Wrap(b64(Gzip(strings.Repeat("\x00", 80<<20))), 76) + "\n",
		Gap: "message: partly scanned: "})
	k, _ = key(13)
	add(Case{Name: "annotated tag message", Files: map[string]string{"VERSION": "1.0\n"}, TagName: "v1.0", TagMsg: "Release 1.0\n\nDeployed with " + k + "\n",
		Want: []Want{{KeyID: k, Path: ".git/tags/v1.0/message"}}})
	k, s = key(14)
	add(Case{Name: ".s3cfg, secret 60 lines away", Files: map[string]string{".s3cfg": "[default]\naccess_key = " + k + "\n" + filler(62) + "secret_key = " + s + "\n" + filler(5)},
		Want: []Want{{KeyID: k, Path: ".s3cfg", Secret: s}}})
	k, s = key(15)
	add(Case{Name: "Terraform variable defaults", Files: map[string]string{"infra/variables.tf": "variable \"access_key\" {\n  default = \"" + k + "\"\n}\n\n" + filler(40) +
		"variable \"secret_key\" {\n  type      = string\n  sensitive = true\n  default   = \"" + s + "\"\n}\n"},
		Want: []Want{{KeyID: k, Path: "infra/variables.tf", Secret: s}}})
	k, s = key(16)
	add(Case{Name: "Hadoop core-site.xml", Files: map[string]string{"hadoop/core-site.xml": "<configuration>\n  <property>\n    <name>fs.s3a.access.key</name>\n    <value>" + k + "</value>\n  </property>\n" +
		strings.Repeat("  <property>\n    <name>fs.s3a.connection.maximum</name>\n    <value>100</value>\n  </property>\n", 10) +
		"  <property>\n    <name>fs.s3a.secret.key</name>\n    <value>" + s + "</value>\n  </property>\n</configuration>\n"},
		Want: []Want{{KeyID: k, Path: "hadoop/core-site.xml", Secret: s}}})
	k, s = key(17)
	add(Case{Name: "UTF-16LE with BOM", Files: map[string]string{"win/creds.ini": utf16LE("[default]\r\naws_access_key_id = "+k+"\r\naws_secret_access_key = "+s+"\r\n", true)},
		Want: []Want{{KeyID: k, Path: "win/creds.ini", Secret: s, Decoded: "utf-16le"}}})
	k, s = key(18)
	add(Case{Name: "UTF-16BE without BOM", Files: map[string]string{"win/creds-be.txt": utf16BE(env(k, s))},
		Want: []Want{{KeyID: k, Path: "win/creds-be.txt", Secret: s, Decoded: "utf-16be"}}})
	k, s = key(19)
	add(Case{Name: "gzip", Files: map[string]string{"backup/creds.env.gz": Gzip(env(k, s))},
		Want: []Want{{KeyID: k, Path: "backup/creds.env.gz", Secret: s, Decoded: "gzip"}}})
	k, s = key(20)
	add(Case{Name: "jar (zip)", Files: map[string]string{"lib/app.jar": ZipOf("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n", "config/aws.properties", "aws.accessKeyId="+k+"\naws.secretKey="+s+"\n")},
		Want: []Want{{KeyID: k, Path: "lib/app.jar!config/aws.properties", Secret: s, Decoded: "zip"}}})
	k, s = key(21)
	add(Case{Name: "wheel (zip)", Files: map[string]string{"dist/pkg-1.0-py3-none-any.whl": ZipOf("pkg/__init__.py", "", "pkg/settings.py", "AWS_ACCESS_KEY_ID = '"+k+"'\nAWS_SECRET_ACCESS_KEY = '"+s+"'\n")},
		Want: []Want{{KeyID: k, Path: "dist/pkg-1.0-py3-none-any.whl!pkg/settings.py", Secret: s, Decoded: "zip"}}})
	k, s = key(22)
	add(Case{Name: "tar.gz", Files: map[string]string{"release/bundle.tar.gz": Gzip(TarOf("bundle/README", "hello\n", "bundle/.env", env(k, s)))},
		Want: []Want{{KeyID: k, Path: "release/bundle.tar.gz!bundle/.env", Secret: s, Decoded: "gzip > tar"}}})
	k, s = key(23)
	add(Case{Name: "jar in a war", Files: map[string]string{"deploy/app.war": ZipOf("WEB-INF/web.xml", "<web-app/>\n", "WEB-INF/lib/inner.jar", ZipOf("creds.properties", "aws.accessKeyId="+k+"\naws.secretKey="+s+"\n"))},
		Want: []Want{{KeyID: k, Path: "deploy/app.war!WEB-INF/lib/inner.jar!creds.properties", Secret: s, Decoded: "zip > zip"}}})

	k, _ = key(27)
	add(Case{Name: "key in a file name", Files: map[string]string{"keys/" + k + ".csv": "rotated, see the vault\n"},
		Want: []Want{{KeyID: k, Path: "keys/" + k + ".csv", Decoded: "file name"}}})

	// Other variants of the shapes above, each of which keysweep once
	// missed (or reported twice).
	k, _ = key(28)
	add(Case{Name: "a '+' joining a word to the key ID", Files: map[string]string{"notes/rotation.txt": "old key+" + k + " was rotated on Monday\n"},
		Want: []Want{{KeyID: k, Path: "notes/rotation.txt"}}})
	k, _ = key(29)
	k2, _ := key(30)
	add(Case{Name: "path segments in camel case", Files: map[string]string{"scripts/paths.sh": "cat /home/deployBot/" + k + "\ncp " + k2 + "/AccessKeys.csv /tmp\n"},
		Want: []Want{{KeyID: k, Path: "scripts/paths.sh"}, {KeyID: k2, Path: "scripts/paths.sh"}}})
	k, s = key(31)
	add(Case{Name: "patch adding the secret line before the key ID line", Files: map[string]string{"patches/creds.diff": "--- /dev/null\n+++ b/creds.txt\n@@ -0,0 +1,2 @@\n+" + s + "\n+" + k + "\n"},
		Want: []Want{{KeyID: k, Path: "patches/creds.diff", Secret: s}}})
	k, s = key(32)
	s = urlish(s)
	add(Case{Name: "s3:// URL, secret percent-encoded", Files: map[string]string{"conf/hive.properties": "location=s3://" + k + ":" + pctEncode(s) + "@warehouse/tables/\n"},
		Want: []Want{{KeyID: k, Path: "conf/hive.properties", Secret: s}}})
	k, s = key(33)
	s = urlish(s)
	add(Case{Name: "JDBC query string, secret percent-encoded", Files: map[string]string{"conf/athena.url": "jdbc:awsathena://athena.us-east-1.amazonaws.com:443?User=" + k + "&Password=" + pctEncode(s) + "&S3OutputLocation=s3%3A%2F%2Fresults\n"},
		Want: []Want{{KeyID: k, Path: "conf/athena.url", Secret: s}}})
	k, s = key(34)
	k2, s2 := key(35)
	add(Case{Name: "two credentials told apart by their names", Files: map[string]string{"deploy/.env": "PROD_AWS_ACCESS_KEY_ID=" + k + "\nSTAGING_AWS_ACCESS_KEY_ID=" + k2 + "\n" + filler(80) +
		"PROD_AWS_SECRET_ACCESS_KEY=" + s + "\nSTAGING_AWS_SECRET_ACCESS_KEY=" + s2 + "\n"},
		Want: []Want{{KeyID: k, Path: "deploy/.env", Secret: s}, {KeyID: k2, Path: "deploy/.env", Secret: s2}}})
	k, s = key(36)
	k2, s2 = key(37)
	add(Case{Name: "two INI sections, each secret far from its key ID", Files: map[string]string{"conf/boto.cfg": "[prod]\naws_access_key_id = " + k + "\n" + filler(70) + "aws_secret_access_key = " + s +
		"\n[dev]\naws_access_key_id = " + k2 + "\n" + filler(70) + "aws_secret_access_key = " + s2 + "\n"},
		Want: []Want{{KeyID: k, Path: "conf/boto.cfg", Secret: s}, {KeyID: k2, Path: "conf/boto.cfg", Secret: s2}}})
	k, s = key(46)
	k2, s2 = key(47)
	indent := strings.ReplaceAll(filler(60), "#", "    #")
	add(Case{Name: "nested YAML blocks, each secret far from its key ID", Files: map[string]string{"deploy/values.yaml": "environments:\n  prod:\n    aws_access_key_id: " + k + "\n" + indent +
		"    aws_secret_access_key: " + s + "\n  dev:\n    aws_access_key_id: " + k2 + "\n" + indent + "    aws_secret_access_key: " + s2 + "\n"},
		Want: []Want{{KeyID: k, Path: "deploy/values.yaml", Secret: s}, {KeyID: k2, Path: "deploy/values.yaml", Secret: s2}}})
	k, s = key(48)
	add(Case{Name: "gzip'd file base64-encoded in a ConfigMap", Files: map[string]string{"k8s/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nbinaryData:\n  aws.env.gz: " + b64(Gzip(env(k, s))) + "\n"},
		Want: []Want{{KeyID: k, Path: "k8s/configmap.yaml", Secret: s, Decoded: "base64 > gzip"}}})
	k, s = key(49)
	add(Case{Name: "zip base64-encoded, wrapped", Files: map[string]string{"deploy/bundle.zip.b64": Wrap(b64(ZipOf("conf/aws.properties", "aws.accessKeyId="+k+"\naws.secretKey="+s+"\n")), 76)},
		Want: []Want{{KeyID: k, Path: "deploy/bundle.zip.b64!conf/aws.properties", Secret: s, Decoded: "base64 > zip"}}})
	k, s = key(38)
	add(Case{Name: "UTF-16LE without BOM, another script first", Files: map[string]string{"win/notes.txt": utf16LE(strings.Repeat("鍵の確認とローテーション。\r\n", 40)+env(k, s), false)},
		Want: []Want{{KeyID: k, Path: "win/notes.txt", Secret: s, Decoded: "utf-16le"}}})
	k, s = key(39)
	add(Case{Name: "PowerShell -EncodedCommand (base64 of UTF-16LE)", Files: map[string]string{"ci/setup.ps1": "powershell.exe -NoProfile -EncodedCommand " +
		base64.StdEncoding.EncodeToString([]byte(utf16LE("$env:AWS_ACCESS_KEY_ID='"+k+"'; $env:AWS_SECRET_ACCESS_KEY='"+s+"'", false))) + "\n"},
		Want: []Want{{KeyID: k, Path: "ci/setup.ps1", Secret: s, Decoded: "base64"}}})
	k, s = key(40)
	add(Case{Name: "plain tar, reported at the member only", Files: map[string]string{"backup/etc.tar": TarOf("etc/aws/credentials", "[default]\naws_access_key_id = "+k+"\naws_secret_access_key = "+s+"\n")},
		Want: []Want{{KeyID: k, Path: "backup/etc.tar!etc/aws/credentials", Secret: s, Decoded: "tar"}}})
	k, s = key(41)
	add(Case{Name: "stored zip, reported at the member only", Files: map[string]string{"backup/creds.zip": storedZip("creds.env", env(k, s))},
		Want: []Want{{KeyID: k, Path: "backup/creds.zip!creds.env", Secret: s, Decoded: "zip"}}})
	k, s = key(42)
	add(Case{Name: "tgz with ./ member names", Files: map[string]string{"release/conf.tgz": Gzip(TarOf("./conf/aws.env", env(k, s)))},
		Want: []Want{{KeyID: k, Path: "release/conf.tgz!conf/aws.env", Secret: s, Decoded: "gzip > tar"}}})
	k, s = key(43)
	add(Case{Name: "jar in a tarball in a zip", Files: map[string]string{"dist/bundle.zip": ZipOf("app.tar.gz", Gzip(TarOf("lib/app.jar", ZipOf("aws.properties", "aws.accessKeyId="+k+"\naws.secretKey="+s+"\n"))))},
		Want: []Want{{KeyID: k, Path: "dist/bundle.zip!app.tar.gz!lib/app.jar!aws.properties", Secret: s, Decoded: "zip > gzip > tar > zip"}}})
	k, _ = key(44)
	add(Case{Name: "key in an archive member's name", Files: map[string]string{"backup/keys.zip": ZipOf("keys/"+k+".csv", "rotated\n")},
		Want: []Want{{KeyID: k, Path: "backup/keys.zip!keys/" + k + ".csv", Decoded: "zip > file name"}}})
	k, _ = key(45)
	add(Case{Name: "key in a directory name", Files: map[string]string{"keys/" + k + "/README": "rotated, see the vault\n"},
		Want: []Want{{KeyID: k, Path: "keys/" + k, Decoded: "file name"}}})

	// Look-alikes.
	placeholders := []string{"AKIAABCDEFGHIJKLMNOP", "AKIAXXXXXXXXXXXXXXXX", "AKIA2345XXXXXXXXXXXX",
		"AKIAZYXWVUTSRQPONMLK", "AKIAEXAMPLEEXAMPLE22", "AKIADUMMYDUMMYDUMMY2", "AKIAYOURACCESSKEYIDX", "AKIANOTAREALKEYATALL"}
	add(Case{Name: "placeholders", Negative: true, Files: map[string]string{"examples/config.ini": "aws_access_key_id = " + strings.Join(placeholders, "\naws_access_key_id = ") + "\n"},
		Absent: placeholders})
	k, s = key(24)
	var ids []string
	var shapes strings.Builder
	for _, p := range []string{"AIDA", "AROA", "AGPA", "ANPA", "AIPA", "ANVA", "ASCA", "APKA"} {
		id := iam(p, k)
		ids = append(ids, id)
		fmt.Fprintf(&shapes, "X-Amz-Credential=%s/20240101/us-east-1/s3/aws4_request\nkeys/%s/\ns3://%s:%s@bucket\n+%s,%s\n  AWS_ACCESS_KEY_ID: %s\n", id, id, id, s, id, s, b64(id))
	}
	add(Case{Name: "IAM unique IDs in the same shapes", Negative: true, Files: map[string]string{"iam/principals.txt": shapes.String()}, Absent: ids})
	k, _ = key(25)
	add(Case{Name: "key-shaped substrings in long base64", Negative: true, Files: map[string]string{"assets/blob.b64": randB64(1, 2000) + k + randB64(2, 2000) + "/" + k + "+" + randB64(3, 1000) +
		"Xq9Tz3kLmR/" + k + "/bN8wQ2pYv" + randB64(4, 1000) + "\n"}, Absent: []string{k}})
	k, _ = key(26)
	add(Case{Name: "base64 that decodes to garbage", Negative: true, Files: map[string]string{"data/garbage.txt": "value: " + base64.StdEncoding.EncodeToString(append([]byte(k[:4]), randBytes(5, 300)...)) + "\n"}, Absent: []string{k}})
	add(Case{Name: "archive bomb", Negative: true, Files: map[string]string{"bomb.zip": bomb(80 << 20)}, Gap: "stopped at 64 MiB decompressed"})
	add(Case{Name: "Git LFS pointer", Negative: true, Files: map[string]string{"model.bin": "version https://git-lfs.github.com/spec/v1\noid sha256:" + strings.Repeat("4d7a", 16) + "\nsize 1048576\n"}})
	add(Case{Name: "submodule gitlink", Negative: true, Gitlink: "vendor/lib"})
	cs = append(cs, encodingCases()...)
	return append(cs, pairingCases()...)
}

// Build commits every case, one commit each in order, then a commit that
// appends a line to every text file, so that a repack stores them as
// deltas. It returns the commit of each case by name.
func Build(r Repo, cases []Case) map[string]string {
	commits := map[string]string{}
	for _, c := range cases {
		for p, content := range c.Files {
			r.Write(p, content)
		}
		msg := "add " + c.Name
		if c.Message != "" {
			msg = c.Message
		}
		if c.Author != "" {
			r.Git("add", "-A")
			r.Git("commit", "-q", "--allow-empty", "--author", c.Author, "-m", msg)
			commits[c.Name] = r.Git("rev-parse", "HEAD")
		} else if c.Gitlink != "" {
			// A gitlink names a commit in the repository's object format.
			hexLen := 40
			if strings.TrimSpace(r.Git("rev-parse", "--show-object-format")) == "sha256" {
				hexLen = 64
			}
			r.Git("update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("5e", hexLen/2)+","+c.Gitlink)
			r.Git("commit", "-q", "-m", msg)
			commits[c.Name] = r.Git("rev-parse", "HEAD")
		} else {
			commits[c.Name] = r.Commit(msg)
		}
		if c.TagName != "" && c.Tagger != "" {
			// git tag takes the tagger from the environment: the tag
			// object is written as it would.
			obj := "object " + commits[c.Name] + "\ntype commit\ntag " + c.TagName + "\ntagger " + c.Tagger + " 1704067200 +0000\n\n" + c.TagMsg
			r.Write(".git/leakshapes-tag", obj)
			r.Git("update-ref", "refs/tags/"+c.TagName, r.Git("hash-object", "-t", "tag", "-w", ".git/leakshapes-tag"))
		} else if c.TagName != "" {
			r.Git("tag", "-a", c.TagName, "-m", c.TagMsg)
		}
		if c.Branch != "" {
			r.Git("branch", c.Branch)
		}
	}
	for _, c := range cases {
		for p, content := range c.Files {
			if isText(content) {
				r.Write(p, content+"# reviewed\n")
			}
		}
	}
	r.Git("add", "-u")
	r.Git("commit", "-q", "-m", "review")
	return commits
}

// isText tells the text files, which get a line appended, from the UTF-16
// and archive ones, which do not.
func isText(s string) bool {
	return !strings.ContainsRune(s, 0) && !strings.HasPrefix(s, "\x1f\x8b") && !strings.HasPrefix(s, "PK")
}

// WantPath is w.Path with {message}, {author} and {committer} resolved
// for the case's commit.
func WantPath(w Want, commit string) string {
	switch w.Path {
	case "{message}":
		return MessagePath(commit)
	case "{author}", "{committer}":
		return ".git/commits/" + commit + "/" + strings.Trim(w.Path, "{}")
	}
	return w.Path
}
