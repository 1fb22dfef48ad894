package local

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mimo-mlir/mimo/tasks"
)

// FuzzRead feeds fuzzed queries, corpus, qrels and meta.json files to
// OpenFS and Read (issue 12, "Fuzzing, in CI"). The invariant: no panic,
// no hang, no allocation beyond the input's size; an error is non-empty and
// names the file; what Read accepts, written back in the layout, reads the
// same. Seeds: the f.Add calls and testdata/fuzz/FuzzRead/.
//
// flags: bit 0 stores the corpus gzip-compressed (corpus.jsonl.gz), bit 1
// stores the fuzzed corpus bytes as corpus.jsonl.gz as they are (a damaged
// or foreign gzip member).
func FuzzRead(f *testing.F) {
	f.Add(
		[]byte(`{"_id": "en_q1", "text": "Who wrote Hamlet?", "lang": "en"}`+"\n"+`{"_id": 17, "text": "numeric id", "lang": "de"}`+"\n"),
		[]byte(`{"doc_en_0": {"text": "Hamlet is a tragedy.", "lang": "en"}}`+"\n"+`{"doc_de_0": {"text": "Hamlet ist eine Tragödie.", "lang": "de", "title": "Hamlet"}, "x": {"text": "two on a line", "lang": "en"}}`+"\n"),
		[]byte(`{"en_q1": {"doc_en_0": 1, "doc_de_0": 1.0}}`+"\n"+`{"17": {"x": 0}}`+"\n"),
		[]byte(`{"name": "Fuzz", "split": "dev", "languages": ["en", "de"]}`),
		uint8(0))
	f.Add(
		[]byte("\xef\xbb\xbf{\"_id\": \"de_q\", \"text\": \" \", \"lang\": \"de\"}\r\n"),
		[]byte(`{"d": {"text": "t", "lang": "de"}} trailing`),
		[]byte(`{"de_q": {"d": "1"}}`),
		[]byte(`{"unknown": 1}`),
		uint8(1))
	f.Add(
		[]byte(`{"_id": "q", "text": "t", "lang": "en", "group": "g"}`),
		[]byte(`{"d": {"text": "t", "lang": "en"}, "d": {"text": "u", "lang": "en"}}`),
		[]byte(`{"q": {"d": 1e300}}`+"\n"+`{"q": {}}`),
		[]byte(``),
		uint8(2))
	f.Add(readSeed(f, QueriesFile), readSeed(f, CorpusFile), readSeed(f, QrelsFile), []byte(nil), uint8(0))
	f.Fuzz(func(t *testing.T, queries, corpus, qrels, meta []byte, flags uint8) {
		if len(queries)+len(corpus)+len(qrels)+len(meta) > 1<<20 {
			t.Skip()
		}
		fsys := fstest.MapFS{
			"task/" + QueriesFile: {Data: queries},
			"task/" + QrelsFile:   {Data: qrels},
		}
		if meta != nil {
			fsys["task/"+MetaFile] = &fstest.MapFile{Data: meta}
		}
		switch {
		case flags&2 != 0:
			fsys["task/"+CorpusFile+".gz"] = &fstest.MapFile{Data: corpus}
		case flags&1 != 0:
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(corpus) // a bytes.Buffer does not fail
			zw.Close()
			fsys["task/"+CorpusFile+".gz"] = &fstest.MapFile{Data: buf.Bytes()}
		default:
			fsys["task/"+CorpusFile] = &fstest.MapFile{Data: corpus}
		}
		task, err := OpenFS(fsys, "task", "fuzz-task")
		if err != nil {
			checkErrNames(t, err, "fuzz-task")
			return
		}
		d, err := Read(fsys, "task")
		if err != nil {
			checkErrNames(t, err, "task/")
			return
		}
		if _, err := task.Load(t.Context(), tasks.LoadOptions{Langs: []string{"en"}}); err != nil {
			t.Fatalf("Read accepted the folder but Load failed: %v", err)
		}
		for _, q := range d.Queries {
			if q.ID == "" || q.Lang == "" || strings.TrimSpace(q.Text) == "" {
				t.Fatalf("query %+v accepted with an empty field", q)
			}
		}
		// Round trip through the layout.
		back := writeLayout(t, d)
		d2, err := Read(back, ".")
		if err != nil {
			t.Fatalf("dataset written back does not read: %v", err)
		}
		if diff := cmp.Diff(d, d2, cmpopts.IgnoreFields(tasks.Dataset{}, "Skipped"), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip differs (-first +second):\n%s", diff)
		}
	})
}

func readSeed(f *testing.F, name string) []byte {
	f.Helper()
	b, err := os.ReadFile("testdata/valid/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func checkErrNames(t *testing.T, err error, want string) {
	t.Helper()
	msg := err.Error()
	if strings.TrimSpace(msg) == "" {
		t.Fatalf("empty error %#v", err)
	}
	if !strings.Contains(msg, want) {
		t.Fatalf("error %q does not name the input %q", msg, want)
	}
}

// writeLayout writes d as the three files of the layout, one record a line.
func writeLayout(t *testing.T, d tasks.Dataset) fstest.MapFS {
	t.Helper()
	enc := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return append(b, '\n')
	}
	var qs, cs, rs []byte
	for _, q := range d.Queries {
		qs = append(qs, enc(map[string]string{"_id": q.ID, "text": q.Text, "lang": q.Lang, "group": q.Group})...)
		if m := d.Qrels[q.ID]; len(m) > 0 {
			rs = append(rs, enc(map[string]map[string]int{q.ID: m})...)
		}
	}
	for _, doc := range d.Corpus {
		cs = append(cs, enc(map[string]map[string]string{doc.ID: {"text": doc.Text, "lang": doc.Lang, "group": doc.Group}})...)
	}
	return fstest.MapFS{
		QueriesFile: {Data: qs},
		CorpusFile:  {Data: cs},
		QrelsFile:   {Data: rs},
	}
}
