package verify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/keysweep/keysweep/internal/escape"
	"github.com/keysweep/keysweep/internal/sleep"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/keysweep/keysweep/finding"
)

// Defaults of Options.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultConcurrency = 4
	DefaultRetryDelay  = time.Second
	// DefaultMaxKeys bounds the keys one run verifies: a repository (or
	// a pull request) with thousands of committed pairs must not turn a
	// scan into thousands of calls.
	DefaultMaxKeys = 100
)

// Options say where and how to call STS.
type Options struct {
	// Endpoint is the STS URL. "" means the partition's endpoint for
	// Region: the global https://sts.amazonaws.com, or the regional
	// endpoint of the China and GovCloud partitions. Tests set it from
	// AWS_ENDPOINT_URL (EndpointFromEnv).
	Endpoint string
	// Region chooses the partition; "" means the aws partition.
	Region string
	// Timeout bounds each call; zero means DefaultTimeout.
	Timeout time.Duration
	// Concurrency bounds the calls in flight; zero means DefaultConcurrency.
	Concurrency int
	// RetryDelay is the pause before the one retry of a throttled call;
	// zero means DefaultRetryDelay.
	RetryDelay time.Duration
	// HTTPClient sends the calls; nil means a client of its own.
	HTTPClient *http.Client
	// MaxKeys bounds the keys verified; zero means DefaultMaxKeys. The
	// plan's first MaxKeys keys (by key ID) are verified, the rest are
	// one gap line.
	MaxKeys int
}

// EndpointFromEnv is the STS endpoint the environment configures, as the
// SDK reads it: AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL; "" for none.
func EndpointFromEnv(getenv func(string) string) string {
	return cmp.Or(getenv("AWS_ENDPOINT_URL_STS"), getenv("AWS_ENDPOINT_URL"))
}

// endpoint returns the STS URL and signing region for o.
func (o Options) endpoint() (url, region string) {
	switch {
	case strings.HasPrefix(o.Region, "cn-"):
		region = o.Region
		url = "https://sts." + region + ".amazonaws.com.cn"
	case strings.HasPrefix(o.Region, "us-gov-"):
		region = o.Region
		url = "https://sts." + region + ".amazonaws.com"
	default:
		// The global endpoint signs as us-east-1.
		region, url = "us-east-1", "https://sts.amazonaws.com"
	}
	if o.Endpoint != "" {
		url = o.Endpoint
	}
	return url, region
}

// Result is what Run found out.
type Result struct {
	// Verified holds the plan's canary facts and a live or invalid fact
	// for each key AWS answered about.
	Verified finding.Verifications
	// Gaps name the keys AWS did not answer about; their verdicts stand.
	Gaps []string
	// Keys is how many keys were verified (asked about); Calls counts
	// the requests sent, retries included; Failed the keys without an
	// answer.
	Keys   int
	Calls  int
	Failed int
}

// Run verifies the plan's keys: for each, sts:GetCallerIdentity signed
// with each of its committed pairs until one works. It makes no call for
// a plan without keys.
func Run(ctx context.Context, p *Plan, o Options) Result {
	res := Result{Verified: finding.Verifications{}}
	for id, c := range p.Canaries {
		res.Verified[id] = c
	}
	if len(p.keys) == 0 {
		return res
	}
	o.Timeout = cmp.Or(o.Timeout, DefaultTimeout)
	o.Concurrency = cmp.Or(o.Concurrency, DefaultConcurrency)
	o.RetryDelay = cmp.Or(o.RetryDelay, DefaultRetryDelay)
	keys := p.keys
	if max := cmp.Or(o.MaxKeys, DefaultMaxKeys); len(keys) > max {
		res.Gaps = append(res.Gaps, fmt.Sprintf("%d committed keys not verified: over the limit of %d per run; their verdicts stand", len(keys)-max, max))
		res.Failed += len(keys) - max
		keys = keys[:max]
	}
	res.Keys = len(keys)
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		defer o.HTTPClient.CloseIdleConnections()
	}

	type outcome struct {
		fact finding.Verification
		gap  string
	}
	outcomes := make([]outcome, len(keys))
	var calls atomic.Int64
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fact, gap := verifyKey(ctx, k, o, &calls)
			outcomes[i] = outcome{fact, gap}
		}()
	}
	wg.Wait()
	for i, out := range outcomes {
		if out.gap != "" {
			res.Gaps = append(res.Gaps, out.gap)
			res.Failed++
			continue
		}
		res.Verified[keys[i].id] = out.fact
	}
	res.Calls = int(calls.Load())
	return res
}

