package corpora

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/internal/pathsafe"
)

// Source gives the local path of one file of a dataset repository at a
// revision, and the commit that revision stood for when it was read.
type Source interface {
	Fetch(ctx context.Context, repo, revision, path string) (local, commit string, err error)
}

// HubSource reads through the hub client's cache (downloading what it
// lacks; a pinned revision already cached is not asked for again).
type HubSource struct{ Client *hub.Client }

// Fetch implements Source.
func (s HubSource) Fetch(ctx context.Context, repo, revision, path string) (string, string, error) {
	p, err := s.Client.Download(ctx, hub.Dataset, repo, revision, path)
	if err != nil {
		return "", "", err
	}
	commit := revision
	if !pathsafe.IsCommit(revision) {
		commit = s.Client.CachedCommit(hub.Dataset, repo, revision, path)
	}
	return p, commit, nil
}

// DirSource reads a folder laid out as hubtest serves it (and as the
// fixtures are): Root/datasets/<repo>/<path>. The folder has no history:
// the commit is the revision asked for.
type DirSource struct{ Root string }

// Fetch implements Source.
func (s DirSource) Fetch(_ context.Context, repo, revision, path string) (string, string, error) {
	if err := pathsafe.RelPath("path", path); err != nil {
		return "", "", err
	}
	p := filepath.Join(s.Root, "datasets", filepath.FromSlash(repo), filepath.FromSlash(path))
	if _, err := os.Stat(p); err != nil {
		return "", "", fmt.Errorf("corpora: %s@%s: %s: %w", repo, revision, path, err)
	}
	return p, revision, nil
}

// ErrUnpinned is returned for a revision that is not a 40-hex commit when
// the caller did not allow branches.
var ErrUnpinned = errors.New("revision is not a commit id")

// checkRevision refuses a branch or tag unless allowed.
func checkRevision(repo, revision string, allowBranch bool) error {
	if revision == "" {
		return fmt.Errorf("corpora: %s: empty revision", repo)
	}
	if !pathsafe.IsCommit(revision) && !allowBranch {
		return fmt.Errorf("corpora: %s@%s: %w (40 lower-case hex digits): pin one, or allow a branch (--allow-unpinned) and the manifest records the commit it resolved to", repo, revision, ErrUnpinned)
	}
	return nil
}

// fetcher fetches the files of one repository at one revision and insists
// that they all come from one commit.
type fetcher struct {
	src       Source
	repo, rev string
	commit    string
}

func (f *fetcher) fetch(ctx context.Context, path string) (string, error) {
	p, commit, err := f.src.Fetch(ctx, f.repo, f.rev, path)
	if err != nil {
		return "", fmt.Errorf("corpora: %s@%s: %s: %w", f.repo, f.rev, path, err)
	}
	if commit == "" {
		return "", fmt.Errorf("corpora: %s@%s: %s: the commit it was read at is unknown", f.repo, f.rev, path)
	}
	if f.commit == "" {
		f.commit = commit
	} else if commit != f.commit {
		return "", fmt.Errorf("corpora: %s@%s: %s was read at commit %s, earlier files at %s: the branch moved during the build; pin a commit", f.repo, f.rev, path, commit, f.commit)
	}
	return p, nil
}
