package snapshot

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/keysweep/keysweep/internal/sleep"
)

// SrcEvents is CloudTrail's event history (LookupEvents), read for the
// triage of committed keys.
const SrcEvents Source = "events"

// EventHistory is how far back CloudTrail's event history reaches.
const EventHistory = 90 * 24 * time.Hour

// LookupEvents' limits: at most 50 events a page, and 2 requests a second
// per account and region (more are refused with ThrottlingException).
const (
	lookupPageSize = 50
	// DefaultLookupInterval is the pause between the end of one
	// LookupEvents call of a region and the start of the next: at least
	// that apart as CloudTrail receives them, under its 2 a second.
	DefaultLookupInterval = 550 * time.Millisecond
	// DefaultLookupPages bounds the pages read per key and region (50
	// events each); past it the summary says it is truncated.
	DefaultLookupPages = 20
)

// Event is one CloudTrail management event, reduced to what the triage of
// a key reads.
type Event struct {
	Time time.Time `json:"time"`
	// Name is the API action; Source the service's event source
	// ("iam.amazonaws.com").
	Name      string `json:"name"`
	Source    string `json:"source"`
	Region    string `json:"region"`
	SourceIP  string `json:"sourceIp,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
	ErrorCode string `json:"errorCode,omitempty"`
}

// Service is the event's IAM prefix: "iam" for iam.amazonaws.com.
func (e Event) Service() string {
	s, _, _ := strings.Cut(e.Source, ".")
	return s
}

// Lookup is the result of one key's search in one region.
type Lookup struct {
	Region string  `json:"region"`
	Events []Event `json:"events,omitempty"`
	// Truncated says the page bound stopped the search before its end.
	Truncated bool     `json:"truncated,omitempty"`
	Failure   *Failure `json:"failure,omitempty"`
}

// limiter runs calls one at a time, each starting at least interval after
// the previous one ended (one per account and region for LookupEvents).
// Spacing from the end, not the start, keeps the calls as the service
// receives them apart however long each took in flight, so a loaded
// machine or a slow network cannot bunch three into one second.
type limiter struct {
	turn     chan struct{} // holds one token: whose turn it is
	last     time.Time     // when the previous call ended; guarded by turn
	interval time.Duration
}

func newLimiter(interval time.Duration) *limiter {
	l := &limiter{turn: make(chan struct{}, 1), interval: interval}
	l.turn <- struct{}{}
	return l
}

// do waits for its turn and the interval, then runs call.
func (l *limiter) do(ctx context.Context, call func()) error {
	select {
	case <-l.turn:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { l.turn <- struct{}{} }()
	if wait := time.Until(l.last.Add(l.interval)); wait > 0 {
		if err := sleep.For(ctx, wait); err != nil {
			return err
		}
	}
	call()
	l.last = time.Now()
	return nil
}

// regionLimiter returns the account's limiter of LookupEvents calls in region.
func (r *Reader) regionLimiter(region string) *limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.limiters == nil {
		r.limiters = map[string]*limiter{}
	}
	l := r.limiters[region]
	if l == nil {
		l = newLimiter(r.opts.LookupInterval)
		r.limiters[region] = l
	}
	return l
}

type regionsFacts struct {
	regions []string
	failure *Failure
}

// Regions lists the account's enabled regions (ec2:DescribeRegions in the
// home region), once per Reader; Options.Regions, when set, instead.
func (r *Reader) Regions(ctx context.Context) ([]string, *Failure) {
	if r.opts.Regions != nil {
		return r.opts.Regions, nil
	}
	f := r.regions.get(func() regionsFacts {
		out, err := ec2.NewFromConfig(r.cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
		if err != nil {
			f := newFailure(SrcRegions, r.cfg.Region, "", "ec2:DescribeRegions", err)
			return regionsFacts{failure: &f}
		}
		var rs []string
		for _, reg := range out.Regions {
			rs = append(rs, aws.ToString(reg.RegionName))
		}
		return regionsFacts{regions: rs}
	})
	return f.regions, f.failure
}

// LookupEvents reads the management events made with one access key ID in
// one region since start, newest first (no end time is sent: CloudTrail
// then searches up to the present, and an end time in whole seconds
// would miss the events of the last second), at most
// Options.LookupPages pages, each call waiting its turn under the
// account's and region's rate limit. It never signs with the key: the
// reader's own credentials ask CloudTrail about it.
func (r *Reader) LookupEvents(ctx context.Context, keyID, region string, start time.Time) Lookup {
	out := Lookup{Region: region}
	cfg := r.cfg.Copy()
	cfg.Region = region
	cl := cloudtrail.NewFromConfig(cfg)
	lim := r.regionLimiter(region)
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(keyID)}},
		StartTime:        aws.Time(start),
		MaxResults:       aws.Int32(lookupPageSize),
	}
	for page := 0; ; page++ {
		if page == r.opts.LookupPages {
			out.Truncated = true
			return out
		}
		var (
			resp *cloudtrail.LookupEventsOutput
			err  error
		)
		if werr := lim.do(ctx, func() { resp, err = cl.LookupEvents(ctx, in) }); werr != nil {
			err = werr
		}
		if err != nil {
			f := newFailure(SrcEvents, region, keyID, "cloudtrail:LookupEvents", err)
			out.Failure = &f
			return out
		}
		for _, e := range resp.Events {
			out.Events = append(out.Events, event(e, region))
		}
		if aws.ToString(resp.NextToken) == "" {
			return out
		}
		in.NextToken = resp.NextToken
	}
}

// event reads what the triage needs from an event: the summary fields,
// and from the raw CloudTrail record its source IP, user agent, region
// and error code.
func event(e cttypes.Event, region string) Event {
	ev := Event{Time: aws.ToTime(e.EventTime), Name: aws.ToString(e.EventName), Source: aws.ToString(e.EventSource), Region: region}
	var raw struct {
		SourceIP  string `json:"sourceIPAddress"`
		UserAgent string `json:"userAgent"`
		Region    string `json:"awsRegion"`
		ErrorCode string `json:"errorCode"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &raw); err == nil {
		ev.SourceIP, ev.UserAgent, ev.ErrorCode = raw.SourceIP, raw.UserAgent, raw.ErrorCode
		if raw.Region != "" {
			ev.Region = raw.Region
		}
	}
	return ev
}
