package detect

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"
)

// vals are the fake credentials the templates below refer to as {NAME}.
var vals = map[string]string{
	"K1": fakeKey("AKIA", 1),
	"K2": fakeKey("AKIA", 2),
	"A1": fakeKey("ASIA", 3),
	"B1": fakeKey("ABIA", 4),
	"C1": fakeKey("ACCA", 5),
	"T1": fakeKey("A3TX", 6),
	"T9": fakeKey("A3T9", 7),
	"S1": fakeSecret(1),
	"S2": fakeSecret(2),
	"S3": fakeSecret(3),
	"K3": fakeKey("AKIA", 8),
	// A secret with '+' and '/', and as a URL holds it.
	"SP":    fakeSecret(4)[:10] + "+" + fakeSecret(4)[11:25] + "/" + fakeSecret(4)[26:],
	"SPENC": fakeSecret(4)[:10] + "%2B" + fakeSecret(4)[11:25] + "%2f" + fakeSecret(4)[26:],

	"TOK":   fakeToken(1, 356),
	"TOKPD": fakeToken(2, 298) + "==",
	"TOKX":  "ZZ" + randString(3, 300, alphaB64), // no STS prefix
	"TOK90": fakeToken(4, 90),

	"EXK":  "AKIAIOSFODNN7EXAMPLE",
	"EXA":  "ASIAIOSFODNN7EXAMPLE",
	"EXS":  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"PHK":  "AKIA" + strings.Repeat("X", 16),
	"PHK2": "AKIA" + strings.Repeat("AB", 8),
	"PHK3": "AKIA" + "ABCDEFGHIJKLMNOP",
	"PHK4": "AKIA" + "Q7ZK3MWPXXXXR2TV",
	"PHK5": "AKIA" + "Q7ZK3MWPR2TNNNNN",

	// SP as JSON, .NET's JSON and HTML escape it.
	"SPJSON": strings.ReplaceAll(fakeSecret(4)[:10]+"+"+fakeSecret(4)[11:25]+"/"+fakeSecret(4)[26:], "/", `\/`),
	"SPNET":  strings.NewReplacer("+", `\u002B`, "/", `\u002F`).Replace(fakeSecret(4)[:10] + "+" + fakeSecret(4)[11:25] + "/" + fakeSecret(4)[26:]),
	"SPHTML": strings.NewReplacer("+", "&#43;", "/", "&#x2F;").Replace(fakeSecret(4)[:10] + "+" + fakeSecret(4)[11:25] + "/" + fakeSecret(4)[26:]),
	// Shaped like a key ID but not one: 0, 1, 8 and 9 are not base32.
	"KBAD": "AKIA" + fakeKey("AKIA", 31)[4:8] + "0189" + fakeKey("AKIA", 31)[12:],

	"K1LOWER": strings.ToLower(fakeKey("AKIA", 1)),
	"KBADC":   fakeKey("AKIA", 1)[:19] + "1", // 1 is not base32
	"K19":     fakeKey("AKIA", 1)[:19],
	"B64":     randString(8, 64, alphaB64),
	"HASH":    randString(9, 40, "0123456789abcdef"),
	"UHASH":   randString(10, 40, "0123456789ABCDEF"),
	"IDENT40": randString(11, 40, alphaLetters),
	"PATH40":  "/" + randString(12, 9, alphaLetters) + "/" + randString(13, 14, alphaLetters) + "/" + randString(14, 14, alphaLetters),
	"IAM": strings.Join([]string{
		fakeKey("AIDA", 20), fakeKey("AROA", 21), fakeKey("AGPA", 22), fakeKey("ANPA", 23),
		fakeKey("ANVA", 24), fakeKey("AIPA", 25), fakeKey("APKA", 26), fakeKey("ASCA", 27),
		fakeKey("AIDA", 28), fakeKey("AKIB", 29), fakeKey("BKIA", 30),
	}, " "),
}

var expand = func() *strings.Replacer {
	var r []string
	for k, v := range vals {
		r = append(r, "{"+k+"}", v)
	}
	return strings.NewReplacer(r...)
}()

func lines(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("\tfiller line ")
		b.WriteByte(byte('a' + i%26))
		b.WriteString(" with nothing secret in it\n")
	}
	return b.String()
}

// indented is lines indented as deep as the values of a nested block.
func indented(n int) string { return strings.ReplaceAll(lines(n), "\t", "    ") }

// want names a match by the vals keys of its parts.
type want struct{ key, secret, token string }

