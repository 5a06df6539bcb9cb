package mototest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go"
)

// TestTrailLookupEvents: the front serves LookupEvents by the real API's
// rules, through the real SDK client.
func TestTrailLookupEvents(t *testing.T) {
	s := shared.Get(t)
	s.Reset(t)
	now := time.Now()
	for i := range 120 {
		s.Trail().Add(TrailEvent{Region: "eu-west-1", Time: now.Add(-time.Duration(i) * time.Minute), Name: "ListBuckets", Source: "s3.amazonaws.com", AccessKeyID: "AKIAEXAMPLEKEY000001", SourceIP: "198.51.100.7"})
	}
	s.Trail().Add(
		TrailEvent{Region: "us-east-1", Time: now, Name: "GetUser", Source: "iam.amazonaws.com", AccessKeyID: "AKIAEXAMPLEKEY000001"},
		TrailEvent{Region: "eu-west-1", Time: now.Add(-100 * 24 * time.Hour), Name: "Old", Source: "s3.amazonaws.com", AccessKeyID: "AKIAEXAMPLEKEY000001"},
	)
	cl := cloudtrail.NewFromConfig(aws.Config{
		Region: "eu-west-1", BaseEndpoint: aws.String(s.Endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing"}, nil
		}),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	})
	ctx := context.Background()
	byKey := []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String("AKIAEXAMPLEKEY000001")}}
	code := func(err error) string {
		var api smithy.APIError
		if errors.As(err, &api) {
			return api.ErrorCode()
		}
		return ""
	}
	pace := func() { time.Sleep(600 * time.Millisecond) }

	_, err := cl.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: append(byKey, byKey...)})
	if code(err) != "InvalidLookupAttributesException" {
		t.Errorf("two attributes: %v", err)
	}
	pace()
	_, err = cl.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: byKey, MaxResults: aws.Int32(51)})
	if code(err) != "InvalidMaxResultsException" {
		t.Errorf("MaxResults 51: %v", err)
	}
	pace()
	_, err = cl.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: byKey, StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour))})
	if code(err) != "InvalidTimeRangeException" {
		t.Errorf("start after end: %v", err)
	}
	pace()
	_, err = cl.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: byKey, NextToken: aws.String("forged")})
	if code(err) != "InvalidNextTokenException" {
		t.Errorf("forged token: %v", err)
	}
	pace()

	// Pages of 50, newest first, this region only, 90 days only.
	var got []types.Event
	in := &cloudtrail.LookupEventsInput{LookupAttributes: byKey, StartTime: aws.Time(now.Add(-200 * 24 * time.Hour)), EndTime: aws.Time(now.Add(time.Minute))}
	for {
		out, err := cl.LookupEvents(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.Events...)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
		pace()
	}
	if len(got) != 120 || !aws.ToTime(got[0].EventTime).After(aws.ToTime(got[1].EventTime)) || aws.ToString(got[0].EventName) != "ListBuckets" {
		t.Errorf("%d events, first %v", len(got), got[0])
	}
	time.Sleep(1100 * time.Millisecond)

	// A third call within a second is throttled.
	var throttled int
	for range 3 {
		if _, err := cl.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: byKey, MaxResults: aws.Int32(1)}); code(err) == "ThrottlingException" {
			throttled++
		}
	}
	if throttled != 1 || s.Trail().Throttled() != 1 {
		t.Errorf("throttled %d (trail says %d), want 1", throttled, s.Trail().Throttled())
	}
}
