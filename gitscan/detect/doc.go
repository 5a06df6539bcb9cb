// Package detect finds AWS credentials in a byte buffer.
//
// It is pure logic: no git, no I/O, no allocation on a buffer without
// hits. Callers hand it whole blobs (or any other text) and get back every
// credential key ID with the secret access key and, for temporary ASIA
// keys, the session token found next to it.
//
// # Key IDs
//
// A key ID is (AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16} standing alone:
// the 20 characters must be a whole run of [A-Za-z0-9], so a key-like
// substring of a base64 blob or a longer identifier is not reported. Any
// byte outside [A-Za-z0-9+/] is a boundary, and so is an escape that ends
// right before the ID (\n, \t, \r, %XX, \xXX, \uXXXX), so that keys inside
// JSON strings and URL-encoded text are still found. '+' and '/' are base64
// characters too, so they are boundaries only where they are not base64:
// a '+' that starts a line (an added line of a patch) or joins a word to a
// key ID nothing base64 follows ("key+ID", a form-encoded space), and a
// '/' whose path segment on the other side is empty or reads like a word
// (lower, upper or camel case, a date, a version as short as "v2beta1")
// rather than like base64 ("s3://ID:SECRET@", "keys/ID/", "/etc/ID",
// "/home/deployBot/ID", "/v2beta1/ID",
// "Credential=ID/20240101/us-east-1/s3/aws4_request"), or that glues a
// secret to the key ID ("ID/SECRET": exactly 40 base64 characters, then
// nothing base64). An ANSI colour code ("\x1b[32m", "\033[1;31m") ends
// right before a key ID as an escape does. See pathBefore, pathAfter,
// secretAfter, ansiBefore and Context, which bounds what the verdict
// depends on. IAM
// unique IDs (AIDA, AROA, AGPA, ANPA, ...) name principals, not
// credentials, and never match. AWS documentation keys and obvious
// placeholders (alphabet runs either way, repeated characters, XXXX,
// words such as EXAMPLE or DUMMY anywhere) are dropped (see IsExample).
//
// # Secrets and session tokens
//
// A secret access key is a whole run of exactly 40 [A-Za-z0-9+/]
// characters with both upper and lower case letters and at least 15
// distinct characters, which rules out git hashes, hex digests and filler.
// Its '+' and '/' may be escaped as its container escapes them: %2B and
// %2F in a URL, \/ in JSON (PHP), \u002B and \u002F (.NET), &#43; &#47;
// &#x2B; &#x2F; in HTML; the secret is reported unescaped. A '+' that
// starts its line is a patch's, not its. It is paired with a key ID when
// it is
//
//   - assigned to a secret-like name (aws_secret_access_key,
//     secretAccessKey, SECRET_KEY, fs.s3a.secret.key, <SecretAccessKey>,
//     Terraform variable "secret_key" { default = ... }, Hadoop
//     <name>...secret.key</name><value>...</value>) anywhere in the buffer
//     (an .s3cfg has them 60 lines apart), or to a generic name ("value",
//     "default") whose structure names it: the sibling "name" or "key"
//     field of its item or object (Kubernetes and ECS env lists, Postman
//     variables) or the key of its block or object (CloudFormation
//     parameters, terraform output -json); see nameOf, or
//   - unnamed, within 5 lines and 4 KiB, and it also holds a digit or a
//     '+', which a random secret almost always does and a long camelCase
//     identifier or a path does not.
//
// A value assigned to another service's secret (COOKIE_SECRET,
// JWT_SECRET, SESSION_SECRET, CLIENT_SECRET, a Rails SECRET_KEY_BASE) is
// no candidate at all, however near: a secret-like name counts only if it
// is AWS's, unqualified, or qualified by a scope (PROD_SECRET_KEY).
//
// When several secrets qualify, those whose scope agrees with the key
// ID's come first: the word the two names add to the credential words
// (PROD_AWS_ACCESS_KEY_ID goes with PROD_AWS_SECRET_ACCESS_KEY, not
// DEV_AWS_SECRET_ACCESS_KEY, however near; a name that is no credential's
// is qualified by its parent's, so aws_access_key_ids.production goes with
// aws_secret_access_keys.production), then the section of the file
// ([prod] of an INI file, a top-level "prod:" of YAML) and the inline
// object ({"SecretAccessKey": S1, "AccessKeyId": K1}, {...} on one line).
// Then the nearest wins: same line first (named before unnamed), then
// named before unnamed within 30 lines and 16 KiB, then unnamed, then
// named ones further away; within each, fewer lines, then after the key
// ID rather than before it (credentials files list the ID first), then
// fewer bytes away. A secret goes to one key ID only, unless the same ID
// appears several times, and never to a key ID farther from it than a
// token shaped like a key ID that is none (test data with a 0, 1, 8 or 9
// in the ID): that secret is the token's. A secret with no key ID nearby
// is not reported: a Match always has a KeyID.
//
// For ASIA key IDs a session token is a run of at least 100
// [A-Za-z0-9+/=] characters that is assigned to a name containing
// SessionToken or SecurityToken (30 lines), or that starts like an STS
// token ("IQoJb3JpZ2lu", "FwoGZXIvYXdz", ...) within 5 lines.
//
// Lines are counted by '\n', so CRLF text works like LF text.
//
// # Cost
//
// Find is linear in its buffer, however the key IDs and secrets in it are
// laid out: every byte is probed or walked a bounded number of times, the
// lines that pairing reads for sections are read once however many
// credentials share them, each key ID considers a bounded number of
// candidates (it stops walking once maxPairs sure ones are found), and
// naming reads at most maxStruct bytes around a value. A one-line file of
// 32 MiB holding a credential every 100 bytes takes seconds.
package detect
