package pack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"

	"github.com/go-git/go-git/v5/plumbing"
)

// readIdx reads a pack index (version 1 or 2) and returns the object
// names in index order and each one's pack offset.
func readIdx(path string) (names []plumbing.Hash, offs []int64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	be := binary.BigEndian
	if len(b) >= 8 && bytes.Equal(b[:4], []byte{0xff, 't', 'O', 'c'}) {
		if v := be.Uint32(b[4:]); v != 2 {
			return nil, nil, fmt.Errorf("unsupported pack index version %d", v)
		}
		if len(b) < 8+1024 {
			return nil, nil, errors.New("truncated pack index")
		}
		n := int(be.Uint32(b[8+1020:]))
		names0 := 8 + 1024
		off32 := names0 + 24*n // names, then CRCs
		large := off32 + 4*n
		if len(b) < large+40 {
			return nil, nil, errors.New("truncated pack index")
		}
		nlarge := (len(b) - 40 - large) / 8
		names = make([]plumbing.Hash, n)
		offs = make([]int64, n)
		for i := range n {
			copy(names[i][:], b[names0+20*i:])
			o := be.Uint32(b[off32+4*i:])
			if o&0x80000000 == 0 {
				offs[i] = int64(o)
				continue
			}
			j := int(o & 0x7fffffff)
			if j >= nlarge {
				return nil, nil, errors.New("pack index: bad large offset")
			}
			offs[i] = int64(be.Uint64(b[large+8*j:]))
		}
		return names, offs, nil
	}
	// Version 1: the fan-out table, then offset and name pairs.
	if len(b) < 1024 {
		return nil, nil, errors.New("truncated pack index")
	}
	n := int(be.Uint32(b[1020:]))
	if len(b) < 1024+24*n+40 {
		return nil, nil, errors.New("truncated pack index")
	}
	names = make([]plumbing.Hash, n)
	offs = make([]int64, n)
	for i := range n {
		e := b[1024+24*i:]
		offs[i] = int64(be.Uint32(e))
		copy(names[i][:], e[4:24])
	}
	return names, offs, nil
}

// objectTable maps object names to object numbers: an open-addressing
// hash set over every object of the repository, built once before the
// scan and then read concurrently. Object names are uniformly random, so
// their first bytes are the hash.
type objectTable struct {
	hashes []plumbing.Hash // by object number; may hold duplicates
	// slots hold a tag from the name's bytes 8..11 in the high half and
	// the object number plus one in the low half; zero is empty.
	slots []uint64
	count int // distinct names inserted
}

func newObjectTable(hashes []plumbing.Hash) *objectTable {
	size := 1 << bits.Len(uint(2*len(hashes)|15))
	return &objectTable{hashes: hashes, slots: make([]uint64, size)}
}

func tagOf(h *plumbing.Hash) uint64 { return uint64(binary.LittleEndian.Uint32(h[8:])) }

// insert adds object number num unless its name is already present, and
// returns the number that holds the name.
func (t *objectTable) insert(num int32) (holder int32, inserted bool) {
	h := &t.hashes[num]
	mask := uint64(len(t.slots) - 1)
	tag := tagOf(h)
	for i := binary.LittleEndian.Uint64(h[:8]) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = tag<<32 | uint64(num+1)
			t.count++
			return num, true
		}
		if s>>32 == tag && t.hashes[int32(s)-1] == *h {
			return int32(s) - 1, false
		}
	}
}

// lookup returns the number of the object named h.
func (t *objectTable) lookup(h *plumbing.Hash) (int32, bool) {
	mask := uint64(len(t.slots) - 1)
	tag := tagOf(h)
	for i := binary.LittleEndian.Uint64(h[:8]) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1, false
		}
		if s>>32 == tag && t.hashes[int32(s)-1] == *h {
			return int32(s) - 1, true
		}
	}
}
