package scan

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
)

// CallCounter counts AWS API calls made through the configs it is attached
// to, by IAM action ("iam:ListUsers"). The zero value is ready and safe for
// concurrent use. Calls are operations as the caller sees them; Attempts
// also counts the SDK's retries, which is what AWS bills and throttles.
type CallCounter struct {
	mu       sync.Mutex
	calls    map[string]int
	attempts int
}

// Attach makes every client later built from cfg count its calls in c.
// Attach once per config: clients built from a config attached twice count
// each call twice.
func (c *CallCounter) Attach(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		// Initialize runs once per operation; Deserialize once per HTTP
		// attempt, since the retry loop sits between them (Finalize).
		err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("keysweepCountCall",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.add(permission(middleware.GetServiceID(ctx), middleware.GetOperationName(ctx)))
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
		if err != nil {
			return err
		}
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("keysweepCountAttempt",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				c.attempts++
				c.mu.Unlock()
				return next.HandleDeserialize(ctx, in)
			}), middleware.Before)
	})
}

func (c *CallCounter) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = make(map[string]int)
	}
	c.calls[op]++
}

// Total is the number of API calls counted.
func (c *CallCounter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

// Count is the number of calls of one action, e.g. Count("iam:ListUsers").
func (c *CallCounter) Count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// Attempts is the number of HTTP requests sent, retries included.
func (c *CallCounter) Attempts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attempts
}

// Calls returns a copy of the counts by action.
func (c *CallCounter) Calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.calls)
}

// String summarizes the counts, most frequent first, for logs:
// "1008 API calls (iam:GetAccessKeyLastUsed 500, iam:ListAccessKeys 500, …)".
func (c *CallCounter) String() string {
	calls := c.Calls()
	ops := make([]string, 0, len(calls))
	total := 0
	for op, n := range calls {
		ops = append(ops, op)
		total += n
	}
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
	return fmt.Sprintf("%d API calls (%s)", total, strings.Join(parts, ", "))
}