var findTests = []struct {
	name string
	in   string
	want []want
}{
	// Each prefix.
	{"AKIA in prose", "the key {K1} was rotated\n", []want{{"K1", "", ""}}},
	{"ASIA", "id={A1}", []want{{"A1", "", ""}}},
	{"ABIA", "id={B1}", []want{{"B1", "", ""}}},
	{"ACCA", "id={C1}", []want{{"C1", "", ""}}},
	{"A3T letter", "id={T1}", []want{{"T1", "", ""}}},
	{"A3T digit", "id={T9}", []want{{"T9", "", ""}}},
	{"whole buffer", "{K1}", []want{{"K1", "", ""}}},
	{"end of buffer", "key: {K1}", []want{{"K1", "", ""}}},
	{"start of buffer", "{K1} is the key", []want{{"K1", "", ""}}},

	// Boundaries.
	{"inside base64 run", "{B64}{K1}{B64}", nil},
	{"base64 run before", "{B64}{K1} x", nil},
	{"base64 run after", "x {K1}{B64}", nil},
	{"base64 run with slashes", "{B64}/{K1}/{B64}", nil},
	{"base64 segments around", "Xq9Tz3kLmR/{K1}/bN8wQ2pYv", nil},
	{"base64 segment before", "Xq9Tz3kLmR/{K1} x", nil},
	{"base64 segment after", "x {K1}/bN8wQ2pYv", nil},
	{"plus inside base64", "Xq9T+{K1}=", nil},
	{"plus mid-line", "a +{K1}", nil},
	{"plus after", "x {K1}+", nil},
	{"long base64 segment after", "{K1}/" + "abcdefghijklmnopQ7xY2", []want{{"K1", "", ""}}},
	{"base64 16 after", "{K1}/" + "abcdefgh1jklmnop", nil},
	{"path segment", "keys/{K1}/", []want{{"K1", "", ""}}},
	{"after slash", "keys/{K1}", []want{{"K1", "", ""}}},
	{"before slash", "{K1}/x", []want{{"K1", "", ""}}},
	{"etc path", "cat /etc/{K1}\n", []want{{"K1", "", ""}}},
	{"capitalised segment", "/Users/{K1}/x", []want{{"K1", "", ""}}},
	{"diff line", "+{K1}", []want{{"K1", "", ""}}},
	{"presigned URL", "https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={K1}/20240101/us-east-1/s3/aws4_request&X-Amz-Date=20240101T000000Z", []want{{"K1", "", ""}}},
	{"SigV4 header", "Authorization: AWS4-HMAC-SHA256 Credential={K1}/20240101/us-east-1/s3/aws4_request, SignedHeaders=host", []want{{"K1", "", ""}}},
	{"s3n URL", "s3n://{K1}:{S1}@bucket/path", []want{{"K1", "S1", ""}}},
	{"s3 URL", "path = \"s3://{K1}:{S1}@bucket/x\"", []want{{"K1", "S1", ""}}},
	{"patch of a CSV", "--- a/creds.csv\n+++ b/creds.csv\n@@ -1 +1,2 @@\n Access key ID,Secret access key\n+{K1},{S1}\n", []want{{"K1", "S1", ""}}},
	{"after lower-case letter", "x{K1}", nil},
	{"before lower-case letter", "{K1}x", nil},
	{"after digit", "9{K1}", nil},
	{"before upper-case letter", "{K1}Q", nil},
	{"21 characters", "{K1}A", nil},
	{"19 characters", "{K19}", nil},
	{"not base32", "{KBADC}", nil},
	{"lower case", "{K1LOWER}", nil},
	{"after equals", "k={K1}", []want{{"K1", "", ""}}},
	{"after base64 padding", "Zm9vYmE=={K1}", []want{{"K1", "", ""}}},
	{"double quotes", `"{K1}"`, []want{{"K1", "", ""}}},
	{"single quotes", `'{K1}'`, []want{{"K1", "", ""}}},
	{"backquotes", "`{K1}`", []want{{"K1", "", ""}}},
	{"colons", "user:{K1}:x", []want{{"K1", "", ""}}},
	{"underscores", "KEY_{K1}_OLD", []want{{"K1", "", ""}}},
	{"dashes", "x-{K1}-y", []want{{"K1", "", ""}}},
	{"brackets", "({K1})[{K2}]", []want{{"K1", "", ""}, {"K2", "", ""}}},
	{"tabs", "\t{K1}\t", []want{{"K1", "", ""}}},
	{"non-UTF-8", "\xff\xfe{K1}\x80\xc3", []want{{"K1", "", ""}}},
	{"NUL bytes", "\x00{K1}\x00", []want{{"K1", "", ""}}},
	{"after JSON \\n", `"line\n{K1}\n"`, []want{{"K1", "", ""}}},
	{"after JSON \\t", `"\t{K1}"`, []want{{"K1", "", ""}}},
	{"after JSON \\u0022", `"\u0022{K1}\u0022"`, []want{{"K1", "", ""}}},
	{"URL-encoded", "?AWSAccessKeyId%3D{K1}%26x", []want{{"K1", "", ""}}},
	{"two adjacent with space", "{K1} {K2}", []want{{"K1", "", ""}, {"K2", "", ""}}},
	{"two glued", "{K1}{K2}", nil},
	{"plus after a word", "old key+{K1} rotated", []want{{"K1", "", ""}}},
	{"plus after a word, form-encoded", "msg=key+{K1}&x=1", []want{{"K1", "", ""}}},
	{"plus after the end of a base64 run", "Xq9Tz3kLmRbN8wQ2pYvAbc/xyz+{K1}\n", nil},
	{"plus after a word, base64 after", "key+{K1}+x", nil},
	{"plus after a word, slash after", "key+{K1}/x", nil},
	{"plus after base64 segment", "Xq9Tz3kLmR+{K1} x", nil},
	{"camel-case segment before", "/home/deployBot/{K1}\n", []want{{"K1", "", ""}}},
	{"camel-case segment after", "{K1}/AccessKeys.csv", []want{{"K1", "", ""}}},
	{"mixed-case segment before", "xY/{K1}\n", nil},
	{"mixed-case segment after", "{K1}/AbCdEf", nil},

	// Not credentials.
	{"IAM unique IDs", "{IAM}\n", nil},
	{"example key", "aws_access_key_id = {EXK}\n", nil},
	{"example ASIA", "{EXA}\n", nil},
	{"example key and secret", "aws_access_key_id = {EXK}\naws_secret_access_key = {EXS}\n", nil},
	{"placeholder", "aws_access_key_id = {PHK}\n", nil},
	{"placeholder pattern", "aws_access_key_id = {PHK2}\n", nil},
	{"placeholder alphabet", "aws_access_key_id = {PHK3}\n", nil},
	{"placeholder XXXX", "aws_access_key_id = {PHK4}\n", nil},
	{"placeholder repeated", "aws_access_key_id = {PHK5}\n", nil},
	{"example secret not paired", "aws_access_key_id = {K1}\naws_secret_access_key = {EXS}\n", []want{{"K1", "", ""}}},
	{"secret without key ID", "aws_secret_access_key = {S1}\n", nil},
	{"placeholder descending", "aws_access_key_id = AKIAZYXWVUTSRQPONMLK\n", nil},
	{"placeholder words", "aws_access_key_id = AKIAEXAMPLEEXAMPLE22\naws_access_key_id = AKIAYOURACCESSKEYIDX\n", nil},

	// Secrets by proximity.
	{"same line", "{K1} {S1}\n", []want{{"K1", "S1", ""}}},
	{"console CSV", "Access key ID,Secret access key\r\n{K1},{S1}\r\n", []want{{"K1", "S1", ""}}},
	{"old console CSV", "User name,Password,Access key ID,Secret access key,Console login link\nbob,,{K1},{S1},https://x\n", []want{{"K1", "S1", ""}}},
	{"next line", "{K1}\n{S1}\n", []want{{"K1", "S1", ""}}},
	{"line before", "{S1}\n{K1}\n", []want{{"K1", "S1", ""}}},
	{"five lines after", "{K1}\n" + lines(4) + "{S1}\n", []want{{"K1", "S1", ""}}},
	{"six lines after", "{K1}\n" + lines(5) + "{S1}\n", []want{{"K1", "", ""}}},
	{"five lines before", "{S1}\n" + lines(4) + "{K1}\n", []want{{"K1", "S1", ""}}},
	{"secret at end of buffer", "{K1}\n{S1}", []want{{"K1", "S1", ""}}},
	{"Go positional", `p := credentials.NewStaticCredentialsProvider("{K1}", "{S1}", "")`, []want{{"K1", "S1", ""}}},
	{"non-UTF-8 around secret", "\xff{K1}\x80{S1}\xc3", []want{{"K1", "S1", ""}}},
	{"escaped newlines", `"cmd": "x\n{K1}\n{S1}\n"`, []want{{"K1", "S1", ""}}},

	// Secrets by name.
	{"JSON create-access-key", `{
    "AccessKey": {
        "UserName": "deploy",
        "AccessKeyId": "{K1}",
        "Status": "Active",
        "SecretAccessKey": "{S1}",
        "CreateDate": "2024-05-01T10:00:00+00:00"
    }
}`, []want{{"K1", "S1", ""}}},
	{"YAML", "aws:\n  access_key_id: {K1}\n  secret_access_key: {S1}\n", []want{{"K1", "S1", ""}}},
	{"INI profiles", "[default]\naws_access_key_id = {K1}\naws_secret_access_key = {S1}\n\n[prod]\naws_access_key_id = {K2}\naws_secret_access_key = {S2}\n",
		[]want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"INI secret first", "[a]\naws_secret_access_key = {S1}\naws_access_key_id = {K1}\n[b]\naws_secret_access_key = {S2}\naws_access_key_id = {K2}\n",
		[]want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"INI CRLF", "[default]\r\naws_access_key_id = {K1}\r\naws_secret_access_key = {S1}\r\n", []want{{"K1", "S1", ""}}},
	{"env", "AWS_ACCESS_KEY_ID={K1}\nAWS_REGION=eu-west-1\nAWS_SECRET_ACCESS_KEY={S1}\n", []want{{"K1", "S1", ""}}},
	{"shell export", "export AWS_ACCESS_KEY_ID=\"{K1}\"\nexport AWS_SECRET_ACCESS_KEY='{S1}'\n", []want{{"K1", "S1", ""}}},
	{"PowerShell", "$env:AWS_ACCESS_KEY_ID = \"{K1}\"\n$env:AWS_SECRET_ACCESS_KEY = \"{S1}\"\n", []want{{"K1", "S1", ""}}},
	{"Terraform", "provider \"aws\" {\n  region     = \"us-east-1\"\n  access_key = \"{K1}\"\n  secret_key = \"{S1}\"\n}\n", []want{{"K1", "S1", ""}}},
	{"Go struct", "aws.Credentials{\n\tAccessKeyID:     \"{K1}\",\n\tSecretAccessKey: \"{S1}\",\n}\n", []want{{"K1", "S1", ""}}},
	{"Python boto3", "s3 = boto3.client(\n    's3',\n    aws_access_key_id='{K1}',\n    aws_secret_access_key='{S1}',\n)\n", []want{{"K1", "S1", ""}}},
	{"Python environ", "os.environ[\"AWS_ACCESS_KEY_ID\"] = \"{K1}\"\nos.environ[\"AWS_SECRET_ACCESS_KEY\"] = \"{S1}\"\n", []want{{"K1", "S1", ""}}},
	{"JavaScript", "new AWS.S3({ accessKeyId: '{K1}', secretAccessKey: '{S1}' })", []want{{"K1", "S1", ""}}},
	{"XML", "<AccessKeyId>{K1}</AccessKeyId>\n<SecretAccessKey>{S1}</SecretAccessKey>\n", []want{{"K1", "S1", ""}}},
	{"PHP", "'credentials' => [\n    'key'    => '{K1}',\n    'secret' => '{S1}',\n],\n", []want{{"K1", "S1", ""}}},
	{"Java properties", "aws.accessKeyId={K1}\naws.secretKey={S1}\n", []want{{"K1", "S1", ""}}},
	{"JSON escaped", `{"cmd": "aws_access_key_id={K1}\naws_secret_access_key={S1}\n"}`, []want{{"K1", "S1", ""}}},
	{"named 20 lines away", "aws_access_key_id = {K1}\n" + lines(19) + "aws_secret_access_key = {S1}\n", []want{{"K1", "S1", ""}}},
	{"named 30 lines away", "aws_access_key_id = {K1}\n" + lines(29) + "aws_secret_access_key = {S1}\n", []want{{"K1", "S1", ""}}},
	{"named 30 lines before", "aws_secret_access_key = {S1}\n" + lines(29) + "aws_access_key_id = {K1}\n", []want{{"K1", "S1", ""}}},
	{"named 31 lines before", "aws_secret_access_key = {S1}\n" + lines(30) + "aws_access_key_id = {K1}\n", []want{{"K1", "S1", ""}}},
	{"named 31 lines away", "aws_access_key_id = {K1}\n" + lines(30) + "aws_secret_access_key = {S1}\n", []want{{"K1", "S1", ""}}},
	{"unnamed 31 lines away", "aws_access_key_id = {K1}\n" + lines(30) + "{S1}\n", []want{{"K1", "", ""}}},
	{"s3cfg", "[default]\naccess_key = {K1}\n" + lines(64) + "secret_key = {S1}\n" + lines(10), []want{{"K1", "S1", ""}}},
	{"fs.s3a properties", "fs.s3a.access.key={K1}\n" + lines(40) + "fs.s3a.secret.key={S1}\n", []want{{"K1", "S1", ""}}},
	{"Terraform variables", "variable \"access_key\" {\n  default = \"{K1}\"\n}\n" + lines(40) + "variable \"secret_key\" {\n  type    = string\n  default = \"{S1}\"\n}\n", []want{{"K1", "S1", ""}}},
	{"Terraform other variable", "access_key = \"{K1}\"\n" + lines(40) + "variable \"ami\" {\n  default = \"{S1}\"\n}\n", []want{{"K1", "", ""}}},
	{"Hadoop core-site.xml", "<configuration>\n<property>\n  <name>fs.s3a.access.key</name>\n  <value>{K1}</value>\n</property>\n" + lines(40) +
		"<property>\n  <name>fs.s3a.secret.key</name>\n  <value>{S1}</value>\n</property>\n</configuration>\n", []want{{"K1", "S1", ""}}},
	{"far named secret goes to the nearest ID", "id = {K1}\n" + lines(40) + "id = {K2}\n" + lines(40) + "aws_secret_access_key = {S1}\n",
		[]want{{"K1", "", ""}, {"K2", "S1", ""}}},
	{"far named secrets by proximity", "aws_access_key_id = {K1}\n" + lines(40) + "aws_secret_access_key = {S1}\n" + lines(40) +
		"aws_access_key_id = {K2}\n" + lines(40) + "aws_secret_access_key = {S2}\n", []want{{"K1", "S1", ""}, {"K2", "S2", ""}}},

	// Choosing among secrets.
	{"named beats nearer unnamed", "{K1}\nother = {S2}\naws_secret_access_key = {S1}\n", []want{{"K1", "S1", ""}}},
	{"same line beats named", "creds(\"{K1}\", \"{S1}\")\naws_secret_access_key = {S2}\n", []want{{"K1", "S1", ""}}},
	{"one-line JSON", `[{"AccessKeyId":"{K1}","SecretAccessKey":"{S1}"},{"AccessKeyId":"{K2}","SecretAccessKey":"{S2}"}]`,
		[]want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"CSV rows", "{K1},{S1}\n{K2},{S2}\n", []want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"alternating lines", "{K1}\n{S1}\n{K2}\n{S2}\n", []want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"one secret, two key IDs", "{K1}\n{K2}\n{S1}\n", []want{{"K1", "", ""}, {"K2", "S1", ""}}},
	{"patch adds secret then key ID", "@@ -0,0 +1,2 @@\n+{S1}\n+{K1}\n", []want{{"K1", "S1", ""}}},
	{"percent-encoded secret in userinfo", "s3://{K1}:{SPENC}@bucket/x", []want{{"K1", "SP", ""}}},
	{"percent-encoded secret in a query", "jdbc:awsathena://x?access_key={K1}&secret_key={SPENC}&region=us-east-1", []want{{"K1", "SP", ""}}},
	{"raw secret with + and /", "s3a://{K1}:{SP}@bucket/x", []want{{"K1", "SP", ""}}},
	{"names pair two credentials far apart", "PROD_AWS_ACCESS_KEY_ID={K1}\nDEV_AWS_ACCESS_KEY_ID={K2}\n" + lines(100) +
		"PROD_AWS_SECRET_ACCESS_KEY={S1}\nDEV_AWS_SECRET_ACCESS_KEY={S2}\n", []want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"names pair two credentials side by side", "PROD_AWS_ACCESS_KEY_ID={K1}\nDEV_AWS_ACCESS_KEY_ID={K2}\nPROD_AWS_SECRET_ACCESS_KEY={S1}\nDEV_AWS_SECRET_ACCESS_KEY={S2}\n",
		[]want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"names pair across nearer ones", "prod.aws.accessKeyId={K1}\n" + lines(100) + "prod.aws.secretKey={S1}\n" + lines(10) +
		"dev.aws.accessKeyId={K2}\n" + lines(100) + "dev.aws.secretKey={S2}\n", []want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"Hadoop per-bucket names", "fs.s3a.bucket.logs.access.key={K1}\nfs.s3a.access.key={K2}\nfs.s3a.secret.key={S2}\nfs.s3a.bucket.logs.secret.key={S1}\n",
		[]want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"INI sections far apart", "[prod]\naws_access_key_id = {K1}\n" + lines(60) + "aws_secret_access_key = {S1}\n[dev]\naws_access_key_id = {K2}\n" + lines(60) +
		"aws_secret_access_key = {S2}\n", []want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"YAML sections far apart", "prod:\n  access_key_id: {K1}\n" + lines(60) + "  secret_access_key: {S1}\ndev:\n  access_key_id: {K2}\n" + lines(60) +
		"  secret_access_key: {S2}\n", []want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"nested YAML blocks far apart", "environments:\n  prod:\n    access_key_id: {K1}\n" + indented(60) + "# a comment at the margin\n    secret_access_key: {S1}\n  dev:\n    access_key_id: {K2}\n" + indented(60) +
		"    secret_access_key: {S2}\n", []want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"nested JSON objects far apart", "{\n  \"prod\": {\n    \"accessKeyId\": \"{K1}\",\n" + indented(60) + "    \"secretAccessKey\": \"{S1}\"\n  },\n  \"dev\": {\n    \"accessKeyId\": \"{K2}\",\n" + indented(60) +
		"    \"secretAccessKey\": \"{S2}\"\n  }\n}\n", []want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"section without a secret", "[a]\naws_access_key_id = {K1}\naws_secret_access_key = {S1}\n[b]\naws_access_key_id = {K2}\nrole_arn = x\n[c]\naws_access_key_id = {K3}\naws_secret_access_key = {S3}\n",
		[]want{{"K1", "S1", ""}, {"K2", "", ""}, {"K3", "S3", ""}}},
	{"one secret, same key ID twice", "aws_access_key_id = {K1}\naws_secret_access_key = {S1}\n# export AWS_ACCESS_KEY_ID={K1}\n",
		[]want{{"K1", "S1", ""}, {"K1", "S1", ""}}},

	// Names in the structure around a value (issue 23).
	{"Kubernetes env list", "env:\n  - name: AWS_ACCESS_KEY_ID\n    value: {K1}\n" + strings.Repeat("  - name: LOG_LEVEL\n    value: debug\n", 5) +
		"  - name: AWS_SECRET_ACCESS_KEY\n    value: {S1}\n", []want{{"K1", "S1", ""}}},
	{"Kubernetes env list, value first", "env:\n  - value: {K1}\n    name: AWS_ACCESS_KEY_ID\n" + strings.Repeat("  - name: LOG_LEVEL\n    value: debug\n", 5) +
		"  - value: {S1}\n    name: AWS_SECRET_ACCESS_KEY\n", []want{{"K1", "S1", ""}}},
	{"ECS task definition", "{\n  \"environment\": [\n    {\n      \"name\": \"AWS_ACCESS_KEY_ID\",\n      \"value\": \"{K1}\"\n    },\n" +
		strings.Repeat("    {\n      \"name\": \"LOG_LEVEL\",\n      \"value\": \"debug\"\n    },\n", 3) +
		"    {\n      \"name\": \"AWS_SECRET_ACCESS_KEY\",\n      \"value\": \"{S1}\"\n    }\n  ]\n}\n", []want{{"K1", "S1", ""}}},
	{"ECS, one object a line, value first", `"environment": [{"value": "{K1}", "name": "AWS_ACCESS_KEY_ID"},` + "\n" + strings.Repeat(`  {"value": "x", "name": "Y"},`+"\n", 8) +
		`  {"value": "{S1}", "name": "AWS_SECRET_ACCESS_KEY"}]` + "\n", []want{{"K1", "S1", ""}}},
	{"Postman environment", "{\n\"values\": [\n" + `{"key": "aws_access_key_id", "value": "{K1}", "enabled": true},` + "\n" + strings.Repeat(`{"key": "host", "value": "x", "enabled": true},`+"\n", 8) +
		`{"key": "aws_secret_access_key", "value": "{S1}", "enabled": true}` + "\n]}\n", []want{{"K1", "S1", ""}}},
	{"CloudFormation parameters", "Parameters:\n  AccessKey:\n    Type: String\n    Default: {K1}\n  Bucket:\n    Type: String\n    Default: logs\n" +
		"  SecretKey:\n    Type: String\n    NoEcho: true\n    Description: the secret\n    Default: {S1}\n", []want{{"K1", "S1", ""}}},
	{"terraform output -json", "{\n  \"access_key\": {\n    \"sensitive\": false,\n    \"type\": \"string\",\n    \"value\": \"{K1}\"\n  },\n" +
		"  \"bucket\": {\n    \"sensitive\": false,\n    \"type\": \"string\",\n    \"value\": \"logs\"\n  },\n" +
		"  \"secret_key\": {\n    \"sensitive\": true,\n    \"type\": \"string\",\n    \"value\": \"{S1}\"\n  }\n}\n", []want{{"K1", "S1", ""}}},
	{"CloudFormation outputs", `[{"OutputKey": "AccessKeyId", "OutputValue": "{K1}"},` + "\n" + strings.Repeat(`{"OutputKey": "Bucket", "OutputValue": "logs"},`+"\n", 6) +
		`{"OutputKey": "SecretAccessKey", "OutputValue": "{S1}"}]`, []want{{"K1", "S1", ""}}},
	{"SSM parameters by path", `[{"Name": "/prod/aws_access_key_id", "Value": "{K1}"},` + "\n" + strings.Repeat(`{"Name": "/prod/db_host", "Value": "db"},`+"\n", 6) +
		`{"Name": "/prod/aws_secret_access_key", "Value": "{S1}"}]`, []want{{"K1", "S1", ""}}},
	{"two credentials on a line, secret first", `[{"SecretAccessKey": "{S1}", "AccessKeyId": "{K1}"}, {"SecretAccessKey": "{S2}", "AccessKeyId": "{K2}"}]`,
		[]want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"parallel maps by environment", "aws_access_key_ids:\n  production: {K1}\n  staging: {K2}\naws_secret_access_keys:\n  staging: {S2}\n  production: {S1}\n",
		[]want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"parallel JSON maps by environment", `{"aws_access_key_ids": {"production": "{K1}", "staging": "{K2}"}, "aws_secret_access_keys": {"staging": "{S2}", "production": "{S1}"}}`,
		[]want{{"K1", "S1", ""}, {"K2", "S2", ""}}},
	{"a secret next to a key-shaped non-key", "aws_access_key_id = {K1}\n" + lines(100) + "test_access_key_id = {KBAD}\ntest_secret_access_key = {S1}\n",
		[]want{{"K1", "", ""}}},
	{"a secret next to a key-shaped non-key, same line", "aws_access_key_id = {K1}\n" + lines(10) + `{"id": "{KBAD}", "secret_access_key": "{S1}"}` + "\n",
		[]want{{"K1", "", ""}}},
	{"JSON-escaped slash in a secret", `{"AccessKeyId":"{K1}","SecretAccessKey":"{SPJSON}"}`, []want{{"K1", "SP", ""}}},
	{".NET-escaped + and / in a secret", `{"AccessKeyId":"{K1}","SecretAccessKey":"{SPNET}"}`, []want{{"K1", "SP", ""}}},
	{"HTML entities in a secret", `<td>{K1}</td><td>{SPHTML}</td>`, []want{{"K1", "SP", ""}}},
	{"COOKIE_SECRET is not AWS's", "AWS_ACCESS_KEY_ID={K1}\nCOOKIE_SECRET={S1}\n", []want{{"K1", "", ""}}},
	{"JWT_SECRET is not AWS's", "AWS_ACCESS_KEY_ID={K1}\nJWT_SECRET={S1}\n", []want{{"K1", "", ""}}},
	{"SESSION_SECRET is not AWS's", "AWS_ACCESS_KEY_ID={K1}\nSESSION_SECRET: {S1}\n", []want{{"K1", "", ""}}},
	{"an AWS secret among others", "AWS_ACCESS_KEY_ID={K1}\nJWT_SECRET={S2}\nAWS_SECRET_ACCESS_KEY={S1}\n", []want{{"K1", "S1", ""}}},
	{"prod secret key is AWS's", "PROD_ACCESS_KEY={K1}\n" + lines(20) + "PROD_SECRET_KEY={S1}\n", []want{{"K1", "S1", ""}}},

	// Shapes gitleaks finds (issue 23).
	{"ID/SECRET glued", "creds: {K1}/{S1}\n", []want{{"K1", "S1", ""}}},
	{"ID/SECRET glued in a URL", "https://x/{K1}/{S1} y", []want{{"K1", "S1", ""}}},
	{"ID/ then 41 characters", "x {K1}/{S1}A", nil},
	{"version segment before", "GET https://api.example.com/v2beta1/{K1}/keys\n", []want{{"K1", "", ""}}},
	{"lower-case segment with digits before", "s3://bucket/x86v2/{K1}\n", []want{{"K1", "", ""}}},
	{"ANSI colour before", "\x1b[32m{K1}\x1b[0m\n", []want{{"K1", "", ""}}},
	{"ANSI colour with parameters before", "key: \x1b[1;38;5;208m{K1}\x1b[0m {S1}\n", []want{{"K1", "S1", ""}}},
	{"ANSI colour written out before", `echo -e "\033[32m{K1}\033[0m"`, []want{{"K1", "", ""}}},

	// Not secrets.
	{"git hash", "{K1} {HASH}\n", []want{{"K1", "", ""}}},
	{"git hash named", "aws_access_key_id = {K1}\naws_secret_access_key = {HASH}\n", []want{{"K1", "", ""}}},
	{"upper-case hex", "{K1} {UHASH}\n", []want{{"K1", "", ""}}},
	{"identifier", "{K1} {IDENT40}\n", []want{{"K1", "", ""}}},
	{"path", "{K1} {PATH40}\n", []want{{"K1", "", ""}}},
	{"secret inside longer run", "{K1} {S1}x\n", []want{{"K1", "", ""}}},
	{"secret inside base64", "{K1} {B64}{S1}\n", []want{{"K1", "", ""}}},

	// Session tokens.
	{"STS JSON", `{
    "Credentials": {
        "AccessKeyId": "{A1}",
        "SecretAccessKey": "{S1}",
        "SessionToken": "{TOK}",
        "Expiration": "2024-05-01T11:00:00+00:00"
    },
    "AssumedRoleUser": {}
}`, []want{{"A1", "S1", "TOK"}}},
	{"env export token", "export AWS_ACCESS_KEY_ID={A1}\nexport AWS_SECRET_ACCESS_KEY={S1}\nexport AWS_SESSION_TOKEN={TOKX}\n", []want{{"A1", "S1", "TOKX"}}},
	{"INI security token", "[tmp]\r\naws_access_key_id = {A1}\r\naws_secret_access_key = {S1}\r\naws_security_token = {TOKPD}\r\n", []want{{"A1", "S1", "TOKPD"}}},
	{"unnamed STS-like token", "{A1}\n{S1}\n{TOK}\n", []want{{"A1", "S1", "TOK"}}},
	{"unnamed other run", "{A1} {TOKX}\n", []want{{"A1", "", ""}}},
	{"short token", "aws_access_key_id={A1}\naws_session_token={TOK90}\n", []want{{"A1", "", ""}}},
	{"AKIA has no token", "aws_access_key_id={K1}\naws_session_token={TOK}\n", []want{{"K1", "", ""}}},
	{"same ASIA twice", "[a]\naws_access_key_id={A1}\naws_session_token={TOK}\n[b]\naws_access_key_id={A1}\n",
		[]want{{"A1", "", "TOK"}, {"A1", "", "TOK"}}},
}

