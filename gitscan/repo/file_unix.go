//go:build unix

package repo

import "syscall"

const nonblock = syscall.O_NONBLOCK
