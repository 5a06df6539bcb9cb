package pack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// readIdx reads a pack index (version 1 or 2) whose object names are hs
// bytes long and returns the names in index order, each one's pack
// offset and, from version 2, the CRC-32 of each entry's bytes in the
// pack.
func readIdx(path string, hs int) (names []repo.ID, offs []int64, crcs []uint32, err error) {
	// The largest index git writes is 2^32 objects of 32-byte names.
	b, err := repo.ReadFile(path, 1<<40)
	if err != nil {
		return nil, nil, nil, err
	}
	be := binary.BigEndian
	if len(b) >= 8 && bytes.Equal(b[:4], []byte{0xff, 't', 'O', 'c'}) {
		if v := be.Uint32(b[4:]); v != 2 {
			return nil, nil, nil, fmt.Errorf("unsupported pack index version %d", v)
		}
		if len(b) < 8+1024 {
			return nil, nil, nil, errors.New("truncated pack index")
		}
		n := int(be.Uint32(b[8+1020:]))
		names0 := 8 + 1024
		off32 := names0 + (hs+4)*n // names, then CRCs
		large := off32 + 4*n
		if n < 0 || len(b) < large+2*hs {
			return nil, nil, nil, errors.New("truncated pack index")
		}
		nlarge := (len(b) - 2*hs - large) / 8
		names = make([]repo.ID, n)
		offs = make([]int64, n)
		crcs = make([]uint32, n)
		for i := range n {
			names[i] = repo.IDFromBytes(b[names0+hs*i : names0+hs*(i+1)])
			crcs[i] = be.Uint32(b[names0+hs*n+4*i:])
			o := be.Uint32(b[off32+4*i:])
			if o&0x80000000 == 0 {
				offs[i] = int64(o)
				continue
			}
			j := int(o & 0x7fffffff)
			if j >= nlarge {
				return nil, nil, nil, errors.New("pack index: bad large offset")
			}
			offs[i] = int64(be.Uint64(b[large+8*j:]))
		}
		return names, offs, crcs, nil
	}
	// Version 1: the fan-out table, then offset and name pairs.
	if len(b) < 1024 {
		return nil, nil, nil, errors.New("truncated pack index")
	}
	n := int(be.Uint32(b[1020:]))
	if hs != 20 || len(b) < 1024+24*n+40 {
		return nil, nil, nil, errors.New("truncated pack index")
	}
	names = make([]repo.ID, n)
	offs = make([]int64, n)
	for i := range n {
		e := b[1024+24*i:]
		offs[i] = int64(be.Uint32(e))
		names[i] = repo.IDFromBytes(e[4:24])
	}
	return names, offs, nil, nil
}

// objectTable maps object names to object numbers: an open-addressing
// hash set over every object of the repository, built once before the
// scan and then read concurrently. Object names are uniformly random, so
// their first bytes are the hash.
type objectTable struct {
	hashes []repo.ID // by object number; may hold duplicates
	// slots hold a tag from the name's bytes 8..11 in the high half and
	// the object number plus one in the low half; zero is empty.
	slots []uint64
	count int // distinct names inserted
}

func newObjectTable(hashes []repo.ID) *objectTable {
	size := 1 << bits.Len(uint(2*len(hashes)|15))
	return &objectTable{hashes: hashes, slots: make([]uint64, size)}
}

func tagOf(h *repo.ID) uint64 { return uint64(h.Key4()) }

// insert adds object number num unless its name is already present, and
// returns the number that holds the name.
func (t *objectTable) insert(num int32) (holder int32, inserted bool) {
	h := &t.hashes[num]
	mask := uint64(len(t.slots) - 1)
	tag := tagOf(h)
	for i := h.Key8() & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = tag<<32 | uint64(num+1)
			t.count++
			return num, true
		}
		if s>>32 == tag && t.hashes[int32(s)-1].Equal(h) {
			return int32(s) - 1, false
		}
	}
}

// lookup returns the number of the object named h.
func (t *objectTable) lookup(h *repo.ID) (int32, bool) {
	mask := uint64(len(t.slots) - 1)
	tag := tagOf(h)
	for i := h.Key8() & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1, false
		}
		if s>>32 == tag && t.hashes[int32(s)-1].Equal(h) {
			return int32(s) - 1, true
		}
	}
}
