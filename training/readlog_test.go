package training

import (
	"errors"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/internal/lines"
)

// TestReadLogLineTooLong: an over-long log line names the line and the
// limit (it was a bare "bufio.Scanner: token too long"); CRLF lines parse.
func TestReadLogLineTooLong(t *testing.T) {
	got, err := ReadLog(strings.NewReader("{\"step\":1}\r\n{\"step\":2}"))
	if err != nil || len(got) != 2 {
		t.Fatalf("CRLF log: %d steps, err %v", len(got), err)
	}
	_, err = ReadLog(strings.NewReader("{\"step\":1}\n" + strings.Repeat(" ", 1<<20+1) + "\n"))
	if !errors.Is(err, lines.ErrLineTooLong) || !strings.Contains(err.Error(), "training log:2: line too long: longer than the limit of 1MiB") {
		t.Fatalf("err = %v, want training log:2 too long", err)
	}
}
