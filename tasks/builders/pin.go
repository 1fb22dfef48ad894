package builders

import (
	"context"
	"fmt"

	"github.com/mimo-mlir/mimo/internal/pathsafe"
)

// PinBranches returns a copy of t whose repositories without a 40-hex pin
// (neuclir/bench: no commit of it is known to this build) are read at the
// commit their default branch points at now, so the build reads one
// snapshot and the results record that commit, not a branch that moves.
// The Hub is asked for the repository's README.md at "main", which records
// the commit it answered (X-Repo-Commit) in the cache; offline, the commit
// the cache last saw serves. A task reading a local copy (a Source that
// serves one revision) is returned as it is. notes says, per repository,
// what was pinned, for the user to pin it themselves next time.
func (t *Task) PinBranches(ctx context.Context) (pinned *Task, notes []string, err error) {
	pinned = t
	for _, r := range t.refs {
		if pathsafe.IsCommit(r.Revision) {
			continue
		}
		src := pinned.src
		if src == nil {
			if src, err = HubFromEnvironment(); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", t.meta.Name, err)
			}
		}
		cs, ok := src.(commitSource)
		if !ok {
			continue // a local copy: one revision, the one given
		}
		branch := r.Revision
		if branch == "" {
			branch = "main"
		}
		f, err := src.Open(ctx, r.Repo, branch, "README.md")
		if err != nil {
			return nil, nil, fmt.Errorf("%s: resolving %s@%s to a commit: %w", t.meta.Name, r.Repo, branch, err)
		}
		_ = f.Close()
		commit := cs.ResolvedCommit(r.Repo, branch)
		if !pathsafe.IsCommit(commit) {
			return nil, nil, fmt.Errorf("%s: %s@%s: the source recorded no commit for the branch (pin it: mimo-eval --dataset-revision %s@COMMIT): %w",
				t.meta.Name, r.Repo, branch, r.Repo, ErrUnpinned)
		}
		if pinned, err = pinned.WithRevision(r.Repo, commit); err != nil {
			return nil, nil, err
		}
		notes = append(notes, fmt.Sprintf("%s: %s has no pinned commit in this build; reading %s at %s (recorded in the results; pin it with --dataset-revision %s@%s)",
			t.meta.Name, r.Repo, branch, commit, r.Repo, commit))
	}
	return pinned, notes, nil
}
