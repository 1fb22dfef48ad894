package hub_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/hub/hubtest"
)

// rogue is a server that answers every file request with the headers and
// body a test chooses: what a broken or hostile mirror (HF_ENDPOINT) can do.
type rogue struct {
	commit, etag string
	size         string // X-Linked-Size / Content-Length announced; "" for none
	body         func(w http.ResponseWriter)
	sent         atomic.Int64
}

func (g *rogue) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if g.commit != "" {
		h.Set("X-Repo-Commit", g.commit)
	}
	if g.etag != "" {
		h.Set("ETag", `"`+g.etag+`"`)
	}
	if g.size != "" {
		h.Set("Content-Length", g.size)
	}
	if r.Method == http.MethodHead {
		return
	}
	if g.size == "" {
		h.Set("Transfer-Encoding", "chunked")
	}
	g.body(countingWriter{w, &g.sent})
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func writeABC(w http.ResponseWriter) { _, _ = w.Write([]byte("abc")) }

// endless writes up to limit bytes of filler, stopping when the client goes.
func endless(limit int64) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for n := int64(0); n < limit; n += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// cacheFiles lists the regular files and symlinks under dir.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".lock") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

const goodCommit = "0123456789abcdef0123456789abcdef01234567"

// TestRogueServer reproduces issue 12 items 1 and 2 against the hub client:
// a commit that climbs out of the cache, a body longer than announced, a
// body with no size at all, no ETag, and a size over the ceiling. Each is
// refused, nothing enters the cache under a blob's name, and no more than
// the bound is read.
func TestRogueServer(t *testing.T) {
	const ceiling = 1 << 20
	for _, tc := range []struct {
		name     string
		g        *rogue
		want     string
		maxBytes int64 // most bytes the server may get out before the client stops
	}{
		{"commit climbs", &rogue{commit: "../../../../x", etag: "abc", size: "3", body: writeABC}, "not a 40-hex commit id", 0},
		{"no commit", &rogue{etag: "abc", size: "3", body: writeABC}, "not a 40-hex commit id", 0},
		{"no etag", &rogue{commit: goodCommit, size: "3", body: writeABC}, "no ETag", 0},
		{"etag is a path", &rogue{commit: goodCommit, etag: "../../x", size: "3", body: writeABC}, "cannot name a cache file", 0},
		{"announced over ceiling", &rogue{commit: goodCommit, etag: "abc", size: strconv.Itoa(ceiling + 1), body: endless(ceiling + 1)}, "over the download ceiling", 0},
		{"no size, endless", &rogue{commit: goodCommit, etag: "abc", body: endless(400 << 20)}, "larger than the download ceiling", 8 * ceiling},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.g)
			defer srv.Close()
			root := t.TempDir()
			cache := filepath.Join(root, "a", "b", "cache")
			c, err := hub.New(hub.WithEndpoint(srv.URL), hub.WithCacheDir(cache), hub.WithRetries(0), hub.WithProgress(nil), hub.WithMaxBytes(ceiling))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Download(context.Background(), hub.Model, "org/m", "main", "model.onnx")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, hub.ErrIntegrity) {
				t.Fatalf("err = %v, want ErrIntegrity with %q", err, tc.want)
			}
			for _, f := range cacheFiles(t, root) {
				if !strings.HasPrefix(f, cache) {
					t.Errorf("written outside the cache: %s", f)
				}
				if strings.Contains(f, string(filepath.Separator)+"blobs"+string(filepath.Separator)) {
					t.Errorf("left in the cache: %s", f)
				}
			}
			if got := tc.g.sent.Load(); got > tc.maxBytes+(1<<20) {
				t.Errorf("server got %d bytes out; the client should stop near %d", got, tc.maxBytes)
			}
		})
	}
}

