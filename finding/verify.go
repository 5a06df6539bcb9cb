package finding

// Statuses that verification and the canary list give a committed key,
// beside the inventory's (model.go).
const (
	// StatusLive: the committed pair signed sts:GetCallerIdentity.
	StatusLive KeyStatus = "live"
	// StatusInvalid: AWS rejected the committed pair (deleted key, wrong
	// secret, expired session token).
	StatusInvalid KeyStatus = "invalid"
	// StatusCanary: the key belongs to an account that a canary-token
	// service uses for trap credentials.
	StatusCanary KeyStatus = "canary"
)

// Verification is a raw fact about one committed key ID that is not in an
// inventory: what sts:GetCallerIdentity signed with the committed pair
// answered, or that the key is a canary token and was never used.
type Verification struct {
	// Status is StatusLive, StatusInvalid or StatusCanary.
	Status KeyStatus
	// Account and ARN are the identity a live pair acts as.
	Account string
	ARN     string
	// Code is the AWS error code of a rejection: InvalidClientTokenId
	// (no such key), SignatureDoesNotMatch (the key exists, the secret is
	// wrong) or ExpiredToken.
	Code string
	// Canary names the service whose account the key belongs to.
	Canary string
	// CanaryAccount is the account of a canary key.
	CanaryAccount string
}

// Verifications are the facts by access key ID. A key without an entry
// was not verified (not asked for, not eligible, or the call failed).
type Verifications map[string]Verification

// VerifyStats says what verification did in one run, for the report.
type VerifyStats struct {
	// Requested is whether --verify was given.
	Requested bool `json:"requested"`
	// Keys is how many key IDs were verified (one call each, plus retries).
	Keys    int `json:"keys"`
	Live    int `json:"live"`
	Invalid int `json:"invalid"`
	// Canaries is how many committed key IDs are canary tokens (never
	// verified, with or without --verify).
	Canaries int `json:"canaries"`
	// Failed is how many calls ended without an answer (network,
	// throttling, timeout): those keys keep their verdict, with a gap.
	Failed int `json:"failed,omitempty"`
	// Calls counts sts:GetCallerIdentity requests sent, retries included.
	Calls int `json:"calls"`
	// Skipped counts eligible-looking keys not verified by policy:
	// allowed or denied accounts.
	Skipped int `json:"skipped,omitempty"`
}
