// Package sleep waits out a delay unless the context ends first: every
// retry, backoff and rate limit in keysweep waits this way.
package sleep

import (
	"context"
	"time"
)

// For waits d, or until ctx is done, and then returns ctx.Err().
func For(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
