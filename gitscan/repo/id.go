package repo

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	xescape "github.com/keysweep/keysweep/internal/escape"
)

// MaxIDSize is the size of the longest object name, SHA-256's.
const MaxIDSize = 32

// ID is an object name of either format: SHA-1 (20 bytes) or SHA-256
// (32). It is comparable, so it serves as a map key, and it knows its
// own length, so it prints as git spells it.
type ID struct {
	b [MaxIDSize]byte
	n uint8
}

// IDFromBytes returns the ID whose raw name is b (20 or 32 bytes).
func IDFromBytes(b []byte) ID {
	var id ID
	id.n = uint8(copy(id.b[:], b))
	return id
}

// ParseID parses a full hexadecimal object name of either format.
func ParseID(s string) (ID, error) {
	var id ID
	if !id.SetHex([]byte(s)) {
		return ID{}, errors.New("not an object name: " + quoteShort(s))
	}
	return id, nil
}

// SetHex sets id from a full hexadecimal name (40 or 64 digits) and
// reports whether s was one.
func (id *ID) SetHex(s []byte) bool {
	if len(s) != 2*20 && len(s) != 2*32 {
		return false
	}
	var tmp [MaxIDSize]byte
	if _, err := hex.Decode(tmp[:len(s)/2], s); err != nil {
		return false
	}
	id.b, id.n = tmp, uint8(len(s)/2)
	return true
}

// Bytes returns the raw name.
func (id *ID) Bytes() []byte { return id.b[:id.n] }

// Size is the raw name's length: 20 or 32, or 0 for the zero ID.
func (id ID) Size() int { return int(id.n) }

// IsZero reports whether id is unset (or git's all-zero name).
func (id ID) IsZero() bool { return id.b == [MaxIDSize]byte{} }

// String is the full hexadecimal name.
func (id ID) String() string { return hex.EncodeToString(id.b[:id.n]) }

// Short is the first 12 hexadecimal digits, for messages.
func (id ID) Short() string {
	s := id.String()
	return s[:min(12, len(s))]
}

// Compare orders IDs by their bytes.
func Compare(a, b ID) int {
	for i := range a.b {
		if a.b[i] != b.b[i] {
			if a.b[i] < b.b[i] {
				return -1
			}
			return 1
		}
	}
	return int(a.n) - int(b.n)
}

// Key8 and Key4 are the name's first eight bytes and bytes 8..11, which
// are uniformly random: hash tables use them as the hash.
func (id *ID) Key8() uint64 {
	b := id.b[:8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// Equal reports whether id and o name the same object. It compares the
// name as four machine words (the bytes past a SHA-1 name are zero in
// both): the object table's lookups do this for every tree entry, where
// comparing the struct calls the runtime's memequal.
func (id *ID) Equal(o *ID) bool {
	a, b := &id.b, &o.b
	return id.n == o.n &&
		binary.LittleEndian.Uint64(a[0:8]) == binary.LittleEndian.Uint64(b[0:8]) &&
		binary.LittleEndian.Uint64(a[8:16]) == binary.LittleEndian.Uint64(b[8:16]) &&
		binary.LittleEndian.Uint64(a[16:24]) == binary.LittleEndian.Uint64(b[16:24]) &&
		binary.LittleEndian.Uint64(a[24:32]) == binary.LittleEndian.Uint64(b[24:32])
}

// Key4 is bytes 8..11 of the name.
func (id *ID) Key4() uint32 {
	b := id.b[8:12]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// quoteShort quotes at most 80 bytes of hostile input for a message.
func quoteShort(s string) string {
	return "\"" + escape(xescape.Cut(s, 80)) + "\""
}

func escape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '"' || c == '\\' {
			out = append(out, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			continue
		}
		out = append(out, c)
	}
	return string(out)
}
