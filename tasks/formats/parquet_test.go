package formats

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

// corpusRow is shaped like MTEB's corpus parquet, plus the types a Hub
// dataset may carry: nullable columns, several integer and float widths,
// binary, lists and a struct.
type corpusRow struct {
	ID      string   `parquet:"_id"`
	Title   *string  `parquet:"title,optional"`
	Text    string   `parquet:"text"`
	Score   int32    `parquet:"score"`
	Big     int64    `parquet:"big"`
	Weight  float32  `parquet:"weight"`
	Ok      bool     `parquet:"ok"`
	Rank    *int64   `parquet:"rank,optional"`
	Blob    []byte   `parquet:"blob"`
	Answers []string `parquet:"answers,list"`
	Meta    struct {
		Lang string `parquet:"lang"`
		N    int32  `parquet:"n"`
	} `parquet:"meta"`
}

func writeParquet[T any](t testing.TB, rows []T, perGroup int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, parquet.MaxRowsPerRowGroup(perGroup))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ptr[T any](v T) *T { return &v }

func corpusRows(n int) []corpusRow {
	rows := make([]corpusRow, n)
	for i := range rows {
		r := &rows[i]
		r.ID = fmt.Sprintf("doc%d", i)
		if i%3 != 0 {
			r.Title = ptr(fmt.Sprintf("Title %d", i))
		}
		r.Text = strings.Repeat("ü", i)
		r.Score = int32(i % 4)
		r.Big = int64(i) << 40
		r.Weight = float32(i) / 2
		r.Ok = i%2 == 0
		if i%2 == 1 {
			r.Rank = ptr(int64(-i))
		}
		r.Blob = []byte{byte(i), 'b'}
		for j := 0; j < i%3; j++ {
			r.Answers = append(r.Answers, fmt.Sprintf("a%d.%d", i, j))
		}
		r.Meta.Lang = []string{"de", "en", "zh"}[i%3]
		r.Meta.N = int32(i * 10)
	}
	return rows
}

// wantRecord is the normalised map ReadParquet must produce for corpusRow.
func wantRecord(r corpusRow) map[string]any {
	var title, rank any
	if r.Title != nil {
		title = *r.Title
	}
	if r.Rank != nil {
		rank = *r.Rank
	}
	answers := []any{}
	for _, a := range r.Answers {
		answers = append(answers, a)
	}
	return map[string]any{
		"_id": r.ID, "title": title, "text": r.Text, "score": int64(r.Score),
		"big": r.Big, "weight": float64(r.Weight), "ok": r.Ok, "rank": rank,
		"blob": string(r.Blob), "answers": answers,
		"meta": map[string]any{"lang": r.Meta.Lang, "n": int64(r.Meta.N)},
	}
}

