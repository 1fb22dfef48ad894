package builders

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/hub/hubtest"
	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/formats"
)

// TestRealXQuADThroughFakeHub serves the shared XQuAD release as the
// dataset google/xquad, lists it, downloads every language through the
// tasks.Source adapter, and reads it with formats.ReadSQuAD; then reads it
// again offline from the warm cache.
func TestRealXQuADThroughFakeHub(t *testing.T) {
	data := shareddata.Require(t, "xquad")
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "datasets", "google"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(data, filepath.Join(root, "datasets", "google", "xquad")); err != nil {
		t.Fatal(err)
	}
	srv := hubtest.NewServer(t, root, hubtest.WithLFSThreshold(1<<20))
	cache := t.TempDir()
	ctx := context.Background()
	const rev = "51adfef1c1287aab1d2d91b5bead9bcfb9c68583"
	count := func(src HubSource) map[string]int {
		files, err := src.List(ctx, "google/xquad", rev)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, f := range files {
			if !strings.HasPrefix(f, "xquad.") || !strings.HasSuffix(f, ".json") {
				continue
			}
			rc, err := src.Open(ctx, "google/xquad", rev, f)
			if err != nil {
				t.Fatal(err)
			}
			sq, err := formats.ReadSQuAD(rc, f)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range sq.Data {
				for _, p := range a.Paragraphs {
					got[f] += len(p.QAs)
				}
			}
		}
		return got
	}
	online := count(HubSource{Client: hubtest.NewClient(t, srv, hub.WithCacheDir(cache))})
	if len(online) < 8 {
		t.Fatalf("only %d XQuAD languages listed: %v", len(online), online)
	}
	for f, n := range online {
		if n != 1190 {
			t.Errorf("%s: %d questions, want 1190", f, n)
		}
	}
	if srv.Count("GET", "/cdn/") == 0 {
		t.Error("no file above the LFS threshold went through the CDN redirect")
	}
	srv.Close()
	offline, err := hub.New(hub.WithCacheDir(cache), hub.WithOffline(true), hub.WithProgress(nil))
	if err != nil {
		t.Fatal(err)
	}
	again := count(HubSource{Client: offline})
	if len(again) != len(online) {
		t.Errorf("offline read %d files, online %d", len(again), len(online))
	}
}

// TestHubSource: the tasks.Source adapter returns the cached *os.File (a
// Parquet reader uses it in place), lists what the client lists, describes
// endpoint and cache, and turns the hub's 404 into tasks.ErrNotFound.
func TestHubSource(t *testing.T) {
	root := t.TempDir()
	hubtest.WriteRepo(t, root, hub.Dataset, "org/d", map[string]string{"a.jsonl": "{}\n", "b/c.parquet": "PAR1 x PAR1"})
	srv := hubtest.NewServer(t, root)
	c := hubtest.NewClient(t, srv)
	src := HubSource{Client: c}
	ctx := context.Background()
	rc, err := src.Open(ctx, "org/d", "main", "a.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, ok := rc.(*os.File); !ok {
		t.Errorf("Open returned %T, want the cached *os.File", rc)
	}
	want, err := c.List(ctx, hub.Dataset, "org/d", "main")
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.List(ctx, "org/d", "main")
	if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("List = %v, %v; want %v", got, err, want)
	}
	if d := src.Describe(); !strings.Contains(d, srv.URL) || !strings.Contains(d, c.CacheDir()) {
		t.Errorf("Describe() = %q", d)
	}
	if _, err := src.Open(ctx, "org/d", "main", "missing.jsonl"); !errors.Is(err, tasks.ErrNotFound) || !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("missing file: %v, want tasks.ErrNotFound and hub.ErrNotFound", err)
	}
}
