package iampolicy

import "testing"

func TestCoversOverlaps(t *testing.T) {
	tests := []struct {
		p, q             string
		fold             bool
		covers, overlaps bool
	}{
		{"*", "*", false, true, true},
		{"*", "iam:CreateUser", true, true, true},
		{"iam:*", "iam:CreateUser", true, true, true},
		{"IAM:create*", "iam:CreateUser", true, true, true},
		{"IAM:create*", "iam:CreateUser", false, false, false},
		{"iam:CreateUser", "iam:*", true, false, true},
		{"iam:*", "*", true, false, true},
		{"s3:*", "iam:*", true, false, false},
		{"iam:Create*", "iam:*User", true, false, true},
		{"iam:?etUser", "iam:GetUser", true, true, true},
		{"iam:?etUser", "iam:*", true, false, true},
		{"iam:Get?", "iam:Get*", true, false, true},
		{"iam:Get*", "iam:Get?", true, true, true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/k", false, true, true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::c/k", false, false, false},
		{"arn:aws:s3:::b/*", "*", false, false, true},
		{"a*b*c", "a*c", false, false, true},
		{"a*c", "a*b*c", false, true, true},
		{"", "", false, true, true},
		{"", "*", false, false, true},
		{"abc", "ab", false, false, false},
	}
	for _, tt := range tests {
		if got := covers(tt.p, tt.q, tt.fold); got != tt.covers {
			t.Errorf("covers(%q, %q) = %v, want %v", tt.p, tt.q, got, tt.covers)
		}
		if got := overlaps(tt.p, tt.q, tt.fold); got != tt.overlaps {
			t.Errorf("overlaps(%q, %q) = %v, want %v", tt.p, tt.q, got, tt.overlaps)
		}
		if got := overlaps(tt.q, tt.p, tt.fold); got != tt.overlaps {
			t.Errorf("overlaps(%q, %q) = %v, want %v (symmetric)", tt.q, tt.p, got, tt.overlaps)
		}
	}
}

// TestMatchCost: the dynamic programs are quadratic in pattern length
// only, never exponential in the number of stars (a naive backtracking
// matcher would take ages on this input).
func TestMatchCost(t *testing.T) {
	p := ""
	for range 200 {
		p += "a*"
	}
	q := p + "b"
	allocs := testing.AllocsPerRun(3, func() { covers(p, q, false); overlaps(p, q, false) })
	if allocs > 10 {
		t.Errorf("%v allocations for one comparison", allocs)
	}
}
