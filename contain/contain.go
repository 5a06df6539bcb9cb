// Package contain is the only part of keysweep that changes an AWS
// account: it deactivates a leaked access key (iam:UpdateAccessKey) or
// attaches AWS's managed compromised-key quarantine policy to its user
// (iam:AttachUserPolicy), when a person or a workflow asks for it by name.
//
// The scanning path (package pipeline and everything it imports) never
// imports this package, which a test checks, so a scan cannot change an
// account whatever its input; and the role that scans can stay
// read-only, while containment runs with a separate, write-capable one
// (docs/incident-response.md).
//
// Run is a dry run unless Request.Yes is set: it resolves the key (its
// account by sts:GetAccessKeyInfo, its user by iam:GetAccessKeyLastUsed),
// refuses a key of another account than the credentials act in, and
// returns an audit Record of what it did or would do, and how to undo it.
package contain

import (
	"context"
	"errors"
	"fmt"
	"github.com/keysweep/keysweep/internal/escape"
	"regexp"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keysweep/keysweep/finding"
	"github.com/keysweep/keysweep/scan"
	"github.com/keysweep/keysweep/scan/snapshot"
)

// Action is what containment does to a key.
type Action string

// Actions.
const (
	// Deactivate sets the key Inactive: every request signed with it
	// fails from then on. Undo: set it Active again.
	Deactivate Action = "deactivate"
	// Quarantine attaches QuarantinePolicy to the key's user: the
	// actions an intruder uses to persist or spend (new users, keys,
	// policies, instances, functions) are denied, existing workloads keep
	// running. Undo: detach the policy.
	Quarantine Action = "quarantine"
)

// QuarantinePolicy is AWS's managed policy for compromised IAM user
// credentials, the one AWS itself attaches (V3 since August 2024).
const QuarantinePolicy = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"

// Request is one containment.
type Request struct {
	KeyID  string
	Action Action
	// Yes makes the change; without it Run only says what it would do.
	Yes bool
}

// Record is the audit record of one containment: what was asked, by
// whom, what the account looked like before and after, the calls made (or
// that a dry run would make) and how to undo them.
type Record struct {
	Time    time.Time `json:"time"`
	Caller  string    `json:"caller"`
	KeyID   string    `json:"keyId"`
	Account string    `json:"account"`
	User    string    `json:"user"`
	Action  Action    `json:"action"`
	DryRun  bool      `json:"dryRun"`
	// Done says the change was made (false in a dry run, or when the key
	// was already contained: Note says so).
	Done   bool     `json:"done"`
	Before string   `json:"before"`
	After  string   `json:"after,omitempty"`
	Calls  []string `json:"calls"`
	Undo   []string `json:"undo"`
	Note   string   `json:"note,omitempty"`
}

var keyID = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)

// Error is a containment refused or failed, in one line.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func refuse(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// ValidKeyID reports whether id is a long-term access key ID, the only
// kind Run acts on.
func ValidKeyID(id string) bool { return keyID.MatchString(id) }

// Run contains req.KeyID with the credentials of cfg, which act as
// caller in account. It returns the audit record, or an error that says in
// one line why nothing was done.
func Run(ctx context.Context, cfg aws.Config, account, caller string, req Request, now time.Time) (Record, error) {
	rec := Record{Time: now.UTC(), Caller: caller, KeyID: req.KeyID, Action: req.Action, DryRun: !req.Yes, Calls: []string{}, Undo: []string{}}
	if req.Action != Deactivate && req.Action != Quarantine {
		return rec, refuse("contain: choose --deactivate or --quarantine")
	}
	if !keyID.MatchString(req.KeyID) {
		return rec, refuse("contain: %q is not a long-term access key ID (AKIA followed by 16 characters); temporary (ASIA) keys expire on their own and cannot be deactivated", shortID(req.KeyID))
	}
	// The key's account: sts:GetAccessKeyInfo needs no permission.
	info, err := sts.NewFromConfig(cfg).GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(req.KeyID)})
	if err != nil {
		return rec, scan.Classify("sts:GetAccessKeyInfo", err)
	}
	rec.Account = aws.ToString(info.Account)
	if rec.Account != account {
		return rec, refuse("contain: key %s belongs to account %s, and the credentials act in %s: run with credentials of %s (its containment role)", req.KeyID, rec.Account, account, rec.Account)
	}
	key, found, fail := snapshot.NewReader(cfg, account, snapshot.Options{}).LookupKey(ctx, req.KeyID)
	switch {
	case fail != nil:
		return rec, refuse("contain: key %s could not be looked up: %s", req.KeyID, fail.Reason())
	case !found:
		return rec, refuse("contain: key %s is not an IAM user's key of account %s (deleted, or the root user's: contain a root key from the root user's security credentials page)", req.KeyID, account)
	}
	rec.User = key.User
	cl := iam.NewFromConfig(cfg)
	switch req.Action {
	case Deactivate:
		return deactivate(ctx, cl, rec, key)
	default:
		return quarantine(ctx, cl, rec)
	}
}

