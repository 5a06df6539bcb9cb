package snapshot

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/keysweep/keysweep/internal/sleep"
)

// Options tune a collection. The zero value collects every source in
// every enabled region with the defaults below.
type Options struct {
	// Sources restricts the collection to what the selected checks read
	// (checks.Sources); nil means every source.
	Sources []Source
	// Regions restricts the regional collection; nil means every region
	// ec2:DescribeRegions reports as enabled.
	Regions []string
	// Parallel bounds each fan-out (regions, users, trails, Access Advisor
	// jobs). 1 collects sequentially. Default 8.
	Parallel int
	// PollInterval is the first wait between polls of asynchronous IAM
	// jobs (credential report, Access Advisor); it doubles up to
	// MaxPollInterval. Default 250ms.
	PollInterval time.Duration
	// JobTimeout bounds each asynchronous IAM job. Default 2m.
	JobTimeout time.Duration
	// ServiceAccessLimit is the most principals an Access Advisor job is
	// started for (each is two or more calls and IAM throttles). Default
	// 100; negative skips Access Advisor.
	ServiceAccessLimit int
	// LookupInterval spaces the CloudTrail LookupEvents calls of one
	// account and region (CloudTrail allows 2 a second). Default
	// DefaultLookupInterval.
	LookupInterval time.Duration
	// LookupPages bounds the LookupEvents pages read per key and region.
	// Default DefaultLookupPages.
	LookupPages int
}

// Defaults for Options.
const (
	DefaultParallel           = 8
	DefaultPollInterval       = 250 * time.Millisecond
	MaxPollInterval           = 2 * time.Second
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
	if o.LookupInterval <= 0 {
		o.LookupInterval = DefaultLookupInterval
	}
	if o.LookupPages <= 0 {
		o.LookupPages = DefaultLookupPages
	}
	return o
}

// wants reports whether the collection reads any of srcs.
func (o Options) wants(srcs ...Source) bool {
	if o.Sources == nil {
		return true
	}
	return slices.ContainsFunc(srcs, func(s Source) bool { return slices.Contains(o.Sources, s) })
}

// regionalSources are the sources read in every region.
var regionalSources = []Source{SrcSecurityGroups, SrcInterfaces, SrcInstances, SrcImages, SrcTrails, SrcTrailStatus,
	SrcPrefixLists, SrcAddresses, SrcEventSelectors}

// Collect reads one snapshot of r's account: the sources opts asks for,
// no more. Facts r has already read (the credential report, the users'
// keys read for matching) are not read again. AWS errors do not fail the
// collection: each is recorded in Snapshot.Failures. Collect returns an
// error only when ctx ends.
func Collect(ctx context.Context, r *Reader, opts Options) (*Snapshot, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = r.opts.Parallel
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = r.opts.PollInterval
	}
	if opts.JobTimeout <= 0 {
		opts.JobTimeout = r.opts.JobTimeout
	}
	opts = opts.withDefaults()
	start := time.Now()
	c := &collector{r: r, opts: opts, snap: &Snapshot{
		Account:     r.account,
		CollectedAt: start.UTC(),
		HomeRegion:  r.cfg.Region,
		Regional:    map[string]*Region{},
	}, trails: map[string]*trailSeen{}}

	var tasks []func(context.Context)
	add := func(task func(context.Context), srcs ...Source) {
		if opts.wants(srcs...) {
			tasks = append(tasks, task)
		}
	}
	add(c.passwordPolicy, SrcPasswordPolicy)
	add(c.credentialReport, SrcCredentialReport)
	add(c.usersAndKeys, SrcAccessKeys)
	add(c.policiesAndAccess, SrcPolicies, SrcServiceAccess)
	add(c.billingAlarms, SrcBillingAlarms)
	add(c.trustedAdvisor, SrcTrustedAdvisor)
	add(c.budgets, SrcBudgets)
	add(c.rootMFADevices, SrcMFADevices)
	add(c.orgFeatures, SrcOrgFeatures)
	add(c.accountSummary, SrcAccountSummary)
	if opts.wants(regionalSources...) {
		regions := opts.Regions
		if regions == nil {
			regions = c.enabledRegions(ctx)
		}
		regions = slices.Clone(regions)
		slices.Sort(regions)
		c.snap.Regions = slices.Compact(regions)
		for _, r := range c.snap.Regions {
			tasks = append(tasks, func(ctx context.Context) { c.region(ctx, r) })
		}
	}
	FanOut(ctx, opts.Parallel, tasks, func(ctx context.Context, task func(context.Context)) { task(ctx) })
	// Trails are seen from every region (multi-region and organization
	// trails appear as shadows everywhere); their status is read once each.
	if opts.wants(SrcTrailStatus, SrcEventSelectors) {
		c.trailStatuses(ctx)
	}
	c.collectTrails()

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.snap.Duration = time.Since(start)
	slices.SortFunc(c.snap.Failures, func(a, b Failure) int {
		return cmpStrings(string(a.Source), string(b.Source), a.Region, b.Region, a.Resource, b.Resource)
	})
	return c.snap, nil
}

// collector is the state of one Collect call.
type collector struct {
	r    *Reader
	opts Options

	mu     sync.Mutex // guards everything below and snap's maps and slices
	snap   *Snapshot
	trails map[string]*trailSeen
}

// fail records err as a failure of src; op names the IAM action for errors
// that do not come from an SDK operation.
func (c *collector) fail(src Source, region, resource, op string, err error) {
	c.record(newFailure(src, region, resource, op, err))
}

func (c *collector) record(fs ...Failure) {
	c.mu.Lock()
	c.snap.Failures = append(c.snap.Failures, fs...)
	c.mu.Unlock()
}

// FanOut runs fn on every item with at most bound running at once; it
// returns when all have, or as soon as ctx is done and the started ones have.
func FanOut[T any](ctx context.Context, bound int, items []T, fn func(context.Context, T)) {
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

// poll calls try until it reports done, fails, or opts.JobTimeout
// passes, waiting opts.PollInterval between calls and twice as long each
// time up to MaxPollInterval: most jobs are done at the first or second
// look, a few take seconds.
func poll(ctx context.Context, opts Options, what string, try func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, opts.JobTimeout)
	defer cancel()
	wait := opts.PollInterval
	for {
		done, err := try(ctx)
		if done || err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return timeout("%s not complete after %s", what, opts.JobTimeout)
			}
			return err
		}
		if err := sleep.For(ctx, wait); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return timeout("%s not complete after %s", what, opts.JobTimeout)
			}
			return err
		}
		wait = min(2*wait, max(MaxPollInterval, opts.PollInterval))
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

// regionConfig returns the account's config for calls in region.
func (c *collector) regionConfig(region string) aws.Config {
	cfg := c.r.cfg.Copy()
	cfg.Region = region
	return cfg
}
