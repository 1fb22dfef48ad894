package adapters

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIntOption(t *testing.T) {
	f := Folder{Options: map[string]any{"n": 64.0, "frac": 1.5, "neg": -2.0, "s": "8"}}
	if v, ok, err := f.IntOption("n"); v != 64 || !ok || err != nil {
		t.Errorf("n: %d %v %v", v, ok, err)
	}
	if _, ok, err := f.IntOption("absent"); ok || err != nil {
		t.Errorf("absent: %v %v", ok, err)
	}
	for _, k := range []string{"frac", "neg", "s"} {
		if _, _, err := f.IntOption(k); err == nil || !strings.Contains(err.Error(), "options."+k) {
			t.Errorf("%s: err %v", k, err)
		}
	}
}

func TestLocalRevision(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	r1 := LocalRevision(a, b)
	if !strings.HasPrefix(r1, "local-7-") || strings.Contains(r1, "+") {
		t.Errorf("one file: %q", r1)
	}
	if err := os.WriteFile(b, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r2 := LocalRevision(a, b); !strings.Contains(r2, "+local-1-") {
		t.Errorf("two files: %q", r2)
	}
	if err := os.WriteFile(a, []byte("weights2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r3 := LocalRevision(a); r3 == r1 {
		t.Errorf("rewritten weights keep revision %q", r3)
	}
	if r := LocalRevision(filepath.Join(dir, "none")); r != "" {
		t.Errorf("no file: %q", r)
	}
}

// TestParseFolderStrict is issue 12 item 9: out-of-range numbers, trailing
// JSON, unknown or misspelt fields are refused, naming the field (or where
// the text is wrong).
func TestParseFolderStrict(t *testing.T) {
	cases := []struct {
		name, js string
		want     []string // substrings of the error; nil: accepted
	}{
		{"minimal", `{"kind": "lexical"}`, nil},
		{"trailing-space", "{\"kind\": \"lexical\"}\n\n", nil},
		{"zero-max-length-is-default", `{"kind": "native", "max_length": 0}`, nil},
		{"negative-max-length", `{"kind": "native", "max_length": -5}`, []string{`"max_length"`, "-5", "out of range"}},
		{"huge-max-length", `{"kind": "native", "max_length": 99999999}`, []string{`"max_length"`, "out of range"}},
		{"negative-dim", `{"kind": "onnx", "dim": -1}`, []string{`"dim"`, "out of range"}},
		{"negative-n-parameters", `{"kind": "onnx", "n_parameters": -3}`, []string{`"n_parameters"`, "negative"}},
		{"fractional-max-length", `{"kind": "native", "max_length": 1.5}`, []string{`"max_length"`, "want int"}},
		{"string-dim", `{"kind": "native", "dim": "256"}`, []string{`"dim"`, "want int", "string"}},
		{"trailing-object", `{"kind": "lexical"} {"kind": "onnx"}`, []string{"trailing data", "line 1, column 21"}},
		{"trailing-garbage", "{\"kind\": \"lexical\"}\nxyz", []string{"trailing data", "line 2, column 1"}},
		{"unknown-field", "{\"kind\": \"onnx\",\n \"max_lengh\": 512}", []string{`unknown field "max_lengh"`, "line 2, column 2", "max_length"}},
		{"wrong-case", `{"kind": "onnx", "Max_Length": 512}`, []string{`unknown field "Max_Length"`}},
		{"duplicate", `{"kind": "onnx", "dim": 8, "dim": 16}`, []string{`field "dim" given twice`}},
		{"no-kind", `{"name": "x"}`, []string{`"kind" is missing`}},
		{"not-an-object", `["kind"]`, []string{"want a JSON object"}},
		{"syntax", "{\"kind\": \"onnx\",\n\"dim\": 8,,}", []string{"line 2"}},
		{"truncated", `{"kind": "onnx", "dim": `, []string{"unexpected end"}},
		{"empty", ``, []string{"unexpected end"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFolder([]byte(tc.js))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %s", tc.js)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestRepositoryFoldersParse: every mimo-model.json in the repository is
// accepted by the strict parser.
func TestRepositoryFoldersParse(t *testing.T) {
	var dirs []string
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == FolderFile {
			dirs = append(dirs, filepath.Dir(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 3 {
		t.Fatalf("found %d model folders, want at least 3 (adapters/mimo and two testdata ones)", len(dirs))
	}
	for _, d := range dirs {
		if _, err := ReadFolder(d); err != nil {
			t.Errorf("%v", err)
		}
	}
}

func TestReadFolderNamesFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FolderFile), []byte(`{"kind": "native", "max_length": -5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFolder(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, FolderFile)) || !strings.Contains(err.Error(), "max_length") {
		t.Errorf("err = %v, want the file and the field", err)
	}
	big := make([]byte, MaxFolderFileBytes+1)
	if err := os.WriteFile(filepath.Join(dir, FolderFile), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFolder(dir); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized file: err = %v", err)
	}
}
