package hub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/hub/hubtest"
)

const pinnedRev = "75b399394a9803252cfec289d103de462763db7c"

// randomText is deterministic filler of n bytes.
func randomText(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcdefghij klmnop\n"[r.IntN(18)]
	}
	return string(b)
}

// fixture lays out a dataset repo, a one-part dataset repo and a model repo.
func fixture(t *testing.T) (root string, files map[string]string) {
	t.Helper()
	root = t.TempDir()
	files = map[string]string{
		"README.md":                        "# belebele\n",
		"data/eng_Latn.jsonl":              `{"link":"x","question_number":1}` + "\n",
		"data/big.jsonl":                   randomText(100_000, 1),   // LFS by size
		"mteb/test-00000-of-00001.parquet": "PAR1 fake parquet PAR1", // LFS by extension
		"odd name/ü ñ.txt":                 "unicode path\n",
		"configs/nested/deeper/file.csv":   "a,b\n1,2\n",
	}
	hubtest.WriteRepo(t, root, hub.Dataset, "facebook/belebele", files)
	hubtest.WriteRepo(t, root, hub.Dataset, "squad", map[string]string{"plain_text/train.json": `{"data":[]}`})
	hubtest.WriteRepo(t, root, hub.Model, "org/tiny-model", map[string]string{"config.json": `{"hidden_size":8}`, "model.onnx": randomText(5000, 2)})
	return root, files
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestDownload(t *testing.T) {
	root, files := fixture(t)
	srv := hubtest.NewServer(t, root)
	c := hubtest.NewClient(t, srv)
	ctx := context.Background()
	for _, tc := range []struct {
		name                 string
		kind                 hub.RepoKind
		repo, revision, path string
		want                 string
		wantURL              string // the resolve URL the client must use
		lfs                  bool
	}{
		{"small file", hub.Dataset, "facebook/belebele", pinnedRev, "data/eng_Latn.jsonl", files["data/eng_Latn.jsonl"], "/datasets/facebook/belebele/resolve/" + pinnedRev + "/data/eng_Latn.jsonl", false},
		{"LFS by size", hub.Dataset, "facebook/belebele", pinnedRev, "data/big.jsonl", files["data/big.jsonl"], "/datasets/facebook/belebele/resolve/" + pinnedRev + "/data/big.jsonl", true},
		{"LFS parquet on a branch", hub.Dataset, "facebook/belebele", "main", "mteb/test-00000-of-00001.parquet", files["mteb/test-00000-of-00001.parquet"], "/datasets/facebook/belebele/resolve/main/mteb/test-00000-of-00001.parquet", true},
		{"revision with a slash", hub.Dataset, "facebook/belebele", "refs/convert/parquet", "README.md", files["README.md"], "/datasets/facebook/belebele/resolve/refs/convert/parquet/README.md", false},
		{"escaped path", hub.Dataset, "facebook/belebele", pinnedRev, "odd name/ü ñ.txt", files["odd name/ü ñ.txt"], "/datasets/facebook/belebele/resolve/" + pinnedRev + "/odd name/ü ñ.txt", false},
		{"one-part repo id", hub.Dataset, "squad", pinnedRev, "plain_text/train.json", `{"data":[]}`, "/datasets/squad/resolve/" + pinnedRev + "/plain_text/train.json", false},
		{"model without datasets/ prefix", hub.Model, "org/tiny-model", pinnedRev, "config.json", `{"hidden_size":8}`, "/org/tiny-model/resolve/" + pinnedRev + "/config.json", false},
		{"model LFS", hub.Model, "org/tiny-model", pinnedRev, "model.onnx", randomText(5000, 2), "/org/tiny-model/resolve/" + pinnedRev + "/model.onnx", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetLog()
			p, err := c.Download(ctx, tc.kind, tc.repo, tc.revision, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, p); got != tc.want {
				t.Errorf("content differs (%d bytes, want %d)", len(got), len(tc.want))
			}
			if !strings.HasPrefix(p, c.CacheDir()) || !strings.HasSuffix(filepath.ToSlash(p), tc.path) {
				t.Errorf("cache path %s not under %s ending in %s", p, c.CacheDir(), tc.path)
			}
			if n := srv.Count(http.MethodHead, tc.wantURL); n != 1 {
				t.Errorf("HEAD %s seen %d times; log: %+v", tc.wantURL, n, srv.Requests())
			}
			if n := srv.Count(http.MethodGet, "/cdn/"); (n == 1) != tc.lfs {
				t.Errorf("GETs on the CDN = %d, LFS = %v; log: %+v", n, tc.lfs, srv.Requests())
			}
		})
	}
}

