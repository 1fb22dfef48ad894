package local

import (
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/tasks"
)

// treeFS loads a testdata folder, subfolders included, into a MapFS.
func treeFS(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// withHFCache adds what `hf download --local-dir` writes beside the files
// (huggingface_hub's _local_folder.py): .cache/huggingface/.gitignore
// ("*") and one .metadata file per download. Kept out of testdata, where
// that .gitignore would hide itself from git.
func withHFCache(m fstest.MapFS) fstest.MapFS {
	m[".cache/huggingface/.gitignore"] = &fstest.MapFile{Data: []byte("*")}
	m[".cache/huggingface/download/README.md.metadata"] = &fstest.MapFile{Data: []byte("0123456789abcdef0123456789abcdef01234567\n\"etag\"\n1767225600.0\n")}
	m[".cache/huggingface/download/corpus/test-00000-of-00001.parquet.metadata"] = &fstest.MapFile{Data: []byte("x\n")}
	return m
}

// TestLayouts reads each fixture folder through OpenFS and Load, as a
// user's folder is read, and compares the Dataset with its golden file.
func TestLayouts(t *testing.T) {
	tests := []struct {
		name     string
		dir      string
		edit     func(fstest.MapFS)
		opts     []Option
		layout   Layout
		split    string
		lang     string
		golden   string
		descPart string
	}{
		{name: "BEIR", dir: "testdata/beir/scifact-mini", layout: LayoutBEIR, split: "test", lang: "und",
			golden: "beir-scifact-mini.golden.json", descPart: `so every query and document is tagged "und"`},
		{name: "BEIR meta.json language", dir: "testdata/beir/scifact-mini", layout: LayoutBEIR, split: "test", lang: "en",
			edit:   func(m fstest.MapFS) { m[MetaFile] = &fstest.MapFile{Data: []byte(`{"languages": ["en"]}`)} },
			golden: "beir-scifact-mini-en.golden.json", descPart: `language "en" from meta.json`},
		{name: "BEIR train split", dir: "testdata/beir/scifact-mini", layout: LayoutBEIR, split: "train", lang: "und",
			opts: []Option{WithSplit("train")}, golden: "beir-scifact-mini-train.golden.json"},
		{name: "BEIR gzipped", dir: "testdata/beir/scifact-mini", layout: LayoutBEIR, split: "test", lang: "und",
			edit: func(m fstest.MapFS) {
				for _, n := range []string{CorpusFile, QueriesFile} {
					m[n+".gz"] = &fstest.MapFile{Data: gz(t, m[n].Data)}
					delete(m, n)
				}
			}, golden: "beir-scifact-mini.golden.json"},
		{name: "BEIR LF qrels", dir: "testdata/beir/scifact-mini", layout: LayoutBEIR, split: "test", lang: "und",
			edit: func(m fstest.MapFS) {
				m["qrels/test.tsv"] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(string(m["qrels/test.tsv"].Data), "\r\n", "\n"))}
			}, golden: "beir-scifact-mini.golden.json"},
		{name: "MTEB JSON lines", dir: "testdata/mteb/nfcorpus-mini", layout: LayoutMTEB, split: "test", lang: "eng",
			golden: "mteb-nfcorpus-mini.golden.json", descPart: `MTEB retrieval folder (README.md configs)`},
		{name: "MTEB JSON lines dev", dir: "testdata/mteb/nfcorpus-mini", layout: LayoutMTEB, split: "dev", lang: "eng",
			edit:   func(m fstest.MapFS) { m[MetaFile] = &fstest.MapFile{Data: []byte(`{"split": "dev"}`)} },
			golden: "mteb-nfcorpus-mini-dev.golden.json"},
		{name: "MTEB parquet", dir: "testdata/mteb/greennode-mini", layout: LayoutMTEB, split: "test", lang: "vie",
			edit: func(m fstest.MapFS) { withHFCache(m) }, golden: "mteb-greennode-mini.golden.json", descPart: `language "vie" from README.md`},
		{name: "MTEB conventional folders", dir: "testdata/mteb/greennode-mini", layout: LayoutMTEB, split: "test", lang: "und",
			edit: func(m fstest.MapFS) {
				delete(m, CardFile)
				delete(m, "qrels/test.jsonl")
				delete(m, "qrels/train.jsonl")
				withHFCache(m)
			}, golden: "mteb-greennode-mini-conventional.golden.json", descPart: "conventional folders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := treeFS(t, tt.dir)
			if tt.edit != nil {
				tt.edit(fsys)
			}
			task, err := OpenFS(fsys, ".", filepath.Base(tt.dir), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if task.Layout() != tt.layout {
				t.Errorf("layout %v, want %v", task.Layout(), tt.layout)
			}
			m := task.Metadata()
			if m.MainScore != "ndcg_at_10" || !strings.HasPrefix(m.Revision, "sha256:") || m.Name != filepath.Base(tt.dir) {
				t.Errorf("metadata %+v", m)
			}
			if d := cmp.Diff([]string{tt.lang}, m.Languages); d != "" {
				t.Errorf("languages (-want +got):\n%s", d)
			}
			if !strings.Contains(m.Description, tt.descPart) {
				t.Errorf("description %q lacks %q", m.Description, tt.descPart)
			}
			ds, err := task.Load(context.Background(), tasks.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 || ds[0].Split != tt.split {
				t.Fatalf("%d datasets, split %q; want 1, %q", len(ds), ds[0].Split, tt.split)
			}
			golden(t, tt.golden, ds[0])
		})
	}
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
