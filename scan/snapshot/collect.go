package snapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// Options tune a collection. The zero value collects every enabled region
// with the defaults below.
type Options struct {
	// Regions restricts the regional collection; nil means every region
	// ec2:DescribeRegions reports as enabled.
	Regions []string
	// Parallel bounds each fan-out (regions, users, trails, Access Advisor
	// jobs). 1 collects sequentially. Default 8.
	Parallel int
	// PollInterval is the wait between polls of asynchronous IAM jobs
	// (credential report, Access Advisor). Default 2s.
	PollInterval time.Duration
	// JobTimeout bounds each asynchronous IAM job. Default 2m.
	JobTimeout time.Duration
	// ServiceAccessLimit is the most principals an Access Advisor job is
	// started for (each is two or more calls and IAM throttles). Default
	// 100; negative skips Access Advisor.
	ServiceAccessLimit int
	// CloudWatchQuery speaks the AWS query protocol to CloudWatch instead of
	// the SDK's default RPCv2 CBOR. AWS accepts both; emulators such as
	// moto 5 only the former, so set it when AWS_ENDPOINT_URL points at one.
	CloudWatchQuery bool
}

// Defaults for Options.
const (
	DefaultParallel           = 8
	DefaultPollInterval       = 2 * time.Second
	DefaultJobTimeout         = 2 * time.Minute
	DefaultServiceAccessLimit = 100
)

// GlobalRegion is where the global endpoints this package calls live
// (billing metrics, the Support API).
const GlobalRegion = "us-east-1"

func (o Options) withDefaults() Options {
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = DefaultJobTimeout
	}
	if o.ServiceAccessLimit == 0 {
		o.ServiceAccessLimit = DefaultServiceAccessLimit
	}
	return o
}

// Collect reads one snapshot of the account cfg's credentials belong to.
// AWS errors do not fail the collection: each is recorded in
// Snapshot.Failures. Collect returns an error only when nothing can be
// read at all (no valid credentials) or ctx ends.
func Collect(ctx context.Context, cfg aws.Config, opts Options) (*Snapshot, error) {
	opts = opts.withDefaults()
	start := time.Now()
	c := &collector{opts: opts, snap: &Snapshot{
		CollectedAt: start.UTC(),
		HomeRegion:  cfg.Region,
		Regional:    map[string]*Region{},
	}, calls: map[string]int{}, trails: map[string]*trailSeen{}}
	if c.snap.HomeRegion == "" {
		c.snap.HomeRegion = GlobalRegion
	}
	// Copy the option slice: appending to the caller's could race with
	// other users of the same aws.Config.
	cfg.APIOptions = append(slices.Clip(cfg.APIOptions), c.countCalls)
	c.cfg = cfg

	// sts:GetCallerIdentity needs no permission, so its failure means the
	// credentials themselves are unusable and every other call would fail too.
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("aws credentials: %w", err)
	}
	c.snap.Account, c.snap.CallerARN = aws.ToString(id.Account), aws.ToString(id.Arn)

	regions := opts.Regions
	if regions == nil {
		regions = c.enabledRegions(ctx)
	}
	regions = slices.Clone(regions)
	slices.Sort(regions)
	c.snap.Regions = slices.Compact(regions)

	tasks := []func(context.Context){
		c.passwordPolicy,
		c.credentialReport,
		c.usersAndKeys,
		c.policiesAndAccess,
		c.billingAlarms,
		c.trustedAdvisor,
	}
	for _, r := range c.snap.Regions {
		tasks = append(tasks, func(ctx context.Context) { c.region(ctx, r) })
	}
	fanOut(ctx, opts.Parallel, tasks, func(ctx context.Context, task func(context.Context)) { task(ctx) })
	// Trails are seen from every region (multi-region and organization
	// trails appear as shadows everywhere); their status is read once each.
	c.trailStatuses(ctx)

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.snap.Duration = time.Since(start)
	c.snap.APICalls = c.calls
	slices.SortFunc(c.snap.Failures, func(a, b Failure) int {
		return cmpStrings(string(a.Source), string(b.Source), a.Region, b.Region, a.Resource, b.Resource)
	})
	return c.snap, nil
}

// collector is the state of one Collect call.
type collector struct {
	cfg  aws.Config
	opts Options

	mu     sync.Mutex // guards everything below and snap's maps and slices
	snap   *Snapshot
	calls  map[string]int
	trails map[string]*trailSeen
}

// fail records err as a failure of src; op names the IAM action for errors
// that do not come from an SDK operation.
func (c *collector) fail(src Source, region, resource, op string, err error) {
	f := newFailure(src, region, resource, op, err)
	c.mu.Lock()
	c.snap.Failures = append(c.snap.Failures, f)
	c.mu.Unlock()
}

// countCalls adds a middleware that counts every HTTP attempt. It sits at
// the end of the finalize step, after the retry middleware, so a retried
// call counts once per attempt — what AWS bills and throttles.
func (c *collector) countCalls(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("keysweepCountCalls",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
			c.mu.Lock()
			c.calls[op]++
			c.mu.Unlock()
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

// fanOut runs fn on every item with at most bound running at once.
func fanOut[T any](ctx context.Context, bound int, items []T, fn func(context.Context, T)) {
	sem := make(chan struct{}, max(bound, 1))
	var wg sync.WaitGroup
	for _, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(ctx, it)
		})
	}
	wg.Wait()
}

// pager is the shape of every SDK paginator.
type pager[Out, Opt any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*Opt)) (*Out, error)
}

// drain reads every page of p and returns what items takes from each.
func drain[T, Out, Opt any](ctx context.Context, p pager[Out, Opt], items func(*Out) []T) ([]T, error) {
	var all []T
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return all, err
		}
		all = append(all, items(page)...)
	}
	return all, nil
}

// chunks splits s into slices of at most n.
func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

// poll calls try every interval until it reports done, fails, or the job
// timeout passes.
func (c *collector) poll(ctx context.Context, what string, try func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.JobTimeout)
	defer cancel()
	t := time.NewTicker(c.opts.PollInterval)
	defer t.Stop()
	for {
		done, err := try(ctx)
		if done || err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return timeout("%s not complete after %s", what, c.opts.JobTimeout)
			}
			return err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return timeout("%s not complete after %s", what, c.opts.JobTimeout)
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}

func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] != pairs[i+1] {
			if pairs[i] < pairs[i+1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// regionConfig returns cfg for calls in region.
func (c *collector) regionConfig(region string) aws.Config {
	cfg := c.cfg.Copy()
	cfg.Region = region
	return cfg
}
