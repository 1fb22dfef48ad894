package local

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/gztest"
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
					m[n+".gz"] = &fstest.MapFile{Data: gztest.Compress(t, m[n].Data)}
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

// TestSplitChoice: WithSplit, then meta.json, then "test", then the only
// split; several without "test" is an error listing them.
func TestSplitChoice(t *testing.T) {
	onlyDev := func(m fstest.MapFS) {
		m["qrels/dev.tsv"] = m["qrels/test.tsv"]
		delete(m, "qrels/test.tsv")
		delete(m, "qrels/train.tsv")
	}
	devTrain := func(m fstest.MapFS) {
		m["qrels/dev.tsv"] = m["qrels/test.tsv"]
		delete(m, "qrels/test.tsv")
	}
	tests := []struct {
		name    string
		dir     string
		edit    func(fstest.MapFS)
		opts    []Option
		want    string
		wantErr string
	}{
		{"BEIR test among several", "testdata/beir/scifact-mini", nil, nil, "test", ""},
		{"BEIR option", "testdata/beir/scifact-mini", nil, []Option{WithSplit("train")}, "train", ""},
		{"BEIR meta.json", "testdata/beir/scifact-mini", func(m fstest.MapFS) { m[MetaFile] = &fstest.MapFile{Data: []byte(`{"split": "train"}`)} }, nil, "train", ""},
		{"BEIR option beats meta.json", "testdata/beir/scifact-mini", func(m fstest.MapFS) { m[MetaFile] = &fstest.MapFile{Data: []byte(`{"split": "train"}`)} },
			[]Option{WithSplit("test")}, "test", ""},
		{"BEIR only split", "testdata/beir/scifact-mini", onlyDev, nil, "dev", ""},
		{"BEIR several, no test", "testdata/beir/scifact-mini", devTrain, nil, "",
			`several splits (qrels/*.tsv has dev, train) and none is "test": choose one with meta.json's "split" or WithSplit`},
		{"BEIR missing split", "testdata/beir/scifact-mini", nil, []Option{WithSplit("validation")}, "",
			`split "validation": no such qrels file (qrels/*.tsv has test, train)`},
		{"MTEB test among several", "testdata/mteb/nfcorpus-mini", nil, nil, "test", ""},
		{"MTEB option", "testdata/mteb/nfcorpus-mini", nil, []Option{WithSplit("train")}, "train", ""},
		{"MTEB missing split", "testdata/mteb/nfcorpus-mini", nil, []Option{WithSplit("validation")}, "",
			`README.md configs: qrels: split "validation" not found among train, dev, test`},
		{"MTEB several, no test", "testdata/mteb/nfcorpus-mini", func(m fstest.MapFS) {
			m[CardFile] = &fstest.MapFile{Data: bytes.Replace(m[CardFile].Data, []byte("  - split: test\n    path: qrels/test.jsonl\n"), nil, 1)}
		}, nil, "", `README.md configs: the qrels have splits train, dev and none is "test"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := treeFS(t, tt.dir)
			if tt.edit != nil {
				tt.edit(fsys)
			}
			d, err := openLoad(fsys, tt.opts...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Split != tt.want {
				t.Errorf("split %q, want %q", d.Split, tt.want)
			}
		})
	}
}

// TestLanguageChoice: one language in meta.json wins, then the card's one
// language; several or none give "und", said in the description.
func TestLanguageChoice(t *testing.T) {
	tests := []struct {
		name, dir, meta, card string
		want, desc            string
	}{
		{"BEIR none", "testdata/beir/scifact-mini", "", "", "und", `meta.json names none, so every query and document is tagged "und"`},
		{"BEIR one", "testdata/beir/scifact-mini", `{"languages": ["de"]}`, "", "de", `language "de" from meta.json`},
		{"BEIR several", "testdata/beir/scifact-mini", `{"languages": ["de", "en"]}`, "", "und", `meta.json names several`},
		{"MTEB card", "testdata/mteb/nfcorpus-mini", "", "", "eng", `language "eng" from README.md`},
		{"MTEB meta.json beats card", "testdata/mteb/nfcorpus-mini", `{"languages": ["eng-Latn"]}`, "", "eng-Latn", `from meta.json`},
		{"MTEB card with two", "testdata/mteb/nfcorpus-mini", "", "- eng\n- deu\n", "und", `tagged "und"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := treeFS(t, tt.dir)
			if tt.meta != "" {
				fsys[MetaFile] = &fstest.MapFile{Data: []byte(tt.meta)}
			}
			if tt.card != "" {
				fsys[CardFile] = &fstest.MapFile{Data: bytes.Replace(fsys[CardFile].Data, []byte("language:\n- eng\n"), []byte("language:\n"+tt.card), 1)}
			}
			task, err := OpenFS(fsys, ".", "x")
			if err != nil {
				t.Fatal(err)
			}
			m := task.Metadata()
			if len(m.Languages) != 1 || m.Languages[0] != tt.want || !strings.Contains(m.Description, tt.desc) {
				t.Errorf("languages %v, description %q; want [%s] and %q", m.Languages, m.Description, tt.want, tt.desc)
			}
			ds, err := task.Load(context.Background(), tasks.LoadOptions{Langs: []string{tt.want}})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds[0].Queries) == 0 || ds[0].Queries[0].Lang != tt.want {
				t.Errorf("--langs %s keeps %d queries", tt.want, len(ds[0].Queries))
			}
		})
	}
}

