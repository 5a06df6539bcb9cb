package snapshot

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	bgtypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
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

// trailStatuses reads GetTrailStatus and GetEventSelectors once per
// trail: the status in the trail's home region when that region was
// collected (else where it was seen; the ARN works from any region), the
// selectors in the home region.
func (c *collector) trailStatuses(ctx context.Context) {
	seen := slices.SortedFunc(maps.Values(c.trails), func(a, b *trailSeen) int { return cmp.Compare(a.trail.ARN, b.trail.ARN) })
	FanOut(ctx, c.opts.Parallel, seen, func(ctx context.Context, t *trailSeen) {
		region := t.seenIn
		if slices.Contains(c.snap.Regions, t.trail.HomeRegion) {
			region = t.trail.HomeRegion
		}
		cl := cloudtrail.NewFromConfig(c.regionConfig(region))
		if c.opts.wants(SrcTrailStatus) {
			out, err := cl.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: &t.trail.ARN})
			if err != nil {
				c.fail(SrcTrailStatus, region, t.trail.ARN, "cloudtrail:GetTrailStatus", err)
			} else {
				t.trail.Status = &TrailStatus{
					Logging:           aws.ToBool(out.IsLogging),
					StartedLogging:    aws.ToTime(out.StartLoggingTime),
					LatestDelivery:    aws.ToTime(out.LatestDeliveryTime),
					LatestDeliveryErr: aws.ToString(out.LatestDeliveryError),
				}
			}
		}
		if c.opts.wants(SrcEventSelectors) {
			// Selectors are asked of the trail's home region, which
			// always knows the trail (a shadow's region may not).
			home := cmp.Or(t.trail.HomeRegion, region)
			out, err := cloudtrail.NewFromConfig(c.regionConfig(home)).GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: &t.trail.ARN})
			if err != nil {
				// Another account's organization trail may not show its
				// selectors to a member; they are judged in its account.
				if a := t.trail.Account(); a != "" && a != c.snap.Account {
					return
				}
				c.fail(SrcEventSelectors, home, t.trail.ARN, "cloudtrail:GetEventSelectors", err)
				return
			}
			t.trail.Events = trailEvents(out)
		}
	})
}

// trailEvents summarizes what a trail's selectors record. Basic selectors:
// each has IncludeManagementEvents and a ReadWriteType. Advanced ones: a
// selector records management events when it has the field selector
// eventCategory = Management, and only reads or only writes when it also
// selects readOnly = true or false (CloudTrail's documented grammar).
func trailEvents(o *cloudtrail.GetEventSelectorsOutput) *TrailEvents {
	ev := &TrailEvents{}
	for _, s := range o.EventSelectors {
		if !aws.ToBool(s.IncludeManagementEvents) {
			continue
		}
		switch s.ReadWriteType {
		case cttypes.ReadWriteTypeAll, "":
			ev.ManagementRead, ev.ManagementWrite = true, true
		case cttypes.ReadWriteTypeReadOnly:
			ev.ManagementRead = true
		case cttypes.ReadWriteTypeWriteOnly:
			ev.ManagementWrite = true
		}
		ev.ExcludedSources = append(ev.ExcludedSources, s.ExcludeManagementEventSources...)
	}
	for _, s := range o.AdvancedEventSelectors {
		ev.Advanced = true
		management, read, write := false, true, true
		for _, f := range s.FieldSelectors {
			switch aws.ToString(f.Field) {
			case "eventCategory":
				management = slices.Contains(f.Equals, "Management")
			case "readOnly":
				switch {
				case slices.Contains(f.Equals, "true"):
					write = false
				case slices.Contains(f.Equals, "false"):
					read = false
				}
			case "eventSource":
				ev.ExcludedSources = append(ev.ExcludedSources, f.NotEquals...)
			}
		}
		if management {
			ev.ManagementRead = ev.ManagementRead || read
			ev.ManagementWrite = ev.ManagementWrite || write
		}
	}
	slices.Sort(ev.ExcludedSources)
	ev.ExcludedSources = slices.Compact(ev.ExcludedSources)
	return ev
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

// budgetNotificationReads bounds the budgets whose notifications are read
// looking for one with an alert: one call each, and the first found ends
// the search (AWS allows 20,000 budgets an account).
const budgetNotificationReads = 20

// budgets reads the account's AWS Budgets and, until one with an alert is
// found, each budget's notifications: a budget alert is billing
// monitoring where there is no billing alarm.
func (c *collector) budgets(ctx context.Context) {
	cl := budgets.NewFromConfig(c.regionConfig(GlobalRegion))
	list, err := drain(ctx, budgets.NewDescribeBudgetsPaginator(cl, &budgets.DescribeBudgetsInput{AccountId: &c.snap.Account}),
		func(o *budgets.DescribeBudgetsOutput) []Budget {
			var out []Budget
			for _, b := range o.Budgets {
				out = append(out, Budget{Name: aws.ToString(b.BudgetName)})
			}
			return out
		})
	var nf *bgtypes.NotFoundException
	switch {
	case errors.As(err, &nf):
		err = nil // no budget at all
	case err != nil:
		c.fail(SrcBudgets, GlobalRegion, "", "budgets:ViewBudget", err)
		return
	}
	for i := range list {
		if i >= budgetNotificationReads {
			break
		}
		out, err := cl.DescribeNotificationsForBudget(ctx, &budgets.DescribeNotificationsForBudgetInput{AccountId: &c.snap.Account, BudgetName: &list[i].Name})
		if errors.As(err, &nf) {
			err = nil
		}
		if err != nil {
			c.fail(SrcBudgets, GlobalRegion, list[i].Name, "budgets:ViewBudget", err)
			continue
		}
		list[i].NotificationsRead = true
		if out != nil {
			list[i].Notifications = len(out.Notifications)
		}
		if list[i].Notifications > 0 {
			break
		}
	}
	c.mu.Lock()
	c.snap.Budgets = list
	c.mu.Unlock()
}
