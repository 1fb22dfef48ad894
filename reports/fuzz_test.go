package reports

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad reads a fuzzed MTEB result file, with a fuzzed model_meta.json
// and extras file beside it, next to the real results of
// testdata/results/mimo-mini__infonce, and renders the report and its
// figures from whatever Load accepts (issue 12, "Fuzzing, in CI"). The
// invariant: no panic, no hang; a file Load cannot use is a Problem with a
// non-empty reason and its path, never a failure of the whole load. Seeds:
// the real result files, the f.Add calls and testdata/fuzz/FuzzLoad/.
func FuzzLoad(f *testing.F) {
	const real = "testdata/results/mimo-mini__infonce/v1"
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(real, p))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(read("XQuADMLIR.json"), read("model_meta.json"), read("mimo/XQuADMLIR.json"), false)
	f.Add(read("BelebeleMLIR.json"), []byte(nil), read("mimo/BelebeleMLIR.json"), true)
	f.Add([]byte(`{"mteb_dataset_name": "XQuADRetrieval", "test": {"ndcg_at_10": 0.5}}`), []byte(`{"name": ""}`), []byte(nil), false)
	f.Add([]byte(`{"task_name": "MIRACLRetrieval", "scores": {"dev": [{"hf_subset": "de", "languages": ["deu-Latn"], "main_score": "NaN"}], "train": []}}`), []byte(`[]`), []byte(`{"subsets": [{"split": "dev", "by_query_lang": {"de": {}}}]}`), false)
	f.Add([]byte(`{"task_name": "XQuADRetrieval", "scores": {"zz": [{"main_score": 1e308}, {"main_score": -1e308}]}}`), []byte(nil), []byte(`{"subsets": null}`), true)
	f.Fuzz(func(t *testing.T, result, meta, extras []byte, figures bool) {
		if len(result)+len(meta)+len(extras) > 1<<20 {
			t.Skip()
		}
		root := t.TempDir()
		other := filepath.Join(root, "mimo-mini__infonce", "v1")
		for _, name := range []string{"XQuADMLIR.json", "BelebeleMLIR.json", "model_meta.json", "mimo/XQuADMLIR.json", "mimo/BelebeleMLIR.json"} {
			b, err := os.ReadFile(filepath.Join(real, name))
			if err != nil {
				t.Fatal(err)
			}
			writeFuzzFile(t, filepath.Join(other, name), b)
		}
		rev := filepath.Join(root, "org__fuzzed", "rev1")
		writeFuzzFile(t, filepath.Join(rev, "XQuADMLIR.json"), result)
		if meta != nil {
			writeFuzzFile(t, filepath.Join(rev, "model_meta.json"), meta)
		}
		if extras != nil {
			writeFuzzFile(t, filepath.Join(rev, "mimo", "XQuADMLIR.json"), extras)
		}
		entries, problems, err := Load(root)
		if err != nil {
			t.Fatalf("one bad file failed the whole load: %v", err)
		}
		for _, p := range problems {
			if p.Err == nil || strings.TrimSpace(p.Err.Error()) == "" || p.Path == "" {
				t.Fatalf("problem without a reason or path: %+v", p)
			}
		}
		var figs []Figure
		// Drawing the figures takes 0.1 s (PNG encoding): only one input
		// in four with the flag set draws them, so the rest runs often.
		if figures && len(result)%4 == 0 {
			if figs, err = WriteFigures(entries, filepath.Join(root, "figures")); err != nil && err.Error() == "" {
				t.Fatal("empty error from WriteFigures")
			}
		}
		if err := Render(io.Discard, entries, problems, figs, Options{}); err != nil && err.Error() == "" {
			t.Fatal("empty error from Render")
		}
	})
}

func writeFuzzFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
