package finding

// IsAccountID reports whether s is an AWS account ID: 12 decimal digits.
// Settings, flags, the canary list and STS answers are all checked with it.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
