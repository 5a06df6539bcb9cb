//go:build !linux

package pack

// Elsewhere packs are read with pread.
func mapFile(uintptr, int64) []byte { return nil }

func release([]byte) {}

func unmap([]byte) {}
