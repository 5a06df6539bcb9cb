package triage

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keysweep/keysweep/scan/snapshot"
)

const (
	userARN  = "arn:aws:iam::111122223333:user/dev"
	adminDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	s3Read   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}`
	custom   = "arn:aws:iam::111122223333:policy/deploy"
	awsAdmin = "arn:aws:iam::aws:policy/AdministratorAccess"
)

func TestAccess(t *testing.T) {
	denied := snapshot.Failure{Source: snapshot.SrcPolicies, Resource: awsAdmin, Permission: "iam:GetPolicy", Code: "AccessDenied"}
	tests := []struct {
		name       string
		auth       *snapshot.Authorization
		level      string
		unreadable []string
	}{
		{"not readable", nil, "unknown", []string{"AccessDenied on iam:GetAccountAuthorizationDetails"}},
		{"user missing", &snapshot.Authorization{}, "unknown", []string{"user dev: not in the account's authorization details"}},
		{"inline read", &snapshot.Authorization{Users: []snapshot.UserAuth{{Name: "dev", ARN: userARN, Inline: []snapshot.InlinePolicy{{Name: "r", Document: s3Read}}}}}, "read", nil},
		{"admin through a group's attached policy", &snapshot.Authorization{
			Users:    []snapshot.UserAuth{{Name: "dev", ARN: userARN, Groups: []string{"ops"}}},
			Groups:   []snapshot.GroupAuth{{Name: "ops", Attached: []string{custom}}},
			Policies: map[string]string{custom: adminDoc},
		}, "admin", nil},
		{"a boundary holds admin to read", &snapshot.Authorization{
			Users:    []snapshot.UserAuth{{Name: "dev", ARN: userARN, Inline: []snapshot.InlinePolicy{{Name: "all", Document: adminDoc}}, Boundary: custom}},
			Policies: map[string]string{custom: s3Read},
		}, "read", nil},
		{"an unread policy makes read unknown, named", &snapshot.Authorization{
			Users:    []snapshot.UserAuth{{Name: "dev", ARN: userARN, Inline: []snapshot.InlinePolicy{{Name: "r", Document: s3Read}}, Attached: []string{awsAdmin}}},
			Failures: []snapshot.Failure{denied},
		}, "unknown", []string{awsAdmin + ": AccessDenied on iam:GetPolicy"}},
		{"a broken document is named", &snapshot.Authorization{
			Users: []snapshot.UserAuth{{Name: "dev", ARN: userARN, Inline: []snapshot.InlinePolicy{{Name: "bad", Document: `{"Statement":[{"Effect":"Perhaps","Action":"*"}]}`}}}},
		}, "unknown", []string{`policy inline:bad: statement 1: effect "Perhaps" is neither Allow nor Deny`}},
	}
	fail := &snapshot.Failure{Source: snapshot.SrcPolicies, Permission: "iam:GetAccountAuthorizationDetails", Code: "AccessDenied"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Access(tt.auth, fail, "dev", nil)
			if a.Level != tt.level || !slices.Equal(a.Unreadable, append([]string{}, tt.unreadable...)) || a.Grants == nil {
				t.Errorf("level %s unreadable %q grants %v, want %s %q", a.Level, a.Unreadable, a.Grants, tt.level, tt.unreadable)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	if since, covers := Window(now.Add(-24*time.Hour), now); !covers || !since.Equal(now.Add(-24*time.Hour)) {
		t.Errorf("recent leak: %v %v", since, covers)
	}
	for _, committed := range []time.Time{{}, now.Add(-200 * 24 * time.Hour)} {
		if since, covers := Window(committed, now); covers || !since.Equal(now.Add(-snapshot.EventHistory)) {
			t.Errorf("leak %v: %v %v", committed, since, covers)
		}
	}
}

func TestActivity(t *testing.T) {
	since := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return since.Add(time.Duration(m) * time.Minute) }
	var denied []snapshot.Event
	for i := range 10 {
		denied = append(denied, snapshot.Event{Time: at(60).Add(time.Duration(i) * 20 * time.Second), Name: "ListUsers", Source: "iam.amazonaws.com", Region: "us-east-1", ErrorCode: "AccessDenied", SourceIP: "198.51.100.1"})
	}
	lookups := []snapshot.Lookup{
		{Region: "us-east-1", Truncated: true, Events: append(denied,
			snapshot.Event{Time: at(-5), Name: "GetCallerIdentity", Source: "sts.amazonaws.com", Region: "us-east-1"}, // before the leak
			snapshot.Event{Time: at(1), Name: "CreateUser", Source: "iam.amazonaws.com", Region: "us-east-1", SourceIP: "198.51.100.1", UserAgent: "curl"},
			snapshot.Event{Time: at(2), Name: "CreateAccessKey", Source: "iam.amazonaws.com", Region: "us-east-1", ErrorCode: "AccessDenied"},
		)},
		{Region: "eu-west-1", Failure: &snapshot.Failure{Permission: "cloudtrail:LookupEvents", Region: "eu-west-1", Code: "AccessDeniedException"}},
	}
	a := Activity(lookups, since, true)
	if a.Events != 12 || !a.First.Equal(at(1)) || !a.Last.Equal(at(60).Add(180*time.Second)) || a.Errors != 11 || !a.DeniedBurst || !a.Truncated {
		t.Errorf("activity %+v", a)
	}
	if !slices.Equal(a.Persistence, []string{"iam:CreateAccessKey ×1 (failed)", "iam:CreateUser ×1"}) {
		t.Errorf("persistence %q", a.Persistence)
	}
	if !slices.Equal(a.Unread, []string{"eu-west-1: AccessDenied on cloudtrail:LookupEvents in eu-west-1"}) || !slices.Equal(a.UserAgents, []string{"curl"}) {
		t.Errorf("unread %q agents %q", a.Unread, a.UserAgents)
	}
	// Nine denials in five minutes, or ten spread over an hour, are no burst.
	spread := slices.Clone(denied)
	for i := range spread {
		spread[i].Time = at(i * 7)
	}
	if Activity([]snapshot.Lookup{{Region: "us-east-1", Events: spread}}, since, true).DeniedBurst ||
		Activity([]snapshot.Lookup{{Region: "us-east-1", Events: denied[:9]}}, since, true).DeniedBurst {
		t.Error("a burst where there is none")
	}
	empty := Activity(nil, since, false)
	if empty.SourceIPs == nil || empty.UserAgents == nil || empty.Regions == nil || empty.Persistence == nil || empty.EventNames == nil {
		t.Errorf("empty activity has nil lists: %+v", empty)
	}
}

// TestActivityBounded: however many user agents a caller invents, and
// however long, the summary keeps MaxValues of at most MaxValueLen bytes
// and says it cut them.
func TestActivityBounded(t *testing.T) {
	since := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var evs []snapshot.Event
	for i := range 3 * MaxValues {
		evs = append(evs, snapshot.Event{Time: since.Add(time.Duration(i) * time.Second), Name: "GetObject", Source: "s3.amazonaws.com",
			UserAgent: strings.Repeat("x", 1000) + strconv.Itoa(i), SourceIP: "192.0.2." + strconv.Itoa(i%3)})
	}
	a := Activity([]snapshot.Lookup{{Region: "us-east-1", Events: evs}}, since, true)
	if len(a.UserAgents) != 1 || !a.ValuesTruncated && len(a.UserAgents) > MaxValues || len(a.UserAgents[0]) > MaxValueLen+len("…") || len(a.SourceIPs) != 3 {
		t.Errorf("%d agents (first %d bytes), %d IPs, truncated %v", len(a.UserAgents), len(a.UserAgents[0]), len(a.SourceIPs), a.ValuesTruncated)
	}
	for i := range evs {
		evs[i].UserAgent = "agent-" + strconv.Itoa(i)
	}
	if a := Activity([]snapshot.Lookup{{Region: "us-east-1", Events: evs}}, since, true); len(a.UserAgents) != MaxValues || !a.ValuesTruncated {
		t.Errorf("%d agents, truncated %v", len(a.UserAgents), a.ValuesTruncated)
	}
}
