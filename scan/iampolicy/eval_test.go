package iampolicy

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

const (
	adminDoc    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	readOnlyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","ec2:Describe*"],"Resource":"*"}]}`
)

func pol(t *testing.T, name, doc string) Policy {
	t.Helper()
	p, err := Parse(name, doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParse(t *testing.T) {
	// IAM returns documents URL-encoded (RFC 3986: a space is %20, a
	// plus sign stays itself).
	enc := url.PathEscape(`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`)
	p := pol(t, "inline:x", enc)
	if len(p.Statements) != 1 {
		t.Fatalf("statements = %d", len(p.Statements))
	}
	s := p.Statements[0]
	if s.Effect != Allow || !slices.Equal(s.Action, []string{"s3:GetObject"}) || !slices.Equal(s.Resource, []string{"arn:aws:s3:::a+b/*"}) || !s.Conditional {
		t.Errorf("statement = %+v", s)
	}
	bad := []string{
		`{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"x"}]}`,
		`%zz`,
		`{"Statement":`,
		`{"Statement":[]}` + strings.Repeat(" ", MaxDocument),
	}
	for _, doc := range bad {
		if _, err := Parse("p", doc); err == nil {
			t.Errorf("Parse(%.60q) succeeded", doc)
		}
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name             string
		docs             []string
		action, resource string
		want             Decision
	}{
		{"admin", []string{adminDoc}, "iam:CreateUser", "*", Allowed},
		{"admin answers the universal query", []string{adminDoc}, "*", "*", Allowed},
		{"nothing", nil, "s3:GetObject", "*", Denied},
		{"read-only reads", []string{readOnlyDoc}, "s3:GetObject", "arn:aws:s3:::b/k", Allowed},
		{"read-only does not write", []string{readOnlyDoc}, "s3:PutObject", "arn:aws:s3:::b/k", Denied},
		{"actions are case-insensitive", []string{readOnlyDoc}, "S3:getobject", "x", Allowed},
		{"explicit deny wins", []string{adminDoc, `{"Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`}, "iam:CreateUser", "*", ExplicitlyDenied},
		{"a deny of part makes the universal query partial", []string{adminDoc, `{"Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`}, "*", "*", Conditional},
		{"conditional deny", []string{adminDoc, `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`}, "iam:CreateUser", "*", Conditional},
		{"conditional allow", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`}, "s3:GetObject", "*", Conditional},
		{"NotAction allows the rest", []string{`{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]}`}, "s3:DeleteBucket", "*", Allowed},
		{"NotAction leaves its own out", []string{`{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]}`}, "iam:CreateUser", "*", Denied},
		{"NotAction is not everything", []string{`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`}, "*", "*", Denied},
		{"NotResource", []string{`{"Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}]}`}, "s3:GetObject", "arn:aws:s3:::open/k", Allowed},
		{"NotResource leaves its own out", []string{`{"Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}]}`}, "s3:GetObject", "arn:aws:s3:::secret/k", Denied},
		{"deny NotAction denies the rest", []string{adminDoc, `{"Statement":[{"Effect":"Deny","NotAction":"s3:Get*","Resource":"*"}]}`}, "ec2:RunInstances", "*", ExplicitlyDenied},
		{"deny NotAction spares its own", []string{adminDoc, `{"Statement":[{"Effect":"Deny","NotAction":"s3:Get*","Resource":"*"}]}`}, "s3:GetObject", "*", Allowed},
		{"resource wildcard", []string{`{"Statement":[{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::*:policy/team-*"}]}`}, "iam:CreatePolicyVersion", "arn:aws:iam::111122223333:policy/team-a", Allowed},
		{"policy variable is conditional", []string{`{"Statement":[{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`}, "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/bob", Conditional},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []Policy
			for i, d := range tt.docs {
				ps = append(ps, pol(t, string(rune('a'+i)), d))
			}
			if got := Evaluate(ps, tt.action, tt.resource); got != tt.want {
				t.Errorf("Evaluate(%s, %s) = %v, want %v", tt.action, tt.resource, got, tt.want)
			}
		})
	}
}

func TestPrincipalLayers(t *testing.T) {
	boundary := pol(t, "boundary", `{"Statement":[{"Effect":"Allow","Action":["s3:*","ec2:Describe*"],"Resource":"*"}]}`)
	scpRoot := []Policy{pol(t, "p-FullAWSAccess", adminDoc)}
	scpOU := []Policy{pol(t, "p-deny-s3-delete", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`)}
	scpNoEC2 := []Policy{pol(t, "p-s3-only", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}
	admin := []Policy{pol(t, "arn:aws:iam::aws:policy/AdministratorAccess", adminDoc)}
	tests := []struct {
		name   string
		p      Principal
		action string
		want   Decision
	}{
		{"boundary intersects", Principal{Identity: admin, Boundary: &boundary}, "iam:CreateUser", Denied},
		{"boundary lets through", Principal{Identity: admin, Boundary: &boundary}, "s3:PutObject", Allowed},
		{"boundary alone grants nothing", Principal{Boundary: &boundary}, "s3:PutObject", Denied},
		{"SCP levels intersect", Principal{Identity: admin, SCPs: [][]Policy{scpRoot, scpNoEC2}}, "ec2:RunInstances", Denied},
		{"SCP deny wins", Principal{Identity: admin, SCPs: [][]Policy{scpRoot, scpOU}}, "s3:DeleteBucket", ExplicitlyDenied},
		{"SCP allows", Principal{Identity: admin, SCPs: [][]Policy{scpRoot, scpOU}}, "s3:PutObject", Allowed},
		{"an SCP level without allow denies", Principal{Identity: admin, SCPs: [][]Policy{scpRoot, {}}}, "s3:PutObject", Denied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Evaluate(tt.action, "*"); got != tt.want {
				t.Errorf("Evaluate(%s) = %v, want %v", tt.action, got, tt.want)
			}
		})
	}
}

func TestFullAdmin(t *testing.T) {
	tests := []struct {
		doc        string
		full, like bool
	}{
		{adminDoc, true, true},
		{`{"Statement":[{"Effect":"Allow","Action":"*:*","Resource":"*"}]}`, true, true},
		{`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`, false, true},
		{`{"Statement":[{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::x"}]}`, false, true},
		{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, false, true},
		{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, false, true},
		{readOnlyDoc, false, false},
		{`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, false, false},
	}
	for _, tt := range tests {
		ps := []Policy{pol(t, "p", tt.doc)}
		if got := GrantsFullAdmin(ps); got != tt.full {
			t.Errorf("GrantsFullAdmin(%s) = %v", tt.doc, got)
		}
		if got := FullAdminLike(ps); got != tt.like {
			t.Errorf("FullAdminLike(%s) = %v", tt.doc, got)
		}
	}
}

// mustParse is Parse for the documents the tests write.
func mustParse(name, doc string) Policy {
	p, err := Parse(name, doc)
	if err != nil {
		panic(err)
	}
	return p
}
