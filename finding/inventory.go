package finding

import "time"

// RootUser is the name the IAM credential report gives the root user, and
// the User of a root user's access key.
const RootUser = "<root_account>"

// AccessKey is one access key of the scanned account, as the inventory saw it.
type AccessKey struct {
	ID string `json:"id"`
	// User is the IAM user name; "<root_account>" for the root user's keys.
	User string `json:"user,omitempty"`
	// Status is "Active" or "Inactive" as IAM spells it; "" when the source
	// (a plain list of IDs) does not say.
	Status          string    `json:"status,omitempty"`
	Created         time.Time `json:"created,omitzero"`
	LastUsed        time.Time `json:"lastUsed,omitzero"`
	LastUsedService string    `json:"lastUsedService,omitempty"`
	LastUsedRegion  string    `json:"lastUsedRegion,omitempty"`
}

// Inventory is the set of access keys that exist in the account, the input
// the judge matches committed key IDs against.
type Inventory struct {
	// Source is "aws" (live IAM) or "known-keys" (a file given offline).
	Source string
	// Account is the 12-digit account the keys belong to ("" if unknown).
	Account string
	// AccountName is Account's name in its AWS Organization ("" when the
	// organization was not read).
	AccountName string
	// Keys by access key ID.
	Keys map[string]AccessKey
	// KeyAccounts holds accounts confirmed by sts:GetAccessKeyInfo for
	// committed key IDs that are not in Keys.
	KeyAccounts map[string]string
	// RootKeys are the root user's access keys, from the credential
	// report. The report does not give key IDs, so ID is empty, User is
	// "<root_account>" and Created is the last rotation. A committed key ID
	// of this account (decoded offline or confirmed by KeyAccounts) that is
	// not in Keys may be one of them. Meaningful only when RootKeysKnown.
	RootKeys []AccessKey
	// RootKeysKnown is false when the credential report could not be read
	// (the reason is in Gaps), so "no root keys" is never a guess.
	RootKeysKnown bool
	// Complete says Keys holds every IAM user key of Account, so a key it
	// lacks is not in the account: true for a live inventory and for a
	// list declared complete, false for any other offline list, whose
	// silence proves nothing.
	Complete bool
	// Partial says the source itself admits missing keys (a truncated
	// page of aws iam list-access-keys): it can never be declared complete.
	Partial bool
	// Triage holds, by access key ID, what each key of Keys can do and
	// what it did since it was committed (nil without triage).
	Triage map[string]Triage
	// Gaps names what could not be read (e.g. last-used of one user).
	Gaps []string

	// With an AWS Organization (--org), the top inventory is the caller's
	// account and these hold the rest. Members are the inventories of the
	// other accounts whose keys were matched, by account ID. Unread are
	// the organization's accounts whose keys could not be read (the role
	// could not be assumed, the account was excluded), with why: their
	// keys stay unverified, never downgraded. Names are the names of every
	// account of the organization, by ID.
	Members map[string]*Inventory
	Unread  map[string]string
	Names   map[string]string
}
