package detect

import (
	"bytes"
	"slices"
)

// The names of values: what a secret or key ID is assigned to, read from
// the assignment itself or, where that name is generic ("value",
// "default"), from the structure around it. Every lookup reads at most
// maxStruct bytes around the value, so naming costs a constant per
// candidate and stays within MaxContext.

// maxStruct bounds how far naming looks for a sibling field or a parent
// key, and maxStructLines how many lines.
const (
	maxStruct      = 1 << 10
	maxStructLines = 12
)

// secretName reports whether name (normalized, see assignedName) names a
// secret access key, and whether it names a secret of something else
// (COOKIE_SECRET, JWT_SECRET, a Flask SECRET_KEY is not AWS's): such a
// value is no candidate at all, however near a key ID it is. A name is
// AWS's when it says so (secretaccesskey, aws) or is unqualified or
// qualified by a scope (PROD_SECRET_KEY, fs.s3a.secret.key).
func secretName(name []byte) (named, foreign bool) {
	if bytes.Contains(name, []byte("secretaccesskey")) || bytes.Contains(name, []byte("aws")) {
		return isSecretName(name), false
	}
	if !credentialLike(name) {
		return false, false // not a name at all: the key ID before a ','
	}
	q := qualifier(name, secretWords)
	if q == "" {
		q = string(name)
	}
	for _, w := range foreignWords {
		if bytes.Contains([]byte(q), []byte(w)) {
			return false, true
		}
	}
	if slices.Contains(foreignQualifiers, q) {
		return false, true
	}
	return isSecretName(name), false
}

// foreignWords, anywhere in a name that does not say aws, make it the
// name of another service's or purpose's secret; foreignQualifiers do
// when they are all the name adds to the secret words (APP_SECRET,
// CLIENT_SECRET, SECRET_KEY_BASE).
var (
	foreignWords = []string{"cookie", "jwt", "session", "csrf", "xsrf", "oauth", "consumer", "webhook", "hmac",
		"signing", "django", "flask", "rails", "nextauth", "github", "gitlab", "google", "azure", "stripe", "slack",
		"twilio", "twitter", "facebook", "captcha", "encryption", "paypal", "firebase", "sentry", "discord"}
	foreignQualifiers = []string{"app", "api", "client", "base", "auth", "token", "shared", "master", "otp", "totp", "application"}
)

func isSecretName(name []byte) bool {
	for _, s := range []string{"secretaccesskey", "secretkey", "awssecret"} {
		if bytes.Contains(name, []byte(s)) {
			return true
		}
	}
	return bytes.HasSuffix(name, []byte("secret"))
}

// assignedName returns the name that the value starting at i is assigned
// to, lower-cased and with only letters and digits kept, or nil. It knows
// the shapes credentials take in configuration and source files:
//
//	aws_secret_access_key = v        AWS_SECRET_ACCESS_KEY="v"
//	"SecretAccessKey": "v"           secretAccessKey: 'v'
//	SecretAccessKey: "v",            secret_key := "v"
//	'secret' => 'v'                  <SecretAccessKey>v</SecretAccessKey>
//	os.environ["AWS_SECRET_ACCESS_KEY"] = "v"
func assignedName(buf []byte, i int) []byte {
	name, _ := assignment(buf, i)
	return name
}

// assignment is assignedName, and where the name starts in buf.
func assignment(buf []byte, i int) ([]byte, int) {
	j := skipQuotes(buf, i)
	k := j
	for k > 0 && j-k < 3 && isOp(buf[k-1]) {
		k--
	}
	if k == j {
		return nil, -1
	}
	end := skipQuotes(buf, k)
	j = end
	for j > 0 && end-j < 64 && isIdent(buf[j-1]) {
		j--
	}
	return normalize(nil, buf[j:end]), j
}

// genericNames name a value in structures that hold the real name
// elsewhere: a sibling field (Kubernetes and ECS env lists, Postman
// variables, CloudFormation parameter files) or the parent key
// (CloudFormation parameters, terraform output -json).
var genericNames = []string{"value", "default", "parametervalue", "outputvalue", "currentvalue", "initialvalue"}

// fieldNames are the sibling fields that hold a generic value's name.
var fieldNames = []string{"name", "key", "parameterkey", "outputkey", "optionname", "variable", "id"}

