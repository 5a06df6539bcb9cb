package judge

import (
	"fmt"
	"strings"

	"github.com/keysweep/keysweep/finding"
)

// rootUser is how IAM names the root user in credential reports.
const rootUser = finding.RootUser

// steps writes remediation markdown. The rules' help uses it with
// placeholders and each finding with its own key, so the two never drift.
type steps struct {
	key     string
	user    string // IAM user owning the key; "" when unknown
	since   string // day the key was committed, YYYY-MM-DD
	account string // account the key belongs to, when known
	other   bool   // account is not the scanned one
}

// userFlag is empty for the root user, whose keys are managed signed in as
// root, and for unknown owners.
func (s steps) userFlag() string {
	if s.user == "" || s.user == rootUser {
		return ""
	}
	return " --user-name " + s.user
}

func (s steps) owner() string {
	switch s.user {
	case "":
		return "the key's owner"
	case rootUser:
		return "the owner of the root user"
	}
	return "IAM user `" + s.user + "`"
}

func (s steps) cloudTrail() string {
	return fmt.Sprintf("Look for use of the key in CloudTrail since %s, in every region you use (event history covers 90 days; query your trail's S3 logs or CloudTrail Lake for older):\n"+
		"   `aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=%s --start-time %s`",
		s.since, s.key, s.since)
}

func (s steps) deleteCmd() string {
	return fmt.Sprintf("`aws iam delete-access-key --access-key-id %s%s`", s.key, s.userFlag())
}

const purgeNote = "Purging the key from git history (`git filter-repo`, BFG) is optional and not sufficient: " +
	"clones, forks, caches and CI logs keep it. A leaked key must be rotated."

func numbered(items ...string) string {
	var b strings.Builder
	for i, it := range items {
		fmt.Fprintf(&b, "%d. %s\n", i+1, it)
	}
	return b.String()
}

// rotate is the full rotation of a key that may still work.
func (s steps) rotate() string {
	rootNote, replace := "", fmt.Sprintf("Create a replacement key:\n   `aws iam create-access-key%s`", s.userFlag())
	if s.user == rootUser {
		rootNote = "This is a **root user** key: sign in as root to run these steps.\n\n"
		replace = "Do not create a new root key: give whatever used it an IAM role or an IAM user's key instead."
	}
	return rootNote + numbered(
		fmt.Sprintf("Deactivate the key, which stops it at once:\n   `aws iam update-access-key --access-key-id %s --status Inactive%s`", s.key, s.userFlag()),
		replace,
		"Update every consumer of the old key (CI secrets, servers, local profiles) with the new one, kept out of the repository: "+
			"a secret store, or in GitHub Actions OIDC with `aws-actions/configure-aws-credentials` and no long-lived key at all.",
		s.cloudTrail(),
		"Delete the old key:\n   "+s.deleteCmd(),
		"Tell "+s.owner()+" that the key leaked and was rotated.",
	) + "\n" + purgeNote + "\n"
}

// delete finishes the rotation of a key that was already deactivated.
func (s steps) delete() string {
	return numbered(
		s.cloudTrail(),
		"Anything still configured with this key is already failing; move it to a new key, then delete this one:\n   "+s.deleteCmd(),
		"Tell "+s.owner()+" that the key leaked and was deleted.",
	) + "\n" + purgeNote + "\n"
}

func (s steps) notInAccount() string {
	var first string
	switch {
	case s.other:
		first = fmt.Sprintf("The key belongs to AWS account %s, not the scanned one. Only that account can deactivate it: tell its owner now, with the key ID `%s` and where it was committed.", s.account, s.key)
	case s.account != "":
		first = fmt.Sprintf("The key is not (any more) in account %s: it was deleted, so it no longer signs requests. Confirm with `aws iam list-access-keys` for every user if the inventory was partial.", s.account)
	default:
		first = "If the key was deleted from your account it no longer works; if it belongs to another AWS account, tell that account's owner, who alone can deactivate it. `aws sts get-access-key-info --access-key-id " + s.key + "` names the account."
	}
	return numbered(
		first,
		s.cloudTrail()+"\n   (run it in the account that owns the key)",
		"Remove the key from the files that still hold it.",
	) + "\n" + purgeNote + "\n"
}

func (s steps) idOnly() string {
	return numbered(
		"A key ID alone cannot sign requests. Find out why it is in the repository, and whether its secret was committed elsewhere (another repository, a wiki, a CI log).",
		"`aws sts get-access-key-info --access-key-id "+s.key+"` names the account that owns it; if the key is yours there and its secret may have leaked, rotate it.",
		"Remove the key ID from the files that still hold it.",
	)
}
