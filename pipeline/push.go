package pipeline

import (
	"fmt"

	"github.com/keysweep/keysweep/gitfile"
	"github.com/keysweep/keysweep/gitscan"
	"github.com/keysweep/keysweep/gitscan/repo"
)

// RefUpdate is one ref a push changes (see gitscan.RefUpdate).
type RefUpdate = gitscan.RefUpdate

// Push is what a push brings (see gitscan.Push).
type Push = gitscan.Push

// ParseObjectName parses a full hexadecimal object name, as hooks receive
// them; git's all-zero name is the zero ID.
func ParseObjectName(s string) (repo.ID, error) { return repo.ParseID(s) }

// PushSettingsRev is the commit a push's verdict settings are read from:
// the repository's default branch as it is before the push (HEAD's
// commit; a pre-receive hook runs before any ref moves), never a commit
// of the push. "" when HEAD is unborn: the repository has no settings yet.
func PushSettingsRev(path string) (string, error) {
	r, err := gitfile.Open(path)
	if err != nil {
		return "", err
	}
	defer r.Close()
	head, ok := r.Head()
	if !ok {
		return "", nil
	}
	return head.String(), nil
}

// checkPush refuses what a push scan cannot be combined with.
func checkPush(cfg Config) error {
	if cfg.Push == nil {
		return nil
	}
	if cfg.Since != "" || cfg.Staged || cfg.IncludeUnreachable {
		return fmt.Errorf("a push scan selects its own objects: it excludes --since, --staged and --include-unreachable")
	}
	return nil
}
