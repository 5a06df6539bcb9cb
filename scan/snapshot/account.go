package snapshot

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/support"
	"github.com/aws/smithy-go"
)

// advisorBatch is how many check IDs one summaries call asks for.
const advisorBatch = 100

// trailSeen is a trail and the region it was first described from.
type trailSeen struct {
	trail  Trail
	seenIn string
}

// describeTrails reads the trails visible from region. With shadow trails
// included (the default) a multi-region or organization trail shows up in
// every region, which is what lets an account whose only trail lives
// elsewhere pass; the duplicates are merged by ARN.
func (c *collector) describeTrails(ctx context.Context, region string) {
	out, err := cloudtrail.NewFromConfig(c.regionConfig(region)).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if err != nil {
		c.fail(SrcTrails, region, "", "cloudtrail:DescribeTrails", err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range out.TrailList {
		arn := aws.ToString(t.TrailARN)
		if _, ok := c.trails[arn]; ok {
			continue
		}
		c.trails[arn] = &trailSeen{seenIn: region, trail: Trail{
			Name:          aws.ToString(t.Name),
			ARN:           arn,
			HomeRegion:    aws.ToString(t.HomeRegion),
			MultiRegion:   aws.ToBool(t.IsMultiRegionTrail),
			Organization:  aws.ToBool(t.IsOrganizationTrail),
			LogValidation: aws.ToBool(t.LogFileValidationEnabled),
			Bucket:        aws.ToString(t.S3BucketName),
		}}
	}
}

// trailStatuses reads GetTrailStatus once per trail, in the trail's home
// region when that region was collected (else where it was seen; the ARN
// works from any region).
func (c *collector) trailStatuses(ctx context.Context) {
	seen := slices.SortedFunc(maps.Values(c.trails), func(a, b *trailSeen) int { return cmp.Compare(a.trail.ARN, b.trail.ARN) })
	FanOut(ctx, c.opts.Parallel, seen, func(ctx context.Context, t *trailSeen) {
		region := t.seenIn
		if slices.Contains(c.snap.Regions, t.trail.HomeRegion) {
			region = t.trail.HomeRegion
		}
		out, err := cloudtrail.NewFromConfig(c.regionConfig(region)).GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: &t.trail.ARN})
		if err != nil {
			c.fail(SrcTrailStatus, region, t.trail.ARN, "cloudtrail:GetTrailStatus", err)
			return
		}
		t.trail.Status = &TrailStatus{
			Logging:           aws.ToBool(out.IsLogging),
			StartedLogging:    aws.ToTime(out.StartLoggingTime),
			LatestDelivery:    aws.ToTime(out.LatestDeliveryTime),
			LatestDeliveryErr: aws.ToString(out.LatestDeliveryError),
		}
	})
}

// collectTrails puts the trails seen into the snapshot, by ARN.
func (c *collector) collectTrails() {
	for _, t := range slices.SortedFunc(maps.Values(c.trails), func(a, b *trailSeen) int { return cmp.Compare(a.trail.ARN, b.trail.ARN) }) {
		c.snap.Trails = append(c.snap.Trails, t.trail)
	}
}

// billingAlarms keeps the alarms on AWS/Billing EstimatedCharges, which
// exist only in us-east-1, whether they watch the metric directly or
// through a metric math query.
func (c *collector) billingAlarms(ctx context.Context) {
	cl := cloudwatch.NewFromConfig(c.regionConfig(GlobalRegion))
	alarms := regional(ctx, c, SrcBillingAlarms, GlobalRegion, "cloudwatch:DescribeAlarms",
		cloudwatch.NewDescribeAlarmsPaginator(cl, &cloudwatch.DescribeAlarmsInput{}),
		func(o *cloudwatch.DescribeAlarmsOutput) []Alarm {
			var out []Alarm
			for _, a := range o.MetricAlarms {
				if !billingMetric(a) {
					continue
				}
				out = append(out, Alarm{
					Name:           aws.ToString(a.AlarmName),
					ARN:            aws.ToString(a.AlarmArn),
					ActionsEnabled: aws.ToBool(a.ActionsEnabled),
					Actions:        a.AlarmActions,
					State:          string(a.StateValue),
				})
			}
			return out
		})
	c.mu.Lock()
	c.snap.BillingAlarms = alarms
	c.mu.Unlock()
}

func billingMetric(a cwtypes.MetricAlarm) bool {
	is := func(ns, name *string) bool {
		return aws.ToString(ns) == "AWS/Billing" && aws.ToString(name) == "EstimatedCharges"
	}
	if is(a.Namespace, a.MetricName) {
		return true
	}
	for _, q := range a.Metrics {
		if q.MetricStat != nil && q.MetricStat.Metric != nil && is(q.MetricStat.Metric.Namespace, q.MetricStat.Metric.MetricName) {
			return true
		}
	}
	return false
}

// trustedAdvisor reads every Trusted Advisor check and its summary. The
// Support API answers SubscriptionRequiredException on Basic and Developer
// plans: that is a fact about the account, not a failure.
func (c *collector) trustedAdvisor(ctx context.Context) {
	cl := support.NewFromConfig(c.regionConfig(GlobalRegion))
	out, err := cl.DescribeTrustedAdvisorChecks(ctx, &support.DescribeTrustedAdvisorChecksInput{Language: aws.String("en")})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "SubscriptionRequiredException" {
		c.mu.Lock()
		c.snap.Advisor = &TrustedAdvisor{Available: false}
		c.mu.Unlock()
		return
	}
	if err != nil {
		c.fail(SrcTrustedAdvisor, GlobalRegion, "", "support:DescribeTrustedAdvisorChecks", err)
		return
	}
	checks := map[string]AdvisorResult{}
	var ids []string
	for _, d := range out.Checks {
		id := aws.ToString(d.Id)
		ids = append(ids, id)
		checks[id] = AdvisorResult{ID: id, Name: aws.ToString(d.Name), Category: aws.ToString(d.Category)}
	}
	// Only checks whose summary was read are kept: a check without one is
	// the failure's business, not a result.
	ta := &TrustedAdvisor{Available: true}
	for _, batch := range chunks(ids, advisorBatch) {
		sum, err := cl.DescribeTrustedAdvisorCheckSummaries(ctx, &support.DescribeTrustedAdvisorCheckSummariesInput{CheckIds: aws.StringSlice(batch)})
		if err != nil {
			c.fail(SrcTrustedAdvisor, GlobalRegion, "", "support:DescribeTrustedAdvisorCheckSummaries", err)
			continue
		}
		for _, s := range sum.Summaries {
			r, ok := checks[aws.ToString(s.CheckId)]
			if !ok {
				continue
			}
			r.Status = aws.ToString(s.Status)
			if s.ResourcesSummary != nil {
				r.Flagged = s.ResourcesSummary.ResourcesFlagged
			}
			ta.Checks = append(ta.Checks, r)
		}
	}
	c.mu.Lock()
	c.snap.Advisor = ta
	c.mu.Unlock()
}
