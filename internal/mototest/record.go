package mototest

import (
	"maps"
	"net/http"
	"strings"
	"sync"
)

// Recorder is an AnswerFunc that answers nothing and records, for every
// request, the access key ID that signed it: the Credential of the
// Authorization header (SigV4) or the X-Amz-Credential query parameter
// (presigned URLs). A test puts it in front of moto to prove which keys
// were used to sign requests, and that others never were.
type Recorder struct {
	mu  sync.Mutex
	ids map[string]int
	n   int
}

// Answer records c's signing key ID and leaves the call to moto.
func (r *Recorder) Answer(_ http.ResponseWriter, c *Call) bool {
	id := c.AccessKeyID()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[string]int{}
	}
	r.ids[id]++
	r.n++
	return false
}

// Signed returns how many requests each access key ID signed ("" counts
// unsigned requests).
func (r *Recorder) Signed() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.ids)
}

// Requests is the number of requests recorded.
func (r *Recorder) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// AccessKeyID is the access key ID that signed the call; "" if unsigned.
func (c *Call) AccessKeyID() string {
	if cred := c.req.URL.Query().Get("X-Amz-Credential"); cred != "" {
		id, _, _ := strings.Cut(cred, "/")
		return id
	}
	auth := c.req.Header.Get("Authorization")
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}
