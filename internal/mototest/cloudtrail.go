package mototest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Trail serves CloudTrail's LookupEvents, which moto does not, from
// events a test adds, following the real API: the JSON 1.1 protocol
// (X-Amz-Target CloudTrail_20131101.LookupEvents), exactly one lookup
// attribute, MaxResults from 1 to 50 (default 50), an opaque NextToken,
// StartTime and EndTime bounds (events of the last 90 days only), newest
// first, and ThrottlingException for a third request within one second
// from the same account (access key) in the same region. Other CloudTrail
// calls pass through to moto.
type Trail struct {
	mu        sync.Mutex
	events    []TrailEvent
	calls     map[string][]time.Time // account and region -> recent calls
	throttled int
	lookups   int
	// Now is the clock (time.Now when nil), for the 90-day history.
	Now func() time.Time
}

// TrailEvent is one event of the history.
type TrailEvent struct {
	Region      string
	Time        time.Time
	Name        string
	Source      string // "iam.amazonaws.com"
	AccessKeyID string
	Username    string
	SourceIP    string
	UserAgent   string
	ErrorCode   string
	ReadOnly    bool
}

// Trail returns the server's CloudTrail event history.
func (s *Server) Trail() *Trail { return s.trail }

// Add puts events in the history.
func (t *Trail) Add(evs ...TrailEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, evs...)
}

// Throttled counts the LookupEvents calls refused for the rate.
func (t *Trail) Throttled() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.throttled
}

// Lookups counts the LookupEvents calls answered (throttled ones included).
func (t *Trail) Lookups() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lookups
}

func (t *Trail) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events, t.calls, t.throttled, t.lookups = nil, nil, 0, 0
}

func (t *Trail) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

const lookupTarget = "CloudTrail_20131101.LookupEvents"

// answer serves LookupEvents; anything else goes to moto.
func (t *Trail) answer(w http.ResponseWriter, c *Call) bool {
	if c.req.Header.Get("X-Amz-Target") != lookupTarget {
		return false
	}
	account, region := scope(c.req)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lookups++
	now := t.now()
	key := account + "/" + region
	if t.calls == nil {
		t.calls = map[string][]time.Time{}
	}
	recent := slices.DeleteFunc(t.calls[key], func(at time.Time) bool { return now.Sub(at) >= time.Second })
	if len(recent) >= 2 {
		t.calls[key] = recent
		t.throttled++
		jsonError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return true
	}
	t.calls[key] = append(recent, now)

	var in struct {
		LookupAttributes []struct{ AttributeKey, AttributeValue string }
		StartTime        *float64
		EndTime          *float64
		MaxResults       *int
		NextToken        *string
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return true
	}
	if len(in.LookupAttributes) > 1 {
		jsonError(w, http.StatusBadRequest, "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
		return true
	}
	limit := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			jsonError(w, http.StatusBadRequest, "InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
			return true
		}
		limit = *in.MaxResults
	}
	start, end := now.Add(-90*24*time.Hour), now
	if in.StartTime != nil {
		start = epoch(*in.StartTime)
	}
	if in.EndTime != nil {
		end = epoch(*in.EndTime)
	}
	if start.After(end) {
		jsonError(w, http.StatusBadRequest, "InvalidTimeRangeException", "StartTime must be before EndTime.")
		return true
	}
	// The event history holds 90 days.
	if oldest := now.Add(-90 * 24 * time.Hour); start.Before(oldest) {
		start = oldest
	}
	var match []TrailEvent
	for _, e := range t.events {
		if e.Region != region || e.Time.Before(start) || e.Time.After(end) {
			continue
		}
		if len(in.LookupAttributes) == 1 && !attributeMatches(e, in.LookupAttributes[0].AttributeKey, in.LookupAttributes[0].AttributeValue) {
			continue
		}
		match = append(match, e)
	}
	slices.SortStableFunc(match, func(a, b TrailEvent) int { return b.Time.Compare(a.Time) })
	from := 0
	if in.NextToken != nil {
		n, err := strconv.Atoi(strings.TrimPrefix(*in.NextToken, "mototest-"))
		if err != nil || !strings.HasPrefix(*in.NextToken, "mototest-") || n < 0 || n > len(match) {
			jsonError(w, http.StatusBadRequest, "InvalidNextTokenException", "Invalid NextToken.")
			return true
		}
		from = n
	}
	to := min(from+limit, len(match))
	type resource struct{ ResourceType, ResourceName string }
	type event struct {
		EventId, EventName, ReadOnly, AccessKeyId string
		EventTime                                 float64
		EventSource, Username                     string
		Resources                                 []resource
		CloudTrailEvent                           string
	}
	out := struct {
		Events    []event
		NextToken string `json:",omitempty"`
	}{Events: []event{}}
	for i, e := range match[from:to] {
		raw, _ := json.Marshal(map[string]any{
			"eventVersion": "1.09", "eventTime": e.Time.UTC().Format(time.RFC3339), "eventSource": e.Source,
			"eventName": e.Name, "awsRegion": e.Region, "sourceIPAddress": e.SourceIP, "userAgent": e.UserAgent,
			"errorCode": e.ErrorCode, "userIdentity": map[string]string{"type": "IAMUser", "accessKeyId": e.AccessKeyID, "userName": e.Username},
		})
		out.Events = append(out.Events, event{
			EventId: fmt.Sprintf("%08d-0000-4000-8000-%012d", from+i, from+i), EventName: e.Name, ReadOnly: strconv.FormatBool(e.ReadOnly),
			AccessKeyId: e.AccessKeyID, EventTime: float64(e.Time.UnixMilli()) / 1000, EventSource: e.Source, Username: e.Username,
			Resources: []resource{}, CloudTrailEvent: string(raw),
		})
	}
	if to < len(match) {
		out.NextToken = "mototest-" + strconv.Itoa(to)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
	return true
}

func attributeMatches(e TrailEvent, key, value string) bool {
	switch key {
	case "AccessKeyId":
		return e.AccessKeyID == value
	case "EventName":
		return e.Name == value
	case "EventSource":
		return e.Source == value
	case "Username":
		return e.Username == value
	}
	return false
}

func epoch(s float64) time.Time {
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// scope returns the access key and region of a SigV4 request's credential
// scope (Credential=AKID/date/region/service/aws4_request).
func scope(r *http.Request) (account, region string) {
	_, s, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return "", ""
	}
	parts := strings.Split(strings.SplitN(s, ",", 2)[0], "/")
	if len(parts) < 3 {
		return parts[0], ""
	}
	return parts[0], parts[2]
}

// jsonError writes an error of the AWS JSON 1.1 protocol.
func jsonError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}
