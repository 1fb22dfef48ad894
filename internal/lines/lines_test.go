package lines

import (
	"bufio"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// scanAll returns every line Reader yields and its final error.
func scanAll(in string, limit int) ([]string, error) {
	r := NewReader(strings.NewReader(in), "f.txt", limit)
	var got []string
	for r.Scan() {
		got = append(got, r.Text())
		if r.Line() != len(got) {
			return got, errors.New("Line() out of step")
		}
	}
	return got, r.Err()
}

// scanner is what bufio.Scanner with ScanLines yields, the behaviour the
// loaders had before this package.
func scanner(in string) []string {
	sc := bufio.NewScanner(strings.NewReader(in))
	sc.Buffer(nil, 1<<30)
	var got []string
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	return got
}

func TestReaderSplitsLikeScanLines(t *testing.T) {
	long := strings.Repeat("x", 3*bufSize+17) // assembled from several buffers
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"one newline", "\n", []string{""}},
		{"last line without newline", "a\nb", []string{"a", "b"}},
		{"trailing newline", "a\nb\n", []string{"a", "b"}},
		{"CRLF", "a\r\nb\r\n", []string{"a", "b"}},
		{"CRLF last line without newline", "a\r\nb\r", []string{"a", "b"}},
		{"only CR", "\r", []string{""}},
		{"one CR dropped", "a\r\r\n", []string{"a\r"}},
		{"CR inside kept", "a\rb\n", []string{"a\rb"}},
		{"blank lines counted", "a\n\n\nb\n", []string{"a", "", "", "b"}},
		{"long line", "a\n" + long + "\r\nb", []string{"a", long, "b"}},
		{"NUL and invalid UTF-8", "\x00\xff\n", []string{"\x00\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanAll(tt.in, DefaultLimit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(scanner(tt.in), got); diff != "" {
				t.Errorf("differs from bufio.Scanner (-scanner +got):\n%s", diff)
			}
		})
	}
}

func TestReaderLimit(t *testing.T) {
	const limit = 10
	ok := strings.Repeat("y", limit)
	tests := []struct {
		name     string
		in       string
		wantN    int // lines read before the error
		wantLine int // 0: no error
	}{
		{"exactly the limit", ok + "\n" + ok, 2, 0},
		{"exactly the limit, CRLF", ok + "\r\n" + ok + "\r", 2, 0},
		{"one byte over", "a\n" + ok + "y\nb\n", 1, 2},
		{"one byte over at EOF", "a\n" + ok + "y", 1, 2},
		{"one byte over with CRLF", "a\nb\n" + ok + "y\r\n", 2, 3},
		{"far over, no newline", strings.Repeat("z", 5*bufSize), 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanAll(tt.in, limit)
			if len(got) != tt.wantN {
				t.Errorf("read %d lines before stopping, want %d", len(got), tt.wantN)
			}
			if tt.wantLine == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var tl *TooLongError
			if !errors.As(err, &tl) || !errors.Is(err, ErrLineTooLong) {
				t.Fatalf("err = %v, want a *TooLongError", err)
			}
			if tl.Line != tt.wantLine || tl.Limit != limit || tl.Name != "f.txt" {
				t.Errorf("err = %+v, want f.txt line %d limit %d", tl, tt.wantLine, limit)
			}
			for _, part := range []string{"f.txt:", ": line too long", "limit of 10", EnvLimit} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("message %q lacks %q", err, part)
				}
			}
		})
	}
}

// endless is an input of one line that never ends.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n += int64(len(p))
	return len(p), nil
}

