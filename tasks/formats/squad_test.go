package formats

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"

	"github.com/mimo-mlir/mimo/internal/shareddata"
)

// squadGolden decodes the golden file, whose keys are the Go field names
// (so it checks the JSON tags of the SQuAD types rather than reusing them).
func squadGolden(t *testing.T) *SQuAD {
	t.Helper()
	data, err := os.ReadFile("testdata/squad.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		Text        string
		AnswerStart int
	}
	type qa struct {
		ID, Question string
		Answers      []answer
	}
	type para struct {
		Context string
		QAs     []qa
	}
	type article struct {
		Title      string
		Paragraphs []para
	}
	var g struct {
		Version string
		Data    []article
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	out := &SQuAD{Version: SQuADVersion(g.Version)}
	for _, a := range g.Data {
		art := SQuADArticle{Title: a.Title}
		for _, p := range a.Paragraphs {
			par := SQuADParagraph{Context: p.Context, QAs: []SQuADQA{}}
			for _, q := range p.QAs {
				sq := SQuADQA{ID: q.ID, Question: q.Question, Answers: []SQuADAnswer{}}
				for _, an := range q.Answers {
					sq.Answers = append(sq.Answers, SQuADAnswer(an))
				}
				par.QAs = append(par.QAs, sq)
			}
			art.Paragraphs = append(art.Paragraphs, par)
		}
		out.Data = append(out.Data, art)
	}
	return out
}

func TestReadSQuAD(t *testing.T) {
	data, err := os.ReadFile("testdata/squad.json")
	if err != nil {
		t.Fatal(err)
	}
	want := squadGolden(t)
	for _, tc := range []struct{ name, in string }{
		{"plain", string(data)},
		{"gzip", gz(t, string(data))},
		{"BOM and trailing newline", "\ufeff" + string(data) + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadSQuAD(strings.NewReader(tc.in), "xquad.de.json")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSQuADVersion: MLQA's release writes the version as a number; it reads
// as written, and a version of another type is an error naming the field.
func TestSQuADVersion(t *testing.T) {
	const body = `, "data": [{"paragraphs": [{"context": "x", "qas": [{"id": "a", "question": "q"}]}]}]}`
	for _, tc := range []struct{ in, want string }{
		{`{"version": "1.1"`, "1.1"},
		{`{"version": 1.0`, "1.0"},
		{`{"version": null`, ""},
		{`{"x": 0`, ""},
	} {
		got, err := ReadSQuAD(strings.NewReader(tc.in+body), "s.json")
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if string(got.Version) != tc.want {
			t.Errorf("%s: version %q, want %q", tc.in, got.Version, tc.want)
		}
	}
	if _, err := ReadSQuAD(strings.NewReader(`{"version": [1]`+body), "s.json"); err == nil || !strings.Contains(err.Error(), "version: want a string or a number") {
		t.Errorf("version [1]: error %v", err)
	}
}

func TestReadSQuADErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, wantMsg string }{
		{"not JSON", `{"data": [`, "s.json: decoding SQuAD JSON"},
		{"wrong type", `{"data": [{"title": 3}]}`, "s.json: decoding SQuAD JSON"},
		{"no articles", `{"version": "1.1", "data": []}`, `s.json: no articles under "data"`},
		{"trailing document", `{"data": [{"paragraphs": []}]} {"data": []}`, "s.json: unexpected data after the JSON document"},
		{"empty context", `{"data": [{"paragraphs": [{"context": "x", "qas": []}, {"context": "", "qas": []}]}]}`, "s.json: data[0].paragraphs[1]: empty context"},
		{"empty id", `{"data": [{"paragraphs": [{"context": "x", "qas": [{"id": "", "question": "q"}]}]}]}`, "s.json: data[0].paragraphs[0].qas[0]: empty id"},
		{"empty question", `{"data": [{"paragraphs": [{"context": "x", "qas": [{"id": "a", "question": ""}]}]}]}`, `s.json: data[0].paragraphs[0].qas[0] (id "a"): empty question`},
		{"duplicate id", `{"data": [{"paragraphs": [{"context": "x", "qas": [{"id": "a", "question": "q"}]}]}, {"paragraphs": [{"context": "y", "qas": [{"id": "a", "question": "q"}]}]}]}`,
			`s.json: data[1].paragraphs[0].qas[0]: id "a" already used at data[0].paragraphs[0].qas[0]`},
		{"negative answer_start", `{"data": [{"paragraphs": [{"context": "x", "qas": [{"id": "a", "question": "q", "answers": [{"text": "x", "answer_start": -1}]}]}]}]}`,
			`s.json: data[0].paragraphs[0].qas[0].answers[0] (id "a"): negative answer_start -1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSQuAD(strings.NewReader(tc.in), "s.json")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
		})
	}
}

// TestReadSQuADRealXQuAD reads the real XQuAD release when the shared data
// folder is present: every language has 240 paragraphs and 1,190 questions.
func TestReadSQuADRealXQuAD(t *testing.T) {
	dir, _ := shareddata.Path("xquad")
	files, _ := filepath.Glob(filepath.Join(dir, "xquad.*.json"))
	if len(files) == 0 {
		t.Skipf("no XQuAD files under %s (shared data absent)", dir)
	}
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sq, err := ReadSQuAD(f, p)
			if err != nil {
				t.Fatal(err)
			}
			paras, qas := 0, 0
			for _, a := range sq.Data {
				paras += len(a.Paragraphs)
				for _, par := range a.Paragraphs {
					qas += len(par.QAs)
				}
			}
			if paras != 240 || qas != 1190 {
				t.Errorf("%d paragraphs, %d questions; want 240, 1190", paras, qas)
			}
		})
	}
}

// TestSQuADGzipBomb: a small gzip file that expands past MaxDocumentBytes is
// refused with the limit named, without holding the expansion in memory.
func TestSQuADGzipBomb(t *testing.T) {
	defer func(n int64) { MaxDocumentBytes = n }(MaxDocumentBytes)
	MaxDocumentBytes = 1 << 20
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"data": [{"title": "`))
	_, _ = zw.Write(bytes.Repeat([]byte("a"), 4<<20))
	_ = zw.Close()
	_, err := ReadSQuAD(&buf, "bomb.json.gz")
	if err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Fatalf("err = %v", err)
	}
}