// nameOf is assignedName, seeing through the shapes where the value is
// assigned to a generic name and the real one is elsewhere:
//
//	variable "secret_key" { default = "v" }           (Terraform)
//	<name>fs.s3a.secret.key</name><value>v</value>    (Hadoop XML)
//	- name: AWS_SECRET_ACCESS_KEY                      (Kubernetes, ECS,
//	  value: v                                          Postman: a sibling)
//	SecretKey: {Type: String, Default: v}             (the parent key)
//
// and qualifying a name that is not a credential's by its parent's when
// that is ("aws_secret_access_keys: {production: v}" names v
// awssecretaccesskeysproduction, which pairs it with the production key
// ID of a parallel map).
func nameOf(buf []byte, i int) []byte {
	name, at := assignment(buf, i)
	if name == nil {
		return nil
	}
	if !slices.Contains(genericNames, string(name)) {
		if credentialLike(name) {
			return name
		}
		if _, parent := structure(buf, at, i, false); credentialLike(parent) {
			return append(parent, name...)
		}
		return name
	}
	if n := blockName(buf, i, name); n != nil {
		return n
	}
	field, parent := structure(buf, at, i, true)
	switch {
	case field != nil:
		return field
	case parent != nil:
		return parent
	}
	return name
}

// credentialLike reports whether a name is a credential's.
func credentialLike(name []byte) bool {
	for _, w := range []string{"key", "secret", "token", "access", "credential"} {
		if bytes.Contains(name, []byte(w)) {
			return true
		}
	}
	return false
}

// blockName reads the name of a Terraform variable's default and of a
// Hadoop property's value.
func blockName(buf []byte, i int, name []byte) []byte {
	var open, close string
	switch string(name) {
	case "default":
		open, close = "variable", "{"
	case "value":
		open, close = "<name>", "</name>"
	default:
		return nil
	}
	before := buf[max(i-256, 0):i]
	o := bytes.LastIndex(before, []byte(open))
	if o < 0 {
		return nil
	}
	rest := before[o+len(open):]
	c := bytes.Index(rest, []byte(close))
	if c < 0 {
		return nil
	}
	return normalize(nil, rest[:c])
}

// structure returns, for the name at buf[at:] of the value at buf[i:],
// the value of a sibling field that names it (if fields; see fieldNames)
// and the key of the block or object it is in, each normalized or nil.
// A name first on its line is in a block of lines (YAML, pretty-printed
// JSON): siblings are the lines that start in the same column, the parent
// the line above that starts left of it. Otherwise the name is in an
// inline object, "{...}" around it.
func structure(buf []byte, at, i int, fields bool) (field, parent []byte) {
	ls := bytes.LastIndexByte(buf[max(at-maxStruct, 0):at], '\n') + 1 + max(at-maxStruct, 0)
	if col, _, ok := keyColumn(buf, ls); ok && ls+col == at {
		return lineStructure(buf, ls, col, fields)
	}
	return inlineStructure(buf, at, i, fields)
}

// keyColumn returns where the key of the line at ls starts, after blanks,
// a YAML list item's "- " and a quote, and whether the line starts a list
// item; ok is false for a blank line or a comment.
func keyColumn(buf []byte, ls int) (col int, item, ok bool) {
	j := ls
	for j < len(buf) && j-ls < maxStruct && (buf[j] == ' ' || buf[j] == '\t') {
		j++
	}
	if j+1 < len(buf) && buf[j] == '-' && buf[j+1] == ' ' {
		item = true
		for j++; j < len(buf) && buf[j] == ' '; j++ {
		}
	}
	if j < len(buf) && (buf[j] == '"' || buf[j] == '\'') {
		j++
	}
	if j >= len(buf) || buf[j] == '\n' || buf[j] == '\r' || buf[j] == '#' || buf[j] == '/' && j+1 < len(buf) && buf[j+1] == '/' {
		return 0, false, false
	}
	return j - ls, item, true
}

// keyValue reads "key: value" (or = for :, quoted or not) at buf[k:]: the
// key and the value as they are, and whether the line ends after the key
// (a block's or object's opener: "key:", "\"key\": {"). It does not
// allocate: callers normalize what they keep.
func keyValue(buf []byte, k int) (key, value []byte, opens bool) {
	j := k
	for j < len(buf) && j-k < 64 && isIdent(buf[j]) {
		j++
	}
	key = buf[k:j]
	for j < len(buf) && (buf[j] == '"' || buf[j] == '\'' || buf[j] == ' ') {
		j++
	}
	if j >= len(buf) || buf[j] != ':' && buf[j] != '=' {
		return nil, nil, false
	}
	colon := buf[j] == ':'
	for j++; j < len(buf) && (buf[j] == ' ' || buf[j] == '"' || buf[j] == '\''); j++ {
	}
	if j >= len(buf) || buf[j] == '\n' || buf[j] == '\r' || buf[j] == '{' || buf[j] == '[' || buf[j] == '#' {
		// Only YAML and JSON open blocks this way; "name =" at the end
		// of a line is a value on the next line.
		return key, nil, colon
	}
	v := j
	for v < len(buf) && v-j < 64 && (isIdent(buf[v]) || buf[v] == '/' || buf[v] == ':') {
		v++ // a path names SSM parameters: /prod/aws_secret_access_key
	}
	if v == j {
		return key, nil, false
	}
	return key, buf[j:v], false
}

