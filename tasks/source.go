package tasks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
)

// Source serves a dataset repository's files at a revision: the Hugging Face
// Hub through the hub client (package hub, via builders.HubSource), or a local copy of the files.
// Builders read every input through a Source, so the same builder runs on
// the Hub, on a mirror, on a warm cache and on test fixtures.
type Source interface {
	// Open returns the file at path in repo at revision.
	Open(ctx context.Context, repo, revision, path string) (io.ReadCloser, error)
	// List returns every file path of repo at revision (sorted, "/"-separated).
	List(ctx context.Context, repo, revision string) ([]string, error)
	// Describe names the source in messages ("https://huggingface.co", "/data/hub").
	Describe() string
}

// ErrNotFound is wrapped by Sources when a file or repository does not exist.
var ErrNotFound = errors.New("not found")

// FileError is a Source's error about one file of a repository at a
// revision. Its message already names the repository, the revision and
// the file (Err's text does), so a caller that finds one for the file it
// asked for (errors.As) passes it on without naming them again. Err says
// what went wrong (ErrNotFound, a permission error, the Hub's answer).
type FileError struct {
	Repo, Revision, Path string
	Err                  error
}

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// NamesFile reports whether err is a FileError about path in repo.
func NamesFile(err error, repo, path string) bool {
	var fe *FileError
	return errors.As(err, &fe) && fe.Repo == repo && fe.Path == path
}

// DirSource reads repositories laid out as Root/<repo>/<path> (the revision is
// ignored: a local copy is one revision). With Flat set, Root itself holds the
// files of the one repository asked for (a user's download folder).
type DirSource struct {
	Root string
	Flat bool
}

func (d DirSource) dir(repo string) string {
	if d.Flat {
		return d.Root
	}
	return filepath.Join(d.Root, filepath.FromSlash(repo))
}

// Open implements Source.
func (d DirSource) Open(_ context.Context, repo, revision, path string) (io.ReadCloser, error) {
	p := filepath.Join(d.dir(repo), filepath.FromSlash(path))
	f, err := os.Open(p)
	if err != nil {
		fe := &FileError{Repo: repo, Revision: revision, Path: path}
		if errors.Is(err, fs.ErrNotExist) {
			fe.Err = fmt.Errorf("%s@%s: file %s (looked for %s): %w", repo, revision, path, p, ErrNotFound)
		} else {
			fe.Err = fmt.Errorf("%s@%s: file %s: %w", repo, revision, path, err)
		}
		return nil, fe
	}
	return f, nil
}

// List implements Source. Symbolic links are followed, to files and to
// folders (a huggingface_hub snapshot links every file into its blobs, and
// a user may link a dataset folder into the source), each real folder
// listed once so a link loop ends.
func (d DirSource) List(_ context.Context, repo, revision string) ([]string, error) {
	root := d.dir(repo)
	var out []string
	seen := map[string]bool{}
	var walk func(dir, rel string) error
	walk = func(dir, rel string) error {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return err
		}
		if seen[real] {
			return nil
		}
		seen[real] = true
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			p, r := filepath.Join(dir, e.Name()), path.Join(rel, e.Name())
			isDir := e.IsDir()
			if e.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(p)
				if err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
				isDir = st.IsDir()
			}
			if isDir {
				if err := walk(p, r); err != nil {
					return err
				}
				continue
			}
			out = append(out, r)
		}
		return nil
	}
	if err := walk(root, ""); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s@%s: folder %s: %w", repo, revision, root, ErrNotFound)
		}
		return nil, fmt.Errorf("%s@%s: listing %s: %w", repo, revision, root, err)
	}
	sort.Strings(out)
	return out, nil
}

// Describe implements Source.
func (d DirSource) Describe() string { return d.Root }
