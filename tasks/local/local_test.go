package local

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/gztest"
	"github.com/mimo-mlir/mimo/internal/lines"
	"github.com/mimo-mlir/mimo/tasks"
)

var update = flag.Bool("update", false, "rewrite golden files")

// dirFS loads a testdata folder into a MapFS so cases can overlay it.
func dirFS(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	return m
}

func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(strings.TrimSpace(string(want)), string(b)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", p, d)
	}
}

func TestReadValid(t *testing.T) {
	d, err := Read(dirFS(t, "testdata/valid"), ".")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "valid.golden.json", d)

	// The rules the golden file encodes, spelled out.
	groups := map[string]string{}
	for _, q := range d.Queries {
		groups[q.ID] = q.Group
	}
	if groups["en_q1"] != "q1" || groups["de_q1"] != "q1" || groups["zh_q1"] != "q1" {
		t.Errorf("parallel queries must share group q1: %v", groups)
	}
	if groups["en_q2"] != "everest" {
		t.Errorf("explicit group must win: %v", groups)
	}
	if _, ok := groups["17"]; ok {
		t.Errorf("query 17 has no positive and must be dropped")
	}
	if d.Skipped[SkipNoRelevant] != 1 {
		t.Errorf("Skipped = %v, want 1 %q", d.Skipped, SkipNoRelevant)
	}
	for _, doc := range d.Corpus {
		// doc_en_0 and doc_de_0 (authors' ids, no group field) are relevant
		// to q1 together: one parallel group, named by the first
		// (parallelGroups); doc_en_9 is never relevant and has none.
		want := map[string]string{"doc_en_0": "doc_en_0", "doc_de_0": "doc_en_0", "zh_3_1": "3_1", "en_3_1": "g-everest", "doc_en_9": ""}[doc.ID]
		if doc.Group != want {
			t.Errorf("doc %s group %q, want %q", doc.ID, doc.Group, want)
		}
	}
}

func TestReadBad(t *testing.T) {
	base := dirFS(t, "testdata/valid")
	cases, err := os.ReadDir("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 10 {
		t.Fatalf("only %d bad cases found", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			dir := filepath.Join("testdata/bad", c.Name())
			fsys := fstest.MapFS{}
			for k, v := range base {
				fsys[k] = v
			}
			var want string
			for k, v := range dirFS(t, dir) {
				switch {
				case k == "want_error":
					want = strings.TrimSpace(string(v.Data))
				case strings.HasSuffix(k, ".absent"):
					delete(fsys, strings.TrimSuffix(k, ".absent"))
				default:
					fsys[k] = v
				}
			}
			if want == "" {
				t.Fatalf("%s has no want_error", dir)
			}
			_, err := Read(fsys, ".")
			if err == nil {
				t.Fatalf("Read succeeded, want error containing %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q\ndoes not contain %q", err, want)
			}
		})
	}
}

