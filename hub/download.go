package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/mimo-mlir/mimo/internal/pathsafe"
	"github.com/mimo-mlir/mimo/progress"
)

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
	gitOIDHex = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// remote is what the Hub says about a file before it is downloaded.
type remote struct {
	url    string // the resolve URL (redirects are followed on GET)
	etag   string // X-Linked-Etag for LFS files, else ETag, unquoted
	size   int64  // X-Linked-Size or Content-Length; -1 when unknown
	commit string // X-Repo-Commit
	sha256 string // etag when it is a SHA-256 (LFS files)
	gitOID string // etag when it is a git blob id (regular files)
}

// fileLocks serialises downloads of one cache path within a process.
var fileLocks sync.Map // string -> *sync.Mutex

func lockFile(p string) func() {
	m, _ := fileLocks.LoadOrStore(p, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// Download returns the local path of a file of a repository at a revision
// (its entry in the snapshot of the commit the revision stands for),
// downloading it into the cache when needed (see the package comment for
// the cache, resumption, retries and verification).
func (c *Client) Download(ctx context.Context, kind RepoKind, repo, revision, path string) (string, error) {
	r := ref{kind, repo, revision, path}
	if path == "" {
		return "", fmt.Errorf("hub: %s: empty file path", r)
	}
	if err := checkRef(r); err != nil {
		return "", fmt.Errorf("hub: %w", err)
	}
	if p, ok := c.cachedFile(r); ok && (pinned(revision) || c.offline) {
		return p, nil
	}
	if c.offline {
		if c.knownMissing(r) {
			return "", fmt.Errorf("hub: %s: not in the repository (the cache recorded the Hub's 404 under .no_exist) and offline mode is on: %w (%w)", r, ErrNotFound, ErrOffline)
		}
		return "", fmt.Errorf("hub: %s: not in the cache (looked in %s) and offline mode is on (HF_HUB_OFFLINE=1 is set, or hub.WithOffline): run once online to fill the cache, or unset HF_HUB_OFFLINE: %w", r, c.repoDir(r), ErrOffline)
	}
	unlock := lockFile(c.repoDir(r) + "\x00" + revision + "\x00" + path)
	defer unlock()
	rem, err := c.head(ctx, r)
	if err != nil {
		if p, ok := c.cachedFile(r); ok {
			return "", fmt.Errorf("hub: %w (a cached copy of this branch's file exists at %s: set HF_HUB_OFFLINE=1 to use it without checking for updates)", err, p)
		}
		return "", fmt.Errorf("hub: %w", err)
	}
	if err := c.writeRef(r, rem.commit); err != nil {
		return "", fmt.Errorf("hub: %s: recording the commit of %s: %w", r, revision, err)
	}
	pointer := c.snapshotPath(r, rem.commit)
	// huggingface_hub trusts any entry of the commit's snapshot; we also
	// check that it is the blob of the ETag the Hub announces now, so a
	// file replaced under an unchanged commit (a mirror edited in place)
	// is fetched again rather than served stale.
	if exists(pointer) && pointsAt(pointer, rem.etag) {
		return pointer, nil
	}
	blob := c.blobPath(r, rem.etag)
	if !exists(blob) {
		unlockProc, err := lockPath(ctx, c.blobLockPath(r, rem.etag))
		if err != nil {
			return "", fmt.Errorf("hub: %s: %w", r, err)
		}
		defer unlockProc()
		if !exists(blob) { // another process may have finished it meanwhile
			if err := c.fetch(ctx, r, rem, blob); err != nil {
				return "", fmt.Errorf("hub: %w", err)
			}
		}
	}
	if err := link(blob, pointer); err != nil {
		return "", fmt.Errorf("hub: %s: linking the snapshot entry to its blob: %w", r, err)
	}
	return pointer, nil
}

// unquoteETag strips the weak marker and quotes of an ETag.
func unquoteETag(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	return strings.Trim(s, `"`)
}

// head asks the Hub for a file's metadata without following redirects to
// another host (the Hub's 302 to its CDN carries X-Linked-Etag and
// X-Linked-Size; the CDN's answer does not). Relative redirects (renamed
// repositories) are followed, as huggingface_hub does.
func (c *Client) head(ctx context.Context, r ref) (*remote, error) {
	u := c.fileURL(r.kind, r.repo, r.revision, r.path)
	rem := &remote{url: u, size: -1}
	err := c.withRetries(ctx, r, func(ctx context.Context) error {
		target := u
		for hops := 0; ; hops++ {
			actx, cancel := context.WithTimeout(ctx, c.timeout)
			resp, err := c.request(c.rcHead).SetContext(actx).SetDoNotParseResponse(true).Head(target)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return &transientError{err: fmt.Errorf("%s: HEAD %s: %w", r, target, err)}
			}
			if body := resp.RawBody(); body != nil {
				body.Close()
			}
			h, status := resp.Header(), resp.StatusCode()
			if status >= 300 && status < 400 {
				loc := h.Get("Location")
				next, err := url.Parse(loc)
				if loc == "" || err != nil {
					return fmt.Errorf("%s: HTTP %d with a bad Location %q", r, status, loc)
				}
				if !next.IsAbs() && hops < 5 && h.Get("X-Linked-Etag") == "" {
					base, _ := url.Parse(target)
					target = base.ResolveReference(next).String()
					continue
				}
				rem.fill(h, true)
				return nil
			}
			if status >= 200 && status < 300 {
				rem.fill(h, false)
				return nil
			}
			if retryable(status) {
				return &transientError{err: fmt.Errorf("%s: HEAD: HTTP %d", r, status), retryAfter: parseRetryAfter(h, time.Now())}
			}
			if status == http.StatusNotFound && h.Get("X-Error-Code") == "EntryNotFound" {
				// As huggingface_hub does: remember the absence at this
				// commit, so an offline run knows the file is not there.
				if commit := strings.TrimSpace(h.Get("X-Repo-Commit")); pathsafe.IsCommit(commit) {
					_ = c.writeRef(r, commit)
					_ = writeFileAtomic(c.noExistPath(r, commit), nil)
				}
			}
			return c.statusError(r, status, h.Get("X-Error-Code"), h.Get("X-Error-Message"))
		}
	})
	if err != nil {
		return nil, err
	}
	if err := c.checkRemote(r, rem); err != nil {
		return nil, err
	}
	return rem, nil
}

// checkRemote refuses metadata the cache cannot be built on safely, as
// huggingface_hub refuses a file without an ETag or a commit: the commit
// names a snapshot folder and the ETag a blob, so both must be what the Hub
// sends (40 hex; a token that cannot be a path), and a file larger than the
// ceiling is refused before a byte is written.
func (c *Client) checkRemote(r ref, rem *remote) error {
	if !pathsafe.IsCommit(rem.commit) {
		return fmt.Errorf("%s: the server's X-Repo-Commit %q is not a 40-hex commit id: not a Hugging Face Hub, or a misconfigured mirror (HF_ENDPOINT=%s): %w", r, rem.commit, c.endpoint, ErrIntegrity)
	}
	if rem.etag == "" {
		return fmt.Errorf("%s: the server announced no ETag, so the file cannot be verified or cached reproducibly (HF_ENDPOINT=%s): %w", r, c.endpoint, ErrIntegrity)
	}
	if !blobName.MatchString(rem.etag) {
		return fmt.Errorf("%s: the server's ETag %q cannot name a cache file: %w", r, rem.etag, ErrIntegrity)
	}
	if rem.size > c.maxBytes {
		return fmt.Errorf("%s: the server announced %d bytes, over the download ceiling of %d (MIMO_HUB_MAX_BYTES, hub.WithMaxBytes): %w", r, rem.size, c.maxBytes, ErrIntegrity)
	}
	return nil
}

func (rem *remote) fill(h http.Header, redirect bool) {
	rem.etag = unquoteETag(h.Get("X-Linked-Etag"))
	if rem.etag == "" {
		rem.etag = unquoteETag(h.Get("ETag"))
	}
	size := h.Get("X-Linked-Size")
	if size == "" && !redirect {
		size = h.Get("Content-Length")
	}
	if n, err := strconv.ParseInt(size, 10, 64); err == nil && n >= 0 {
		rem.size = n
	}
	rem.commit = strings.TrimSpace(h.Get("X-Repo-Commit"))
	switch {
	case sha256Hex.MatchString(rem.etag):
		rem.sha256 = rem.etag
	case gitOIDHex.MatchString(rem.etag):
		rem.gitOID = rem.etag
	}
}

// fetch downloads rem into the blob dst: resumable transfer into
// dst.incomplete, bounded by the announced size (or the ceiling), then the
// size and content checks, then an atomic rename. Nothing unverified ever
// carries a blob's name.
func (c *Client) fetch(ctx context.Context, r ref, rem *remote, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	partial := dst + incompleteSuffix
	if err := c.withRetries(ctx, r, func(ctx context.Context) error { return c.fetchOnce(ctx, r, rem, partial) }); err != nil {
		var big *tooLargeError
		if errors.As(err, &big) {
			os.Remove(partial)
		}
		return err
	}
	if err := verify(r, rem, partial); err != nil {
		os.Remove(partial) // a wrong file must not be resumed
		return err
	}
	if err := os.Rename(partial, dst); err != nil {
		return fmt.Errorf("%s: moving the download into the cache: %w", r, err)
	}
	return nil
}

// verify checks a complete download against the size and SHA-256 the Hub
// announced.
func verify(r ref, rem *remote, partial string) error {
	f, err := os.Open(partial)
	if err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	if rem.size >= 0 && st.Size() != rem.size {
		return fmt.Errorf("%s: downloaded %d bytes, the Hub announced %d: %w", r, st.Size(), rem.size, ErrIntegrity)
	}
	switch {
	case rem.sha256 != "":
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return fmt.Errorf("%s: hashing the download: %w", r, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != rem.sha256 {
			return fmt.Errorf("%s: SHA-256 of the download is %s, the Hub announced %s (removed the corrupt file; run again): %w", r, got, rem.sha256, ErrIntegrity)
		}
	case rem.gitOID != "":
		// A regular (non-LFS) file's ETag is its git blob id:
		// sha1("blob <size>\x00" + content).
		h := sha1.New()
		fmt.Fprintf(h, "blob %d\x00", st.Size())
		if _, err := io.Copy(h, f); err != nil {
			return fmt.Errorf("%s: hashing the download: %w", r, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != rem.gitOID {
			return fmt.Errorf("%s: git blob id of the download is %s, the Hub's ETag is %s (removed the corrupt file; run again): %w", r, got, rem.gitOID, ErrIntegrity)
		}
	}
	return nil
}

// fetchOnce is one attempt: it appends to the partial file what it lacks,
// using a Range request when part of it is already there.
func (c *Client) fetchOnce(ctx context.Context, r ref, rem *remote, partial string) (err error) {
	f, err := os.OpenFile(partial, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("%s: %w", r, cerr)
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	have := st.Size()
	if rem.size >= 0 && have > rem.size {
		have = 0 // longer than the file: not ours, start over
	}
	if rem.size >= 0 && have == rem.size {
		return f.Truncate(have) // complete; verify decides
	}

	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stalled atomic.Bool
	dog := time.AfterFunc(c.timeout, func() { stalled.Store(true); cancel() })
	defer dog.Stop()

	req := c.request(c.rc).SetContext(actx).SetDoNotParseResponse(true)
	if have > 0 {
		req.SetHeader("Range", fmt.Sprintf("bytes=%d-", have))
	}
	resp, err := req.Get(rem.url)
	if err != nil {
		return c.transferError(ctx, r, &stalled, "GET", err)
	}
	body := resp.RawBody()
	defer body.Close()
	if err := c.checkGetStatus(r, resp, &have); err != nil {
		return err
	}
	if err := f.Truncate(have); err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	var w io.Writer = f
	if c.progress != nil {
		bar := progress.New(c.progress, rem.size, r.repo+"/"+r.path, progress.Bytes(), progress.StartAt(have), progress.AsTerminal())
		defer bar.Finish()
		w = io.MultiWriter(f, bar)
	}
	// At most what is announced, plus one byte to notice more; with no
	// size announced, at most the ceiling.
	limit := c.maxBytes - have
	if rem.size >= 0 {
		limit = rem.size - have
	}
	src := &watchedReader{r: io.LimitReader(body, limit+1), dog: dog, d: c.timeout}
	n, err := io.Copy(w, src)
	if err != nil {
		return c.transferError(ctx, r, &stalled, "reading the body", err)
	}
	if n > limit {
		if rem.size >= 0 {
			return &tooLargeError{fmt.Errorf("%s: the server sent more than the %d bytes it announced (stopped after %d): %w", r, rem.size, have+n, ErrIntegrity)}
		}
		return &tooLargeError{fmt.Errorf("%s: the file is larger than the download ceiling of %d bytes (MIMO_HUB_MAX_BYTES, hub.WithMaxBytes): %w", r, c.maxBytes, ErrIntegrity)}
	}
	if rem.size >= 0 && have+n < rem.size {
		return &transientError{err: fmt.Errorf("%s: connection closed after %d of %d bytes", r, have+n, rem.size)}
	}
	return nil
}

// tooLargeError is a body over its bound: final, and the partial file is
// removed (it can only be resumed into the same wrong answer).
type tooLargeError struct{ err error }

func (e *tooLargeError) Error() string { return e.err.Error() }
func (e *tooLargeError) Unwrap() error { return e.err }

// checkGetStatus handles the status of a (range) GET, setting *have to the
// offset the body starts at.
func (c *Client) checkGetStatus(r ref, resp *resty.Response, have *int64) error {
	h, status := resp.Header(), resp.StatusCode()
	switch {
	case status == http.StatusPartialContent:
		start, ok := contentRangeStart(h.Get("Content-Range"))
		if !ok || start != *have {
			err := &transientError{err: fmt.Errorf("%s: asked for bytes from %d, got Content-Range %q; restarting", r, *have, h.Get("Content-Range"))}
			*have = 0
			return err
		}
	case status == http.StatusOK:
		*have = 0 // the server ignored the Range: take the whole body
	case status == http.StatusRequestedRangeNotSatisfiable:
		*have = 0
		return &transientError{err: fmt.Errorf("%s: the partial download does not fit the file (HTTP 416); restarting", r)}
	case retryable(status):
		return &transientError{err: fmt.Errorf("%s: GET: HTTP %d", r, status), retryAfter: parseRetryAfter(h, time.Now())}
	default:
		return c.statusError(r, status, h.Get("X-Error-Code"), h.Get("X-Error-Message"))
	}
	return nil
}

// contentRangeStart parses "bytes START-END/TOTAL".
func contentRangeStart(v string) (int64, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !ok {
		return 0, false
	}
	startS, _, ok := strings.Cut(v, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(startS, 10, 64)
	return n, err == nil && n >= 0
}

// transferError classifies a failed attempt: the caller's cancellation is
// final, anything else (including our stall watchdog) is transient.
func (c *Client) transferError(ctx context.Context, r ref, stalled *atomic.Bool, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if stalled.Load() {
		return &transientError{err: fmt.Errorf("%s: %s: no progress for %v: %w", r, what, c.timeout, err)}
	}
	return &transientError{err: fmt.Errorf("%s: %s: %w", r, what, err)}
}

// watchedReader re-arms the stall watchdog on every read that makes
// progress.
type watchedReader struct {
	r   io.Reader
	dog *time.Timer
	d   time.Duration
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.dog.Reset(w.d)
	}
	return n, err
}

// CachedCommit is the commit the cached copy of a revision was last seen
// at (refs/{revision}, written whenever the Hub answered for it), or ""
// when the cache has no record of it. For a revision that is a branch, it
// is what makes a result reproducible: the branch moves, the commit does
// not. path is accepted for callers that name a file; the answer is the
// revision's.
func (c *Client) CachedCommit(kind RepoKind, repo, revision, path string) string {
	r := ref{kind, repo, revision, path}
	if checkRef(r) != nil {
		return ""
	}
	return c.cachedCommit(r)
}
