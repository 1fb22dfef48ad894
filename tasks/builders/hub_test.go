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
)

// hubRoot is the fixture folder as the fake Hub serves it:
// hubRoot/datasets/<org>/<name>/<files>.
const hubRoot = "testdata/hub"

// TestBuildersThroughHub runs every golden case through the real hub client
// against a local server in the Hub's URL layout (resolve URLs, LFS
// redirects for Parquet, the tree API for listings), then again from the
// warm cache with HF_HUB_OFFLINE=1 and no request reaching the server.
func TestBuildersThroughHub(t *testing.T) {
	srv := hubtest.NewServer(t, hubRoot, hubtest.WithPageSize(7))
	cache := t.TempDir()
	online := hubtest.NewClient(t, srv, hub.WithCacheDir(cache))

	t.Run("online", func(t *testing.T) {
		runGoldenCases(t, HubSource{Client: online})
	})
	if srv.Count("", "") == 0 {
		t.Fatal("the online run made no request to the fake Hub")
	}
	for _, repo := range []string{"facebook/belebele", "google/xquad", "facebook/mlqa", "unimelb-nlp/MultiEup-v2",
		NeuCLIR2022Ref.Repo, NeuCLIR2023Ref.Repo, "neuclir/bench", MIRACLRef.Repo} {
		if srv.Count("", repo) == 0 {
			t.Errorf("no request for %s", repo)
		}
	}
	if n := srv.Count("", "fas-corpus"); n != 0 {
		t.Errorf("%d requests for NeuCLIR's fas corpus, which the task excludes", n)
	}

	t.Run("offline warm cache", func(t *testing.T) {
		srv.ResetLog()
		t.Setenv("HF_HUB_OFFLINE", "1")
		t.Setenv("HF_ENDPOINT", srv.URL)
		t.Setenv("HF_HOME", t.TempDir()) // not used: the cache is given
		c, err := hub.New(hub.WithCacheDir(cache), hub.WithToken(srv.Token()), hub.WithProgress(nil))
		if err != nil {
			t.Fatal(err)
		}
		if !c.Offline() {
			t.Fatal("HF_HUB_OFFLINE=1 did not make the client offline")
		}
		runGoldenCases(t, HubSource{Client: c})
		if reqs := srv.Requests(); len(reqs) != 0 {
			t.Errorf("offline run sent %d requests, first %+v", len(reqs), reqs[0])
		}
	})

	t.Run("offline cold cache", func(t *testing.T) {
		c := hubtest.NewClient(t, srv, hub.WithOffline(true))
		task, err := New("XQuADMLIR", HubSource{Client: c})
		if err != nil {
			t.Fatal(err)
		}
		_, err = task.Load(context.Background(), tasks.LoadOptions{})
		if !errors.Is(err, hub.ErrOffline) || !strings.Contains(err.Error(), "google/xquad") {
			t.Errorf("cold offline load: %v, want ErrOffline naming google/xquad", err)
		}
	})
}

// TestDefaultSourceFromEnvironment: registered tasks, with no Source set,
// read the Hub named by HF_ENDPOINT into the cache under HF_HOME.
func TestDefaultSourceFromEnvironment(t *testing.T) {
	srv := hubtest.NewServer(t, hubRoot)
	t.Setenv("HF_ENDPOINT", srv.URL)
	t.Setenv("HF_HOME", t.TempDir())
	t.Setenv("HF_HUB_OFFLINE", "")
	t.Setenv("HF_TOKEN", srv.Token())
	sel, err := tasks.Select("neuclir2022")
	if err != nil {
		t.Fatal(err)
	}
	task, err := sel[0].(*Task).WithRevision(NeuCLIRBenchRef.Repo, testBenchRev)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := task.Load(context.Background(), tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds[0].Queries) != 2 || len(ds[0].Corpus) != 4 {
		t.Errorf("got %d queries, %d docs; want 2, 4", len(ds[0].Queries), len(ds[0].Corpus))
	}
	if srv.Count("", NeuCLIR2022Ref.Revision) == 0 {
		t.Errorf("no request at the pinned revision %s", NeuCLIR2022Ref.Revision)
	}
}

// TestXQuADRealThroughHub serves the real XQuAD JSON files from the fake
// Hub (copied into a temporary folder) and checks the paper's sizes.
func TestXQuADRealThroughHub(t *testing.T) {
	realXQuAD := filepath.Dir(shareddata.Require(t, "xquad", "xquad.en.json"))
	root := t.TempDir()
	files := map[string]string{}
	for _, l := range XQuADLangs {
		b, err := os.ReadFile(filepath.Join(realXQuAD, "xquad."+l+".json"))
		if err != nil {
			t.Fatal(err)
		}
		files["xquad."+l+".json"] = string(b)
	}
	hubtest.WriteRepo(t, root, hub.Dataset, XQuADRef.Repo, files)
	srv := hubtest.NewServer(t, root)
	ds, err := BuildXQuAD(context.Background(), HubSource{Client: hubtest.NewClient(t, srv)}, XQuADRef, tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := tasks.Stats(ds[0])
	if total := st[len(st)-1]; total.Queries != 9520 || total.Docs != 1920 || total.Qrels != 76160 {
		t.Errorf("totals %+v, want 9520 queries, 1920 docs, 76160 qrels", total)
	}
}
