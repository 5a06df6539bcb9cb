package scan

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/keysweep/keysweep/finding"
)

// DefaultConcurrency is how many users' keys Inventory reads at once. IAM
// throttles per account, and the SDK retries throttled calls, so a modest
// bound keeps a large account fast without a storm of retries.
const DefaultConcurrency = 8

// DefaultReportTimeout bounds the wait for the credential report, which AWS
// generates asynchronously (seconds for most accounts).
const DefaultReportTimeout = 2 * time.Minute

// RootUser is the name the credential report gives the root user.
const RootUser = "<root_account>"

// InventoryOptions tunes Inventory. The zero value uses the defaults.
type InventoryOptions struct {
	// Concurrency bounds the users read at once; 0 means DefaultConcurrency.
	Concurrency int
	// Account skips sts:GetCallerIdentity when the caller already has it.
	Account string
	// ReportTimeout bounds the wait for the credential report; 0 means
	// DefaultReportTimeout.
	ReportTimeout time.Duration
	// NoRootKeys skips the credential report; RootKeysKnown stays false.
	NoRootKeys bool
}

// Inventory reads every access key of the account cfg's credentials belong
// to: every IAM user's keys with status, creation and last use, and the
// root user's keys from the credential report.
//
// A failure to list users or their keys fails the whole inventory, because
// a key missing from it would turn an active leak into "not in account".
// Failures that only lose detail (last use of a user's keys, root keys)
// become Gaps instead. Permissions: iam:ListUsers, iam:ListAccessKeys,
// iam:GetAccessKeyLastUsed, iam:GenerateCredentialReport,
// iam:GetCredentialReport.
func Inventory(ctx context.Context, cfg aws.Config, opts InventoryOptions) (*finding.Inventory, error) {
	inv := &finding.Inventory{
		Source:  "aws",
		Account: opts.Account,
		Keys:    make(map[string]finding.AccessKey),
	}
	if inv.Account == "" {
		account, _, err := CallerIdentity(ctx, cfg)
		if err != nil {
			return nil, err
		}
		inv.Account = account
	}
	client := iam.NewFromConfig(cfg)

	// The report is generated while the users are read: it takes seconds
	// of AWS's time, not ours.
	type rootResult struct {
		keys []finding.AccessKey
		gap  string
		err  error
	}
	rootc := make(chan rootResult, 1)
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	if !opts.NoRootKeys {
		go func() {
			keys, gap, err := rootKeys(rctx, client, orDefault(opts.ReportTimeout, DefaultReportTimeout))
			rootc <- rootResult{keys, gap, err}
		}()
	}

	users, err := userKeys(ctx, client, orDefault(opts.Concurrency, DefaultConcurrency))
	if err != nil {
		if !opts.NoRootKeys {
			rcancel()
			<-rootc // the goroutine must not outlive the call
		}
		return nil, err
	}
	denied := make(map[string][]string) // gap cause -> users
	for _, u := range users {
		for _, k := range u.keys {
			inv.Keys[k.ID] = k
		}
		if u.lastUsedGap != "" {
			denied[u.lastUsedGap] = append(denied[u.lastUsedGap], u.name)
		}
	}
	inv.Gaps = lastUsedGaps(denied)

	if !opts.NoRootKeys {
		r := <-rootc
		if r.err != nil {
			return nil, r.err
		}
		if r.gap != "" {
			inv.Gaps = append(inv.Gaps, r.gap)
		} else {
			inv.RootKeys, inv.RootKeysKnown = r.keys, true
		}
	}
	return inv, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

type userResult struct {
	name string
	keys []finding.AccessKey
	// lastUsedGap is why the last use of some of the keys is unknown.
	lastUsedGap string
}

// userKeys lists the users and reads each one's keys on a bounded pool of
// workers, while the paginator goes on listing.
func userKeys(ctx context.Context, client *iam.Client, workers int) ([]userResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	names := make(chan string)
	var (
		mu      sync.Mutex
		results []userResult
		wg      sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for name := range names {
				if ctx.Err() != nil {
					continue // drain, so the lister never blocks
				}
				r, err := readUser(ctx, client, name)
				if err != nil {
					cancel(err)
					continue
				}
				if r != nil {
					mu.Lock()
					results = append(results, *r)
					mu.Unlock()
				}
			}
		})
	}

	var listErr error
	p := iam.NewListUsersPaginator(client, &iam.ListUsersInput{})