func TestDetectLayout(t *testing.T) {
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    Layout
		wantErr string
	}{
		{"MIMO", fstest.MapFS{QueriesFile: {}, CorpusFile: {}, QrelsFile: {}}, LayoutMIMO, ""},
		{"MIMO gz", fstest.MapFS{QueriesFile + ".gz": {}, CorpusFile + ".gz": {}, QrelsFile + ".gz": {}}, LayoutMIMO, ""},
		{"MIMO without qrels names the file later", fstest.MapFS{QueriesFile: {}, CorpusFile: {}}, LayoutMIMO, ""},
		{"BEIR", fstest.MapFS{QueriesFile: {}, CorpusFile: {}, "qrels/test.tsv": {}}, LayoutBEIR, ""},
		{"MTEB card", fstest.MapFS{CardFile: {Data: []byte("---\nconfigs:\n- config_name: corpus\n  data_files: c.jsonl\n---\n")}, "qrels/test.jsonl": {}}, LayoutMTEB, ""},
		{"MTEB card beside queries.jsonl", fstest.MapFS{CardFile: {Data: []byte("---\nconfigs:\n- config_name: corpus\n  data_files: corpus.jsonl\n---\n")}, QueriesFile: {}, CorpusFile: {}, "qrels/test.jsonl": {}}, LayoutMTEB, ""},
		{"MTEB conventional", fstest.MapFS{"corpus/test-00000-of-00001.parquet": {}, "queries/test-00000-of-00001.parquet": {}, "qrels/test-00000-of-00001.parquet": {}}, LayoutMTEB, ""},
		{"card without configs", fstest.MapFS{CardFile: {Data: []byte("---\nlicense: mit\n---\n# hi\n")}}, 0, "not a task folder"},
		{"both MIMO and BEIR", fstest.MapFS{QueriesFile: {}, CorpusFile: {}, QrelsFile: {}, "qrels/test.tsv": {}}, 0, "both qrels.jsonl"},
		{"empty", fstest.MapFS{"notes.txt": {}}, 0, "not a task folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DetectLayout(tt.files, ".")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("DetectLayout = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestOpenAllLayouts: a folder of BEIR and MTEB downloads opens as one
// task per subfolder, and each is a task folder itself.
func TestOpenAllLayouts(t *testing.T) {
	root := t.TempDir()
	for name, src := range map[string]string{"scifact": "testdata/beir/scifact-mini", "nfcorpus": "testdata/mteb/nfcorpus-mini", "greennode": "testdata/mteb/greennode-mini"} {
		for p, f := range withHFCache(treeFS(t, src)) {
			dst := filepath.Join(root, name, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if !IsTaskDir(filepath.Join(root, name)) {
			t.Errorf("IsTaskDir(%s) = false", name)
		}
	}
	if IsTaskDir(root) {
		t.Errorf("IsTaskDir(root) = true")
	}
	ts, err := OpenAll(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, task := range ts {
		got = append(got, task.Metadata().Name+":"+task.Layout().String())
	}
	if d := cmp.Diff([]string{"greennode:MTEB", "nfcorpus:MTEB", "scifact:BEIR"}, got); d != "" {
		t.Errorf("tasks (-want +got):\n%s", d)
	}
}
