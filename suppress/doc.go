// Package suppress decides which findings a team has reviewed and accepted,
// and which it has seen before.
//
// Three mechanisms mark a finding suppressed — it stays in every report,
// marked and justified, but no longer fails the run:
//
//   - a .keysweepignore entry: a fingerprint, a required reason, and an
//     optional expiry after which the finding counts again;
//   - an AWS account listed in .keysweep.yml's allowed-accounts (canary
//     and test accounts whose keys are meant to be there);
//   - an inline `keysweep:allow` comment on the line of the key, except
//     for a key that is active in the inventory: a live key needs a
//     reviewed entry with a reason, not a comment anyone can add in the
//     same commit as the key.
//
// A baseline (a previous JSON report) is different: findings it already
// holds are removed from the report, so a repository with old leaks can
// adopt keysweep and still fail on new ones.
package suppress
