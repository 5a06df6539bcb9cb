// Package canary knows the AWS accounts that canary-token services
// (canarytokens.org and services like it) use for trap credentials, so a
// committed key of such an account is reported as a canary and never used
// to sign a request: signing anything with it alerts its owner.
//
// The list is data (accounts.txt, embedded), extended per repository by
// .keysweep.yml canary-accounts; see docs/verify.md.
package canary

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/keysweep/keysweep/finding"
)

//go:embed accounts.txt
var builtin string

// Configured is the service named for accounts added by configuration.
const Configured = "a canary service (.keysweep.yml canary-accounts)"

// List maps account IDs to the canary service that uses them. The zero
// value is empty; a nil *List knows no account.
type List struct {
	accounts map[string]string
}

// Builtin returns the list shipped with keysweep (accounts.txt).
func Builtin() *List {
	l, err := Parse(builtin)
	if err != nil {
		// accounts.txt is part of the binary and a test parses it.
		panic("canary: accounts.txt: " + err.Error())
	}
	return l
}

// Parse reads the accounts.txt format: an account ID (12 digits), space,
// the service; blank lines and # comments are ignored.
func Parse(text string) (*List, error) {
	l := &List{accounts: map[string]string{}}
	for i, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		account, service, _ := strings.Cut(line, " ")
		service = strings.TrimSpace(service)
		if !finding.IsAccountID(account) || service == "" {
			return nil, fmt.Errorf("line %d: want a 12-digit account ID and a service name", i+1)
		}
		if _, dup := l.accounts[account]; dup {
			return nil, fmt.Errorf("line %d: account %s listed twice", i+1, account)
		}
		l.accounts[account] = service
	}
	return l, nil
}

// With returns a copy of l with more accounts, named Configured unless
// already listed.
func (l *List) With(accounts []string) *List {
	out := &List{accounts: make(map[string]string, l.Len()+len(accounts))}
	if l != nil {
		for a, s := range l.accounts {
			out.accounts[a] = s
		}
	}
	for _, a := range accounts {
		if _, ok := out.accounts[a]; !ok {
			out.accounts[a] = Configured
		}
	}
	return out
}

// Lookup returns the service whose canary tokens live in account.
func (l *List) Lookup(account string) (service string, ok bool) {
	if l == nil || account == "" {
		return "", false
	}
	service, ok = l.accounts[account]
	return service, ok
}

// Len is the number of accounts listed.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.accounts)
}