var unexpanded = regexp.MustCompile(`\{[A-Z][A-Z0-9]*\}`)

func TestFind(t *testing.T) {
	for _, tt := range findTests {
		t.Run(tt.name, func(t *testing.T) {
			in := expand.Replace(tt.in)
			if m := unexpanded.FindString(in); m != "" {
				t.Fatalf("template has no value for %s", m)
			}
			got := Find([]byte(in))
			checkMatches(t, in, got, tt.want)
		})
	}
}

func checkMatches(t *testing.T, in string, got []Match, want []want) {
	t.Helper()
	for _, m := range got {
		checkOffsets(t, in, m)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d matches, want %d: %s", len(got), len(want), describe(got))
	}
	for i, w := range want {
		m := got[i]
		if m.KeyID != vals[w.key] {
			t.Errorf("match %d: KeyID %s, want %s (%s)", i, m.KeyID, vals[w.key], w.key)
		}
		if m.Secret != vals[w.secret] {
			t.Errorf("match %d: Secret %s, want %s (%s)", i, redact(m.Secret), redact(vals[w.secret]), w.secret)
		}
		if m.SessionToken != vals[w.token] {
			t.Errorf("match %d: SessionToken %s, want %s (%s)", i, redact(m.SessionToken), redact(vals[w.token]), w.token)
		}
	}
}

