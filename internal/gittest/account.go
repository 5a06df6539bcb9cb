package gittest

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strconv"
)

// FakeKeyIn is FakeKey for a key ID that encodes account (12 digits) the
// way AWS's key IDs since about 2019 do, so that its account decodes
// offline: the format flag, the 40-bit account, then seeded bits.
func FakeKeyIn(account string, seed int) (id, secret string) {
	a, err := strconv.ParseUint(account, 10, 64)
	if err != nil || len(account) != 12 {
		panic("gittest: FakeKeyIn: bad account " + account)
	}
	_, secret = FakeKey(seed)
	sum := sha256.Sum256([]byte(fmt.Sprintf("keysweep-account-key-%s-%d", account, seed)))
	z := 1<<47 | a<<7 | uint64(sum[0]&0x7f)
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], z<<16)
	copy(b[6:], sum[1:5])
	return "AKIA" + base32.StdEncoding.EncodeToString(b[:]), secret
}
