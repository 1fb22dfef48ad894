package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/lines"
)

// TestReadTextsLines: an over-long line is an error naming the file, the
// line and the limit (MIMO_MAX_LINE lowers it here); CRLF and a last line
// without a newline read like LF.
func TestReadTextsLines(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := readTexts(write("crlf.txt", "one\r\n\r\ntwo\r\nthree"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"one", "two", "three"}, got); diff != "" {
		t.Errorf("texts (-want +got):\n%s", diff)
	}
	t.Setenv(lines.EnvLimit, "1KiB")
	for _, name := range []string{"long.txt", "long.jsonl"} {
		p := write(name, "{\"text\": \"a\"}\n\n{\"text\": \""+strings.Repeat("b", 1024)+"\"}\n")
		_, err := readTexts(p)
		want := fmt.Sprintf("%s:3: line too long: longer than the limit of 1KiB", p)
		if !errors.Is(err, lines.ErrLineTooLong) || !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("err = %v, want one containing %q", err, want)
		}
	}
}
