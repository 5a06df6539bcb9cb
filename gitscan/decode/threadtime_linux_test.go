package decode

import (
	"runtime"
	"syscall"
	"time"
)

// threadTime is the CPU time of the calling goroutine's thread, to which
// it stays locked: what the machine's other load does not add to.
func threadTime() time.Duration {
	runtime.LockOSThread()
	var ru syscall.Rusage
	const rusageThread = 1
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
