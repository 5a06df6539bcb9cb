package mototest

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"sync"
)

// Boundaries serves what moto lacks for IAM users' permissions boundaries
// (it keeps them for roles only): PutUserPermissionsBoundary is answered
// and remembered here, and GetAccountAuthorizationDetails answers carry
// each user's PermissionsBoundary as IAM's do. Chain its Answer in a Proxy
// and make both calls through it.
type Boundaries struct {
	mu     sync.Mutex
	byUser map[string]string // user name -> boundary policy ARN
}

// Answer is the Boundaries' AnswerFunc.
func (b *Boundaries) Answer(w http.ResponseWriter, c *Call) bool {
	switch c.Action {
	case "PutUserPermissionsBoundary":
		b.mu.Lock()
		if b.byUser == nil {
			b.byUser = map[string]string{}
		}
		b.byUser[c.Form.Get("UserName")] = c.Form.Get("PermissionsBoundary")
		b.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<PutUserPermissionsBoundaryResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></PutUserPermissionsBoundaryResponse>`))
		return true
	case "GetAccountAuthorizationDetails":
		resp, body, err := c.Forward()
		if err != nil || resp.StatusCode != http.StatusOK {
			return false
		}
		b.mu.Lock()
		for user, arn := range b.byUser {
			var name, ref bytes.Buffer
			_ = xml.EscapeText(&name, []byte(user))
			_ = xml.EscapeText(&ref, []byte(arn))
			tag := []byte("<UserName>" + name.String() + "</UserName>")
			body = bytes.Replace(body, tag, append(tag, []byte("<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType><PermissionsBoundaryArn>"+ref.String()+"</PermissionsBoundaryArn></PermissionsBoundary>")...), 1)
		}
		b.mu.Unlock()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
		return true
	}
	return false
}
