//go:build unix

package safefile

import (
	"errors"
	"os"
	"syscall"
)

// readFlags open without following a final symbolic link (ELOOP instead)
// and without blocking on a FIFO that has no writer.
const readFlags = os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// appendFlags are readFlags' counterpart for appending.
const appendFlags = os.O_WRONLY | os.O_APPEND | os.O_CREATE | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// createFlags are readFlags' counterpart for writing a report.
const createFlags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// runnerFlags append to a file the runner provides: links followed, a
// FIFO never waited on.
const runnerFlags = os.O_WRONLY | os.O_APPEND | os.O_CREATE | syscall.O_NONBLOCK

func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) }
