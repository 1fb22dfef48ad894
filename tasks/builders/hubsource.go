package builders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/tasks"
)

// HubSource serves the Hub's dataset repositories as a tasks.Source:
// Open downloads through the cache and returns the cached *os.File (so a
// Parquet reader can use it in place, with ReadAt and Stat). The hub's 404
// becomes tasks.ErrNotFound, which the builders branch on.
type HubSource struct {
	Client *hub.Client
}

var _ tasks.Source = HubSource{}

// notFound adds tasks.ErrNotFound to a hub 404.
func notFound(err error) error {
	if err != nil && errors.Is(err, hub.ErrNotFound) && !errors.Is(err, tasks.ErrNotFound) {
		return fmt.Errorf("%w (%w)", err, tasks.ErrNotFound)
	}
	return err
}

// Open implements tasks.Source.
func (s HubSource) Open(ctx context.Context, repo, revision, path string) (io.ReadCloser, error) {
	p, err := s.Client.Download(ctx, hub.Dataset, repo, revision, path)
	if err != nil {
		// The hub's errors name the repository, revision and file.
		return nil, &tasks.FileError{Repo: repo, Revision: revision, Path: path, Err: notFound(err)}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, &tasks.FileError{Repo: repo, Revision: revision, Path: path,
			Err: fmt.Errorf("hub: dataset %s at revision %s, file %s: opening the cached copy: %w", repo, revision, path, err)}
	}
	return f, nil
}

// List implements tasks.Source.
func (s HubSource) List(ctx context.Context, repo, revision string) ([]string, error) {
	l, err := s.Client.List(ctx, hub.Dataset, repo, revision)
	return l, notFound(err)
}

// Describe implements tasks.Source: the endpoint, and the cache and mode.
func (s HubSource) Describe() string {
	mode := ""
	if s.Client.Offline() {
		mode = ", offline"
	}
	return fmt.Sprintf("%s (cache %s%s)", s.Client.Endpoint(), s.Client.CacheDir(), mode)
}

// ResolvedCommit is the commit the Hub last answered for revision of the
// dataset repo (its X-Repo-Commit, recorded in the cache), or "" when the
// cache has no record of it.
func (s HubSource) ResolvedCommit(repo, revision string) string {
	return s.Client.CachedCommit(hub.Dataset, repo, revision, "")
}