// TestBodyLongerThanAnnounced: the case, a file announced as 6,496
// bytes that keeps coming (419 MB were written before). The client reads
// at most size+1 bytes of it.
func TestBodyLongerThanAnnounced(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Repo-Commit", goodCommit)
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("X-Linked-Size", "6496")
		w.Header().Set("X-Linked-Etag", `"`+strings.Repeat("a", 64)+`"`)
		if r.Method == http.MethodHead {
			w.Header().Set("Location", "/cdn")
			w.WriteHeader(http.StatusFound)
			return
		}
		if r.URL.Path != "/cdn" {
			http.Redirect(w, r, "/cdn", http.StatusFound)
			return
		}
		endless(400 << 20)(countingWriter{w, &sent})
	}))
	defer srv.Close()
	cache := t.TempDir()
	c, err := hub.New(hub.WithEndpoint(srv.URL), hub.WithCacheDir(cache), hub.WithRetries(0), hub.WithProgress(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Download(context.Background(), hub.Model, "org/m", "main", "model.safetensors")
	if err == nil || !strings.Contains(err.Error(), "more than the 6496 bytes it announced") {
		t.Fatalf("err = %v", err)
	}
	if n := sent.Load(); n > 64<<20 {
		t.Errorf("the server got %d bytes out before the client stopped", n)
	}
	if fs := cacheFiles(t, filepath.Join(cache, "models--org--m", "blobs")); len(fs) != 0 {
		t.Errorf("left in blobs: %v", fs)
	}
}

// TestUnsafeListing: a listing naming "../x" is refused, not cached.
func TestUnsafeListing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"type":"file","oid":"x","size":1,"path":"ok.txt"},{"type":"file","oid":"y","size":1,"path":"../../evil"}]`))
	}))
	defer srv.Close()
	c, err := hub.New(hub.WithEndpoint(srv.URL), hub.WithCacheDir(t.TempDir()), hub.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.List(context.Background(), hub.Dataset, "org/d", "main")
	if err == nil || !strings.Contains(err.Error(), `unsafe listed path "../../evil"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestTokenNotSentToOtherPort reproduces issue 12 item 3 for HF_TOKEN: the
// Hub (or a mirror) redirecting a download to another port of the same host
// must not receive the token there.
func TestTokenNotSentToOtherPort(t *testing.T) {
	body := "hello"
	sum := sha256.Sum256([]byte(body))
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		_, _ = w.Write([]byte(body))
	}))
	defer other.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Repo-Commit", goodCommit)
		w.Header().Set("X-Linked-Etag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(body)))
		w.Header().Set("Location", other.URL+"/blob")
		w.WriteHeader(http.StatusFound)
	}))
	defer origin.Close()
	c, err := hub.New(hub.WithEndpoint(origin.URL), hub.WithCacheDir(t.TempDir()), hub.WithToken("hf_secret"), hub.WithRetries(0), hub.WithProgress(nil))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Download(context.Background(), hub.Model, "org/m", "main", "model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if readFile(t, p) != body {
		t.Error("wrong content")
	}
	if leaked.Load() != 0 {
		t.Error("HF_TOKEN was sent to another port of the same host")
	}
}

// TestTokenFile: HF_TOKEN wins, else HF_TOKEN_PATH, else $HF_HOME/token, as
// huggingface_hub's get_token reads them.
func TestTokenFile(t *testing.T) {
	home := t.TempDir()
	for _, k := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"} {
		t.Setenv(k, "")
	}
	t.Setenv("HF_HOME", home)
	if err := os.WriteFile(filepath.Join(home, "token"), []byte("hf_fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(other, []byte("  hf_frompath  "), 0o600); err != nil {
		t.Fatal(err)
	}
	root, _ := fixture(t)
	for _, tc := range []struct {
		name, env, path, want string
	}{
		{"HF_HOME/token", "", "", "hf_fromfile"},
		{"HF_TOKEN_PATH", "", other, "hf_frompath"},
		{"HF_TOKEN wins", "hf_env", other, "hf_env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HF_TOKEN", tc.env)
			t.Setenv("HF_TOKEN_PATH", tc.path)
			srv := hubtest.NewServer(t, root, hubtest.WithToken(tc.want))
			srv.RequireToken(tc.want)
			t.Setenv("HF_ENDPOINT", srv.URL)
			c, err := hub.New(hub.WithRetries(0), hub.WithProgress(nil))
			if err != nil {
				t.Fatal(err)
			}
			if c.CacheDir() != filepath.Join(home, "hub") {
				t.Errorf("cache dir %s, want $HF_HOME/hub", c.CacheDir())
			}
			if _, err := c.Download(context.Background(), hub.Model, "org/tiny-model", "main", "config.json"); err != nil {
				t.Fatalf("token %q not used: %v", tc.want, err)
			}
		})
	}
}

