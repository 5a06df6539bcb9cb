package mototest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy is an HTTP server in front of a moto Server. Every request is first
// offered to an AnswerFunc, which may answer it itself (a recorded AWS
// response moto cannot produce) or let it through to moto unchanged. Point
// the SDK at URL instead of the server's Endpoint.
type Proxy struct {
	URL    string
	target string
	answer AnswerFunc
	client *http.Client
}

// Call is one request seen by a Proxy. Action and Form are set for the AWS
// query protocol (IAM, STS, EC2, ...: a form-encoded POST); for other
// protocols Action is empty and the request only passes through.
type Call struct {
	Action string
	Form   url.Values

	req  *http.Request
	body []byte
	p    *Proxy
}

// AnswerFunc answers c by writing to w and returning true, or returns false
// (having written nothing) to leave the call to moto.
type AnswerFunc func(w http.ResponseWriter, c *Call) bool

// Proxy starts a proxy in front of s that is closed when the test ends.
func (s *Server) Proxy(t testing.TB, answer AnswerFunc) *Proxy {
	t.Helper()
	p := &Proxy{
		target: s.Endpoint,
		answer: answer,
		// The SDK runs calls concurrently; keep their connections to moto
		// alive instead of dialing one per request.
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	t.Cleanup(p.client.CloseIdleConnections)
	p.URL = srv.URL
	return p
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c := &Call{req: r, body: body, p: p}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil {
			c.Form = form
			c.Action = form.Get("Action")
		}
	}
	if p.answer != nil && p.answer(w, c) {
		return
	}
	resp, respBody, err := c.Forward()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

// Forward sends the call to moto unchanged and returns moto's response,
// whose body has been read into the returned bytes.
func (c *Call) Forward() (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(c.req.Context(), c.req.Method, c.p.target+c.req.URL.RequestURI(), bytes.NewReader(c.body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = c.req.Header.Clone()
	// The SDK signed the proxy's Host; moto with authentication enforced
	// checks the signature against the Host it receives.
	req.Host = c.req.Host
	resp, err := c.p.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	resp.Header.Del("Content-Length")
	return resp, b, nil
}

// Chain offers a call to each AnswerFunc in turn until one answers it.
func Chain(fns ...AnswerFunc) AnswerFunc {
	return func(w http.ResponseWriter, c *Call) bool {
		for _, fn := range fns {
			if fn(w, c) {
				return true
			}
		}
		return false
	}
}

// WriteError writes an AWS query-protocol error response, the format IAM,
// STS and EC2 document for errors, e.g. status 403 and code AccessDenied.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	var msg bytes.Buffer
	_ = xml.EscapeText(&msg, []byte(message))
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <Error>
    <Type>%s</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>4d2bd1b2-7c3e-4b8f-9d0a-5f3c1e0a9b7d</RequestId>
</ErrorResponse>
`, typ, code, msg.String())
}

// Paginate makes a query-protocol list action page its results as AWS
// does, which moto does not: at most MaxItems members (default 100) per
// response, IsTruncated and an opaque Marker to resume from. list names the
// element holding the members, e.g. Paginate("ListUsers", "Users").
func Paginate(action, list string) AnswerFunc {
	return func(w http.ResponseWriter, c *Call) bool {
		if c.Action != action {
			return false
		}
		resp, body, err := c.Forward()
		if err != nil || resp.StatusCode != http.StatusOK {
			return false // let the proxy forward it again and show moto's answer
		}
		members, err := listMembers(body, action, list)
		if err != nil {
			http.Error(w, "mototest: "+err.Error(), http.StatusBadGateway)
			return true
		}
		max := 100
		if v := c.Form.Get("MaxItems"); v != "" {
			if max, err = strconv.Atoi(v); err != nil || max < 1 {
				WriteError(w, http.StatusBadRequest, "ValidationError", "invalid MaxItems "+v)
				return true
			}
		}
		start := 0
		if v := c.Form.Get("Marker"); v != "" {
			if start, err = strconv.Atoi(v); err != nil || start < 0 || start > len(members) {
				WriteError(w, http.StatusBadRequest, "ValidationError", "invalid Marker "+v)
				return true
			}
		}
		end := min(start+max, len(members))
		var b strings.Builder
		fmt.Fprintf(&b, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult><%s>`, action, action, list)
		for _, m := range members[start:end] {
			b.WriteString("<member>")
			b.Write(m)
			b.WriteString("</member>")
		}
		fmt.Fprintf(&b, "</%s>", list)
		if end < len(members) {
			fmt.Fprintf(&b, "<IsTruncated>true</IsTruncated><Marker>%d</Marker>", end)
		} else {
			b.WriteString("<IsTruncated>false</IsTruncated>")
		}
		fmt.Fprintf(&b, `</%sResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></%sResponse>`, action, action)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, b.String())
		return true
	}
}