func TestReadParquet(t *testing.T) {
	rows := corpusRows(23)
	data := writeParquet(t, rows, 5) // 5 row groups, the last one short
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.RowGroups()); n != 5 {
		t.Fatalf("fixture has %d row groups, want 5", n)
	}
	for _, tc := range []struct {
		name    string
		columns []string
		keep    func(map[string]any) map[string]any
	}{
		{"all columns", nil, func(m map[string]any) map[string]any { return m }},
		{"projection", []string{"text", "_id", "rank"}, func(m map[string]any) map[string]any {
			return map[string]any{"_id": m["_id"], "text": m["text"], "rank": m["rank"]}
		}},
		{"projection of a struct and a list", []string{"meta", "answers"}, func(m map[string]any) map[string]any {
			return map[string]any{"meta": m["meta"], "answers": m["answers"]}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want, got []map[string]any
			var rowNums []int
			for _, r := range rows {
				want = append(want, tc.keep(wantRecord(r)))
			}
			err := ReadParquet(bytes.NewReader(data), int64(len(data)), "corpus.parquet", tc.columns, func(row int, rec map[string]any) error {
				rowNums = append(rowNums, row)
				got = append(got, rec)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			for i, n := range rowNums {
				if n != i {
					t.Fatalf("row numbers %v are not 0..n-1", rowNums)
				}
			}
		})
	}
}

// TestReadParquetFile reads through an *os.File, the way builders read the
// Hub cache.
func TestReadParquetFile(t *testing.T) {
	type qrel struct {
		QueryID  string `parquet:"query-id"`
		CorpusID string `parquet:"corpus-id"`
		Score    int64  `parquet:"score"`
	}
	p := filepath.Join(t.TempDir(), "test-00000-of-00001.parquet")
	if err := os.WriteFile(p, writeParquet(t, []qrel{{"q1", "d1", 1}, {"q1", "d2", 0}, {"q2", "d9", 3}}, 2), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	var got []string
	err = ReadParquet(f, st.Size(), p, []string{"query-id", "corpus-id", "score"}, func(row int, rec map[string]any) error {
		q, err := String(rec, "query-id", p, row)
		if err != nil {
			return err
		}
		d, err := String(rec, "corpus-id", p, row)
		if err != nil {
			return err
		}
		s, err := Int(rec, "score", p, row)
		if err != nil {
			return err
		}
		got = append(got, fmt.Sprintf("%s %s %d", q, d, s))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"q1 d1 1", "q1 d2 0", "q2 d9 3"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReadParquetErrors(t *testing.T) {
	data := writeParquet(t, corpusRows(10), 4)
	sentinel := errors.New("stop here")
	for _, tc := range []struct {
		name    string
		data    []byte
		columns []string
		fn      func(int, map[string]any) error
		wantMsg string
		wantIs  error
	}{
		{name: "missing column", data: data, columns: []string{"_id", "body"},
			wantMsg: `c.parquet: column "body" missing (columns: _id, answers, big, blob, meta, ok, rank, score, text, title, weight)`, wantIs: ErrSchema},
		{name: "not parquet", data: []byte("PAR1 this is not a parquet file at all PAR1"), wantMsg: "c.parquet: opening parquet"},
		{name: "truncated", data: data[:len(data)/2], wantMsg: "c.parquet: opening parquet"},
		{name: "callback error names file and row", data: data,
			fn: func(row int, _ map[string]any) error {
				if row == 6 {
					return sentinel
				}
				return nil
			}, wantMsg: "c.parquet: row 6: stop here", wantIs: sentinel},
		{name: "wrong type through the helper", data: data, columns: []string{"score"},
			fn: func(row int, rec map[string]any) error {
				_, err := String(rec, "score", "c.parquet", row)
				return err
			}, wantMsg: `c.parquet: row 0: column "score": want a string, got int64 (0)`, wantIs: ErrSchema},
		{name: "null through the strict helper", data: data, columns: []string{"title"},
			fn: func(row int, rec map[string]any) error {
				_, err := String(rec, "title", "c.parquet", row)
				return err
			}, wantMsg: `c.parquet: row 0: column "title": null`, wantIs: ErrSchema},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := tc.fn
			if fn == nil {
				fn = func(int, map[string]any) error { return nil }
			}
			err := ReadParquet(bytes.NewReader(tc.data), int64(len(tc.data)), "c.parquet", tc.columns, fn)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
			if strings.Count(err.Error(), "c.parquet") != 1 {
				t.Errorf("error %q names the file more than once", err)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tc.wantIs)
			}
		})
	}
}

func TestValueHelpers(t *testing.T) {
	rec := map[string]any{"s": "x", "i": int64(7), "f": 2.5, "fi": 3.0, "b": true, "n": nil, "l": []any{"a"}}
	type result struct {
		V   any
		Err string
	}
	errStr := func(err error) string {
		if err == nil {
			return ""
		}
		if !errors.Is(err, ErrSchema) {
			return "NOT ErrSchema: " + err.Error()
		}
		return err.Error()
	}
	call := func(v any, err error) result { return result{v, errStr(err)} }
	optString := func(col string) result {
		s, ok, err := OptString(rec, col, "f", 3)
		return result{fmt.Sprintf("%s %v", s, ok), errStr(err)}
	}
	for _, tc := range []struct {
		name string
		got  result
		want result
	}{
		{"String", call(String(rec, "s", "f", 3)), result{"x", ""}},
		{"String missing", call(String(rec, "zz", "f", 3)), result{"", `f: row 3: column "zz": missing: unexpected schema`}},
		{"String wrong type", call(String(rec, "i", "f", 3)), result{"", `f: row 3: column "i": want a string, got int64 (7): unexpected schema`}},
		{"OptString null", optString("n"), result{" false", ""}},
		{"OptString value", optString("s"), result{"x true", ""}},
		{"OptString missing", optString("zz"), result{" false", `f: row 3: column "zz": missing: unexpected schema`}},
		{"Int", call(Int(rec, "i", "f", 3)), result{int64(7), ""}},
		{"Int integral float", call(Int(rec, "fi", "f", 3)), result{int64(3), ""}},
		{"Int fractional float", call(Int(rec, "f", "f", 3)), result{int64(0), `f: row 3: column "f": want an integer, got the non-integral float 2.5: unexpected schema`}},
		{"Int null", call(Int(rec, "n", "f", 3)), result{int64(0), `f: row 3: column "n": null: unexpected schema`}},
		{"Float", call(Float(rec, "f", "f", 3)), result{2.5, ""}},
		{"Float from int", call(Float(rec, "i", "f", 3)), result{7.0, ""}},
		{"Float from string", call(Float(rec, "s", "f", 3)), result{0.0, `f: row 3: column "s": want a number, got string (x): unexpected schema`}},
		{"Bool", call(Bool(rec, "b", "f", 3)), result{true, ""}},
		{"Bool wrong", call(Bool(rec, "s", "f", 3)), result{false, `f: row 3: column "s": want a bool, got string (x): unexpected schema`}},
		{"List", call(List(rec, "l", "f", 3)), result{[]any{"a"}, ""}},
		{"List wrong", call(List(rec, "s", "f", 3)), result{[]any(nil), `f: row 3: column "s": want a list, got string (x): unexpected schema`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkReadParquet reads MTEB-corpus-like rows (id, title, text),
// all columns versus a two-column projection.
func BenchmarkReadParquet(b *testing.B) {
	type doc struct {
		ID    string `parquet:"_id"`
		Title string `parquet:"title"`
		Text  string `parquet:"text"`
	}
	rows := make([]doc, 20_000)
	for i := range rows {
		rows[i] = doc{fmt.Sprintf("doc%d", i), "title", strings.Repeat("lorem ipsum ", 40)}
	}
	data := writeParquet(b, rows, 5000)
	b.ResetTimer()
	for _, cols := range [][]string{nil, {"_id", "text"}} {
		b.Run(fmt.Sprintf("columns=%v", cols), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := ReadParquet(bytes.NewReader(data), int64(len(data)), "bench", cols, func(int, map[string]any) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
