package hub

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	repoPart  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	commitRev = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// pinned reports whether revision is a full commit id: the files of such a
// revision never change, so the cache is trusted without asking the Hub.
func pinned(revision string) bool { return commitRev.MatchString(revision) }

// checkRef validates the parts of a file reference (path may be "" for
// whole-repository operations).
func checkRef(r ref) error {
	if !r.kind.valid() {
		return fmt.Errorf("%s: unknown repository kind", r)
	}
	parts := strings.Split(r.repo, "/")
	if len(parts) > 2 {
		return fmt.Errorf("repository %q: want \"owner/name\" or \"name\"", r.repo)
	}
	for _, p := range parts {
		if !repoPart.MatchString(p) || strings.Contains(p, "..") || strings.Contains(p, "--") {
			return fmt.Errorf("repository %q: invalid name %q", r.repo, p)
		}
	}
	if r.revision == "" || r.revision == "." || r.revision == ".." || strings.ContainsAny(r.revision, "\x00\\") {
		return fmt.Errorf("%s: invalid revision %q", r, r.revision)
	}
	if r.path != "" {
		if strings.HasPrefix(r.path, "/") || strings.Contains(r.path, "\\") || strings.ContainsRune(r.path, 0) || path.Clean(r.path) != r.path || r.path == "." || strings.HasPrefix(r.path, "../") || r.path == ".." {
			return fmt.Errorf("%s: invalid path (want a clean relative path inside the repository)", r)
		}
		if strings.HasSuffix(r.path, incompleteSuffix) {
			return fmt.Errorf("%s: invalid path (the %s suffix is reserved by the cache)", r, incompleteSuffix)
		}
	}
	return nil
}

// incompleteSuffix marks a download in progress.
const incompleteSuffix = ".incomplete"

// repoDir is {cache}/{datasets|models}/{owner}--{name}.
func (c *Client) repoDir(r ref) string {
	return filepath.Join(c.cacheDir, r.kind.plural(), strings.ReplaceAll(r.repo, "/", "--"))
}

// revDir escapes a revision into one folder name (refs/convert/parquet
// becomes refs%2Fconvert%2Fparquet).
func revDir(revision string) string { return url.PathEscape(revision) }

// filePath is where a file lives in the cache.
func (c *Client) filePath(r ref) string {
	return filepath.Join(c.repoDir(r), "files", revDir(r.revision), filepath.FromSlash(r.path))
}

// metaPath records the ETag a file was downloaded with (for branches).
func (c *Client) metaPath(r ref) string {
	return filepath.Join(c.repoDir(r), "meta", revDir(r.revision), filepath.FromSlash(r.path)+".json")
}

// treePath caches the listing of a revision.
func (c *Client) treePath(r ref) string {
	return filepath.Join(c.repoDir(r), "tree", revDir(r.revision)+".json")
}

// fileMeta is what the cache remembers about a downloaded file.
type fileMeta struct {
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	Commit string `json:"commit,omitempty"`
	URL    string `json:"url"`
}

// writeFileAtomic writes data to name through a temporary file and a rename.
func writeFileAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

func writeJSONAtomic(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(name, append(data, '\n'))
}

func readJSON(name string, v any) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func exists(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.Mode().IsRegular()
}