// checkOffsets checks that a match points where it says it does.
func checkOffsets(t *testing.T, in string, m Match) {
	t.Helper()
	if m.Start < 0 || m.End() > len(in) || in[m.Start:m.End()] != m.KeyID {
		t.Errorf("KeyID %s not at Start %d", m.KeyID, m.Start)
	}
	switch {
	case m.Secret == "" && m.SecretStart != -1:
		t.Errorf("no secret but SecretStart %d", m.SecretStart)
	case m.Secret != "" && (m.SecretStart < 0 || m.SecretStart+len(m.Secret) > len(in) ||
		!strings.HasPrefix(unescapeURL.Replace(in[m.SecretStart:]), m.Secret)):
		t.Errorf("secret %s not at SecretStart %d", redact(m.Secret), m.SecretStart)
	}
}

// unescapeURL undoes the escapes a secret in a URL, in JSON or in HTML
// has.
var unescapeURL = strings.NewReplacer("%2B", "+", "%2b", "+", "%2F", "/", "%2f", "/", `\/`, "/", `\u002B`, "+", `\u002F`, "/",
	"&#43;", "+", "&#47;", "/", "&#x2B;", "+", "&#x2F;", "/")

func describe(ms []Match) string {
	var s []string
	for _, m := range ms {
		s = append(s, redactMatch(m))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestFindOffsetOrder(t *testing.T) {
	var b strings.Builder
	var ids []string
	for i := range 200 {
		id := fakeKey([]string{"AKIA", "ASIA", "ABIA", "ACCA", "A3TB"}[i%5], uint64(100+i))
		ids = append(ids, id)
		b.WriteString(id)
		b.WriteString([]string{"\n", " ", ",", "\r\n", "\t:"}[i%5])
	}
	got := Find([]byte(b.String()))
	if len(got) != len(ids) {
		t.Fatalf("got %d matches, want %d", len(got), len(ids))
	}
	for i, m := range got {
		checkOffsets(t, b.String(), m)
		if m.KeyID != ids[i] {
			t.Errorf("match %d: %s, want %s", i, m.KeyID, ids[i])
		}
	}
}

// TestLongLine puts credentials in the middle and at the end of a
// 100,000-character line of minified JavaScript, between base64 blobs and
// upper-case runs that come close to looking like key IDs.
func TestLongLine(t *testing.T) {
	var b strings.Builder
	chunk := func(i int) {
		b.WriteString(`function a` + randString(uint64(i), 6, alphaLetters) + `(e,t){return e.ABCDEFGH===t?"`)
		b.WriteString(randString(uint64(i), 64, alphaB64))
		b.WriteString(`":void 0};var DEFAULT_TIMEOUT_MILLISECONDS=0x7FFFFFFF;`)
	}
	i := 0
	for b.Len() < 50_000 {
		chunk(i)
		i++
	}
	k1, s1, k2 := vals["K1"], vals["S1"], vals["K2"]
	b.WriteString(`const c={accessKeyId:"` + k1 + `",secretAccessKey:"` + s1 + `"};`)
	for b.Len() < 100_000-len(k2)-8 {
		chunk(i)
		i++
	}
	b.WriteString(`;id="` + k2 + `"`)
	in := b.String()
	if strings.Contains(in, "\n") || len(in) < 99_000 {
		t.Fatalf("bad fixture: %d bytes", len(in))
	}
	got := Find([]byte(in))
	checkMatches(t, in, got, []want{{"K1", "S1", ""}, {"K2", "", ""}})
}

// TestFarApart checks that a key ID and an unnamed secret many kilobytes
// apart on one line are not paired, and a named one is.
func TestFarApart(t *testing.T) {
	pad := strings.Repeat("x.y ", 5000)
	in := vals["K1"] + " " + pad + vals["S1"]
	checkMatches(t, in, Find([]byte(in)), []want{{"K1", "", ""}})
	in = "accessKeyId:" + vals["K1"] + ";" + pad + "secretAccessKey:" + vals["S1"]
	checkMatches(t, in, Find([]byte(in)), []want{{"K1", "S1", ""}})
}

func TestFindNoAllocWithoutHits(t *testing.T) {
	buf := corpus(1<<20, 0)
	if n := testing.AllocsPerRun(10, func() { Find(buf) }); n != 0 {
		t.Errorf("Find allocates %v times on a buffer without keys", n)
	}
}

func TestIsExample(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"AKIAIOSFODNN7EXAMPLE", true},
		{"ASIAIOSFODNN7EXAMPLE", true},
		{"AKIAI44QH8DHBEXAMPLE", true},
		{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", true},
		{vals["PHK"], true},
		{vals["PHK2"], true},
		{"AKIA" + strings.Repeat("ABC", 5) + "A", true},
		{vals["K1"], false},
		{vals["A1"], false},
		{vals["S1"], false},
		{"AKIA" + "IOSFODNN7EXAMPLX", false},
		{"AKIAZYXWVUTSRQPONMLK", true},
		{"AKIAQ7ZK3MWP765432TV", true},
		{"AKIAEXAMPLEEXAMPLE22", true},
		{"AKIAEXAMPLE234567ABC", true},
		{"AKIAYOURACCESSKEYIDX", true},
		{"AKIAMYACCESSKEYID2QZ", true},
		{"AKIADUMMYDUMMYDUMMY2", true},
		{"AKIAREPLACEMEREPLACE", true},
		{"AKIAFAKEKEYFAKEKEY22", true},
		{"AKIANOTAREALKEYATALL", true},
		{"AKIAQ7ZK3MWPSAMPLE2T", true},
		{"AKIAQ7ZK3MWPR2TVBN4D", false},
		{"AKIA2FAKE7ZK3MWPR2TV", false}, // 4-letter words are too common in random IDs
		{"", false},
	}
	for _, tt := range tests {
		if got := IsExample(tt.s); got != tt.want {
			t.Errorf("IsExample(%s) = %v, want %v", redact(tt.s), got, tt.want)
		}
	}
}

func TestMayContain(t *testing.T) {
	for _, tt := range findTests {
		in := []byte(expand.Replace(tt.in))
		if !MayContain(in) && len(Find(in)) > 0 {
			t.Errorf("%s: MayContain is false but Find finds keys", tt.name)
		}
		if len(tt.want) > 0 && !MayContain(in) {
			t.Errorf("%s: MayContain is false", tt.name)
		}
	}
	if MayContain(corpus(1<<20, 0)) {
		t.Error("MayContain is true on the clean corpus")
	}
	if !MayContain(corpus(1<<20, 64<<10)) {
		t.Error("MayContain is false on the corpus with keys")
	}
}

// TestManyCredentials pairs each row of a large CSV export with its own
// secret, and stays fast doing it.
func TestManyCredentials(t *testing.T) {
	const rows = 20000
	var b strings.Builder
	ids, secrets := make([]string, rows), make([]string, rows)
	b.WriteString("Access key ID,Secret access key\n")
	for i := range rows {
		ids[i], secrets[i] = fakeKey("AKIA", uint64(50000+i)), fakeSecret(uint64(50000+i))
		b.WriteString(ids[i] + "," + secrets[i] + "\n")
	}
	ms := Find([]byte(b.String()))
	if len(ms) != rows {
		t.Fatalf("got %d matches, want %d", len(ms), rows)
	}
	for i, m := range ms {
		if m.KeyID != ids[i] || m.Secret != secrets[i] {
			t.Fatalf("row %d: got %s, want %s with %s", i, redactMatch(m), ids[i], redact(secrets[i]))
		}
	}
}

// TestFindLinear times Find on buffers of many credentials laid out the
// ways that once made pairing cost more than its input (issue 22), at n
// and 4n bytes: linear is 4 times as long, quadratic 16. A busy machine
// may slow one run, so each shape gets three tries.
func TestFindLinear(t *testing.T) {
	shapes := []struct {
		name string
		cred func(k, s string) string
	}{
		{"one line, named pairs", func(k, s string) string { return `{"AccessKeyId":"` + k + `","SecretAccessKey":"` + s + `"},` }},
		{"one line, bare pairs", func(k, s string) string { return "x " + k + " y " + s + " " }},
		{"one line, objects of generic values", func(k, s string) string { return `{"value":"` + k + `"},{"value":"` + s + `"},` }},
		{"lines of generic values", func(k, s string) string { return "    value: " + k + "\n    value: " + s + "\n" }},
		{"one line, a named pair every 20 KB", func(k, s string) string {
			return `"AccessKeyId":"` + k + `","SecretAccessKey":"` + s + `",` + strings.Repeat("x.y ", 5000)
		}},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			checkLinear(t, func(i int) string { return sh.cred(fakeKey("AKIA", uint64(i)), fakeSecret(uint64(i))) },
				func(b []byte) bool { return len(Find(b)) > 0 })
		})
	}
}

