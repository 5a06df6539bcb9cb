package snapshot

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keysweep/keysweep/finding"
)

// Reader reads the facts of one AWS account for everything that needs
// them: the key matching and the account checks. Each fact is read at most
// once per Reader (one credential report, one listing of users, one
// ListAccessKeys per user), however many callers ask, so matching and
// checks in the same run share the calls. It is safe for concurrent use.
type Reader struct {
	cfg     aws.Config
	account string
	opts    Options

	report   once[reportFacts]
	org      once[orgFacts]
	users    once[usersFacts]
	auth     once[authFacts]
	regions  once[regionsFacts]
	mu       sync.Mutex // guards userKeys and limiters
	userKeys map[string]*once[userKeysFacts]
	limiters map[string]*limiter // LookupEvents calls by region
}

// NewReader reads the account cfg's credentials act in; account is its
// 12-digit ID, already proven by the caller (sts:GetCallerIdentity or the
// assumed role's ARN). cfg.Region is the home region of regional calls.
func NewReader(cfg aws.Config, account string, opts Options) *Reader {
	if cfg.Region == "" {
		cfg.Region = GlobalRegion
	}
	return &Reader{cfg: cfg, account: account, opts: opts.withDefaults(), userKeys: map[string]*once[userKeysFacts]{}}
}

// Account is the 12-digit ID of the account read.
func (r *Reader) Account() string { return r.account }

// HomeRegion is the region of the reader's regional calls.
func (r *Reader) HomeRegion() string { return r.cfg.Region }

// once is a value computed by the first caller of get and shared by all.
type once[T any] struct {
	o sync.Once
	v T
}

func (o *once[T]) get(f func() T) T {
	o.o.Do(func() { o.v = f() })
	return o.v
}

type reportFacts struct {
	rows      []CredentialRow
	generated time.Time
	failure   *Failure
}

// CredentialReport returns the account's credential report, generating it
// if need be (IAM does so asynchronously, in seconds). A failure is
// returned as the Failure the checks report; the rows are then nil.
func (r *Reader) CredentialReport(ctx context.Context) ([]CredentialRow, time.Time, *Failure) {
	f := r.report.get(func() reportFacts { return r.readReport(ctx) })
	return f.rows, f.generated, f.failure
}

func (r *Reader) iam() *iam.Client { return iam.NewFromConfig(r.cfg) }

func (r *Reader) readReport(ctx context.Context) reportFacts {
	cl := r.iam()
	var out *iam.GetCredentialReportOutput
	err := poll(ctx, r.opts, "credential report", func(ctx context.Context) (bool, error) {
		gen, err := cl.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return false, err
		}
		if gen.State != types.ReportStateTypeComplete {
			return false, nil
		}
		out, err = cl.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
		var inProgress *types.CredentialReportNotReadyException
		var absent *types.CredentialReportNotPresentException
		var expired *types.CredentialReportExpiredException
		if errors.As(err, &inProgress) || errors.As(err, &absent) || errors.As(err, &expired) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		f := newFailure(SrcCredentialReport, "", "", "iam:GenerateCredentialReport", err)
		return reportFacts{failure: &f}
	}
	rows, err := ParseCredentialReport(out.Content)
	if err != nil {
		f := newFailure(SrcCredentialReport, "", "", "iam:GetCredentialReport", err)
		return reportFacts{failure: &f}
	}
	return reportFacts{rows: rows, generated: aws.ToTime(out.GeneratedTime)}
}

// RootKeys returns the root user's access keys from the credential report,
// which gives no key IDs: ID is empty, User is finding.RootUser and Created
// is the last rotation. known is false when the report could not be read
// or has no root row (moto's has none), with the reason.
func (r *Reader) RootKeys(ctx context.Context) (keys []finding.AccessKey, known bool, why string) {
	rows, _, fail := r.CredentialReport(ctx)
	if fail != nil {
		return nil, false, fail.Cause()
	}
	for _, row := range rows {
		if !row.Root() {
			continue
		}
		keys = []finding.AccessKey{}
		for _, k := range row.Keys {
			if !k.Active && k.LastRotated.IsZero() {
				continue // an empty slot
			}
			status := "Inactive"
			if k.Active {
				status = "Active"
			}
			keys = append(keys, finding.AccessKey{
				User: finding.RootUser, Status: status, Created: k.LastRotated.Time,
				LastUsed: k.LastUsed.Time, LastUsedService: k.LastUsedService, LastUsedRegion: k.LastUsedRegion,
			})
		}
		return keys, true, ""
	}
	return nil, false, "the credential report has no " + finding.RootUser + " row"
}

type usersFacts struct {
	users    []User
	failures []Failure
}

// Users lists every IAM user with its access keys and their last use: the
// full inventory, read only when a check needs it or a key lookup failed.
// Failures of single calls are returned with what could be read.
func (r *Reader) Users(ctx context.Context) ([]User, []Failure) {
	f := r.users.get(func() usersFacts { return r.readUsers(ctx) })
	return f.users, f.failures
}

