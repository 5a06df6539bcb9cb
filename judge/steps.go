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
	arn     string // identity a verified pair acts as
	code    string // AWS error code that rejected a pair
	scanned bool   // a verified key of the scanned account itself
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

// abuseForm is where AWS takes reports of another account's exposed
// credentials when its owner cannot be reached.
const abuseForm = "https://support.aws.amazon.com/#/contacts/report-abuse"

func (s steps) identity() string {
	if s.arn == "" {
		return "IDENTITY_ARN"
	}
	return "`" + s.arn + "`"
}

// live is the remediation of a verified pair: rotate it if it is ours,
// otherwise have its owner (or AWS) stop it.
func (s steps) live() string {
	if s.scanned {
		return "The key is of the scanned account but not in its inventory (a root user key, or a partial inventory): rotate it there.\n\n" + s.rotate()
	}
	account := "the account in the ARN"
	if s.account != "" {
		account = "AWS account " + s.account
	}
	return numbered(
		"Do not use the key beyond this check: every use is recorded in the owner's CloudTrail.",
		"If "+account+" is yours (an account this scan did not cover), rotate the key there now:\n   "+
			fmt.Sprintf("`aws iam update-access-key --access-key-id %s --status Inactive`, then `aws iam delete-access-key --access-key-id %s`, with credentials of that account", s.key, s.key),
		"If it is not yours, you cannot deactivate it: **tell its owner now** (the vendor, contractor or former colleague it belongs to), with the key ID `"+s.key+"`, the identity "+s.identity()+" and where it was committed. "+
			"If you cannot reach the owner, **report it to AWS** ("+abuseForm+"): AWS contacts the account's owner and can restrict the key.",
		"Remove the key from the files that still hold it.",
	) + "\n" + purgeNote + "\n"
}

func (s steps) rejection() string {
	switch s.code {
	case "":
		return ""
	case "InvalidClientTokenId":
		return " (`InvalidClientTokenId`: the key was deleted, deactivated or never issued)"
	case "SignatureDoesNotMatch":
		return " (`SignatureDoesNotMatch`: the key exists, but the committed secret is not its secret)"
	case "ExpiredToken":
		return " (`ExpiredToken`: the session token has expired)"
	}
	return " (`" + s.code + "`)"
}

func (s steps) invalid() string {
	first := "The pair as committed cannot sign requests. Find out why it is in the repository."
	if s.code == "SignatureDoesNotMatch" {
		first = "The key ID is real: only its secret in the repository is wrong. Find out whether the right secret was committed elsewhere (another repository, a wiki, a CI log); " +
			"`aws sts get-access-key-info --access-key-id " + s.key + "` names the account whose owner should rotate it."
	}
	return numbered(
		first,
		"Remove the key from the files that still hold it.",
	)
}

func (s steps) canary() string {
	return numbered(
		"Do not use the key: any request signed with it, from any tool, alerts whoever planted it.",
		"If your team planted it as a tripwire, nothing is wrong: list its account under `allowed-accounts` in .keysweep.yml, or ignore its fingerprint in .keysweepignore.",
		"If nobody on your team planted it, find out who did (the commit's author) and why; remove it if it does not belong.",
	)
}
