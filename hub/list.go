package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"time"

	"github.com/mimo-mlir/mimo/internal/limited"
	"github.com/mimo-mlir/mimo/internal/pathsafe"
)

// TreeEntry is one item of the Hub's tree API
// (GET /api/{datasets|models}/{repo}/tree/{revision}?recursive=true).
type TreeEntry struct {
	Type string   `json:"type"` // "file" or "directory"
	OID  string   `json:"oid"`  // git object id
	Size int64    `json:"size"`
	Path string   `json:"path"`
	LFS  *TreeLFS `json:"lfs,omitempty"`
}

// TreeLFS describes the LFS object behind a file; OID is its SHA-256.
type TreeLFS struct {
	OID         string `json:"oid"`
	Size        int64  `json:"size"`
	PointerSize int64  `json:"pointerSize"`
}

// cachedTree is the cache's copy of a listing.
type cachedTree struct {
	Endpoint string      `json:"endpoint"`
	Fetched  time.Time   `json:"fetched"`
	Entries  []TreeEntry `json:"entries"`
}

// Listing bounds: one page of the tree API holds 1,000 entries (about
// 300 KB); a page over maxListingPage, or a listing over maxListingEntries,
// is not the Hub's.
const (
	maxListingPage    = 64 << 20
	maxListingEntries = 10_000_000
)

// checkEntries refuses an entry that is neither a file nor a folder, or
// whose path is not clean and relative: a listed path becomes a cache path
// when downloaded ("../x" would climb out).
func checkEntries(entries []TreeEntry) error {
	for _, e := range entries {
		if e.Type != "file" && e.Type != "directory" {
			return fmt.Errorf("unexpected entry %+v", e)
		}
		if err := pathsafe.RelPath("listed path", e.Path); err != nil {
			return err
		}
	}
	return nil
}

// linkNext finds rel="next" in a Link header, as requests' r.links does.
var linkNext = regexp.MustCompile(`<([^>]*)>\s*;\s*rel="?next"?`)

// List returns the paths of every file of a repository at a revision,
// sorted. See Tree.
func (c *Client) List(ctx context.Context, kind RepoKind, repo, revision string) ([]string, error) {
	entries, err := c.Tree(ctx, kind, repo, revision)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type == "file" {
			out = append(out, e.Path)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Tree returns every entry (files and directories) of a repository at a
// revision, following the API's pagination (Link: <...>; rel="next"). The
// listing is cached: a pinned revision (a commit id) is listed once, a
// branch is listed again online; offline, the cached listing is used and a
// missing one is an error saying which.
func (c *Client) Tree(ctx context.Context, kind RepoKind, repo, revision string) ([]TreeEntry, error) {
	r := ref{kind: kind, repo: repo, revision: revision}
	if err := checkRef(r); err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	cachePath := c.treePath(r)
	var cached cachedTree
	if c.offline || pinned(revision) {
		err := readJSON(cachePath, &cached)
		if err == nil {
			// The cache may be shared or edited: its listing is checked as
			// the Hub's pages are.
			if err := checkEntries(cached.Entries); err != nil {
				return nil, fmt.Errorf("hub: %s: cached listing %s: %w (delete the file to list again)", r, cachePath, err)
			}
			return cached.Entries, nil
		}
		if c.offline {
			return nil, fmt.Errorf("hub: %s: the file listing is not in the cache (looked for %s) and offline mode is on (HF_HUB_OFFLINE=1 is set, or hub.WithOffline): run once online to fill the cache, or unset HF_HUB_OFFLINE: %w", r, cachePath, ErrOffline)
		}
		if !os.IsNotExist(err) {
			return nil, fmt.Errorf("hub: %s: reading the cached listing: %w", r, err)
		}
	}
	next := c.endpoint + "/api/" + kind.plural() + "/" + repo + "/tree/" + url.PathEscape(revision) + "?recursive=true&expand=false"
	var entries []TreeEntry
	listed := map[string]bool{} // pages fetched: a Link back to one is a loop
	for page := 1; next != ""; page++ {
		if page > 100_000 {
			return nil, fmt.Errorf("hub: %s: listing does not end (over 100000 pages)", r)
		}
		if listed[next] {
			return nil, fmt.Errorf("hub: %s: listing page %d: the Link header of page %d points back at a page already listed (%s)", r, page, page-1, next)
		}
		listed[next] = true
		var got []TreeEntry
		var link string
		err := c.withRetries(ctx, r, func(ctx context.Context) error {
			actx, cancel := context.WithTimeout(ctx, c.timeout)
			defer cancel()
			req := c.request(c.rc).SetContext(actx).SetHeader("Accept", "application/json").SetDoNotParseResponse(true)
			req.Header.Del("Accept-Encoding") // let the transport negotiate gzip for JSON
			resp, err := req.Get(next)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return &transientError{err: fmt.Errorf("%s: listing page %d: %w", r, page, err)}
			}
			body, err := limited.ReadClose(resp.RawBody(), maxListingPage)
			if err != nil {
				if errors.As(err, new(*limited.TooLargeError)) {
					return fmt.Errorf("%s: listing page %d: %w", r, page, err)
				}
				return &transientError{err: fmt.Errorf("%s: listing page %d: %w", r, page, err)}
			}
			h, status := resp.Header(), resp.StatusCode()
			if retryable(status) {
				return &transientError{err: fmt.Errorf("%s: listing page %d: HTTP %d", r, page, status), retryAfter: parseRetryAfter(h, time.Now())}
			}
			if status != 200 {
				return c.statusError(r, status, h.Get("X-Error-Code"), h.Get("X-Error-Message"))
			}
			got = got[:0]
			if err := json.Unmarshal(body, &got); err != nil {
				return fmt.Errorf("%s: listing page %d: decoding the tree API answer: %w", r, page, err)
			}
			link = ""
			if m := linkNext.FindStringSubmatch(h.Get("Link")); m != nil {
				base, _ := url.Parse(next)
				u, err := url.Parse(m[1])
				if err != nil {
					return fmt.Errorf("%s: listing page %d: bad Link header %q: %w", r, page, h.Get("Link"), err)
				}
				link = base.ResolveReference(u).String()
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("hub: %w", err)
		}
		if err := checkEntries(got); err != nil {
			return nil, fmt.Errorf("hub: %s: listing page %d: %w", r, page, err)
		}
		if len(entries)+len(got) > maxListingEntries {
			return nil, fmt.Errorf("hub: %s: the listing has more than %d entries", r, maxListingEntries)
		}
		entries = append(entries, got...)
		next = link
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	if err := writeJSONAtomic(cachePath, cachedTree{Endpoint: c.endpoint, Fetched: time.Now().UTC(), Entries: entries}); err != nil {
		return nil, fmt.Errorf("hub: %s: caching the listing: %w", r, err)
	}
	return entries, nil
}
