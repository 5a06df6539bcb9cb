//go:build !unix

package safefile

import "os"

// Without O_NOFOLLOW the Lstat check before opening is what refuses links.
const (
	readFlags   = os.O_RDONLY
	appendFlags = os.O_WRONLY | os.O_APPEND | os.O_CREATE
	createFlags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	runnerFlags = os.O_WRONLY | os.O_APPEND | os.O_CREATE
)

func isLoop(error) bool { return false }
