package progress

import (
	"bytes"
	"os"
	"testing"
)

// Progress bars must stay silent off a terminal (pipes, files, CI logs).
func TestSilentOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, 100, "encoding")
	b.Add(50)
	b.Add(50)
	b.Finish()
	if buf.Len() != 0 {
		t.Errorf("wrote %q to a non-terminal", buf.String())
	}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file reported as a terminal")
	}
	New(f, 10, "x").Add(10)
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Errorf("wrote %d bytes to a regular file", st.Size())
	}
	var nilBar *Bar
	nilBar.Add(1) // must not panic
	nilBar.Finish()
}
