//go:build !linux

package decode

import "time"

var epoch = time.Now()

// threadTime is wall time where a thread's CPU time is not at hand.
func threadTime() time.Duration { return time.Since(epoch) }