list:
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			listErr = Classify("iam:ListUsers", err)
			break
		}
		for _, u := range page.Users {
			select {
			case names <- aws.ToString(u.UserName):
			case <-ctx.Done():
				break list
			}
		}
	}
	close(names)
	wg.Wait()

	// A worker's error explains the cancellation the lister may have
	// seen, so it wins; otherwise the cause is the caller's cancellation.
	if err := context.Cause(ctx); err != nil {
		return nil, Classify("iam:ListUsers", err)
	}
	if listErr != nil {
		return nil, listErr
	}
	slices.SortFunc(results, func(a, b userResult) int { return strings.Compare(a.name, b.name) })
	return results, nil
}

// readUser reads one user's keys and their last use. It returns nil for a
// user deleted since it was listed.
func readUser(ctx context.Context, client *iam.Client, name string) (*userResult, error) {
	r := &userResult{name: name}
	p := iam.NewListAccessKeysPaginator(client, &iam.ListAccessKeysInput{UserName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var gone *types.NoSuchEntityException
			if errors.As(err, &gone) {
				return nil, nil
			}
			return nil, Classify("iam:ListAccessKeys", err)
		}
		for _, m := range page.AccessKeyMetadata {
			r.keys = append(r.keys, finding.AccessKey{
				ID:      aws.ToString(m.AccessKeyId),
				User:    name,
				Status:  string(m.Status),
				Created: aws.ToTime(m.CreateDate),
			})
		}
	}

	kept := r.keys[:0]
	for _, k := range r.keys {
		out, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(k.ID)})
		switch {
		case err == nil:
			if u := out.AccessKeyLastUsed; u != nil {
				k.LastUsed = aws.ToTime(u.LastUsedDate)
				k.LastUsedService = notApplicable(aws.ToString(u.ServiceName))
				k.LastUsedRegion = notApplicable(aws.ToString(u.Region))
			}
		case ctx.Err() != nil:
			return nil, Classify("iam:GetAccessKeyLastUsed", err)
		case isNoSuchEntity(err):
			continue // deleted since it was listed
		default:
			// The key exists and is matched; only its last use is
			// unknown, which must not hide it.
			r.lastUsedGap = gapCause("iam:GetAccessKeyLastUsed", err)
		}
		kept = append(kept, k)
	}
	r.keys = kept
	return r, nil
}

func isNoSuchEntity(err error) bool {
	var gone *types.NoSuchEntityException
	return errors.As(err, &gone)
}

// gapCause says briefly why op failed: "AccessDenied on iam:X" for the
// common case, the classified cause otherwise.
func gapCause(op string, err error) string {
	var api smithy.APIError
	if IsAccessDenied(err) && errors.As(err, &api) {
		return api.ErrorCode() + " on " + op
	}
	var e *Error
	if errors.As(Classify(op, err), &e) {
		return e.Cause + " on " + op
	}
	return oneLine(err.Error(), 200)
}

// maxNamedUsers is how many users a gap names one per line before the
// rest are folded into one line: a role denied GetAccessKeyLastUsed
// outright would otherwise produce a gap per user.
const maxNamedUsers = 5

func lastUsedGaps(byCause map[string][]string) []string {
	var gaps []string
	for cause, users := range byCause {
		slices.Sort(users)
		if len(users) <= maxNamedUsers {
			for _, u := range users {
				gaps = append(gaps, fmt.Sprintf("last-used unknown for user %s: %s", u, cause))
			}
			continue
		}
		gaps = append(gaps, fmt.Sprintf("last-used unknown for %d users (%s, …): %s",
			len(users), strings.Join(users[:maxNamedUsers], ", "), cause))
	}
	slices.Sort(gaps)
	return gaps
}

// notApplicable maps the "N/A" IAM writes for a never-used key to "".
func notApplicable(s string) string {
	if s == "N/A" {
		return ""
	}
	return s
}

// rootKeys reads the root user's keys from the credential report. Any
// failure short of cancellation is a gap: the IAM users' keys are the
// inventory's substance, and root keys are also a check of their own.
func rootKeys(ctx context.Context, client *iam.Client, timeout time.Duration) ([]finding.AccessKey, string, error) {
	const prefix = "root access keys unknown: "
	content, err := credentialReport(ctx, client, timeout)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", Classify("iam:GetCredentialReport", err)
		}
		var e *Error
		if errors.As(err, &e) && e.Err != nil {
			return nil, prefix + gapCause(e.Op, e.Err), nil
		}
		return nil, prefix + oneLine(err.Error(), 200), nil
	}
	keys, found, err := parseRootKeys(content)
	if err != nil {
		return nil, prefix + err.Error(), nil
	}
	if !found {
		return nil, prefix + "the credential report has no " + RootUser + " row", nil
	}
	return keys, "", nil
}

