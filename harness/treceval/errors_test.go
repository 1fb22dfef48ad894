package treceval

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCAtofAtol(t *testing.T) {
	floats := []struct {
		in   string
		want float64
	}{
		{"0.5", 0.5}, {".25", 0.25}, {"5.", 5}, {"+0.25", 0.25}, {"-2.5e-1", -0.25},
		{"0x1p-2", 0.25}, {"0x10", 16}, {"1.5abc", 1.5}, {"junk", 0}, {"1e", 1},
		{"1e+", 1}, {"-", 0}, {"INF", math.Inf(1)}, {"-infinity", math.Inf(-1)}, {"1e400", math.Inf(1)},
	}
	for _, tt := range floats {
		if got := cAtof([]byte(tt.in)); got != tt.want {
			t.Errorf("cAtof(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := cAtof([]byte("nan")); !math.IsNaN(got) {
		t.Errorf("cAtof(nan) = %v", got)
	}
	longs := []struct {
		in   string
		want int64
	}{{"3", 3}, {"-1", -1}, {"+2", 2}, {"1.9", 1}, {"x", 0}, {"99999999999999999999", math.MaxInt64}}
	for _, tt := range longs {
		if got := cAtol([]byte(tt.in)); got != tt.want {
			t.Errorf("cAtol(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestMainErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	qrels := write("qrels", "1 0 a 1\n1 0 b 0\n")
	run := write("run", "1 Q0 a 1 0.5 r\n1 Q0 b 2 0.4 r\n")
	tests := []struct {
		name    string
		args    []string
		rc      int
		wantErr string
	}{
		{"ok", []string{"-m", "map", qrels, run}, 0, ""},
		{"one file", []string{qrels}, 1, "want exactly two files"},
		{"unknown option", []string{"-x", qrels, run}, 1, "unknown option -x"},
		{"missing value", []string{qrels, run, "-m"}, 1, "needs a value"},
		{"unknown measure", []string{"-m", "foo.5", qrels, run}, 1, `unsupported measure "foo.5"`},
		{"zero cutoff", []string{"-m", "P.0,5", qrels, run}, 1, "cutoff 0 is not positive"},
		{"duplicate cutoff", []string{"-m", "P.5,5", qrels, run}, 1, "duplicate cutoff 5"},
		{"empty params", []string{"-m", "P.", qrels, run}, 1, "improper measure"},
		{"missing qrels", []string{filepath.Join(dir, "nope"), run}, 2, "nope"},
		{"empty run", []string{qrels, write("empty", "")}, 2, "empty file"},
		{"short run line", []string{qrels, write("short", "1 Q0 a 1 0.5 r\n\n1 Q0 b 2 0.4\n")}, 2, "short:3: malformed run line"},
		{"qrels with extra field", []string{write("q5", "1 0 a 1\n1 0 b 0 extra\n"), run}, 2, "q5:2: malformed qrels line"},
		{"blank qrels line", []string{write("qblank", "1 0 a 1\n\n"), run}, 2, "qblank:2: malformed qrels line"},
		{"NaN score", []string{qrels, write("nan", "1 Q0 a 1 nan r\n")}, 2, "nan:1: score \"nan\" is NaN"},
		{"duplicate retrieved", []string{qrels, write("dup", "1 Q0 a 1 0.5 r\n1 Q0 b 2 0.4 r\n1 Q0 a 3 0.1 r\n")}, 2, "dup:3: query 1: document a retrieved twice (also line 1)"},
		{"duplicate judged", []string{write("qdup", "1 0 a 1\n1 0 a 0\n"), run}, 2, "qdup:2: query 1: document a judged twice (also line 1)"},
		{"relevance overflowing a C long", []string{write("qbig", "1 0 a 1\n1 0 b 99999999999999999999\n"), run}, 2, "qbig:2: relevance \"99999999999999999999\" overflows a C long"},
		{"relevance above 2^31-1", []string{write("qhuge", "1 0 a 2147483648\n"), run}, 2, "qhuge:1: relevance \"2147483648\" is above 2147483647"},
		{"negative -M", []string{"-M", "-1", qrels, run}, 1, "-M -1: the number of documents evaluated per query must be 0 or more"},
		{"no common query", []string{qrels, write("other", "2 Q0 a 1 0.5 r\n")}, 7, "no queries with both results and relevance info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			rc := Main(tt.args, &stdout, &stderr)
			if rc != tt.rc {
				t.Fatalf("rc = %d, want %d (stderr %q)", rc, tt.rc, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want containing %q", stderr.String(), tt.wantErr)
			}
		})
	}
}