// listMembers returns the inner XML of each <member> of
// <actionResponse><actionResult><list>.
func listMembers(body []byte, action, list string) ([][]byte, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var path []string
	want := []string{action + "Response", action + "Result", list, "member"}
	var members [][]byte
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return members, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s response: %w", action, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Local)
			if slices.Equal(path, want) {
				var m struct {
					Inner []byte `xml:",innerxml"`
				}
				if err := d.DecodeElement(&m, &tok); err != nil {
					return nil, fmt.Errorf("parse %s member: %w", action, err)
				}
				members = append(members, m.Inner)
				path = path[:len(path)-1]
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
}

// Latency delays every call by d before moto sees it, to stand in for the
// network between a runner and AWS: moto on loopback answers in
// milliseconds, AWS in tens of them, and concurrency only pays off there.
func Latency(d time.Duration) AnswerFunc {
	return func(w http.ResponseWriter, c *Call) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.req.Context().Done():
		}
		return false
	}
}

// Counter counts the calls a Proxy sees, by "service:Action" as IAM names
// the permission ("iam:ListUsers", "sts:AssumeRole"): the number of API
// calls AWS would bill and throttle, retries included. The zero value is
// ready; use Count as (or chain it into) a Proxy's AnswerFunc.
type Counter struct {
	mu    sync.Mutex
	calls map[string]int
}

// Count is an AnswerFunc that counts c and leaves it to the next one.
func (n *Counter) Count(_ http.ResponseWriter, c *Call) bool {
	op := c.Operation()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.calls == nil {
		n.calls = map[string]int{}
	}
	n.calls[op]++
	return false
}

// Get is the number of calls of op, e.g. Get("iam:ListUsers").
func (n *Counter) Get(op string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.calls[op]
}

// Total is the number of calls counted.
func (n *Counter) Total() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := 0
	for _, v := range n.calls {
		t += v
	}
	return t
}

// Service is the number of calls to one service, e.g. Service("ec2").
func (n *Counter) Service(svc string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := 0
	for op, v := range n.calls {
		if strings.HasPrefix(op, svc+":") {
			t += v
		}
	}
	return t
}

// Reset forgets every count.
func (n *Counter) Reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = nil
}

// String lists the counts, most frequent first:
// "12 calls: iam:ListAccessKeys 3, sts:GetAccessKeyInfo 3, …".
func (n *Counter) String() string {
	n.mu.Lock()
	ops := make([]string, 0, len(n.calls))
	total := 0
	for op, v := range n.calls {
		ops = append(ops, op)
		total += v
	}
	calls := maps.Clone(n.calls)
	n.mu.Unlock()
	slices.SortFunc(ops, func(a, b string) int {
		if calls[a] != calls[b] {
			return calls[b] - calls[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = fmt.Sprintf("%s %d", op, calls[op])
	}
	return fmt.Sprintf("%d calls: %s", total, strings.Join(parts, ", "))
}

// queryVersions maps the query protocol's API versions to services.
var queryVersions = map[string]string{"2011-06-15": "sts", "2010-05-08": "iam", "2016-11-15": "ec2", "2010-08-01": "monitoring"}

// Operation names the call as "service:Action": the service from the
// SigV4 credential scope, the action from the query form, the JSON
// protocols' X-Amz-Target header, or the RPCv2 path
// (/service/S/operation/Action).
func (c *Call) Operation() string {
	svc := "unknown"
	if _, scope, ok := strings.Cut(c.req.Header.Get("Authorization"), "Credential="); ok {
		if parts := strings.Split(strings.SplitN(scope, ",", 2)[0], "/"); len(parts) >= 4 {
			svc = parts[3]
		}
	}
	if svc == "unknown" && c.Form != nil {
		// Unsigned calls (sts:AssumeRoleWithWebIdentity) have no scope;
		// the query API version names the service.
		if v, ok := queryVersions[c.Form.Get("Version")]; ok {
			svc = v
		}
	}
	action := c.Action
	if action == "" {
		if t := c.req.Header.Get("X-Amz-Target"); t != "" {
			action = t[strings.LastIndexByte(t, '.')+1:]
		} else if i := strings.LastIndex(c.req.URL.Path, "/operation/"); i >= 0 {
			action = c.req.URL.Path[i+len("/operation/"):]
		} else {
			action = c.req.Method + " " + c.req.URL.Path
		}
	}
	return svc + ":" + action
}

// Ops lists the operations counted, sorted.
func (n *Counter) Ops() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Sorted(maps.Keys(n.calls))
}
