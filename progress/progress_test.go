package progress

import (
	"bytes"
	"os"
	"testing"
	"time"
)

// Progress bars draw nothing off a terminal (pipes, files, CI logs) within
// the first LogInterval.
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

// TestLogLinesOffTerminal: off a terminal, one line per LogInterval with
// rate and ETA, none before the first interval (issue 16 item 5: nothing
// was printed off a TTY).
func TestLogLinesOffTerminal(t *testing.T) {
	clock := time.Unix(0, 0)
	now = func() time.Time { return clock }
	defer func() { now = time.Now }()
	var buf bytes.Buffer
	b := New(&buf, 1000, "XQuAD documents")
	clock = clock.Add(30 * time.Second)
	b.Add(100)
	if buf.Len() != 0 {
		t.Fatalf("a line before the first interval: %q", buf.String())
	}
	clock = clock.Add(70 * time.Second)
	b.Add(150) // 250 in 100 s: 2.5/s, 750 left: 300 s
	clock = clock.Add(10 * time.Second)
	b.Add(10)
	b.Finish()
	if got, want := buf.String(), "XQuAD documents: 250/1000 (25%), 2.5 texts/s, ETA 5m0s\n"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

// The units a download and a training phase count, off a terminal: bytes
// through Write with a resumed start, and steps.
func TestUnitsOffTerminal(t *testing.T) {
	clock := time.Unix(0, 0)
	now = func() time.Time { return clock }
	defer func() { now = time.Now }()
	for _, tc := range []struct {
		name string
		opts []Option
		add  func(b *Bar)
		want string
	}{
		{"bytes resumed", []Option{Bytes(), StartAt(1_000_000)}, func(b *Bar) { _, _ = b.Write(make([]byte, 2_000_000)) },
			"model.onnx: 3.0 MB/10.0 MB (30%), 20.0 kB/s, ETA 5m50s\n"},
		{"steps", []Option{Unit("steps")}, func(b *Bar) { b.Add(50) },
			"model.onnx: 50/10000000 (0%), 0.5 steps/s, ETA 5555h31m40s\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			clock = time.Unix(0, 0)
			b := New(&buf, 10_000_000, "model.onnx", tc.opts...)
			clock = clock.Add(100 * time.Second)
			tc.add(b)
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tc.want {
				t.Errorf("log = %q, want %q", got, tc.want)
			}
		})
	}
	var nilBar *Bar
	if n, err := nilBar.Write([]byte("abc")); n != 3 || err != nil || nilBar.Close() != nil {
		t.Errorf("nil bar: %d, %v", n, err)
	}
}
