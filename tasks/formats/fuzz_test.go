package formats

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Fuzz targets for the four readers (issue 12, "Fuzzing, in CI"). The
// invariant: no panic, no hang, no allocation beyond what the input's size
// explains; an error is non-empty and names the file; where the format has
// an obvious writer, what was read, written back, reads the same. Seeds:
// the f.Add calls and testdata/fuzz/FuzzXxx/.

const fuzzMaxInput = 1 << 20

const fuzzName = "fuzz-input"

func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if strings.TrimSpace(msg) == "" {
		t.Fatalf("empty error %#v", err)
	}
	if !strings.Contains(msg, fuzzName) {
		t.Fatalf("error %q does not name the file %q", msg, fuzzName)
	}
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b) // a bytes.Buffer does not fail
	zw.Close()
	return buf.Bytes()
}

// errFuzzStop is returned by a callback to check how errors are wrapped.
var errFuzzStop = errors.New("callback stop")

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte(`{"_id": "doc_en_0", "text": "Hamlet", "lang": "en"}`+"\n\n"+`{"_id": 2}`+"\r\n"), false, uint16(0))
	f.Add([]byte("\xef\xbb\xbf{\"a\": 1}\n   \n[1,2]"), true, uint16(1))
	f.Add([]byte("\x1f\x8b\x08\x00garbage"), false, uint16(0))
	f.Add([]byte("not json at all\n"), false, uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, compress bool, stopAt uint16) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		in := data
		if compress {
			in = gzipBytes(data)
		}
		var raws []string
		err := ReadJSONL(bytes.NewReader(in), fuzzName, func(line int, raw json.RawMessage) error {
			if line < 1 {
				t.Fatalf("line %d", line)
			}
			if len(bytes.TrimSpace(raw)) != len(raw) || len(raw) == 0 {
				t.Fatalf("line %d: raw %q not trimmed or empty", line, raw)
			}
			if stopAt != 0 && len(raws)+1 == int(stopAt) {
				return errFuzzStop
			}
			raws = append(raws, string(raw))
			return nil
		})
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		// A leading newline keeps a first line that starts with the gzip
		// magic or a BOM (which the first read took as text) from being
		// taken for either.
		back := []byte("\n")
		for _, r := range raws {
			back = append(append(back, r...), '\n')
		}
		var again []string
		if err := ReadJSONL(bytes.NewReader(back), fuzzName, func(_ int, raw json.RawMessage) error {
			again = append(again, string(raw))
			return nil
		}); err != nil {
			t.Fatalf("lines written back do not read: %v", err)
		}
		if diff := cmp.Diff(raws, again); diff != "" {
			t.Fatalf("round trip differs (-first +second):\n%s", diff)
		}
	})
}

type csvRecord struct {
	Line int
	Rec  map[string]string
}

func readCSVAll(data []byte) ([]csvRecord, error) {
	var out []csvRecord
	err := ReadCSV(bytes.NewReader(data), fuzzName, func(line int, rec map[string]string) error {
		out = append(out, csvRecord{line, rec})
		return nil
	})
	return out, err
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("id,text,lang\nd1,\"Hamlet, a play\",en\nd2,\"multi\nline\",de\n"), false)
	f.Add([]byte("\xef\xbb\xbfa,b\r\n1,2\r\n"), true)
	f.Add([]byte("a,a\n1,2\n"), false)
	f.Add([]byte("a,b\n1\n"), false)
	f.Add([]byte("a\n\"unterminated\n"), false)
	f.Add([]byte(""), false)
	if b, err := os.ReadFile("testdata/quoted.csv"); err == nil {
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		in := data
		if compress {
			in = gzipBytes(data)
		}
		var header []string
		recs, err := readCSVAll(in)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		if len(recs) == 0 {
			return
		}
		for k := range recs[0].Rec {
			header = append(header, k)
		}
		sort.Strings(header)
		// Write back: header then records, fields in header order.
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		writeRow := func(fields []string) {
			if len(fields) == 1 && fields[0] == "" {
				cw.Flush()
				buf.WriteString("\"\"\n") // csv.Writer writes an empty line, which csv.Reader skips
				return
			}
			if err := cw.Write(fields); err != nil {
				t.Fatal(err)
			}
		}
		writeRow(header)
		for _, r := range recs {
			fields := make([]string, len(header))
			for i, h := range header {
				fields[i] = r.Rec[h]
			}
			writeRow(fields)
		}
		cw.Flush()
		again, err := readCSVAll(buf.Bytes())
		if err != nil {
			t.Fatalf("records written back do not read: %v\n%q", err, buf.Bytes())
		}
		strip := func(rs []csvRecord) []map[string]string {
			var out []map[string]string
			for _, r := range rs {
				m := map[string]string{}
				for k, v := range r.Rec {
					// csv.Reader turns \r\n inside a quoted field into \n.
					m[k] = strings.ReplaceAll(v, "\r\n", "\n")
				}
				out = append(out, m)
			}
			return out
		}
		if diff := cmp.Diff(strip(recs), strip(again)); diff != "" {
			t.Fatalf("round trip differs (-first +second):\n%s", diff)
		}
	})
}