// TestReadsPythonCache: a cache filled by huggingface_hub serves a model and
// a dataset offline, by branch and by commit, and a file it lacks is a typed
// offline error (or not-found when .no_exist records the Hub's 404).
func TestReadsPythonCache(t *testing.T) {
	cache := t.TempDir()
	commit := strings.Repeat("ab", 20)
	hubtest.WritePythonCache(t, cache, hub.Model, "org/tiny", commit, map[string]string{
		"config.json": `{"hidden_size":8}`, "onnx/model.onnx": "onnx bytes", "tokenizer.json": "{}",
	})
	hubtest.WritePythonCache(t, cache, hub.Dataset, "google/xquad", commit, map[string]string{"xquad.de.json": `{"data":[]}`})
	if err := os.MkdirAll(filepath.Join(cache, "models--org--tiny", ".no_exist", commit), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "models--org--tiny", ".no_exist", commit, "model.onnx"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := hub.New(hub.WithCacheDir(cache), hub.WithOffline(true), hub.WithEndpoint("http://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		kind       hub.RepoKind
		repo, rev  string
		path, want string
	}{
		{hub.Model, "org/tiny", "main", "onnx/model.onnx", "onnx bytes"},
		{hub.Model, "org/tiny", commit, "config.json", `{"hidden_size":8}`},
		{hub.Dataset, "google/xquad", "main", "xquad.de.json", `{"data":[]}`},
	} {
		p, err := c.Download(ctx, tc.kind, tc.repo, tc.rev, tc.path)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.repo, tc.path, err)
		}
		if got := readFile(t, p); got != tc.want {
			t.Errorf("%s: %q", tc.path, got)
		}
	}
	if got := c.CachedCommit(hub.Model, "org/tiny", "main", "config.json"); got != commit {
		t.Errorf("CachedCommit = %q, want refs/main's %q", got, commit)
	}
	_, err = c.Download(ctx, hub.Model, "org/tiny", "main", "model.safetensors")
	if !errors.Is(err, hub.ErrOffline) || errors.Is(err, hub.ErrNotFound) {
		t.Errorf("uncached file: %v, want ErrOffline only", err)
	}
	_, err = c.Download(ctx, hub.Model, "org/tiny", "main", "model.onnx")
	if !errors.Is(err, hub.ErrOffline) || !errors.Is(err, hub.ErrNotFound) {
		t.Errorf(".no_exist file: %v, want ErrOffline and ErrNotFound", err)
	}
}

// TestWritesPythonLayout: what mimo downloads lands in huggingface_hub's
// layout, byte for byte in the parts Python reads: the blob named by the
// ETag (SHA-256 for LFS files, the git blob id for small ones), a relative
// symlink from the snapshot, refs/main holding the bare commit, and the
// lock under .locks.
func TestWritesPythonLayout(t *testing.T) {
	root, _ := fixture(t)
	srv := hubtest.NewServer(t, root)
	cache := t.TempDir()
	c := hubtest.NewClient(t, srv, hub.WithCacheDir(cache))
	ctx := context.Background()
	for _, p := range []string{"model.onnx", "config.json"} {
		if _, err := c.Download(ctx, hub.Model, "org/tiny-model", "main", p); err != nil {
			t.Fatal(err)
		}
	}
	commit := hubtest.Commit("org/tiny-model")
	repo := filepath.Join(cache, "models--org--tiny-model")
	if b, err := os.ReadFile(filepath.Join(repo, "refs", "main")); err != nil || string(b) != commit {
		t.Errorf("refs/main = %q, %v", b, err)
	}
	onnx := readFile(t, filepath.Join(root, "models", "org", "tiny-model", "model.onnx"))
	sum := sha256.Sum256([]byte(onnx))
	target, err := os.Readlink(filepath.Join(repo, "snapshots", commit, "model.onnx"))
	if err != nil || target != filepath.Join("..", "..", "blobs", hex.EncodeToString(sum[:])) {
		t.Errorf("snapshot link = %q, %v; want ../../blobs/<sha256>", target, err)
	}
	target, err = os.Readlink(filepath.Join(repo, "snapshots", commit, "config.json"))
	if err != nil || !strings.HasPrefix(target, filepath.Join("..", "..", "blobs")) || len(filepath.Base(target)) != 40 {
		t.Errorf("small file link = %q, %v; want ../../blobs/<git blob id>", target, err)
	}
	if locks, _ := filepath.Glob(filepath.Join(cache, ".locks", "models--org--tiny-model", "*.lock")); len(locks) == 0 {
		t.Error("no lock under .locks/models--org--tiny-model")
	}
	// And the other way round: a fresh offline client reads it.
	off, err := hub.New(hub.WithCacheDir(cache), hub.WithOffline(true))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := off.Download(ctx, hub.Model, "org/tiny-model", "main", "model.onnx"); err != nil || readFile(t, p) != onnx {
		t.Errorf("offline read back: %v", err)
	}
}