func (r *Reader) readUsers(ctx context.Context) usersFacts {
	cl := r.iam()
	users, err := drain(ctx, iam.NewListUsersPaginator(cl, &iam.ListUsersInput{}), func(o *iam.ListUsersOutput) []User {
		us := make([]User, 0, len(o.Users))
		for _, u := range o.Users {
			us = append(us, User{
				Name:             aws.ToString(u.UserName),
				ARN:              aws.ToString(u.Arn),
				Created:          aws.ToTime(u.CreateDate),
				PasswordLastUsed: aws.ToTime(u.PasswordLastUsed),
			})
		}
		return us
	})
	if err != nil {
		return usersFacts{failures: []Failure{newFailure(SrcAccessKeys, "", "", "iam:ListUsers", err)}}
	}
	var (
		mu       sync.Mutex
		failures []Failure
	)
	idx := make([]int, len(users))
	for i := range idx {
		idx[i] = i
	}
	FanOut(ctx, r.opts.Parallel, idx, func(ctx context.Context, i int) {
		u := &users[i] // each goroutine owns one element
		keys, fail := r.keysOf(ctx, u.Name)
		var fs []Failure
		if fail != nil {
			fs = append(fs, *fail)
		}
		for j := range keys {
			if f := r.lastUsed(ctx, &keys[j]); f != nil {
				fs = append(fs, *f)
			}
		}
		u.Keys = keys
		mu.Lock()
		failures = append(failures, fs...)
		mu.Unlock()
	})
	return usersFacts{users: users, failures: failures}
}

type userKeysFacts struct {
	keys    []finding.AccessKey
	failure *Failure
}

// keysOf lists one user's access keys (status and creation), once per
// user. A user deleted meanwhile has none.
func (r *Reader) keysOf(ctx context.Context, user string) ([]finding.AccessKey, *Failure) {
	f := r.keysOfUser(ctx, user)
	return slices.Clone(f.keys), f.failure
}

func (r *Reader) keysOfUser(ctx context.Context, user string) userKeysFacts {
	r.mu.Lock()
	o := r.userKeys[user]
	if o == nil {
		o = &once[userKeysFacts]{}
		r.userKeys[user] = o
	}
	r.mu.Unlock()
	return o.get(func() userKeysFacts {
		keys, err := drain(ctx, iam.NewListAccessKeysPaginator(r.iam(), &iam.ListAccessKeysInput{UserName: aws.String(user)}),
			func(o *iam.ListAccessKeysOutput) []finding.AccessKey {
				ks := make([]finding.AccessKey, 0, len(o.AccessKeyMetadata))
				for _, k := range o.AccessKeyMetadata {
					ks = append(ks, finding.AccessKey{
						ID: aws.ToString(k.AccessKeyId), User: user,
						Status: string(k.Status), Created: aws.ToTime(k.CreateDate),
					})
				}
				return ks
			})
		switch {
		case isNoSuchEntity(err):
			return userKeysFacts{} // the user is gone, and its keys with it
		case err != nil:
			f := newFailure(SrcAccessKeys, "", user, "iam:ListAccessKeys", err)
			return userKeysFacts{keys: keys, failure: &f}
		}
		return userKeysFacts{keys: keys}
	})
}

// lastUsed fills in when and where k was last used.
func (r *Reader) lastUsed(ctx context.Context, k *finding.AccessKey) *Failure {
	out, err := r.iam().GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(k.ID)})
	if err != nil {
		f := newFailure(SrcAccessKeys, "", k.ID, "iam:GetAccessKeyLastUsed", err)
		return &f
	}
	setLastUsed(k, out.AccessKeyLastUsed)
	return nil
}

func setLastUsed(k *finding.AccessKey, u *types.AccessKeyLastUsed) {
	if u == nil {
		return
	}
	k.LastUsed = aws.ToTime(u.LastUsedDate)
	k.LastUsedService = notNA(aws.ToString(u.ServiceName))
	k.LastUsedRegion = notNA(aws.ToString(u.Region))
}

func notNA(s string) string {
	if s == "N/A" {
		return ""
	}
	return s
}

func isNoSuchEntity(err error) bool {
	var gone *types.NoSuchEntityException
	return errors.As(err, &gone)
}

// LookupKey finds one access key ID among the account's IAM users' keys in
// two calls, whatever the size of the account: iam:GetAccessKeyLastUsed
// names the key's user and its last use, and iam:ListAccessKeys of that
// user (shared by the user's other keys) gives its status and creation.
// found is false for a key the account does not have (deleted, a root
// key, another account's). A failure means the account could not say; the
// caller falls back to Users.
func (r *Reader) LookupKey(ctx context.Context, id string) (key finding.AccessKey, found bool, fail *Failure) {
	out, err := r.iam().GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	switch {
	case isNoSuchEntity(err):
		return key, false, nil
	case err != nil:
		f := newFailure(SrcAccessKeys, "", id, "iam:GetAccessKeyLastUsed", err)
		return key, false, &f
	}
	user := aws.ToString(out.UserName)
	if user == "" || user == "root" || user == finding.RootUser {
		// Root keys are not listed by user; the credential report has them.
		return key, false, nil
	}
	uk := r.keysOfUser(ctx, user)
	if uk.failure != nil {
		return key, false, uk.failure
	}
	for _, k := range uk.keys {
		if k.ID == id {
			setLastUsed(&k, out.AccessKeyLastUsed)
			return k, true, nil
		}
	}
	return key, false, nil
}