// verifyKey tries the key's pairs in order and stops at the first that
// works. The key is invalid only when AWS rejected every pair; a pair
// without an answer makes it a gap unless another pair works.
func verifyKey(ctx context.Context, k keyPairs, o Options, calls *atomic.Int64) (finding.Verification, string) {
	var rejected finding.Verification
	var failure string
	for _, pr := range k.pairs {
		fact, why := call(ctx, k.id, pr, o, calls)
		switch {
		case fact.Status == finding.StatusLive:
			return fact, ""
		case fact.Status == finding.StatusInvalid:
			if rejected.Code == "" || fact.Code == "SignatureDoesNotMatch" {
				// "The key exists" says more than "no such key".
				rejected = fact
			}
		default:
			failure = why
		}
	}
	if failure == "" && k.more > 0 {
		failure = fmt.Sprintf("AWS rejected %d committed secrets, %d more were not tried", len(k.pairs), k.more)
	}
	if failure != "" {
		return finding.Verification{}, fmt.Sprintf("key %s not verified: %s; its verdict stands", k.id, failure)
	}
	return rejected, ""
}

// call signs one sts:GetCallerIdentity with the pair, retrying once if
// throttled. It returns a live or invalid fact, or why there is none.
func call(ctx context.Context, id string, pr pair, o Options, calls *atomic.Int64) (finding.Verification, string) {
	url, region := o.endpoint()
	client := sts.New(sts.Options{
		Region:       region,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(id, pr.secret.Reveal(), pr.token.Reveal()),
		HTTPClient:   o.HTTPClient,
		// One retry, on throttling only, is ours to decide (below).
		Retryer: aws.NopRetryer{},
	})
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, o.Timeout)
		calls.Add(1)
		out, err := client.GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
		cancel()
		if err == nil {
			return finding.Verification{
				Status:  finding.StatusLive,
				Account: account(aws.ToString(out.Account)),
				ARN:     arn(aws.ToString(out.Arn)),
			}, ""
		}
		if code, ok := rejection(err); ok {
			return finding.Verification{Status: finding.StatusInvalid, Code: code}, ""
		}
		if !throttled(err) || attempt == 1 || ctx.Err() != nil {
			return finding.Verification{}, describe(err, o.Timeout)
		}
		if err := sleep.For(ctx, o.RetryDelay); err != nil {
			return finding.Verification{}, describe(err, o.Timeout)
		}
	}
}

// rejection reports whether err is AWS refusing the pair itself, and its
// code: the answers that make a key invalid. Anything else (a clock too
// far off, throttling, the network) says nothing about the key.
func rejection(err error) (string, bool) {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return "", false
	}
	switch code := api.ErrorCode(); code {
	case "InvalidClientTokenId", "ExpiredToken":
		return code, true
	case "SignatureDoesNotMatch":
		// AWS also says SignatureDoesNotMatch when the request is too old
		// or too new ("Signature expired"): the clock, not the secret.
		if strings.Contains(api.ErrorMessage(), "Signature expired") || strings.Contains(api.ErrorMessage(), "Signature not yet current") {
			return "", false
		}
		return code, true
	}
	return "", false
}

// throttled reports whether err is AWS asking the caller to slow down.
func throttled(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
			"RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown":
			return true
		}
	}
	var resp *smithyhttp.ResponseError
	return errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusTooManyRequests
}

// describe is the one-line reason a call got no answer.
func describe(err error, timeout time.Duration) string {
	var api smithy.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("sts:GetCallerIdentity timed out after %s", timeout)
	case errors.Is(err, context.Canceled):
		return "sts:GetCallerIdentity cancelled"
	case throttled(err):
		return "sts:GetCallerIdentity throttled twice"
	case errors.As(err, &api):
		return "sts:GetCallerIdentity failed (" + oneLine(api.ErrorCode(), 80) + ")"
	}
	var send *smithyhttp.RequestSendError
	var resp *smithyhttp.ResponseError
	if !errors.As(err, &send) && errors.As(err, &resp) && resp.HTTPStatusCode() != 0 {
		return fmt.Sprintf("sts:GetCallerIdentity failed (HTTP %d)", resp.HTTPStatusCode())
	}
	return "sts:GetCallerIdentity did not reach STS (network)"
}

// account is an account ID as STS returned it, or "" if it is not one:
// what the response says goes into reports, so it is checked.
func account(s string) string {
	if !finding.IsAccountID(s) {
		return ""
	}
	return s
}

// arn keeps an identity ARN to the characters ARNs are made of and to a
// bounded length, for every sink it is printed to.
func arn(s string) string {
	const max = 512
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(":/+=,.@_-", r):
			return r
		}
		return '?'
	}, s)
	return escape.Cut(s, max)
}

// oneLine keeps a string from the network to one short line.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return escape.Cut(s, n)
}
