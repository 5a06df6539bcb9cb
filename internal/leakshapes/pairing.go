package leakshapes

import (
	"fmt"
	"strings"

	"github.com/keysweep/keysweep/internal/gittest"
)

// pairingCases are the shapes of issue 23: credentials in structured
// configuration, each of which must be reported with its own secret (the
// severity a paired key has), and key IDs next to secrets that are not
// theirs, which must be reported without one. Keys are seeded from 1300.
func pairingCases() []Case {
	key := func(seed int) (string, string) { return gittest.FakeKey(1300 + seed) }
	// slashed makes a secret hold a '+' and a '/' for the escaped shapes.
	slashed := func(s string) string { return s[:9] + "+" + s[10:19] + "/" + s[20:] }
	var cs []Case
	add := func(c Case) { cs = append(cs, c) }

	k, s := key(1)
	add(Case{Name: "Kubernetes env list, secret far below", Files: map[string]string{"k8s/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          env:\n" +
		"            - name: AWS_ACCESS_KEY_ID\n              value: " + k + "\n" + strings.Repeat("            - name: LOG_LEVEL\n              value: debug\n", 4) +
		"            - name: AWS_SECRET_ACCESS_KEY\n              value: " + s + "\n"},
		Want: []Want{{KeyID: k, Path: "k8s/deployment.yaml", Secret: s}}})
	k, s = key(2)
	env := func(name, value string) string {
		return "        {\n          \"name\": \"" + name + "\",\n          \"value\": \"" + value + "\"\n        }"
	}
	add(Case{Name: "ECS task definition environment", Files: map[string]string{"ecs/task.json": "{\n  \"containerDefinitions\": [\n    {\n      \"environment\": [\n" +
		strings.Join([]string{env("AWS_ACCESS_KEY_ID", k), env("LOG_LEVEL", "debug"), env("REGION", "eu-west-1"), env("AWS_SECRET_ACCESS_KEY", s)}, ",\n") + "\n      ]\n    }\n  ]\n}\n"},
		Want: []Want{{KeyID: k, Path: "ecs/task.json", Secret: s}}})
	k, s = key(3)
	add(Case{Name: "Postman environment", Files: map[string]string{"postman/prod.postman_environment.json": "{\n  \"name\": \"prod\",\n  \"values\": [\n" +
		"    {\"key\": \"aws_access_key_id\", \"value\": \"" + k + "\", \"enabled\": true},\n" + strings.Repeat("    {\"key\": \"host\", \"value\": \"api.example.com\", \"enabled\": true},\n", 6) +
		"    {\"key\": \"aws_secret_access_key\", \"value\": \"" + s + "\", \"enabled\": true}\n  ]\n}\n"},
		Want: []Want{{KeyID: k, Path: "postman/prod.postman_environment.json", Secret: s}}})
	k, s = key(4)
	add(Case{Name: "CloudFormation parameter defaults", Files: map[string]string{"cfn/stack.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  AccessKey:\n    Type: String\n    Default: " + k + "\n" +
		"  BucketName:\n    Type: String\n    Default: logs\n  SecretKey:\n    Type: String\n    NoEcho: true\n    Description: for the uploader\n    Default: " + s + "\n"},
		Want: []Want{{KeyID: k, Path: "cfn/stack.yaml", Secret: s}}})
	k, s = key(5)
	output := func(name, value string, sensitive bool) string {
		return fmt.Sprintf("  %q: {\n    \"sensitive\": %v,\n    \"type\": \"string\",\n    \"value\": %q\n  }", name, sensitive, value)
	}
	add(Case{Name: "terraform output -json", Files: map[string]string{"ops/outputs.json": "{\n" + strings.Join([]string{output("access_key", k, false), output("bucket", "logs", false), output("region", "eu-west-1", false), output("secret_key", s, true)}, ",\n") + "\n}\n"},
		Want: []Want{{KeyID: k, Path: "ops/outputs.json", Secret: s}}})
	k, s = key(6)
	k2, s2 := key(7)
	add(Case{Name: "two credentials on one line, each secret first", Files: map[string]string{"ops/keys.json": `[{"SecretAccessKey": "` + s + `", "AccessKeyId": "` + k + `"}, {"SecretAccessKey": "` + s2 + `", "AccessKeyId": "` + k2 + `"}]` + "\n"},
		Want: []Want{{KeyID: k, Path: "ops/keys.json", Secret: s}, {KeyID: k2, Path: "ops/keys.json", Secret: s2}}})
	k, s = key(8)
	k2, s2 = key(9)
	add(Case{Name: "parallel maps keyed by environment", Files: map[string]string{"deploy/keys.yaml": "aws_access_key_ids:\n  production: " + k + "\n  staging: " + k2 + "\naws_secret_access_keys:\n  staging: " + s2 + "\n  production: " + s + "\n"},
		Want: []Want{{KeyID: k, Path: "deploy/keys.yaml", Secret: s}, {KeyID: k2, Path: "deploy/keys.yaml", Secret: s2}}})
	k, _ = key(10)
	_, s = key(11)
	bad, _ := key(12)
	bad = bad[:8] + "0189" + bad[12:] // key-ID-shaped, but 0, 1, 8, 9 are not base32
	add(Case{Name: "a secret next to a key-shaped non-key is not another key's", Files: map[string]string{"tests/fixtures.py": "REAL_KEY = '" + k + "'\n" + filler(100) +
		"FAKE = {'aws_access_key_id': '" + bad + "', 'aws_secret_access_key': '" + s + "'}\n"},
		Want: []Want{{KeyID: k, Path: "tests/fixtures.py"}}})
	k, s = key(13)
	s = slashed(s)
	add(Case{Name: "secret JSON-escaped (PHP json_encode)", Files: map[string]string{"storage/creds.json": `{"key":"` + k + `","secret":"` + strings.ReplaceAll(s, "/", `\/`) + `"}` + "\n"},
		Want: []Want{{KeyID: k, Path: "storage/creds.json", Secret: s}}})
	k, s = key(14)
	s = slashed(s)
	add(Case{Name: "secret JSON-escaped (.NET System.Text.Json)", Files: map[string]string{"appsettings.json": "{\n  \"AWS\": {\n    \"AccessKey\": \"" + k + "\",\n    \"SecretKey\": \"" +
		strings.NewReplacer("+", `\u002B`, "/", `\u002F`).Replace(s) + "\"\n  }\n}\n"},
		Want: []Want{{KeyID: k, Path: "appsettings.json", Secret: s}}})
	k, s = key(15)
	s = slashed(s)
	add(Case{Name: "secret with HTML entities", Files: map[string]string{"docs/keys.html": "<table><tr><td>" + k + "</td><td>" + strings.NewReplacer("+", "&#43;", "/", "&#47;").Replace(s) + "</td></tr></table>\n"},
		Want: []Want{{KeyID: k, Path: "docs/keys.html", Secret: s}}})
	k, s = key(16)
	_, s2 = key(17)
	_, s3 := key(18)
	add(Case{Name: "key ID next to other services' secrets", Files: map[string]string{"web/.env": "AWS_ACCESS_KEY_ID=" + k + "\nCOOKIE_SECRET=" + s + "\nJWT_SECRET=" + s2 + "\nSESSION_SECRET=" + s3 + "\n"},
		Want: []Want{{KeyID: k, Path: "web/.env"}}})
	k, s = key(19)
	add(Case{Name: "ID/SECRET glued", Files: map[string]string{"notes/handover.txt": "uploader credentials: " + k + "/" + s + "\n"},
		Want: []Want{{KeyID: k, Path: "notes/handover.txt", Secret: s}}})
	k, _ = key(20)
	add(Case{Name: "key ID after a version path segment", Files: map[string]string{"logs/api.log": "GET https://iam.example.com/v2beta1/" + k + "/status 200\n"},
		Want: []Want{{KeyID: k, Path: "logs/api.log"}}})
	k, s = key(21)
	add(Case{Name: "ANSI colour codes touching the key", Files: map[string]string{"ci/output.log": "\x1b[1mCreated key\x1b[0m \x1b[32m" + k + "\x1b[0m secret \x1b[33m" + s + "\x1b[0m\n"},
		Want: []Want{{KeyID: k, Path: "ci/output.log", Secret: s}}})
	k, _ = key(22)
	add(Case{Name: "key ID in a branch name only", Files: map[string]string{"CHANGES": "rotation\n"}, Branch: "rotate-" + k,
		Want: []Want{{KeyID: k, Path: ".git/refs/heads/rotate-" + k, Decoded: "ref name"}}})
	k, _ = key(23)
	add(Case{Name: "key ID in the author name only", Files: map[string]string{"AUTHORS": "ci\n"}, Author: "deploy " + k + " <ci@example.com>",
		Want: []Want{{KeyID: k, Path: "{author}"}}})
	k, _ = key(29)
	add(Case{Name: "key ID in a tagger name only", Files: map[string]string{"RELEASE": "2.0\n"}, TagName: "v2.0-ci", TagMsg: "Release 2.0\n", Tagger: "release " + k + " <ci@example.com>",
		Want: []Want{{KeyID: k, Path: ".git/tags/v2.0-ci/tagger"}}})

	// Look-alikes.
	k, _ = key(24)
	var img strings.Builder
	img.WriteString("data:image/png;base64,\n")
	for i := range 40 {
		line := randB64(uint64(300+i), 76)
		switch i {
		case 5:
			line = k + line[20:] // a key-shaped run starting a line
		case 9:
			line = line[:56] + k // and ending one
		case 13:
			line = line[:55] + "/" + k
		}
		img.WriteString(line + "\n")
	}
	add(Case{Name: "base64 image with key-shaped runs at line boundaries", Negative: true, Files: map[string]string{"web/logo.b64": img.String()}, Absent: []string{k}})
	return cs
}