func deactivate(ctx context.Context, cl *iam.Client, rec Record, key finding.AccessKey) (Record, error) {
	rec.Before = "key " + key.Status
	rec.Undo = append(rec.Undo, fmt.Sprintf("aws iam update-access-key --user-name %s --access-key-id %s --status Active", rec.User, rec.KeyID))
	if key.Status == string(iamtypes.StatusTypeInactive) {
		rec.Note = "the key is already inactive: nothing to do"
		rec.After = rec.Before
		return rec, nil
	}
	rec.Calls = append(rec.Calls, fmt.Sprintf("iam:UpdateAccessKey UserName=%s AccessKeyId=%s Status=Inactive", rec.User, rec.KeyID))
	if rec.DryRun {
		return rec, nil
	}
	if _, err := cl.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(rec.User), AccessKeyId: aws.String(rec.KeyID), Status: iamtypes.StatusTypeInactive}); err != nil {
		return rec, scan.Classify("iam:UpdateAccessKey", err)
	}
	rec.Done = true
	// Read it back: the record says what the account holds, not what was asked.
	out, err := cl.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(rec.User)})
	if err != nil {
		rec.After = "unknown: " + scan.Classify("iam:ListAccessKeys", err).Error()
		return rec, nil
	}
	for _, k := range out.AccessKeyMetadata {
		if aws.ToString(k.AccessKeyId) == rec.KeyID {
			rec.After = "key " + string(k.Status)
		}
	}
	return rec, nil
}

func quarantine(ctx context.Context, cl *iam.Client, rec Record) (Record, error) {
	attached, err := attachedPolicies(ctx, cl, rec.User)
	if err != nil {
		return rec, err
	}
	rec.Before = state(attached)
	rec.Undo = append(rec.Undo, fmt.Sprintf("aws iam detach-user-policy --user-name %s --policy-arn %s", rec.User, QuarantinePolicy))
	if slices.Contains(attached, QuarantinePolicy) {
		rec.Note = "the quarantine policy is already attached: nothing to do"
		rec.After = rec.Before
		return rec, nil
	}
	rec.Calls = append(rec.Calls, fmt.Sprintf("iam:AttachUserPolicy UserName=%s PolicyArn=%s", rec.User, QuarantinePolicy))
	if rec.DryRun {
		return rec, nil
	}
	if _, err := cl.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(rec.User), PolicyArn: aws.String(QuarantinePolicy)}); err != nil {
		return rec, scan.Classify("iam:AttachUserPolicy", err)
	}
	rec.Done = true
	if attached, err = attachedPolicies(ctx, cl, rec.User); err != nil {
		rec.After = "unknown: " + err.Error()
		return rec, nil
	}
	rec.After = state(attached)
	return rec, nil
}

func state(attached []string) string {
	if slices.Contains(attached, QuarantinePolicy) {
		return "quarantine policy attached"
	}
	return "quarantine policy not attached"
}

func attachedPolicies(ctx context.Context, cl *iam.Client, user string) ([]string, error) {
	var arns []string
	p := iam.NewListAttachedUserPoliciesPaginator(cl, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, scan.Classify("iam:ListAttachedUserPolicies", err)
		}
		for _, a := range out.AttachedPolicies {
			arns = append(arns, aws.ToString(a.PolicyArn))
		}
	}
	return arns, nil
}

// shortID quotes at most 24 characters of what was given as a key ID.
func shortID(s string) string {
	return escape.Cut(s, 24)
}

// IsRefusal reports whether err is a containment refused before any change.
func IsRefusal(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
