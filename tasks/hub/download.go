package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
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

// Download returns the local path of a file of a repository at a revision,
// downloading it into the cache when needed (see the package comment for
// the cache, resumption, retries and verification).
func (c *Client) Download(ctx context.Context, kind RepoKind, repo, revision, path string) (string, error) {
	r := ref{kind, repo, revision, path}
	if err := checkRef(r); err != nil {
		return "", fmt.Errorf("hub: %w", err)
	}
	if path == "" {
		return "", fmt.Errorf("hub: %s: empty file path", r)
	}
	dst := c.filePath(r)
	if exists(dst) && (pinned(revision) || c.offline) {
		return dst, nil
	}
	if c.offline {
		return "", fmt.Errorf("hub: %s: not in the cache (looked for %s) and offline mode is on (HF_HUB_OFFLINE=1 is set, or hub.WithOffline): run once online to fill the cache, or unset HF_HUB_OFFLINE: %w", r, dst, ErrOffline)
	}
	unlock := lockFile(dst)
	defer unlock()
	sum := sha256.Sum256([]byte(dst))
	unlockProc, err := lockPath(ctx, filepath.Join(c.repoDir(r), "locks", hex.EncodeToString(sum[:8])+".lock"))
	if err != nil {
		return "", fmt.Errorf("hub: %s: %w", r, err)
	}
	defer unlockProc()
	if exists(dst) && pinned(revision) {
		return dst, nil // another goroutine or process finished it meanwhile
	}
	rem, err := c.head(ctx, r)
	if err != nil {
		if exists(dst) {
			return "", fmt.Errorf("hub: %w (a cached copy of this branch's file exists at %s: set HF_HUB_OFFLINE=1 to use it without checking for updates)", err, dst)
		}
		return "", fmt.Errorf("hub: %w", err)
	}
	if exists(dst) {
		var old fileMeta
		if readJSON(c.metaPath(r), &old) == nil && old.ETag != "" && old.ETag == rem.etag {
			if rem.commit != "" && old.Commit != rem.commit {
				// Unchanged file, newer branch head: remember the commit
				// it was last seen at (CachedCommit reports it).
				old.Commit = rem.commit
				if err := writeJSONAtomic(c.metaPath(r), old); err != nil {
					return "", fmt.Errorf("hub: %s: recording cache metadata: %w", r, err)
				}
			}
			return dst, nil
		}
	}
	if err := c.fetch(ctx, r, rem, dst); err != nil {
		return "", fmt.Errorf("hub: %w", err)
	}
	meta := fileMeta{ETag: rem.etag, Size: rem.size, SHA256: rem.sha256, Commit: rem.commit, URL: rem.url}
	if err := writeJSONAtomic(c.metaPath(r), meta); err != nil {
		return "", fmt.Errorf("hub: %s: recording cache metadata: %w", r, err)
	}
	return dst, nil
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
			return c.statusError(r, status, h.Get("X-Error-Code"), h.Get("X-Error-Message"))
		}
	})
	if err != nil {
		return nil, err
	}
	return rem, nil
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
	rem.commit = h.Get("X-Repo-Commit")
	switch {
	case sha256Hex.MatchString(rem.etag):
		rem.sha256 = rem.etag
	case gitOIDHex.MatchString(rem.etag):
		rem.gitOID = rem.etag
	}
}

// partialPath is the ".incomplete" file of one version (ETag) of a file, so
// a resumed transfer never mixes two versions.
func partialPath(dst, etag string) string {
	if etag == "" {
		return dst + incompleteSuffix
	}
	sum := sha256.Sum256([]byte(etag))
	return dst + "." + hex.EncodeToString(sum[:6]) + incompleteSuffix
}

// fetch downloads rem into dst: resumable transfer into the partial file,
// then size and SHA-256 checks, then an atomic rename.
func (c *Client) fetch(ctx context.Context, r ref, rem *remote, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	partial := partialPath(dst, rem.etag)
	if err := c.withRetries(ctx, r, func(ctx context.Context) error { return c.fetchOnce(ctx, r, rem, partial) }); err != nil {
		return err
	}
	if err := verify(r, rem, partial); err != nil {
		os.Remove(partial) // a wrong file must not be resumed
		return err
	}
	if err := os.Rename(partial, dst); err != nil {
		return fmt.Errorf("%s: moving the download into the cache: %w", r, err)
	}
	// Partials of older versions of this file are garbage now.
	if old, _ := filepath.Glob(escapeGlob(dst) + ".*" + incompleteSuffix); len(old) > 0 {
		for _, p := range old {
			os.Remove(p)
		}
	}
	os.Remove(dst + incompleteSuffix)
	return nil
}

func escapeGlob(p string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(p)
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
	if bar := c.bar(r, rem.size, have); bar != nil {
		defer bar.Close()
		w = io.MultiWriter(f, bar)
	}
	src := &watchedReader{r: body, dog: dog, d: c.timeout}
	n, err := io.Copy(w, src)
	if err != nil {
		return c.transferError(ctx, r, &stalled, "reading the body", err)
	}
	if rem.size >= 0 && have+n < rem.size {
		return &transientError{err: fmt.Errorf("%s: connection closed after %d of %d bytes", r, have+n, rem.size)}
	}
	return nil
}

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

// bar returns a progress bar for one transfer, or nil when quiet.
func (c *Client) bar(r ref, total, start int64) *progressbar.ProgressBar {
	if c.progress == nil {
		return nil
	}
	if f, ok := c.progress.(*os.File); ok && !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	b := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(c.progress),
		progressbar.OptionSetDescription(r.repo+"/"+r.path),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(c.progress) }),
		progressbar.OptionSetRenderBlankState(true),
	)
	if start > 0 {
		_ = b.Set64(start)
	}
	return b
}

// CachedCommit is the commit the cached copy of a file was last seen at
// (the Hub's X-Repo-Commit when it was downloaded or revalidated), or ""
// when the cache has no record of it. For a revision that is a branch, it
// is what makes a result reproducible: the branch moves, the commit does
// not.
func (c *Client) CachedCommit(kind RepoKind, repo, revision, path string) string {
	if pinned(revision) {
		return revision
	}
	var m fileMeta
	if readJSON(c.metaPath(ref{kind, repo, revision, path}), &m) != nil {
		return ""
	}
	return m.Commit
}
