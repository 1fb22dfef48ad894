package formats

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/lines"
)

type csvRow struct {
	Line int               `json:"line"`
	Rec  map[string]string `json:"rec"`
}

func collectCSV(in, name string) ([]csvRow, error) {
	var got []csvRow
	err := ReadCSV(strings.NewReader(in), name, func(line int, rec map[string]string) error {
		got = append(got, csvRow{line, rec})
		return nil
	})
	return got, err
}

// TestReadCSVGolden reads a pandas-style file (unnamed index column, CRLF,
// quoted commas, quoted newlines, doubled quotes, empty and numeric fields)
// plain, gzipped and with a BOM, and compares with the golden records.
func TestReadCSVGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/quoted.csv")
	if err != nil {
		t.Fatal(err)
	}
	gold, err := os.ReadFile("testdata/quoted.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []csvRow
	if err := json.Unmarshal(gold, &want); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, in string }{
		{"plain", string(data)},
		{"gzip", gz(t, string(data))},
		{"BOM", "\ufeff" + string(data)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectCSV(tc.in, "quoted.csv")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCSVHugeField(t *testing.T) {
	big := strings.Repeat("speech, \"quoted\"\nand more ", 400_000) // ~10 MB
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, r := range [][]string{{"id", "TEXT"}, {"1", big}, {"2", "small"}} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	got, err := collectCSV(buf.String(), "big.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Rec["TEXT"] != big || got[1].Rec["TEXT"] != "small" {
		t.Fatalf("huge field not read back intact (%d records)", len(got))
	}
	if want := 3 + strings.Count(big, "\n"); got[1].Line != want {
		t.Errorf("line of the record after the huge field = %d, want %d", got[1].Line, want)
	}
}

func TestReadCSVErrors(t *testing.T) {
	sentinel := errors.New("rejected")
	for _, tc := range []struct {
		name, in string
		fn       func(int, map[string]string) error
		wantMsg  string
		wantIs   error
	}{
		{name: "empty file", in: "", wantMsg: "x.csv: empty file"},
		{name: "duplicate header", in: "a,b,a\n1,2,3\n", wantMsg: `x.csv:1: column "a" appears twice (fields 1 and 3)`},
		{name: "too few fields", in: "a,b\n1,2\n\"multi\nline\",2\n3\n", wantMsg: "x.csv:5: record has a different number of fields", wantIs: csv.ErrFieldCount},
		{name: "too many fields", in: "a,b\n1,2,3\n", wantMsg: "x.csv:2: record has a different number", wantIs: csv.ErrFieldCount},
		{name: "bare quote", in: "a,b\n1,2\n3,x\"y\n", wantMsg: "x.csv:3: ", wantIs: csv.ErrBareQuote},
		{name: "unterminated quote", in: "a,b\n1,\"open\n", wantMsg: "x.csv:2: ", wantIs: csv.ErrQuote},
		{
			name: "callback error names the record's first line",
			in:   "a,b\n\"1\n1\",2\n3,4\n",
			fn: func(line int, rec map[string]string) error {
				if rec["a"] == "3" {
					return fmt.Errorf("field a: %w", sentinel)
				}
				return nil
			},
			wantMsg: "x.csv:4: field a: rejected",
			wantIs:  sentinel,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := tc.fn
			if fn == nil {
				fn = func(int, map[string]string) error { return nil }
			}
			err := ReadCSV(strings.NewReader(tc.in), "x.csv", fn)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tc.wantIs)
			}
		})
	}
}

// BenchmarkReadCSV streams a MultiEuP-like CSV (quoted multi-line speeches,
// many columns).
func BenchmarkReadCSV(b *testing.B) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := []string{"", "did", "TEXT", "LANGUAGE", "title_EN", "qid_EN", "title_DE", "qid_DE"}
	_ = w.Write(header)
	text := strings.Repeat("Madam President, \"colleagues\",\nwe must act. ", 10)
	for i := 0; i < 10_000; i++ {
		_ = w.Write([]string{fmt.Sprint(i), fmt.Sprintf("d%d", i), text, "EN", "Some debate title", fmt.Sprintf("q%d#1", i), "Titel", fmt.Sprintf("q%d#1", i)})
	}
	w.Flush()
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := ReadCSV(bytes.NewReader(data), "bench.csv", func(int, map[string]string) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReadCSVLineTooLong: a physical line longer than the limit, in the
// header, a record or inside a quoted multi-line field, is an error naming
// the file, that line and the limit (lowered with MIMO_MAX_LINE here).
func TestReadCSVLineTooLong(t *testing.T) {
	t.Setenv(lines.EnvLimit, "100")
	long := strings.Repeat("w", 101)
	for _, tc := range []struct {
		name, in string
		line     int
	}{
		{"header", "a," + long + "\n1,2\n", 1},
		{"record", "a,b\n1,2\r\n3," + long + "\r\n", 3},
		{"inside a quoted field", "a,b\n1,\"x\n" + long + "\ny\"\n", 3},
		{"gzip, last line without newline", gz(t, "a,b\n1,2\n3,"+long), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collectCSV(tc.in, "x.csv")
			want := fmt.Sprintf("x.csv:%d: line too long: longer than the limit of 100;", tc.line)
			if !errors.Is(err, lines.ErrLineTooLong) || !strings.HasPrefix(fmt.Sprint(err), want) {
				t.Fatalf("err = %v, want %q...", err, want)
			}
		})
	}
	// Lines of exactly the limit, LF or CRLF, are read.
	ok := strings.Repeat("w", 98)
	got, err := collectCSV("a,b\n1,"+ok+"\r\n2,"+ok+"\n", "x.csv")
	if err != nil || len(got) != 2 {
		t.Fatalf("lines at the limit: %d records, err %v", len(got), err)
	}
}