// fieldValue is the value of the "key: value" at buf[k:], normalized, if
// its key is one of fieldNames, or nil.
func fieldValue(buf []byte, k int) []byte {
	key, v, _ := keyValue(buf, k)
	if v == nil || len(key) > 16 {
		return nil
	}
	var tmp [16]byte
	if !slices.Contains(fieldNames, string(normalize(tmp[:0], key))) {
		return nil
	}
	return normalize(nil, v)
}

// lineStructure is structure for a name first on its line, at column col
// of the line starting at ls.
func lineStructure(buf []byte, ls, col int, fields bool) (field, parent []byte) {
	_, ownItem, _ := keyColumn(buf, ls)
	try := func(l int, c int) bool {
		field = fieldValue(buf, l+c)
		return field != nil
	}
	// Back: siblings up to the start of the item, then the parent.
	l := ls
	for n := 0; n < maxStructLines && l > 0 && ls-l < maxStruct; n++ {
		l = bytes.LastIndexByte(buf[:l-1], '\n') + 1
		c, item, ok := keyColumn(buf, l)
		if !ok || c > col {
			continue
		}
		if c < col {
			if k, _, opens := keyValue(buf, l+c); opens && len(k) > 0 {
				parent = normalize(nil, k)
			}
			break
		}
		if ownItem {
			break // the item before this one
		}
		if fields && field == nil && try(l, c) {
			break
		}
		if item {
			break
		}
	}
	if !fields || field != nil {
		return field, parent
	}
	// On: siblings after the name, up to the next item.
	l = ls
	for n := 0; n < maxStructLines; n++ {
		e := bytes.IndexByte(buf[l:min(len(buf), l+maxStruct)], '\n')
		if e < 0 {
			break
		}
		l += e + 1
		c, item, ok := keyColumn(buf, l)
		if !ok || c > col {
			continue
		}
		if c < col || item {
			break
		}
		if try(l, c) {
			break
		}
	}
	return field, parent
}

// inlineStructure is structure for a name inside an inline object: the
// "{...}" around the name, within maxStruct bytes either way.
func inlineStructure(buf []byte, at, i int, fields bool) (field, parent []byte) {
	open := -1
	depth := 0
	for j := at - 1; j >= max(at-maxStruct, 0); j-- {
		switch buf[j] {
		case '}', ']':
			depth++
		case '{', '[':
			if depth == 0 {
				open = j
			}
			depth--
		}
		if open >= 0 {
			break
		}
	}
	if open < 0 || buf[open] != '{' {
		return nil, nil
	}
	if fields {
		end := len(buf)
		depth = 0
		for j := i; j < min(i+maxStruct, len(buf)); j++ {
			if c := buf[j]; c == '{' || c == '[' {
				depth++
			} else if c == '}' || c == ']' {
				if depth == 0 {
					end = j
					break
				}
				depth--
			}
		}
		if end < len(buf) {
			field = objectField(buf, open+1, end)
		}
	}
	// The parent: "key": { or key: {
	j := open
	for j > 0 && (buf[j-1] == ' ' || buf[j-1] == '\t') {
		j--
	}
	if j > 0 && (buf[j-1] == ':' || buf[j-1] == '=') {
		if k, _ := assignment(buf, open); k != nil {
			parent = k
		}
	}
	return field, parent
}

// objectField returns the value of the first name field (fieldNames) at
// the top level of the object buf[s:e], normalized, or nil.
func objectField(buf []byte, s, e int) []byte {
	depth := 0
	for j := s; j < e; j++ {
		switch c := buf[j]; {
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case depth == 0 && isIdent(c) && (j == s || !isIdent(buf[j-1])):
			if v := fieldValue(buf, j); v != nil {
				return v
			}
		}
	}
	return nil
}
