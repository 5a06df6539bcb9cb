// Package scan is keysweep's one AWS layer. It loads credentials (the
// standard SDK chain, or GitHub Actions OIDC) and proves them (Open), and
// Collect reads what a run needs from one account or every account of an
// AWS Organization: the committed keys matched in the account that owns
// each (a few calls per key, whatever the size of the account) and the
// account checks, each reading only what the selected checks need. Every
// failure to reach AWS at all is an *Error whose one-line message names
// the likely cause and the fix; a failure inside one account is a gap.
//
// Subpackage snapshot is the only code that reads an account's contents;
// checks judges a snapshot.
package scan
