package detect

import "fmt"

// DecodeAccount returns the 12-digit AWS account ID that an AKIA or ASIA
// key ID encodes, without asking AWS.
//
// The 16 characters after the prefix are base32 (A-Z2-7). Of the first 48
// bits they decode to, the top one flags the format and the next 40 hold
// the account ID. Key IDs issued before about 2019 lack the flag (their
// fifth character is I or J, where the flag needs Q-Z or 2-7) and encode
// no account; for them, for other prefixes and for malformed IDs ok is
// false. sts:GetAccessKeyInfo remains the authority.
func DecodeAccount(keyID string) (account string, ok bool) {
	if len(keyID) != keyLen || keyID[:4] != "AKIA" && keyID[:4] != "ASIA" {
		return "", false
	}
	var v uint64 // the first 10 characters: 50 bits
	for i := 4; i < keyLen; i++ {
		c := keyID[i]
		if class[c]&cBody == 0 {
			return "", false
		}
		if i < 14 {
			v = v<<5 | uint64(b32(c))
		}
	}
	z := v >> 2
	if z>>47 == 0 {
		return "", false
	}
	id := (z & 0x7fffffffff80) >> 7
	if id > 999_999_999_999 {
		return "", false
	}
	return fmt.Sprintf("%012d", id), true
}

// b32 returns the value of an RFC 4648 base32 digit.
func b32(c byte) byte {
	if c >= 'A' {
		return c - 'A'
	}
	return c - '2' + 26
}
