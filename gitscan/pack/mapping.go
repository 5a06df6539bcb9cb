package pack

import "sync/atomic"

// mapping is a pack mapped into memory, on Linux (elsewhere packs are
// read with pread; darwin's syscall package has no madvise). A
// worker then inflates an entry straight from the page cache: reading it
// first, through pread into a buffer, cost a copy of every byte read and
// a system call for every buffer filled, a tenth of a full scan's CPU on
// git/git.
//
// Mapped pages count in the process's resident set, and a scan touches
// the whole pack in no particular order, so mapping alone would add the
// pack's size to peak memory (495 MiB for git/git). The mapping drops its
// pages from the process each time about dropAfter bytes of it were
// touched since the last time; they stay in the page cache, and the next
// read maps them again for the cost of a minor fault.
type mapping struct {
	data []byte
	// touched has a bit for each window of the pack mapped since the last
	// drop; count counts them.
	touched []atomic.Uint64
	count   atomic.Int64
}

const (
	// windowShift is the kernel's granule for mapping file pages on a
	// fault (fault_around_bytes, 64 KiB by default): a read of one byte
	// maps its whole window.
	windowShift = 16
	dropAfter   = 32 << 20
)

// newMapping maps the first size bytes of f, or returns nil where that
// fails: the pack is then read with pread.
func newMapping(fd uintptr, size int64) *mapping {
	data := mapFile(fd, size)
	if data == nil {
		return nil
	}
	return &mapping{data: data, touched: make([]atomic.Uint64, (size>>windowShift)/64+1)}
}

// bytes returns the pack's bytes [start, end), which the caller has
// checked lie inside it.
func (m *mapping) bytes(start, end int64) []byte {
	for w := start >> windowShift; w <= (end-1)>>windowShift; w++ {
		word, bit := &m.touched[w>>6], uint64(1)<<(w&63)
		if word.Load()&bit == 0 && word.Or(bit)&bit == 0 && m.count.Add(1) == dropAfter>>windowShift {
			m.drop()
		}
	}
	return m.data[start:end]
}

// drop releases the mapped pages. Another worker reading meanwhile just
// maps its pages again: the mapping is read-only, and the pages' contents
// come back from the file.
func (m *mapping) drop() {
	release(m.data)
	for i := range m.touched {
		m.touched[i].Store(0)
	}
	m.count.Store(0)
}

func (m *mapping) close() {
	if m != nil {
		unmap(m.data)
	}
}
