package builders

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/mimo-mlir/mimo/internal/lines"
	"github.com/mimo-mlir/mimo/tasks"
)

// overlay serves the fixtures with some files replaced (non-nil bytes) or
// removed (nil), so each bad-input case changes one thing.
type overlay struct {
	base  tasks.Source
	repo  string
	files map[string][]byte
}

func (o overlay) Open(ctx context.Context, repo, rev, p string) (io.ReadCloser, error) {
	if repo == o.repo {
		if b, ok := o.files[p]; ok {
			if b == nil {
				return nil, fmt.Errorf("%s@%s: file %s: %w", repo, rev, p, tasks.ErrNotFound)
			}
			return io.NopCloser(bytes.NewReader(b)), nil
		}
	}
	return o.base.Open(ctx, repo, rev, p)
}

func (o overlay) List(ctx context.Context, repo, rev string) ([]string, error) {
	files, err := o.base.List(ctx, repo, rev)
	if err != nil || repo != o.repo {
		return files, err
	}
	var out []string
	for _, f := range files {
		if b, ok := o.files[f]; !ok || b != nil {
			out = append(out, f)
		}
	}
	for f, b := range o.files {
		if b != nil && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (o overlay) Describe() string { return "overlay on " + o.base.Describe() }

func parquetBytes[T any](t *testing.T, rows []T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := parquet.Write(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func fixtureBytes(t *testing.T, repo, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, repo, p))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBadInputs: every missing, truncated or mis-shaped input is an error
// naming repository, revision, file and column (or line/shard).
func TestBadInputs(t *testing.T) {
	type qOnlyText struct {
		ID      string `parquet:"id,optional"`
		Context string `parquet:"context,optional"`
	}
	type badScore struct {
		QueryID  string `parquet:"query-id,optional"`
		CorpusID string `parquet:"corpus-id,optional"`
		Score    string `parquet:"score,optional"`
	}
	type noText struct {
		ID    string `parquet:"_id,optional"`
		Title string `parquet:"title,optional"`
	}
	bele := fixtureBytes(t, "facebook/belebele", "data/deu_Latn.jsonl")
	mep := fixtureBytes(t, "unimelb-nlp/MultiEup-v2", MultiEuPFile)
	cases := []struct {
		name  string
		task  string
		repo  string
		files map[string][]byte
		opts  tasks.LoadOptions
		want  []string // substrings of the error
		is    error
		env   string // MIMO_MAX_LINE for the case
	}{
		{
			name: "belebele field missing", task: "BelebeleMLIR", repo: "facebook/belebele",
			files: map[string][]byte{"data/deu_Latn.jsonl": bytes.Replace(bele, []byte(`"link"`), []byte(`"lnk"`), 1)},
			want:  []string{"facebook/belebele@" + BelebeleRef.Revision, "data/deu_Latn.jsonl:1", `"link"`}, is: errColumn,
		},
		{
			name: "belebele language file missing", task: "BelebeleMLIR", repo: "facebook/belebele",
			files: map[string][]byte{"data/nld_Latn.jsonl": nil},
			want:  []string{"facebook/belebele@" + BelebeleRef.Revision, "data/nld_Latn.jsonl"}, is: tasks.ErrNotFound,
		},
		{
			name: "belebele truncated line", task: "BelebeleMLIR", repo: "facebook/belebele",
			files: map[string][]byte{"data/deu_Latn.jsonl": bele[:len(bele)-20]},
			want:  []string{"data/deu_Latn.jsonl:3", "not a JSON object"},
		},
		{
			name: "belebele bad arabic variant", task: "BelebeleMLIR",
			opts: tasks.LoadOptions{Variant: map[string]string{BelebeleArabicVariant: "ary_Arab"}},
			want: []string{"ary_Arab", "acm_Arab or arb_Arab"},
		},
		{
			name: "unknown language", task: "XQuADMLIR", opts: tasks.LoadOptions{Langs: []string{"fr"}},
			want: []string{`no language "fr"`},
		},
		{
			name: "xquad config missing", task: "XQuADMLIR", repo: "google/xquad",
			files: map[string][]byte{"xquad.vi/validation-00000-of-00001.parquet": nil},
			want:  []string{"google/xquad@" + XQuADRef.Revision, "xquad.vi.json", `config "xquad.vi"`}, is: tasks.ErrNotFound,
		},
		{
			name: "xquad column missing", task: "XQuADMLIR", repo: "google/xquad",
			files: map[string][]byte{"xquad.ru/validation-00000-of-00001.parquet": parquetBytes(t, []qOnlyText{{"q1", "c"}})},
			want:  []string{"google/xquad@" + XQuADRef.Revision + ": xquad.ru/validation-00000-of-00001.parquet", `"question"`}, is: errColumn,
		},
		{
			name: "xquad truncated parquet", task: "XQuADMLIR", repo: "google/xquad",
			files: map[string][]byte{"xquad.es/validation-00000-of-00001.parquet": fixtureBytes(t, "google/xquad", "xquad.es/validation-00000-of-00001.parquet")[:100]},
			want:  []string{"google/xquad@" + XQuADRef.Revision + ": xquad.es/validation-00000-of-00001.parquet"},
		},
		{
			name: "mlqa config missing", task: "MLQAMLIR", repo: "facebook/mlqa",
			files: map[string][]byte{"mlqa.zh.en/test/0000.parquet": nil},
			want:  []string{"facebook/mlqa@refs/convert/parquet", `config "mlqa.zh.en" split "test"`}, is: tasks.ErrNotFound,
		},
		{
			name: "multieup column missing", task: "MultiEuPMLIR", repo: "unimelb-nlp/MultiEup-v2",
			files: map[string][]byte{MultiEuPFile: bytes.Replace(mep, []byte("qid_EN"), []byte("qid_XX"), 1)},
			want:  []string{"unimelb-nlp/MultiEup-v2@" + MultiEuPRef.Revision + ": " + MultiEuPFile, `"qid_EN"`}, is: errColumn,
		},
		{
			name: "multieup ragged row", task: "MultiEuPMLIR", repo: "unimelb-nlp/MultiEup-v2",
			files: map[string][]byte{MultiEuPFile: append(append([]byte{}, mep...), []byte("d9,short row\n")...)},
			want:  []string{MultiEuPFile},
		},
		{
			name: "neuclir qrels line malformed", task: "NeuCLIR2022MLIR", repo: "neuclir/bench",
			files: map[string][]byte{"data/qrels.zho.gains.txt": []byte("1 0 z1 1\n3 0 z2\n")},
			want:  []string{"neuclir/bench@" + testBenchRev + ": data/qrels.zho.gains.txt:2", "4 fields"}, is: errColumn,
		},
		{
			name: "neuclir relevance not a number", task: "NeuCLIR2022MLIR", repo: "neuclir/bench",
			files: map[string][]byte{"data/qrels.rus.gains.txt": []byte("1 0 r1 high\n")},
			want:  []string{"data/qrels.rus.gains.txt:1", "relevance"}, is: errColumn,
		},
		{
			name: "neuclir corpus text missing", task: "NeuCLIR2022MLIR", repo: NeuCLIR2022Ref.Repo,
			files: map[string][]byte{"zho-corpus/test-00000-of-00001.parquet": parquetBytes(t, []noText{{"z1", "t"}})},
			want:  []string{NeuCLIR2022Ref.String() + ": zho-corpus/test-00000-of-00001.parquet", `"text"`}, is: errColumn,
		},
		{
			name: "neuclir queries line too long", task: "NeuCLIR2023MLIR", repo: "neuclir/bench",
			files: map[string][]byte{"data/news.eng.tsv": []byte("1\tq\n2\t" + strings.Repeat("q", 16<<20) + "\n")},
			want:  []string{"neuclir/bench@" + testBenchRev + ": data/news.eng.tsv:2: line too long: longer than the limit of 16MiB"}, is: lines.ErrLineTooLong,
		},
		{
			name: "neuclir qrels line too long", task: "NeuCLIR2022MLIR", repo: "neuclir/bench", env: "1KiB",
			files: map[string][]byte{"data/qrels.zho.gains.txt": []byte("1 0 z1 1\r\n1 0 " + strings.Repeat("z", 1024) + " 1\r\n")},
			want:  []string{"neuclir/bench@" + testBenchRev + ": data/qrels.zho.gains.txt:2: line too long: longer than the limit of 1KiB"}, is: lines.ErrLineTooLong,
		},
		{
			name: "belebele line too long", task: "BelebeleMLIR", repo: "facebook/belebele", env: "1KiB",
			files: map[string][]byte{"data/deu_Latn.jsonl": append(append([]byte{}, bele...), []byte(`{"link": "`+strings.Repeat("l", 1024)+`"}`+"\n")...)},
			want:  []string{fmt.Sprintf("facebook/belebele@%s: data/deu_Latn.jsonl:%d: line too long: longer than the limit of 1KiB", BelebeleRef.Revision, bytes.Count(bele, []byte("\n"))+1)}, is: lines.ErrLineTooLong,
		},
		{
			name: "multieup line too long", task: "MultiEuPMLIR", repo: "unimelb-nlp/MultiEup-v2", env: "1KiB",
			files: map[string][]byte{MultiEuPFile: append(append([]byte{}, mep...), []byte("d9,"+strings.Repeat("m", 1024)+"\n")...)},
			want:  []string{fmt.Sprintf("%s:%d: line too long: longer than the limit of 1KiB", MultiEuPFile, bytes.Count(mep, []byte("\n"))+1)}, is: lines.ErrLineTooLong,
		},
		{
			name: "neuclir queries file missing", task: "NeuCLIR2023MLIR", repo: "neuclir/bench",
			files: map[string][]byte{"data/news.eng.tsv": nil},
			want:  []string{"neuclir/bench@" + testBenchRev, "data/news.eng.tsv"}, is: tasks.ErrNotFound,
		},
		{
			name: "miracl shard missing", task: "MIRACLRetrievalHardNegatives", repo: MIRACLRef.Repo,
			files: map[string][]byte{"en-corpus/dev-00001-of-00002.parquet": nil},
			want:  []string{MIRACLRef.String(), `config "en-corpus"`, "truncated: shard 1 of 2 missing"},
		},
		{
			name: "miracl score not an integer", task: "MIRACLRetrievalHardNegatives", repo: MIRACLRef.Repo,
			files: map[string][]byte{"de-qrels/dev-00000-of-00001.parquet": parquetBytes(t, []badScore{{"deq1", "de1", "high"}})},
			want:  []string{MIRACLRef.String() + ": de-qrels/dev-00000-of-00001.parquet", "row 0", `"score"`}, is: errColumn,
		},
		{
			name: "miracl unknown language", task: "MIRACLRetrievalHardNegatives", opts: tasks.LoadOptions{Langs: []string{"xx"}},
			want: []string{`no language "xx"`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv(lines.EnvLimit, c.env)
			}
			src := overlay{base: tasks.DirSource{Root: fixtures}, repo: c.repo, files: c.files}
			task, err := newTask(c.task, src)
			if err != nil {
				t.Fatal(err)
			}
			_, err = task.Load(context.Background(), c.opts)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			t.Log(err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %q does not wrap %v", err, c.is)
			}
		})
	}
}