func TestMissingFileIsNotExist(t *testing.T) {
	fsys := dirFS(t, "testdata/valid")
	delete(fsys, QrelsFile)
	_, err := Read(fsys, ".")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestGzip(t *testing.T) {
	fsys := dirFS(t, "testdata/valid")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(fsys[CorpusFile].Data); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	delete(fsys, CorpusFile)
	fsys[CorpusFile+".gz"] = &fstest.MapFile{Data: buf.Bytes()}
	d, err := Read(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Corpus) != 5 {
		t.Errorf("corpus has %d docs, want 5", len(d.Corpus))
	}
	// Locations name the file actually read.
	fsys[CorpusFile+".gz"] = &fstest.MapFile{Data: []byte("not gzip")}
	if _, err := Read(fsys, "."); err == nil || !strings.Contains(err.Error(), "corpus.jsonl.gz") {
		t.Errorf("err = %v, want one naming corpus.jsonl.gz", err)
	}
}

func TestOpenAndLoad(t *testing.T) {
	// Copy the valid folder under an authors'-style name.
	dir := filepath.Join(t.TempDir(), "Toy_dev")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for k, v := range dirFS(t, "testdata/valid") {
		if err := os.WriteFile(filepath.Join(dir, k), v.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	task, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var _ tasks.Task = task
	m := task.Metadata()
	if m.Name != "Toy_dev" || m.Group != "local" || m.MainScore != "ndcg_at_20" || !strings.HasPrefix(m.Revision, "sha256:") {
		t.Errorf("metadata = %+v", m)
	}

	tests := []struct {
		name        string
		langs       []string
		wantQueries []string
		wantDocs    int
		wantSkipped map[string]int
	}{
		// Counted by hand from testdata/valid: "en" drops the de and zh docs and
		// queries, and en_q1's judgements of those two docs; "de+zh" drops the
		// three en docs and the two en queries, and each kept query's judgement
		// of doc_en_0. Judgements of dropped queries go with them, uncounted.
		{"all", nil, []string{"en_q1", "de_q1", "zh_q1", "en_q2"}, 5, map[string]int{SkipNoRelevant: 1}},
		{"en", []string{"en"}, []string{"en_q1", "en_q2"}, 3, map[string]int{SkipNoRelevant: 1, tasks.SkipDocLang: 2, tasks.SkipQueryLang: 2, tasks.SkipQrelsDocLang: 2}},
		{"de+zh", []string{"de", "zh"}, []string{"de_q1", "zh_q1"}, 2, map[string]int{SkipNoRelevant: 1, tasks.SkipDocLang: 3, tasks.SkipQueryLang: 2, tasks.SkipQrelsDocLang: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := task.Load(context.Background(), tasks.LoadOptions{Langs: tc.langs})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 {
				t.Fatalf("%d datasets, want 1", len(ds))
			}
			d := ds[0]
			if d.Split != "dev" {
				t.Errorf("split %q, want dev (from the folder name)", d.Split)
			}
			var ids []string
			for _, q := range d.Queries {
				ids = append(ids, q.ID)
				for did := range d.Qrels[q.ID] {
					found := false
					for _, doc := range d.Corpus {
						found = found || doc.ID == did
					}
					if !found {
						t.Errorf("qrels of %s name %s, filtered out of the corpus", q.ID, did)
					}
				}
			}
			if diff := cmp.Diff(tc.wantQueries, ids); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
			if len(d.Corpus) != tc.wantDocs {
				t.Errorf("%d docs, want %d", len(d.Corpus), tc.wantDocs)
			}
			if diff := cmp.Diff(tc.wantSkipped, d.Skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenMeta(t *testing.T) {
	fsys := dirFS(t, "testdata/valid")
	fsys[MetaFile] = &fstest.MapFile{Data: []byte(`{"name": "MyTask", "split": "validation", "main_score": "ndcg_at_10", "revision": "v1"}`)}
	task, err := OpenFS(fsys, ".", "mem")
	if err != nil {
		t.Fatal(err)
	}
	m := task.Metadata()
	if m.Name != "MyTask" || m.MainScore != "ndcg_at_10" || m.Revision != "v1" {
		t.Errorf("metadata = %+v", m)
	}
	ds, err := task.Load(context.Background(), tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ds[0].Split != "validation" {
		t.Errorf("split = %q", ds[0].Split)
	}
	fsys[MetaFile] = &fstest.MapFile{Data: []byte(`{"nmae": "typo"}`)} //nolint:misspell // the typo is the test
	if _, err := OpenFS(fsys, ".", "mem"); err == nil || !strings.Contains(err.Error(), "meta.json") {
		t.Errorf("unknown meta field: err = %v, want one naming meta.json", err)
	}
}

func TestRealXQuADIfPresent(t *testing.T) {
	dir := os.Getenv("MIMO_LOCAL_TASK")
	if dir == "" {
		t.Skip("set MIMO_LOCAL_TASK to a folder in the authors' layout (e.g. MMLIR/XQuAD_test) to read real data")
	}
	task, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := task.Load(context.Background(), tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d queries, %d docs, skipped %v", task.Metadata().Name, len(ds[0].Queries), len(ds[0].Corpus), ds[0].Skipped)
}

func TestOpenAll(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"B_test", "A_dev", "notes"} {
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if name == "notes" {
			if err := os.WriteFile(filepath.Join(dir, "readme.txt"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for k, v := range dirFS(t, "testdata/valid") {
			if err := os.WriteFile(filepath.Join(dir, k), v.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ts, err := OpenAll(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, task := range ts {
		names = append(names, task.Metadata().Name)
	}
	if diff := cmp.Diff([]string{"A_dev", "B_test"}, names); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
	ts, err = OpenAll(filepath.Join(root, "A_dev"))
	if err != nil || len(ts) != 1 {
		t.Errorf("a task folder itself: %v, %d tasks", err, len(ts))
	}
	if _, err := OpenAll(filepath.Join(root, "notes")); err == nil || !strings.Contains(err.Error(), "neither it nor a subfolder") {
		t.Errorf("err = %v", err)
	}
}

// BenchmarkRead reads a synthetic task of 2,000 queries and 20,000 docs.
func BenchmarkRead(b *testing.B) {
	var q, c, r strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&c, `{"doc_en_%d": {"text": "Passage number %d talks at some length about a topic, as passages do, with a few more words.", "lang": "en"}}`+"\n", i, i)
	}
	for i := range 2000 {
		fmt.Fprintf(&q, `{"_id": "en_q%d", "text": "What is passage %d about?", "lang": "en"}`+"\n", i, i)
		fmt.Fprintf(&r, `{"en_q%d": {"doc_en_%d": 1, "doc_en_%d": 1}}`+"\n", i, i, i+2000)
	}
	fsys := fstest.MapFS{
		QueriesFile: {Data: []byte(q.String())},
		CorpusFile:  {Data: []byte(c.String())},
		QrelsFile:   {Data: []byte(r.String())},
	}
	b.SetBytes(int64(q.Len() + c.Len() + r.Len()))
	for b.Loop() {
		if _, err := Read(fsys, "."); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLineTooLong: an over-long line in any of the three files is an error
// naming the file as read (plain or .gz), the line and the limit, and
// MIMO_MAX_LINE raises the limit (it lowers it here, to keep the test
// small). Before internal/lines this was "bufio.Scanner: token too long".
func TestLineTooLong(t *testing.T) {
	long := []byte(`{"_id": "x", "text": "` + strings.Repeat("z", 5000) + `"}` + "\n")
	for _, name := range []string{QueriesFile, CorpusFile, QrelsFile} {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s gz=%v", name, gz), func(t *testing.T) {
				t.Setenv(lines.EnvLimit, "4KiB")
				fsys := dirFS(t, "testdata/valid")
				data := append(append([]byte(nil), fsys[name].Data...), long...)
				n := bytes.Count(data, []byte("\n"))
				shown := name
				if gz {
					delete(fsys, name)
					shown = name + ".gz"
					data = gztest.Compress(t, data)
				}
				fsys[shown] = &fstest.MapFile{Data: data}
				_, err := Read(fsys, ".")
				want := fmt.Sprintf("%s:%d: line too long: longer than the limit of 4KiB; set %s", shown, n, lines.EnvLimit)
				if !errors.Is(err, lines.ErrLineTooLong) || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want one containing %q", err, want)
				}
				t.Setenv(lines.EnvLimit, "8KiB")
				if _, err := Read(fsys, "."); errors.Is(err, lines.ErrLineTooLong) {
					t.Errorf("with %s=8KiB: %v", lines.EnvLimit, err)
				}
			})
		}
	}
}

// TestLineEndings: CRLF files, a last line without a newline and a BOM
// read exactly like the LF originals.
func TestLineEndings(t *testing.T) {
	want, err := Read(dirFS(t, "testdata/valid"), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		edit func([]byte) []byte
	}{
		{"CRLF", func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }},
		{"no final newline", func(b []byte) []byte { return bytes.TrimRight(b, "\n") }},
		{"CRLF, no final newline", func(b []byte) []byte {
			return bytes.TrimRight(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")), "\r\n")
		}},
		{"BOM", func(b []byte) []byte { return append([]byte("\xef\xbb\xbf"), b...) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fsys := dirFS(t, "testdata/valid")
			for _, name := range []string{QueriesFile, CorpusFile, QrelsFile} {
				fsys[name] = &fstest.MapFile{Data: tt.edit(fsys[name].Data)}
			}
			got, err := Read(fsys, ".")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("differs from the LF files (-want +got):\n%s", diff)
			}
		})
	}
}
