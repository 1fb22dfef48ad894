package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mimo-mlir/mimo/internal/limited"
	"github.com/mimo-mlir/mimo/internal/pathsafe"
)

// The cache is huggingface_hub's (file_download.py, _cache_manager.py), so a
// cache filled by Python serves mimo and the other way round:
//
//	{cache}/{models|datasets}--{owner}--{name}/
//	    blobs/{etag}                       file contents, named by the Hub's ETag
//	    blobs/{etag}.incomplete            a transfer in progress (resumed with Range)
//	    snapshots/{commit}/{path}          relative symlink to ../../blobs/{etag}
//	    refs/{revision}                    the commit a branch or tag was last seen at (no newline)
//	    .no_exist/{commit}/{path}          empty: the Hub said 404 for this file at this commit
//	{cache}/.locks/{models|datasets}--{owner}--{name}/{etag}.lock
//
// mimo adds one thing huggingface_hub does not have, the tree listings
// (List/Tree) it keeps for offline runs: {repo folder}/.mimo-trees/
// {revision}.json. huggingface_hub's cache scanner reads only blobs,
// snapshots and refs, so the extra folder is invisible to it.

var repoPart = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// blobName is what an ETag must look like to name a blob: the Hub's are git
// blob ids (40 hex) and SHA-256s (64 hex); a mirror's may be other tokens,
// but never a path.
var blobName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+=-]{0,254}$`)

// pinned reports whether revision is a full commit id: the files of such a
// revision never change, so the cache is trusted without asking the Hub.
func pinned(revision string) bool { return pathsafe.IsCommit(revision) }

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
	// A revision is a commit, a branch or a tag; branches may hold "/"
	// (refs/convert/parquet), stored as nested files under refs/ exactly
	// as huggingface_hub does.
	if err := pathsafe.RelPath("revision", r.revision); err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	if r.path != "" {
		if err := pathsafe.RelPath("file path", r.path); err != nil {
			return fmt.Errorf("%s: %w (want a clean relative path inside the repository)", r, err)
		}
	}
	return nil
}

// incompleteSuffix marks a download in progress (huggingface_hub's).
const incompleteSuffix = ".incomplete"

// folderName is huggingface_hub's repo_folder_name: "{kind}s--{owner}--{name}".
func folderName(r ref) string {
	return r.kind.plural() + "--" + strings.ReplaceAll(r.repo, "/", "--")
}

func (c *Client) repoDir(r ref) string { return filepath.Join(c.cacheDir, folderName(r)) }

func (c *Client) blobPath(r ref, etag string) string {
	return filepath.Join(c.repoDir(r), "blobs", etag)
}

func (c *Client) snapshotPath(r ref, commit string) string {
	return filepath.Join(c.repoDir(r), "snapshots", commit, filepath.FromSlash(r.path))
}

func (c *Client) refPath(r ref) string {
	return filepath.Join(c.repoDir(r), "refs", filepath.FromSlash(r.revision))
}

func (c *Client) noExistPath(r ref, commit string) string {
	return filepath.Join(c.repoDir(r), ".no_exist", commit, filepath.FromSlash(r.path))
}

func (c *Client) blobLockPath(r ref, etag string) string {
	return filepath.Join(c.cacheDir, ".locks", folderName(r), etag+".lock")
}

// treePath caches the listing of a revision (mimo's own addition).
func (c *Client) treePath(r ref) string {
	return filepath.Join(c.repoDir(r), ".mimo-trees", url.PathEscape(r.revision)+".json")
}

// cachedCommit is the commit revision stands for in the cache: what
// refs/{revision} says, else the revision itself when it is a commit id,
// else "".
//
// As huggingface_hub's try_to_load_from_cache, refs/{revision} is read
// first even for a commit id: a server that answered another commit for it
// (a mirror serving one snapshot for every revision) is recorded there.
func (c *Client) cachedCommit(r ref) string {
	b, err := limited.ReadFile(c.refPath(r), 4096)
	if err == nil {
		if commit := strings.TrimSpace(string(b)); pathsafe.IsCommit(commit) {
			return commit
		}
	}
	if pinned(r.revision) {
		return r.revision
	}
	return ""
}

// cachedFile is the snapshot path of r when the cache has it complete.
func (c *Client) cachedFile(r ref) (string, bool) {
	commit := c.cachedCommit(r)
	if commit == "" {
		return "", false
	}
	p := c.snapshotPath(r, commit)
	return p, exists(p)
}

// knownMissing reports whether the cache recorded a 404 for r at the
// commit its revision stands for.
func (c *Client) knownMissing(r ref) bool {
	commit := c.cachedCommit(r)
	if commit == "" {
		return false
	}
	_, err := os.Stat(c.noExistPath(r, commit))
	return err == nil
}

// writeRef records that revision was at commit (huggingface_hub's
// _cache_commit_hash_for_specific_revision: the bare hash, no newline).
func (c *Client) writeRef(r ref, commit string) error {
	if r.revision == commit {
		return nil
	}
	p := c.refPath(r)
	if b, err := limited.ReadFile(p, 4096); err == nil && string(b) == commit {
		return nil
	}
	return writeFileAtomic(p, []byte(commit))
}

// link makes the snapshot entry pointer point at blob: a relative symlink
// as huggingface_hub makes, created under a temporary name and renamed into
// place; where symlinks are not possible, a hard link, else a copy.
func link(blob, pointer string) error {
	dir := filepath.Dir(pointer)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rel, err := filepath.Rel(dir, blob)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+filepath.Base(pointer)+".link-"+fmt.Sprint(os.Getpid()))
	os.Remove(tmp)
	if err := os.Symlink(rel, tmp); err != nil {
		if err := os.Link(blob, tmp); err != nil {
			if err := copyFile(blob, tmp); err != nil {
				return err
			}
		}
	}
	if err := os.Rename(tmp, pointer); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
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

// maxCachedJSON bounds a cached listing read back from disk.
const maxCachedJSON = 1 << 30

func readJSON(name string, v any) error {
	data, err := limited.ReadFile(name, maxCachedJSON)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// pointsAt reports whether the snapshot entry pointer is the blob of etag.
// A symlink names its blob; an entry that is not a symlink (a copy made
// where symlinks are not possible) is taken as current, as huggingface_hub
// takes every existing entry.
func pointsAt(pointer, etag string) bool {
	target, err := os.Readlink(pointer)
	if err != nil {
		return true
	}
	return filepath.Base(target) == etag
}

func exists(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
