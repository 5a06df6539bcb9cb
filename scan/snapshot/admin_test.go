package snapshot

import (
	"net/url"
	"testing"
)

func TestGrantsAdmin(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      bool
	}{
		{"star", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, true},
		{"star-colon-star", `{"Statement":[{"Effect":"Allow","Action":["*:*"],"Resource":["*"]}]}`, true},
		{"url-encoded", url.PathEscape(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`), true},
		{"NotAction leaves IAM allowed", `{"Statement":{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"*"}}`, true},
		{"Action * with NotResource", `{"Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::audit-logs/*"}}`, true},
		{"conditional admin is admin", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`, true},
		{"PowerUserAccess", `{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}`, false},
		{"one service", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, false},
		{"deny all", `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, false},
		{"garbage", `{not json`, false},
	} {
		if got := grantsAdmin(tc.doc); got != tc.want {
			t.Errorf("%s: grantsAdmin = %v, want %v", tc.name, got, tc.want)
		}
	}
}
