package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/gztest"
	textlines "github.com/mimo-mlir/mimo/internal/lines"
)

// TestLineTooLong: an over-long line of a training file, plain or gzip, is
// an error naming the file, the line and the limit (MIMO_MAX_LINE lowers
// it for the test); it used to be a bare "bufio.Scanner: token too long".
func TestLineTooLong(t *testing.T) {
	t.Setenv(textlines.EnvLimit, "1KiB")
	long := strings.Repeat("x", 1025)
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		text string
		read func(string) error
	}{
		{"pairs.tsv", "a\tb\n\nc\t" + long + "\n", func(p string) error { _, err := ReadOPUSTSV(p, "de"); return err }},
		{"pairs.tsv.gz", "a\tb\r\n\r\nc\t" + long, func(p string) error { _, err := ReadOPUSTSV(p, "de"); return err }},
		{"pairs.jsonl", `{"lang":"de","en":"a","text":"b"}` + "\n\n" + `{"lang":"de","en":"` + long + `"}` + "\n", func(p string) error { _, err := ReadPairsJSONL(p); return err }},
		{"rows.jsonl", `{"id":"1","query":{"en":"a"},"positive":{"en":"b"}}` + "\n\n" + long, func(p string) error { _, err := ReadRowsJSONL(p); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			data := []byte(tt.text)
			if strings.HasSuffix(p, ".gz") {
				data = gztest.Compress(t, data)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			err := tt.read(p)
			want := fmt.Sprintf("%s:3: line too long: longer than the limit of 1KiB", p)
			if !errors.Is(err, textlines.ErrLineTooLong) || !strings.Contains(fmt.Sprint(err), want) {
				t.Fatalf("err = %v, want one containing %q", err, want)
			}
		})
	}
}

// TestCRLF: CRLF files and a last line without a newline read like LF.
func TestCRLF(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pairs.jsonl")
	text := `{"lang":"de","en":"a","text":"b"}` + "\r\n\r\n" + `{"lang":"deu","en":"c","text":"d"}`
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPairsJSONL(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []SentencePair{{"de", "a", "b"}, {"de", "c", "d"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pairs (-want +got):\n%s", diff)
	}
}