func FuzzReadSQuAD(f *testing.F) {
	f.Add([]byte(`{"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": "Hamlet is a play.", "qas": [{"id": "q1", "question": "What is Hamlet?", "answers": [{"text": "a play", "answer_start": 10}]}]}]}]}`), false)
	f.Add([]byte(`{"data": []}`), false)
	f.Add([]byte(`{"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "q", "question": "x", "answers": [{"answer_start": -1}]}]}]}]} {}`), true)
	f.Add([]byte(`{"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "q", "question": "x"}, {"id": "q", "question": "y"}]}]}]}`), false)
	if b, err := os.ReadFile("testdata/squad.json"); err == nil {
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		in := data
		if compress {
			in = gzipBytes(data)
		}
		sq, err := ReadSQuAD(bytes.NewReader(in), fuzzName)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		back, err := json.Marshal(sq)
		if err != nil {
			t.Fatal(err)
		}
		sq2, err := ReadSQuAD(bytes.NewReader(back), fuzzName)
		if err != nil {
			t.Fatalf("document written back does not read: %v", err)
		}
		if diff := cmp.Diff(sq, sq2); diff != "" {
			t.Fatalf("round trip differs (-first +second):\n%s", diff)
		}
	})
}

// FuzzReadParquet reads fuzzed bytes as a Parquet file, all columns or a
// projection, and runs every value helper on every column of every row.
func FuzzReadParquet(f *testing.F) {
	f.Add(writeParquet(f, corpusRows(5), 2), "")
	f.Add(writeParquet(f, corpusRows(3), 10), "_id,text")
	f.Add(writeParquet(f, corpusRows(1), 1), "nope")
	type qrel struct {
		Q     string `parquet:"query-id"`
		D     string `parquet:"corpus-id"`
		Score int64  `parquet:"score"`
	}
	f.Add(writeParquet(f, []qrel{{"q1", "d1", 1}, {"q1", "d2", 0}}, 1), "query-id,corpus-id,score")
	f.Add([]byte("PAR1PAR1"), "")
	f.Fuzz(func(t *testing.T, data []byte, cols string) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		var columns []string
		if cols != "" {
			columns = strings.Split(cols, ",")
			if slices.Contains(columns, "") {
				return
			}
		}
		rows := 0
		err := ReadParquet(bytes.NewReader(data), int64(len(data)), fuzzName, columns, func(row int, rec map[string]any) error {
			if row != rows {
				t.Fatalf("row %d, want %d", row, rows)
			}
			rows++
			for col := range rec {
				_, _ = String(rec, col, fuzzName, row)
				_, _, _ = OptString(rec, col, fuzzName, row)
				_, _ = Int(rec, col, fuzzName, row)
				_, _ = Float(rec, col, fuzzName, row)
				_, _ = Bool(rec, col, fuzzName, row)
				_, _ = List(rec, col, fuzzName, row)
			}
			if rows > 1<<20 {
				t.Fatalf("more than %d rows from %d bytes", 1<<20, len(data))
			}
			return nil
		})
		if err != nil {
			checkFuzzErr(t, err)
		}
	})
}
