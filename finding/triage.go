package finding

import "time"

// Access is what a committed key can do: the effective permissions of the
// IAM user that owns it (inline, attached and group policies, its
// permissions boundary and, with --org, the service control policies that
// apply), as IAM evaluates them.
type Access struct {
	// Level is "admin", "privilege-escalation", "write", "read", "none"
	// or "unknown" (a policy could not be read; Unreadable names it).
	Level string `json:"level"`
	// Conditional says the level rests only on grants that hold under a
	// condition (or only in part).
	Conditional bool `json:"conditional,omitempty"`
	// Principal is the ARN of the key's user.
	Principal string `json:"principal"`
	// Grants are the actions and resources granted, after the boundary,
	// the SCPs and every Deny.
	Grants []Grant `json:"grants"`
	// GrantsTruncated says Grants stopped at its bound.
	GrantsTruncated bool `json:"grantsTruncated,omitempty"`
	// Escalations name the privilege-escalation paths held.
	Escalations []string `json:"escalations,omitempty"`
	// HighImpact are the high-impact actions granted ("iam:CreateAccessKey
	// on *").
	HighImpact []string `json:"highImpact,omitempty"`
	// Unreadable names what could not be read (a policy ARN and the
	// refused permission); the level is then "unknown" or a lower bound.
	Unreadable []string `json:"unreadable"`
}

// Grant is one action on one resource a key's user is granted. NotAction
// (NotResource) lists the exceptions of a grant of every action
// (resource) but those.
type Grant struct {
	Action      string   `json:"action"`
	NotAction   []string `json:"notAction,omitempty"`
	Resource    string   `json:"resource"`
	NotResource []string `json:"notResource,omitempty"`
	// Conditional: the grant holds only under a condition, or only in
	// part (a Deny, the boundary or an SCP restricts it in a way a single
	// action and resource cannot say).
	Conditional bool `json:"conditional"`
	// Policy names the policy that grants it.
	Policy string `json:"policy,omitempty"`
}

// Activity is what CloudTrail's event history says a committed key did
// since it was committed.
type Activity struct {
	// Since is where the search started: the introducing commit's date,
	// or the start of the 90-day event history when the leak is older
	// (CoversLeak is then false: earlier use is only in a trail's logs).
	Since      time.Time `json:"since"`
	CoversLeak bool      `json:"coversLeak"`
	// Events counts the events found; First and Last bound them.
	Events int       `json:"events"`
	First  time.Time `json:"first,omitzero"`
	Last   time.Time `json:"last,omitzero"`
	// SourceIPs, UserAgents and Regions are the distinct values seen,
	// sorted; ValuesTruncated says the first two were cut at their bound
	// (100 values of at most 256 bytes: a caller chooses its user agent).
	SourceIPs       []string `json:"sourceIps"`
	UserAgents      []string `json:"userAgents"`
	Regions         []string `json:"regions"`
	ValuesTruncated bool     `json:"valuesTruncated,omitempty"`
	// EventNames counts events by "service:EventName".
	EventNames map[string]int `json:"eventNames"`
	// Errors counts events with an error code; DeniedBurst says whether
	// AccessDenied errors came in a burst (someone enumerating).
	Errors      int  `json:"errors"`
	DeniedBurst bool `json:"deniedBurst,omitempty"`
	// Persistence names the persistence or escalation events seen
	// (CreateUser, CreateAccessKey, AttachUserPolicy, …), with counts.
	Persistence []string `json:"persistence"`
	// Truncated says the search stopped at its page bound in some
	// region, so the counts are lower bounds.
	Truncated bool `json:"truncated"`
	// Unread names the regions that could not be searched, with why.
	Unread []string `json:"unread,omitempty"`
}

// Triage is what the inventory learned about one key beyond its status:
// nil parts were not looked up (the report's gaps say why).
type Triage struct {
	Access   *Access
	Activity *Activity
}

// Urgency orders committed keys for a responder, most urgent highest:
// open before suppressed; live keys (active in an inventory, or verified)
// first; among them those used since the leak, then by what they can do
// (admin, privilege escalation, write or unknown, read, none); then by
// severity, the keys nobody could verify before those of other accounts.
// Every renderer lists keys in this order.
func (k KeyFinding) Urgency() int {
	u := 10 * int(k.Severity)
	switch k.Status {
	case StatusActive, StatusLive:
		u += 100000
	case StatusUnverified:
		u += 2
	case StatusOtherAccount:
		u += 1
	}
	if k.Activity != nil && k.Activity.Events > 0 {
		u += 10000
	}
	if k.Access != nil {
		u += 1000 * accessRank(k.Access.Level)
	}
	if k.Suppressed == nil {
		u += 1000000
	}
	return u
}

// accessRank orders access levels: admin 5 … none 1; unknown ranks with
// write (it may be anything).
func accessRank(level string) int {
	switch level {
	case "admin":
		return 5
	case "privilege-escalation":
		return 4
	case "write", "unknown":
		return 3
	case "read":
		return 2
	case "none":
		return 1
	}
	return 0
}
