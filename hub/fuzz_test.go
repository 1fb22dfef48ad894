package hub

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mimo-mlir/mimo/internal/pathsafe"
)

// fuzzTree answers every request in-process (no network, whatever host a
// Link header names): the first pages with the fuzzed status, body and
// Link header, later ones with an empty last page.
type fuzzTree struct {
	status int
	body   []byte
	link   string
	pages  int // how many answers are the fuzzed one

	mu   sync.Mutex
	seen int
}

func (f *fuzzTree) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	f.mu.Lock()
	f.seen++
	n := f.seen
	f.mu.Unlock()
	h := http.Header{"Content-Type": {"application/json"}}
	status, body := 200, []byte("[]")
	if n <= f.pages {
		status, body = f.status, f.body
		if f.link != "" {
			h.Set("Link", f.link)
		}
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: req, ContentLength: int64(len(body))}, nil
}

const fuzzCommit = "0123456789abcdef0123456789abcdef01234567"

// FuzzTree lists a repository from a fuzzed tree API answer (status, JSON
// body, Link header, repeated for up to pages pages), or, with offline,
// from a fuzzed cached listing (issue 12, "Fuzzing, in CI"). The
// invariant: no panic, no hang, no allocation beyond the answers' size; an
// error is non-empty and names the repository; every listed entry is a
// file or a folder with a clean relative path (it becomes a cache path),
// in path order.
func FuzzTree(f *testing.F) {
	page := []byte(`[{"type":"directory","oid":"9c1e6b3a","size":0,"path":"data"},{"type":"file","oid":"a1b2c3","size":1234,"path":"data/eng_Latn.jsonl","lfs":{"oid":"5e3f0c1d2b4a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff","size":1234,"pointerSize":134}},{"type":"file","oid":"d4e5f6","size":20,"path":"README.md"}]`)
	f.Add(page, `<https://huggingface.co/api/datasets/facebook/belebele/tree/main?recursive=true&cursor=ZXlKbWFXeGw>; rel="next"`, uint16(200), uint8(2), false)
	f.Add(page, "", uint16(200), uint8(1), false)
	f.Add([]byte(`[{"type":"file","path":"../../etc/passwd"}]`), "", uint16(200), uint8(1), false)
	f.Add([]byte(`[{"type":"submodule","path":"x"}]`), "", uint16(200), uint8(1), false)
	f.Add([]byte(`{"error":"Repository not found"}`), "", uint16(404), uint8(1), false)
	f.Add([]byte(`[]`), `<?cursor=same>; rel="next"`, uint16(200), uint8(255), false)
	f.Add([]byte(`[]`), "", uint16(503), uint8(3), false)
	f.Add([]byte(`{"endpoint":"https://huggingface.co","fetched":"2025-01-02T03:04:05Z","entries":[{"type":"file","path":"data/x.parquet","size":3}]}`), "", uint16(0), uint8(0), true)
	f.Add([]byte(`{"entries":[{"type":"file","path":"/abs"},{"type":"file","path":"a/../../b"}]}`), "", uint16(0), uint8(0), true)
	f.Fuzz(func(t *testing.T, body []byte, link string, status uint16, pages uint8, offline bool) {
		if len(body)+len(link) > 1<<20 {
			t.Skip()
		}
		code := int(status)
		if code < 100 || code > 599 {
			code = 200
		}
		rt := &fuzzTree{status: code, body: body, link: link, pages: int(pages % 8)}
		dir := t.TempDir()
		c, err := New(WithEndpoint("https://hub.example"), WithCacheDir(dir), WithOffline(offline),
			WithHTTPClient(&http.Client{Transport: rt}), WithRetries(1), WithBackoff(time.Microsecond, time.Microsecond),
			WithTimeout(5*time.Second), WithProgress(nil), WithToken(""))
		if err != nil {
			t.Fatal(err)
		}
		const repo = "facebook/belebele"
		rev := "main"
		if offline {
			rev = fuzzCommit
			p := c.treePath(ref{kind: Dataset, repo: repo, revision: rev})
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		entries, err := c.Tree(ctx, Dataset, repo, rev)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, repo) {
				t.Fatalf("error %q does not name the repository", msg)
			}
			return
		}
		for _, e := range entries {
			if e.Type != "file" && e.Type != "directory" {
				t.Fatalf("entry of type %q accepted", e.Type)
			}
			if err := pathsafe.RelPath("listed path", e.Path); err != nil {
				t.Fatalf("listed path accepted: %v", err)
			}
		}
		if !sort.SliceIsSorted(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path }) {
			t.Fatal("entries not in path order")
		}
		if rt.seen > 64 {
			t.Fatalf("%d requests for a listing of %d distinct answers", rt.seen, int(pages%8)+1)
		}
	})
}

// TestTreeRefusesLoopsAndBadCachedListings pins what FuzzTree found
// (testdata/fuzz/FuzzTree/cached-absolute-path, link-loop): a cached
// listing was returned without the checks the Hub's pages get (an absolute
// or climbing path, an unknown entry type), and a Link header pointing back
// at the same page made the client fetch it 100,000 times before giving up.
func TestTreeRefusesLoopsAndBadCachedListings(t *testing.T) {
	t.Run("link loop", func(t *testing.T) {
		rt := &fuzzTree{status: 200, body: []byte(`[{"type":"file","path":"a"}]`), link: `<?cursor=same>; rel="next"`, pages: 1 << 30}
		c, err := New(WithEndpoint("https://hub.example"), WithCacheDir(t.TempDir()), WithHTTPClient(&http.Client{Transport: rt}), WithProgress(nil), WithToken(""), WithOffline(false))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Tree(t.Context(), Dataset, "a/b", "main")
		if err == nil || !strings.Contains(err.Error(), "points back") || rt.seen > 3 {
			t.Fatalf("Tree = %v after %d requests, want a loop error after at most 3", err, rt.seen)
		}
	})
	for name, body := range map[string]string{
		"absolute path": `{"entries":[{"type":"file","path":"/etc/passwd"}]}`,
		"climbing path": `{"entries":[{"type":"file","path":"a/../../b"}]}`,
		"unknown type":  `{"entries":[{"type":"submodule","path":"x"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := New(WithEndpoint("https://hub.example"), WithCacheDir(t.TempDir()), WithOffline(true), WithProgress(nil), WithToken(""))
			if err != nil {
				t.Fatal(err)
			}
			p := c.treePath(ref{kind: Dataset, repo: "a/b", revision: fuzzCommit})
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = c.Tree(t.Context(), Dataset, "a/b", fuzzCommit)
			if err == nil || !strings.Contains(err.Error(), p) {
				t.Fatalf("Tree = %v, want an error naming the cached listing %s", err, p)
			}
		})
	}
}
