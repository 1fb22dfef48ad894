package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The tests of `mimo-eval score`'s command line, which moved here from
// harness/treceval with it (issue 13 item 4), assertions unchanged.

// TestScoreGolden runs every harness/treceval/testdata/cases/NAME.args
// command line (paths relative to that testdata/) and compares the output byte for byte with
// NAME.want, which trec_eval 9.0.8 printed for the same command line (see
// testdata/README).
func TestScoreGolden(t *testing.T) {
	t.Chdir(filepath.Join("..", "..", "..", "harness", "treceval", "testdata"))
	argsFiles, err := filepath.Glob("cases/*.args")
	if err != nil || len(argsFiles) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, f := range argsFiles {
		name := strings.TrimSuffix(filepath.Base(f), ".args")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".args") + ".want")
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if rc := score(strings.Fields(string(raw)), &stdout, &stderr); rc != 0 {
				t.Fatalf("exit status %d, stderr: %s", rc, stderr.String())
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(stdout.String(), "\n")); diff != "" {
				t.Errorf("output differs from trec_eval (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScoreErrors: exit statuses and messages of bad command lines and
// bad input.
func TestScoreErrors(t *testing.T) {
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
			rc := score(tt.args, &stdout, &stderr)
			if rc != tt.rc {
				t.Fatalf("rc = %d, want %d (stderr %q)", rc, tt.rc, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want containing %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

// TestScoreNegativeMaxDocs: a negative -M is a usage error (status 1)
// naming it, before any file is read (trec_eval 9.0.8 crashes on one).
func TestScoreNegativeMaxDocs(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if rc := score([]string{"-M", "-5", "q", "r"}, &stdout, &stderr); rc != 1 || !strings.Contains(stderr.String(), "-M -5") {
		t.Errorf("Main -M -5: rc %d, stderr %q; want 1 and an error naming -M -5", rc, stderr.String())
	}
}