// credentialReport asks for a report and polls until AWS has one, then
// fetches it. AWS reuses a report up to four hours old, so on a busy
// account the first call is usually COMPLETE already.
func credentialReport(ctx context.Context, client *iam.Client, timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	wait := 250 * time.Millisecond
	sleep := func() error {
		if time.Now().Add(wait).After(deadline) {
			return &Error{Op: "iam:GenerateCredentialReport", Cause: fmt.Sprintf("credential report not ready after %v", timeout)}
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
		return nil
	}
	for {
		out, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return nil, Classify("iam:GenerateCredentialReport", err)
		}
		if out.State == types.ReportStateTypeComplete {
			break
		}
		if err := sleep(); err != nil {
			return nil, err
		}
	}
	for {
		out, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
		if err == nil {
			return out.Content, nil
		}
		var (
			notReady   *types.CredentialReportNotReadyException
			notPresent *types.CredentialReportNotPresentException
			expired    *types.CredentialReportExpiredException
		)
		if !errors.As(err, &notReady) && !errors.As(err, &notPresent) && !errors.As(err, &expired) {
			return nil, Classify("iam:GetCredentialReport", err)
		}
		if errors.As(err, &notPresent) || errors.As(err, &expired) {
			// Another caller's report vanished between the two calls.
			if _, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); err != nil {
				return nil, Classify("iam:GenerateCredentialReport", err)
			}
		}
		if err := sleep(); err != nil {
			return nil, err
		}
	}
}

// parseRootKeys reads the <root_account> row of a credential report. The
// report has a pair of columns per key slot (access_key_1_*, _2_*): a slot
// holds a key when it is active or has ever been rotated (created).
func parseRootKeys(content []byte) ([]finding.AccessKey, bool, error) {
	r := csv.NewReader(bytes.NewReader(content))
	header, err := r.Read()
	if err != nil {
		return nil, false, fmt.Errorf("credential report: %w", err)
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[h] = i
	}
	if _, ok := col["user"]; !ok {
		return nil, false, errors.New("credential report has no user column")
	}
	for {
		row, err := r.Read()
		if err == io.EOF {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("credential report: %w", err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(row) {
				return row[i]
			}
			return ""
		}
		if get("user") != RootUser {
			continue
		}
		keys := []finding.AccessKey{}
		for n := 1; n <= 2; n++ {
			field := func(s string) string { return get(fmt.Sprintf("access_key_%d_%s", n, s)) }
			active := field("active") == "true"
			created := reportTime(field("last_rotated"))
			if !active && created.IsZero() {
				continue
			}
			k := finding.AccessKey{
				User:            RootUser,
				Status:          "Inactive",
				Created:         created,
				LastUsed:        reportTime(field("last_used_date")),
				LastUsedService: notApplicable(field("last_used_service")),
				LastUsedRegion:  notApplicable(field("last_used_region")),
			}
			if active {
				k.Status = "Active"
			}
			keys = append(keys, k)
		}
		return keys, true, nil
	}
}

// reportTime parses a credential report timestamp; "N/A", "no_information"
// and moto's "not_supported" are the zero time.
func reportTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// KeyAccounts asks sts:GetAccessKeyInfo which account each key ID belongs
// to: the confirmation, for committed keys missing from the inventory, that
// they belong to another account. The call needs no permission unless a
// policy denies it; a denial is a gap, not an error, since the offline
// decode of the key ID already gives the answer most of the time.
func KeyAccounts(ctx context.Context, cfg aws.Config, keyIDs []string) (map[string]string, []string, error) {
	ids := slices.Clone(keyIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)

	client := sts.NewFromConfig(cfg)
	accounts := make(map[string]string, len(ids))
	var gaps []string
	for i, id := range ids {
		out, err := client.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(id)})
		if err == nil {
			accounts[id] = aws.ToString(out.Account)
			continue
		}
		var api smithy.APIError
		switch {
		case ctx.Err() != nil || !errors.As(err, &api):
			// Not an answer about this key: credentials or the network.
			return nil, nil, Classify("sts:GetAccessKeyInfo", err)
		case IsAccessDenied(err):
			// A denial is for the caller, not the key: asking again for
			// the others would only be denied again.
			n := len(ids) - i
			gaps = append(gaps, fmt.Sprintf("account of %d committed key ID%s not confirmed: %s",
				n, plural(n), gapCause("sts:GetAccessKeyInfo", err)))
			return accounts, gaps, nil
		default:
			gaps = append(gaps, fmt.Sprintf("account of key %s not confirmed: %s", id, gapCause("sts:GetAccessKeyInfo", err)))
		}
	}
	return accounts, gaps, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
