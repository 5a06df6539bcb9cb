package pack

import (
	"context"

	"github.com/keysweep/keysweep/gitscan/repo"
)

// scanDir scans the repository at dir.
func scanDir(ctx context.Context, dir string, opts Options) (*Result, error) {
	st, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.Scan(ctx, opts)
}

// treesDir lists the trees of the repository at dir.
func treesDir(ctx context.Context, dir string, want map[repo.ID]bool, opts Options) (*TreeIndex, []Problem, error) {
	st, err := openDir(dir)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	return st.Trees(ctx, want, opts)
}

func openDir(dir string) (*Store, error) {
	r, err := repo.Open(dir)
	if err != nil {
		return nil, err
	}
	return Open(r)
}

// hexID parses a full object name a test got from git.
func hexID(s string) repo.ID {
	id, err := repo.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}