// TestReaderBoundsMemory: a line that never ends is refused after about
// limit bytes, not read until memory runs out.
func TestReaderBoundsMemory(t *testing.T) {
	const limit = 1 << 20
	src := &endless{}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewReader(src, "stream", limit)
	if r.Scan() {
		t.Fatal("Scan returned a line")
	}
	runtime.ReadMemStats(&after)
	if !errors.Is(r.Err(), ErrLineTooLong) {
		t.Fatalf("err = %v, want ErrLineTooLong", r.Err())
	}
	if src.n > limit+2*bufSize {
		t.Errorf("read %d bytes for a limit of %d", src.n, limit)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 8*limit {
		t.Errorf("allocated %d bytes for a limit of %d", got, limit)
	}
}

func TestReaderEnv(t *testing.T) {
	in := strings.Repeat("a", 100) + "\n"
	t.Run("raises", func(t *testing.T) {
		t.Setenv(EnvLimit, "1KiB")
		if _, err := scanAll(in, 10); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("lowers", func(t *testing.T) {
		t.Setenv(EnvLimit, "50")
		_, err := scanAll(in, DefaultLimit)
		var tl *TooLongError
		if !errors.As(err, &tl) || tl.Limit != 50 {
			t.Fatalf("err = %v, want too long with limit 50", err)
		}
	})
	for _, bad := range []string{"", "abc", "-5", "0", "1.5MiB", "99999999999999999999GiB"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			t.Setenv(EnvLimit, bad)
			_, err := scanAll(in, DefaultLimit)
			if err == nil || !strings.Contains(err.Error(), "f.txt: "+EnvLimit) {
				t.Fatalf("err = %v, want one naming the file and %s", err, EnvLimit)
			}
		})
	}
	t.Run("non-positive limit", func(t *testing.T) {
		if _, err := scanAll(in, 0); err == nil || !strings.Contains(err.Error(), "not positive") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("a\nb\npartial"), iotest.ErrReader(boom)), "f.gz", DefaultLimit)
	var got []string
	for r.Scan() {
		got = append(got, r.Text())
	}
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if !errors.Is(r.Err(), boom) || !strings.HasPrefix(r.Err().Error(), "f.gz:3: ") {
		t.Errorf("err = %v, want f.gz:3: boom", r.Err())
	}
}

func TestParseFormatSize(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "64MiB": 64 << 20, "64m": 64 << 20, " 2 GiB ": 2 << 30, "3k": 3 << 10, "1536": 1536} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for n, want := range map[int]string{64 << 20: "64MiB", 1 << 30: "1GiB", 1536: "1536", 3 << 10: "3KiB", 7: "7"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := ParseSize(FormatSize(n)); err != nil || back != n {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
		}
	}
}

// TestBoundAgreesWithReader: Bound refuses exactly the inputs Reader
// refuses, at the same line, and passes the others through unchanged.
func TestBoundAgreesWithReader(t *testing.T) {
	const limit = 4
	inputs := []string{
		"", "abcd", "abcde", "abcd\r", "abcde\r", "abcd\r\n", "abcde\r\n", "ab\nabcde\n",
		"a\r\r\r\n", "abc\r\r\n", "abcd\r\r\n", "\n\n\nabcdef", "abcd\nabcd\nabcd",
	}
	for _, in := range inputs {
		_, rerr := scanAll(in, limit)
		out, berr := io.ReadAll(iotest.OneByteReader(Bound(strings.NewReader(in), "f.txt", limit)))
		var rt, bt *TooLongError
		errors.As(rerr, &rt)
		errors.As(berr, &bt)
		if (rt == nil) != (bt == nil) || (rt != nil && *rt != *bt) {
			t.Errorf("%q: Reader err %v, Bound err %v", in, rerr, berr)
		}
		if berr == nil && string(out) != in {
			t.Errorf("%q: Bound passed %q", in, out)
		}
	}
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{"", "a\nb", "a\r\nb\r", "\r\r\n", "abcdefgh\nab\r\n", "\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		const limit = 6
		got, err := scanAll(in, limit)
		var tl *TooLongError
		if err != nil && !errors.As(err, &tl) {
			t.Fatalf("unexpected error %v", err)
		}
		want := scanner(in)
		if err == nil {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("differs from bufio.Scanner (-scanner +got):\n%s", diff)
			}
		} else {
			if diff := cmp.Diff(want[:len(got)], got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("lines before the error differ from bufio.Scanner (-scanner +got):\n%s", diff)
			}
			if tl.Line != len(got)+1 || len(want[len(got)]) <= limit {
				t.Fatalf("stopped at line %d after %d lines; scanner's line is %q", tl.Line, len(got), want[len(got)])
			}
		}
		_, berr := io.ReadAll(Bound(strings.NewReader(in), "f.txt", limit))
		var bt *TooLongError
		errors.As(berr, &bt)
		if (tl == nil) != (bt == nil) || (tl != nil && *tl != *bt) {
			t.Fatalf("Reader err %v, Bound err %v", err, berr)
		}
	})
}
