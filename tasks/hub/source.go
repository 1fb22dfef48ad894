package hub

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mimo-mlir/mimo/tasks"
)

// DatasetSource serves the Hub's dataset repositories as a tasks.Source:
// Open downloads through the cache and returns the cached *os.File (so a
// Parquet reader can use it in place, with ReadAt and Stat).
type DatasetSource struct {
	Client *Client
}

var _ tasks.Source = DatasetSource{}

// Open implements tasks.Source.
func (s DatasetSource) Open(ctx context.Context, repo, revision, path string) (io.ReadCloser, error) {
	p, err := s.Client.Download(ctx, Dataset, repo, revision, path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("hub: dataset %s at revision %s, file %s: opening the cached copy: %w", repo, revision, path, err)
	}
	return f, nil
}

// List implements tasks.Source.
func (s DatasetSource) List(ctx context.Context, repo, revision string) ([]string, error) {
	return s.Client.List(ctx, Dataset, repo, revision)
}

// Describe implements tasks.Source: the endpoint, and the cache and mode.
func (s DatasetSource) Describe() string {
	mode := ""
	if s.Client.offline {
		mode = ", offline"
	}
	return fmt.Sprintf("%s (cache %s%s)", s.Client.endpoint, s.Client.cacheDir, mode)
}
