//go:build !unix

package repo

// Other systems have no FIFOs that block an open.
const nonblock = 0
