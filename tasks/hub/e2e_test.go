package hub_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/tasks/formats"
	"github.com/mimo-mlir/mimo/tasks/hub"
	"github.com/mimo-mlir/mimo/tasks/hub/hubtest"
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
	count := func(src hub.DatasetSource) map[string]int {
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
	online := count(hub.DatasetSource{Client: hubtest.NewClient(t, srv, hub.WithCacheDir(cache))})
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
	again := count(hub.DatasetSource{Client: offline})
	if len(again) != len(online) {
		t.Errorf("offline read %d files, online %d", len(again), len(online))
	}
}
