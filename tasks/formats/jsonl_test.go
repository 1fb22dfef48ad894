package formats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"

	"github.com/mimo-mlir/mimo/internal/lines"
)

type jsonlLine struct {
	Line int
	Raw  string
}

func gz(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func collectJSONL(r io.Reader) ([]jsonlLine, error) {
	var got []jsonlLine
	err := ReadJSONL(r, "f.jsonl", func(line int, raw json.RawMessage) error {
		got = append(got, jsonlLine{line, string(raw)})
		return nil
	})
	return got, err
}

func TestReadJSONL(t *testing.T) {
	long := `{"text":"` + strings.Repeat("é", 300_000) + `"}`
	plain := "{\"a\":1}\n\n  \n{\"a\":2}\r\n{\"a\":3}"
	want := []jsonlLine{{1, `{"a":1}`}, {4, `{"a":2}`}, {5, `{"a":3}`}}
	for _, tc := range []struct {
		name string
		in   string
		want []jsonlLine
	}{
		{"plain with blank lines, CRLF, no final newline", plain, want},
		{"gzip", gz(t, plain), want},
		{"BOM", "\ufeff" + plain, want},
		{"empty", "", nil},
		{"only blank lines", "\n\n\r\n", nil},
		{"gzip empty", gz(t, ""), nil},
		{"line longer than the buffer", "{}\n" + long + "\n{}\n", []jsonlLine{{1, "{}"}, {2, long}, {3, "{}"}}},
		{"gzip long line", gz(t, long+"\n"+long), []jsonlLine{{1, long}, {2, long}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectJSONL(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadJSONLRawIsOwned(t *testing.T) {
	var kept []json.RawMessage
	in := strings.Repeat(`{"n":"aaaaaaaaaaaaaaaaaaaaaaaaaa"}`+"\n", 5000)
	if err := ReadJSONL(strings.NewReader(in), "f", func(_ int, raw json.RawMessage) error {
		kept = append(kept, raw)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, r := range kept {
		if string(r) != `{"n":"aaaaaaaaaaaaaaaaaaaaaaaaaa"}` {
			t.Fatalf("line %d changed after the callback: %q", i+1, r)
		}
	}
}

func TestReadJSONLErrors(t *testing.T) {
	sentinel := errors.New("bad row")
	truncated := gz(t, strings.Repeat("{\"a\":1}\n", 1000))
	truncated = truncated[:len(truncated)/2]
	for _, tc := range []struct {
		name    string
		in      string
		fn      func(int, json.RawMessage) error
		wantMsg string
		wantIs  error
	}{
		{
			name: "callback error is positioned and wrapped",
			in:   "{}\n\n{\"x\":1}\n",
			fn: func(line int, raw json.RawMessage) error {
				if line == 3 {
					return sentinel
				}
				return nil
			},
			wantMsg: "data.jsonl:3: bad row",
			wantIs:  sentinel,
		},
		{
			name: "syntax error from Unmarshal",
			in:   "{}\n{\"x\":\n",
			fn: func(_ int, raw json.RawMessage) error {
				var v map[string]any
				return json.Unmarshal(raw, &v)
			},
			wantMsg: "data.jsonl:2: unexpected end of JSON input",
		},
		{
			name:    "truncated gzip",
			in:      truncated,
			fn:      func(int, json.RawMessage) error { return nil },
			wantMsg: "data.jsonl:",
			wantIs:  io.ErrUnexpectedEOF,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ReadJSONL(strings.NewReader(tc.in), "data.jsonl", tc.fn)
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

func jsonlBench(n int) []byte {
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		buf.WriteString(`{"_id":"doc_`)
		buf.WriteString(strings.Repeat("x", i%7))
		buf.WriteString(`","text":"`)
		buf.WriteString(strings.Repeat("lorem ipsum dolor sit amet ", 20))
		buf.WriteString(`","lang":"en"}` + "\n")
	}
	return buf.Bytes()
}

// BenchmarkReadJSONL measures line splitting alone (the callback does
// nothing); compare with BenchmarkReadJSONLDecode for the share of JSON
// decoding, and with BenchmarkReadJSONLGzip for decompression.
func BenchmarkReadJSONL(b *testing.B) {
	data := jsonlBench(10_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := ReadJSONL(bytes.NewReader(data), "bench", func(int, json.RawMessage) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadJSONLDecode(b *testing.B) {
	data := jsonlBench(10_000)
	b.SetBytes(int64(len(data)))
	var v struct{ ID, Text, Lang string }
	for b.Loop() {
		if err := ReadJSONL(bytes.NewReader(data), "bench", func(_ int, raw json.RawMessage) error { return json.Unmarshal(raw, &v) }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadJSONLGzip(b *testing.B) {
	data := []byte(gz(b, string(jsonlBench(10_000))))
	b.SetBytes(int64(len(jsonlBench(10_000))))
	for b.Loop() {
		if err := ReadJSONL(bytes.NewReader(data), "bench", func(int, json.RawMessage) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReadJSONLLineTooLong: an over-long line, plain or gzip, is an error
// naming the file, the line and the limit (lowered with MIMO_MAX_LINE).
func TestReadJSONLLineTooLong(t *testing.T) {
	t.Setenv(lines.EnvLimit, "1KiB")
	long := `{"text":"` + strings.Repeat("é", 600) + `"}`
	for _, in := range []string{"{}\n\n" + long + "\n{}\n", gz(t, "{}\r\n\r\n"+long)} {
		got, err := collectJSONL(strings.NewReader(in))
		want := "f.jsonl:3: line too long: longer than the limit of 1KiB;"
		if !errors.Is(err, lines.ErrLineTooLong) || !strings.HasPrefix(fmt.Sprint(err), want) {
			t.Fatalf("err = %v, want %q...", err, want)
		}
		if len(got) != 1 {
			t.Errorf("%d lines before the error, want 1", len(got))
		}
	}
}
