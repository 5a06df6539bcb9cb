package iampolicy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestAssess(t *testing.T) {
	const self = "arn:aws:iam::111122223333:user/dev"
	boundary := mustParse("arn:aws:iam::111122223333:policy/boundary", `{"Statement":[{"Effect":"Allow","Action":["s3:Get*","iam:CreatePolicyVersion"],"Resource":"*"}]}`)
	tests := []struct {
		name        string
		docs        []string
		boundary    *Policy
		level       Level
		conditional bool
		paths       []string // escalation paths' first action
		high        string   // one high-impact entry expected
	}{
		{name: "admin", docs: []string{adminDoc}, level: LevelAdmin, high: "iam:CreateAccessKey on *"},
		{name: "all of IAM is admin", docs: []string{`{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}`}, level: LevelAdmin},
		{name: "NotAction without IAM's exclusion is admin", docs: []string{`{"Statement":{"Effect":"Allow","NotAction":"organizations:*","Resource":"*"}}`}, level: LevelAdmin},
		{name: "policies on itself is admin", docs: []string{`{"Statement":{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"` + self + `"}}`}, level: LevelAdmin},
		{name: "conditional admin", docs: []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`}, level: LevelAdmin, conditional: true},
		{name: "CreatePolicyVersion", docs: []string{readOnlyDoc, `{"Statement":{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::111122223333:policy/*"}}`},
			level: LevelEscalation, paths: []string{"iam:CreatePolicyVersion"}, high: "iam:CreatePolicyVersion on arn:aws:iam::111122223333:policy/*"},
		{name: "PassRole with RunInstances", docs: []string{`{"Statement":{"Effect":"Allow","Action":["iam:PassRole","ec2:RunInstances","ec2:Describe*"],"Resource":"*"}}`},
			level: LevelEscalation, paths: []string{"iam:PassRole"}},
		{name: "PassRole alone is write", docs: []string{`{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}}`}, level: LevelWrite},
		{name: "own access keys are not escalation", docs: []string{`{"Statement":{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:UpdateLoginProfile"],"Resource":"arn:aws:iam::*:user/${aws:username}"}}`}, level: LevelWrite, conditional: true},
		{name: "others' access keys are", docs: []string{`{"Statement":{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::111122223333:user/*"}}`}, level: LevelEscalation, paths: []string{"iam:CreateAccessKey"}},
		{name: "denied escalation", docs: []string{`{"Statement":[{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"*"},{"Effect":"Deny","Action":"iam:Create*","Resource":"*"}]}`}, level: LevelNone},
		{name: "read", docs: []string{readOnlyDoc}, level: LevelRead, high: "s3:GetObject on *"},
		{name: "write", docs: []string{`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::data/*"}}`}, level: LevelWrite, high: "s3:PutObject on arn:aws:s3:::data/*"},
		{name: "none", level: LevelNone},
		{name: "boundary makes admin escalation", docs: []string{adminDoc}, boundary: &boundary, level: LevelEscalation, paths: []string{"iam:CreatePolicyVersion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Principal{ARN: self, Boundary: tt.boundary}
			for i, d := range tt.docs {
				p.Identity = append(p.Identity, mustParse(string(rune('a'+i)), d))
			}
			a := Assess(p)
			if a.Level != tt.level || a.Conditional != tt.conditional {
				t.Errorf("level = %s (conditional %v), want %s (%v); grants %+v", a.Level, a.Conditional, tt.level, tt.conditional, a.Grants)
			}
			var first []string
			for _, e := range a.Escalations {
				first = append(first, e.Actions[0])
			}
			for _, want := range tt.paths {
				if !slices.Contains(first, want) {
					t.Errorf("escalations %v lack %s", first, want)
				}
			}
			if tt.paths == nil && tt.level != LevelAdmin && len(a.Escalations) > 0 {
				t.Errorf("unexpected escalations %+v", a.Escalations)
			}
			if tt.high != "" && !slices.Contains(a.HighImpact, tt.high) {
				t.Errorf("high impact %v lacks %q", a.HighImpact, tt.high)
			}
		})
	}
}

func TestGrantsNarrowed(t *testing.T) {
	boundary := mustParse("boundary", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"}]}`)
	p := Principal{
		Identity: []Policy{mustParse("arn:aws:iam::aws:policy/AmazonS3FullAccess", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`),
			mustParse("inline:deny", `{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::logs/private/*"}]}`)},
		Boundary: &boundary,
	}
	gs, truncated := p.Grants()
	want := Grant{Action: "s3:GetObject", Resource: "arn:aws:s3:::logs/*", Conditional: true, Policy: "arn:aws:iam::aws:policy/AmazonS3FullAccess"}
	if truncated || len(gs) != 1 || grantKey(gs[0]) != grantKey(want) || gs[0].Policy != want.Policy {
		t.Errorf("grants = %+v, want [%+v]", gs, want)
	}
}

// TestGrantsBounded: however many actions and resources a statement
// lists, the grants stop at MaxGrants and say so.
func TestGrantsBounded(t *testing.T) {
	var acts, res []string
	for i := range 100 {
		acts = append(acts, `"s3:Action`+strings.Repeat("x", i)+`"`)
		res = append(res, `"arn:aws:s3:::b`+strings.Repeat("y", i)+`"`)
	}
	doc := `{"Statement":{"Effect":"Allow","Action":[` + strings.Join(acts, ",") + `],"Resource":[` + strings.Join(res, ",") + `]}}`
	gs, truncated := Principal{Identity: []Policy{mustParse("p", doc)}}.Grants()
	if !truncated || len(gs) != MaxGrants {
		t.Errorf("%d grants, truncated %v", len(gs), truncated)
	}
}

func TestReadOnly(t *testing.T) {
	for a, want := range map[string]bool{
		"s3:GetObject": true, "s3:Get*": true, "ec2:DescribeInstances": true, "dynamodb:Query": true,
		"s3:*": false, "*": false, "s3:*Get": false, "s3:PutObject": false, "iam:CreateUser": false, "s3": false,
	} {
		if got := ReadOnly(a); got != want {
			t.Errorf("ReadOnly(%s) = %v", a, got)
		}
	}
}

// TestAssessScales: the assessment of a principal grows linearly with the
// size of its policies (the allocations of twice the actions are about
// twice as many), never with its square.
func TestAssessScales(t *testing.T) {
	principal := func(n int) Principal {
		var acts []string
		for i := range n {
			acts = append(acts, fmt.Sprintf(`"svc%d:Put%d"`, i%7, i))
		}
		doc := `{"Statement":[{"Effect":"Allow","Action":[` + strings.Join(acts, ",") + `],"Resource":"arn:aws:s3:::b/*"},` +
			`{"Effect":"Deny","Action":"svc1:*","Resource":"arn:aws:s3:::b/secret/*"}]}`
		return Principal{ARN: "arn:aws:iam::1:user/u", Identity: []Policy{mustParse("p", doc)}}
	}
	small, large := principal(400), principal(800)
	a := testing.AllocsPerRun(2, func() { Assess(small) })
	b := testing.AllocsPerRun(2, func() { Assess(large) })
	if b > 2.6*a {
		t.Errorf("allocations %v for 400 actions, %v for 800: not linear", a, b)
	}
	if got := Assess(large); len(got.Grants) != 800 || got.Level != LevelWrite {
		t.Errorf("%d grants, level %s", len(got.Grants), got.Level)
	}
}