// TestCacheHitWithoutNetwork: a pinned revision is read from the cache
// with the server gone.
func TestCacheHitWithoutNetwork(t *testing.T) {
	root, files := fixture(t)
	srv := hubtest.NewServer(t, root)
	c := hubtest.NewClient(t, srv, hub.WithRetries(0))
	ctx := context.Background()
	first, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "data/big.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(ctx, hub.Dataset, "facebook/belebele", pinnedRev); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	second, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "data/big.jsonl")
	if err != nil {
		t.Fatalf("cache hit needed the network: %v", err)
	}
	if first != second || readFile(t, second) != files["data/big.jsonl"] {
		t.Errorf("second download %s differs from first %s", second, first)
	}
	if _, err := c.List(ctx, hub.Dataset, "facebook/belebele", pinnedRev); err != nil {
		t.Errorf("cached listing needed the network: %v", err)
	}
	// A file never downloaded does need the server, which is gone.
	if _, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "README.md"); err == nil {
		t.Error("download of an uncached file succeeded with the server closed")
	}
}

// TestBranchRevalidates: on a branch the client asks for the ETag each
// time and downloads again only when the file changed.
func TestBranchRevalidates(t *testing.T) {
	root, _ := fixture(t)
	srv := hubtest.NewServer(t, root)
	c := hubtest.NewClient(t, srv)
	ctx := context.Background()
	get := func() string {
		p, err := c.Download(ctx, hub.Dataset, "facebook/belebele", "main", "data/eng_Latn.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		return readFile(t, p)
	}
	get()
	srv.ResetLog()
	get()
	if h, g := srv.Count(http.MethodHead, ""), srv.Count(http.MethodGet, ""); h != 1 || g != 0 {
		t.Errorf("unchanged file: %d HEAD, %d GET; want 1, 0", h, g)
	}
	hubtest.WriteRepo(t, root, hub.Dataset, "facebook/belebele", map[string]string{"data/eng_Latn.jsonl": "changed\n"})
	if got := get(); got != "changed\n" {
		t.Errorf("after the file changed on the branch, got %q", got)
	}
	srv.Close()
	_, err := c.Download(ctx, hub.Dataset, "facebook/belebele", "main", "data/eng_Latn.jsonl")
	if err == nil || !strings.Contains(err.Error(), "a cached copy of this branch's file exists") || !strings.Contains(err.Error(), "set HF_HUB_OFFLINE=1") {
		t.Errorf("branch file with the Hub unreachable: %v, want advice to go offline", err)
	}
}

func TestOffline(t *testing.T) {
	root, files := fixture(t)
	srv := hubtest.NewServer(t, root)
	cache := t.TempDir()
	online := hubtest.NewClient(t, srv, hub.WithCacheDir(cache))
	ctx := context.Background()
	if _, err := online.Download(ctx, hub.Dataset, "facebook/belebele", "main", "README.md"); err != nil {
		t.Fatal(err)
	}
	if _, err := online.List(ctx, hub.Dataset, "facebook/belebele", "main"); err != nil {
		t.Fatal(err)
	}
	srv.ResetLog()

	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("HF_HOME", filepath.Dir(cache)) // not used: WithCacheDir wins
	off, err := hub.New(hub.WithCacheDir(cache), hub.WithEndpoint(srv.URL), hub.WithProgress(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !off.Offline() {
		t.Fatal("HF_HUB_OFFLINE=1 did not turn offline mode on")
	}
	p, err := off.Download(ctx, hub.Dataset, "facebook/belebele", "main", "README.md")
	if err != nil {
		t.Fatalf("warm cache, offline: %v", err)
	}
	if readFile(t, p) != files["README.md"] {
		t.Error("offline read the wrong content")
	}
	if _, err := off.List(ctx, hub.Dataset, "facebook/belebele", "main"); err != nil {
		t.Errorf("warm listing, offline: %v", err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		want []string
	}{
		{"cold file", func() error {
			_, err := off.Download(ctx, hub.Dataset, "facebook/belebele", "main", "data/big.jsonl")
			return err
		}, []string{"dataset facebook/belebele at revision main, file data/big.jsonl", "not in the cache", "HF_HUB_OFFLINE=1"}},
		{"cold revision", func() error {
			_, err := off.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "README.md")
			return err
		}, []string{"revision " + pinnedRev + ", file README.md", "HF_HUB_OFFLINE=1"}},
		{"cold listing", func() error {
			_, err := off.List(ctx, hub.Model, "org/tiny-model", "main")
			return err
		}, []string{"model org/tiny-model at revision main", "listing is not in the cache", "HF_HUB_OFFLINE=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, hub.ErrOffline) {
				t.Fatalf("error %v is not ErrOffline", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("offline client sent %d requests: %+v", n, srv.Requests())
	}
}

func TestResumeAfterTruncation(t *testing.T) {
	root, files := fixture(t)
	want := files["data/big.jsonl"]
	ctx := context.Background()

	t.Run("within one call", func(t *testing.T) {
		srv := hubtest.NewServer(t, root)
		c := hubtest.NewClient(t, srv)
		srv.TruncateNext(1, 30_000, "big.jsonl")
		p, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "data/big.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		if readFile(t, p) != want {
			t.Fatal("resumed file differs")
		}
		var ranges []string
		for _, r := range srv.Requests() {
			if r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/cdn/") {
				ranges = append(ranges, r.Range)
			}
		}
		if diff := cmp.Diff([]string{"", "bytes=30000-"}, ranges); diff != "" {
			t.Errorf("GET ranges (-want +got):\n%s", diff)
		}
	})

	t.Run("across runs", func(t *testing.T) {
		srv := hubtest.NewServer(t, root)
		cache := t.TempDir()
		c1 := hubtest.NewClient(t, srv, hub.WithCacheDir(cache), hub.WithRetries(0))
		srv.TruncateNext(1, 12_345, "big.jsonl")
		_, err := c1.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "data/big.jsonl")
		if err == nil || !strings.Contains(err.Error(), "giving up after 1 attempts") {
			t.Fatalf("want a failed first run, got %v", err)
		}
		partials, _ := filepath.Glob(filepath.Join(cache, "datasets--facebook--belebele", "blobs", "*.incomplete"))
		if len(partials) != 1 {
			t.Fatalf("want one .incomplete file after the failed run, have %v", partials)
		}
		srv.ResetLog()
		c2 := hubtest.NewClient(t, srv, hub.WithCacheDir(cache))
		p, err := c2.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "data/big.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		if readFile(t, p) != want {
			t.Fatal("resumed file differs")
		}
		if n := srv.Count(http.MethodGet, "/cdn/"); n != 1 || srv.Requests()[len(srv.Requests())-1].Range != "bytes=12345-" {
			t.Errorf("second run should send one Range GET from 12345; log %+v", srv.Requests())
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(partials[0]), "*.incomplete")); len(left) != 0 {
			t.Errorf("partial files left behind: %v", left)
		}
	})
}

func TestRetries(t *testing.T) {
	root, files := fixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		fails      int
		status     int
		retryAfter string
		method     string // of the requests counted
		match      string
		retries    int
		wantErr    string
		wantCalls  int // requests matching match
	}{
		{"503 twice on HEAD", 2, 503, "", http.MethodHead, "/resolve/", 5, "", 3},
		{"429 on the CDN GET", 2, 429, "", http.MethodGet, "/cdn/", 5, "", 3},
		{"500 until giving up", 10, 500, "", http.MethodHead, "/resolve/", 2, "giving up after 3 attempts", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := hubtest.NewServer(t, root)
			c := hubtest.NewClient(t, srv, hub.WithRetries(tc.retries))
			srv.FailNext(tc.fails, tc.status, tc.retryAfter, tc.match)
			p, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "data/big.jsonl")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if readFile(t, p) != files["data/big.jsonl"] {
				t.Fatal("content differs")
			}
			if tc.match != "" {
				if n := srv.Count(tc.method, tc.match); n != tc.wantCalls {
					t.Errorf("%d requests on %s, want %d", n, tc.match, tc.wantCalls)
				}
			}
		})
	}
	t.Run("404 is not retried", func(t *testing.T) {
		srv := hubtest.NewServer(t, root)
		c := hubtest.NewClient(t, srv)
		_, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "nope.txt")
		if !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("error %v", err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%d requests for a 404, want 1", n)
		}
	})
	t.Run("Retry-After is honoured", func(t *testing.T) {
		srv := hubtest.NewServer(t, root)
		c := hubtest.NewClient(t, srv)
		srv.FailNext(1, 429, "1", "/resolve/")
		start := time.Now()
		if _, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "README.md"); err != nil {
			t.Fatal(err)
		}
		// The backoff alone is at most 10ms here; only Retry-After explains a 1s wait.
		if waited := time.Since(start); waited < 900*time.Millisecond {
			t.Errorf("retried after %v, Retry-After asked for 1s", waited)
		}
	})
	t.Run("stalled server is abandoned and retried", func(t *testing.T) {
		srv := hubtest.NewServer(t, root)
		c := hubtest.NewClient(t, srv, hub.WithTimeout(50*time.Millisecond), hub.WithRetries(1))
		srv.SetDelay(500 * time.Millisecond)
		_, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "README.md")
		if err == nil || !strings.Contains(err.Error(), "giving up after 2 attempts") {
			t.Fatalf("error %v, want giving up after 2 attempts", err)
		}
		srv.SetDelay(0)
		if _, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "README.md"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("cancelled context stops at once", func(t *testing.T) {
		srv := hubtest.NewServer(t, root)
		c := hubtest.NewClient(t, srv, hub.WithBackoff(time.Hour, time.Hour))
		srv.FailNext(1, 503, "", "")
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := c.Download(cctx, hub.Dataset, "facebook/belebele", pinnedRev, "README.md")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestToken(t *testing.T) {
	root, _ := fixture(t)
	srv := hubtest.NewServer(t, root, hubtest.WithToken("hf_secret"))
	ctx := context.Background()
	t.Run("sent as a bearer token", func(t *testing.T) {
		c := hubtest.NewClient(t, srv)
		if _, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "README.md"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.List(ctx, hub.Dataset, "facebook/belebele", pinnedRev); err != nil {
			t.Fatal(err)
		}
		for _, r := range srv.Requests() {
			if r.Auth != "Bearer hf_secret" {
				t.Errorf("%s %s sent Authorization %q", r.Method, r.Path, r.Auth)
			}
		}
	})
	t.Run("gated", func(t *testing.T) {
		gsrv := hubtest.NewServer(t, root, hubtest.WithGated("facebook/belebele"))
		c := hubtest.NewClient(t, gsrv)
		_, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "README.md")
		if !errors.Is(err, hub.ErrUnauthorized) || !strings.Contains(err.Error(), "HTTP 403") ||
			!strings.Contains(err.Error(), "gated: accept its conditions at "+gsrv.URL+"/datasets/facebook/belebele") {
			t.Fatalf("error %v", err)
		}
	})
	for _, tc := range []struct {
		name, token, want string
	}{
		{"missing", "", "repository facebook/belebele not found, or private: if it is private, set HF_TOKEN"},
		{"wrong", "hf_wrong", "the token in use (HF_TOKEN or hub.WithToken) was rejected"},
	} {
		t.Run(tc.name+" token", func(t *testing.T) {
			c := hubtest.NewClient(t, srv, hub.WithToken(tc.token))
			_, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, "README.md")
			if !errors.Is(err, hub.ErrUnauthorized) {
				t.Fatalf("error %v is not ErrUnauthorized", err)
			}
			for _, w := range []string{"HTTP 401", tc.want, "facebook/belebele", "README.md"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestChecksumMismatch(t *testing.T) {
	root, files := fixture(t)
	srv := hubtest.NewServer(t, root)
	c := hubtest.NewClient(t, srv)
	ctx := context.Background()
	for _, tc := range []struct {
		name, path, want string
	}{
		{"LFS file: SHA-256 from X-Linked-Etag", "data/big.jsonl", "SHA-256 of the download is"},
		{"regular file: git blob id from ETag", "data/eng_Latn.jsonl", "git blob id of the download is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.CorruptFile(tc.path, true)
			_, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, tc.path)
			if !errors.Is(err, hub.ErrIntegrity) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrIntegrity saying %q", err, tc.want)
			}
			dir := filepath.Join(c.CacheDir(), "datasets", "facebook--belebele", "files", pinnedRev, "data")
			if left, _ := filepath.Glob(filepath.Join(dir, filepath.Base(tc.path)+"*")); len(left) != 0 {
				t.Errorf("corrupt download left files in the cache: %v", left)
			}
			srv.CorruptFile(tc.path, false)
			p, err := c.Download(ctx, hub.Dataset, "facebook/belebele", pinnedRev, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if readFile(t, p) != files[tc.path] {
				t.Error("content differs after the server was fixed")
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	root, _ := fixture(t)
	srv := hubtest.NewServer(t, root, hubtest.WithRevisions("main"))
	c := hubtest.NewClient(t, srv)
	ctx := context.Background()
	for _, tc := range []struct {
		name                 string
		repo, revision, path string
		want                 string
	}{
		{"file", "facebook/belebele", "main", "data/xxx_Latn.jsonl", "file data/xxx_Latn.jsonl not found in facebook/belebele at revision main"},
		{"repository", "facebook/nope", "main", "README.md", "repository facebook/nope not found"},
		{"revision", "facebook/belebele", "v9", "README.md", "revision v9 not found in facebook/belebele"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Download(ctx, hub.Dataset, tc.repo, tc.revision, tc.path)
			if !errors.Is(err, hub.ErrNotFound) {
				t.Fatalf("error %v does not wrap hub.ErrNotFound", err)
			}
			for _, w := range []string{"HTTP 404", tc.want} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	t.Run("listing", func(t *testing.T) {
		_, err := c.List(ctx, hub.Dataset, "facebook/nope", "main")
		if !errors.Is(err, hub.ErrNotFound) || !strings.Contains(err.Error(), "repository facebook/nope not found") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestList(t *testing.T) {
	root, files := fixture(t)
	srv := hubtest.NewServer(t, root, hubtest.WithPageSize(2))
	c := hubtest.NewClient(t, srv)
	ctx := context.Background()
	var want []string
	for p := range files {
		want = append(want, p)
	}
	got, err := c.List(ctx, hub.Dataset, "facebook/belebele", pinnedRev)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sortedCopy(want), got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	pages := srv.Count(http.MethodGet, "/api/datasets/facebook/belebele/tree/")
	// 6 files + 6 directories at 2 per page.
	if pages != 6 {
		t.Errorf("%d tree pages fetched, want 6", pages)
	}
	entries, err := c.Tree(ctx, hub.Dataset, "facebook/belebele", pinnedRev)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(http.MethodGet, "/tree/"); n != pages {
		t.Errorf("a pinned listing was fetched again (%d pages)", n-pages)
	}
	for _, e := range entries {
		isLFS := e.Path == "data/big.jsonl" || strings.HasSuffix(e.Path, ".parquet")
		if e.Type == "file" && (e.LFS != nil) != isLFS {
			t.Errorf("%s: LFS info %+v", e.Path, e.LFS)
		}
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestConcurrentDownloads(t *testing.T) {
	root, files := fixture(t)
	srv := hubtest.NewServer(t, root)
	c := hubtest.NewClient(t, srv)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := c.Download(context.Background(), hub.Dataset, "facebook/belebele", pinnedRev, "data/big.jsonl")
			if err == nil {
				var data []byte
				data, err = os.ReadFile(p)
				if err == nil && string(data) != files["data/big.jsonl"] {
					err = fmt.Errorf("content differs")
				}
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	if n := srv.Count(http.MethodGet, "/cdn/"); n != 1 {
		t.Errorf("%d downloads of one file, want 1", n)
	}
}

func TestProgressBar(t *testing.T) {
	root, _ := fixture(t)
	srv := hubtest.NewServer(t, root)
	var buf bytes.Buffer
	c := hubtest.NewClient(t, srv, hub.WithProgress(&buf))
	if _, err := c.Download(context.Background(), hub.Dataset, "facebook/belebele", pinnedRev, "data/big.jsonl"); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "facebook/belebele/data/big.jsonl") || !strings.Contains(out, "100%") {
		t.Errorf("progress output %q lacks the file name or 100%%", out)
	}
}

func TestBadReferences(t *testing.T) {
	c, err := hub.New(hub.WithCacheDir(t.TempDir()), hub.WithEndpoint("http://127.0.0.1:1"), hub.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                 string
		repo, revision, path string
		want                 string
	}{
		{"parent path", "a/b", "main", "../x", `unsafe file path "../x"`},
		{"absolute path", "a/b", "main", "/etc/passwd", "absolute"},
		{"unclean path", "a/b", "main", "x//y", "empty component"},
		{"dot path", "a/b", "main", "x/./y", `unsafe file path "x/./y"`},
		{"revision climbs", "a/b", "../../x", "y", `unsafe revision "../../x"`},
		{"revision NUL", "a/b", "ma\x00in", "y", "unsafe revision"},
		{"empty path", "a/b", "main", "", "empty file path"},
		{"three-part repo", "a/b/c", "main", "x", `want "owner/name" or "name"`},
		{"dotdot repo", "a/..", "main", "x", "invalid name"},
		{"empty revision", "a/b", "", "x", `unsafe revision ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Download(context.Background(), hub.Dataset, tc.repo, tc.revision, tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewOptions(t *testing.T) {
	for _, k := range []string{"HF_ENDPOINT", "HF_TOKEN", "HF_HOME", "HF_HUB_OFFLINE", "XDG_CACHE_HOME"} {
		t.Setenv(k, "")
	}
	home := t.TempDir()
	t.Run("environment defaults", func(t *testing.T) {
		t.Setenv("HF_ENDPOINT", "https://hf-mirror.example.com/")
		t.Setenv("HF_TOKEN", "hf_env")
		t.Setenv("HF_HOME", home)
		t.Setenv("HF_HUB_OFFLINE", "true")
		c, err := hub.New()
		if err != nil {
			t.Fatal(err)
		}
		got := []any{c.Endpoint(), c.CacheDir(), c.Offline()}
		want := []any{"https://hf-mirror.example.com", filepath.Join(home, "hub"), true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("options override the environment", func(t *testing.T) {
		t.Setenv("HF_HUB_OFFLINE", "1")
		c, err := hub.New(hub.WithOffline(false), hub.WithEndpoint("http://localhost:8080"), hub.WithCacheDir(home))
		if err != nil {
			t.Fatal(err)
		}
		if c.Offline() || c.Endpoint() != "http://localhost:8080" || c.CacheDir() != home {
			t.Errorf("got %v %v %v", c.Offline(), c.Endpoint(), c.CacheDir())
		}
	})
	t.Run("bad HF_ENDPOINT", func(t *testing.T) {
		t.Setenv("HF_ENDPOINT", "ftp://x")
		if _, err := hub.New(); err == nil || !strings.Contains(err.Error(), "HF_ENDPOINT") {
			t.Errorf("error %v", err)
		}
	})
	for _, tc := range []struct {
		name string
		opt  hub.Option
		want string
	}{
		{"endpoint scheme", hub.WithEndpoint("huggingface.co"), "want an http:// or https:// URL"},
		{"endpoint query", hub.WithEndpoint("https://h.co/?x=1"), "without query"},
		{"token with space", hub.WithToken("hf_ abc"), "white space"},
		{"empty cache dir", hub.WithCacheDir(""), "cache dir is empty"},
		{"negative retries", hub.WithRetries(-1), "want 0..100"},
		{"zero timeout", hub.WithTimeout(0), "want > 0"},
		{"backoff order", hub.WithBackoff(time.Second, time.Millisecond), "want 0 < base <= max"},
		{"nil http client", hub.WithHTTPClient(nil), "http client is nil"},
		{"empty user agent", hub.WithUserAgent(""), "user agent is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hub.New(hub.WithCacheDir(home), tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCachedCommit: a branch download records the commit the Hub served it
// at, a revalidation that finds the file unchanged records the branch's
// new head, and a pinned revision is its own commit.
func TestCachedCommit(t *testing.T) {
	root, _ := fixture(t)
	srv := hubtest.NewServer(t, root)
	c := hubtest.NewClient(t, srv)
	ctx := context.Background()
	repo, file := "org/tiny-model", "config.json"
	if got := c.CachedCommit(hub.Model, repo, "main", file); got != "" {
		t.Errorf("before any download: %q", got)
	}
	if _, err := c.Download(ctx, hub.Model, repo, "main", file); err != nil {
		t.Fatal(err)
	}
	want := hubtest.Commit(repo)
	if got := c.CachedCommit(hub.Model, repo, "main", file); got != want {
		t.Errorf("after download: %q, want %q", got, want)
	}
	// Pretend the branch was seen at an older head: huggingface_hub's
	// refs/main holds the bare commit id.
	ref := filepath.Join(c.CacheDir(), "models--org--tiny-model", "refs", "main")
	b, err := os.ReadFile(ref)
	if err != nil || string(b) != want {
		t.Fatalf("refs/main = %q, %v; want the bare commit %q", b, err, want)
	}
	if err := os.WriteFile(ref, []byte(strings.Repeat("0", 40)), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := c.CachedCommit(hub.Model, repo, "main", file); got != strings.Repeat("0", 40) {
		t.Fatalf("edited ref not read: %q", got)
	}
	if _, err := c.Download(ctx, hub.Model, repo, "main", file); err != nil {
		t.Fatal(err)
	}
	if got := c.CachedCommit(hub.Model, repo, "main", file); got != want {
		t.Errorf("after revalidation: %q, want the branch head %q", got, want)
	}
	if got := c.CachedCommit(hub.Model, repo, want, file); got != want {
		t.Errorf("pinned: %q", got)
	}
}

// TestUnknownHost: a host name that does not resolve (no network, a wrong
// HF_ENDPOINT) fails at once with ErrUnreachable and what to do, for a file
// and for a listing; a temporary resolver failure is still retried.
func TestUnknownHost(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		dnsErr    net.DNSError
		wantDials int
		wantErr   error
	}{
		{"no such host", net.DNSError{Err: "no such host", Name: "hub.example", IsNotFound: true}, 1, hub.ErrUnreachable},
		{"temporary resolver failure", net.DNSError{Err: "server misbehaving", Name: "hub.example", IsTemporary: true}, 3, nil},
	} {
		for _, op := range []string{"download", "list"} {
			t.Run(tc.name+"/"+op, func(t *testing.T) {
				var dials atomic.Int32
				hc := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
					dials.Add(1)
					e := tc.dnsErr
					return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &e}
				}}}
				c, err := hub.New(hub.WithEndpoint("http://hub.example"), hub.WithCacheDir(t.TempDir()), hub.WithOffline(false),
					hub.WithHTTPClient(hc), hub.WithRetries(2), hub.WithBackoff(time.Millisecond, time.Millisecond), hub.WithProgress(nil))
				if err != nil {
					t.Fatal(err)
				}
				if op == "download" {
					_, err = c.Download(ctx, hub.Dataset, "google/xquad", pinnedRev, "README.md")
				} else {
					_, err = c.List(ctx, hub.Dataset, "google/xquad", pinnedRev)
				}
				if err == nil {
					t.Fatal("no error")
				}
				if got := int(dials.Load()); got != tc.wantDials {
					t.Errorf("%d dials, want %d (error %v)", got, tc.wantDials, err)
				}
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), "hub.example") || !strings.Contains(err.Error(), "HF_HUB_OFFLINE=1") {
						t.Errorf("error %v: want %v naming the host and HF_HUB_OFFLINE=1", err, tc.wantErr)
					}
				} else if errors.Is(err, hub.ErrUnreachable) || !strings.Contains(err.Error(), "giving up after 3 attempts") {
					t.Errorf("error %v: want retries given up after 3 attempts", err)
				}
			})
		}
	}
}