// checkLinear times run on the units of unit(0), unit(1), ... laid end to
// end, at n and 4n bytes: linear is 4 times as long, quadratic 16. A busy
// machine may slow one run, so it gets three tries. run reports whether
// the input exercised it.
func checkLinear(t *testing.T, unit func(i int) string, run func([]byte) bool) {
	t.Helper()
	gen := func(n int) []byte {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			b.WriteString(unit(i))
		}
		return []byte(b.String())
	}
	const n = 256 << 10
	small, large := gen(n), gen(4*n)
	best := func(buf []byte) time.Duration {
		d := time.Duration(1 << 62)
		for range 3 {
			t0 := time.Now()
			if !run(buf) {
				t.Fatal("the input does not exercise what is timed")
			}
			d = min(d, time.Since(t0))
		}
		return d
	}
	best(small)
	var ts, tl time.Duration
	for range 3 {
		ts, tl = best(small), best(large)
		if tl <= 10*ts || tl < 50*time.Millisecond {
			return
		}
	}
	t.Errorf("4 times the input took %.1f times as long (%v, %v): not linear", float64(tl)/float64(ts), ts, tl)
}

// TestCandidatesLinear: the pack pass's detectors, Candidates and
// IndexEncodedArchive, take time linear in their input however dense the
// key IDs and markers are.
func TestCandidatesLinear(t *testing.T) {
	marker := base64.StdEncoding.EncodeToString([]byte("AKIA" + strings.Repeat("Q", 16)))
	for _, tt := range []struct {
		name string
		unit func(i int) string
		run  func([]byte) bool
	}{
		{"Candidates, key IDs before a '/'", func(i int) string { return fakeKey("AKIA", uint64(i)) + "/x\n" }, func(b []byte) bool { return len(Candidates(nil, b)) > 0 }},
		{"IndexEncodedArchive, key markers only", func(int) string { return marker + "\n" }, func(b []byte) bool { return IndexEncodedArchive(b) < 0 }},
	} {
		t.Run(tt.name, func(t *testing.T) { checkLinear(t, tt.unit, tt.run) })
	}
}
