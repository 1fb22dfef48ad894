package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeArgs(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"-t", "XQuAD", "MLQA", "-m", "lexical"}, []string{"-t", "XQuAD,MLQA", "-m", "lexical"}},
		{[]string{"--tasks", "mini"}, []string{"--tasks", "mini"}},
		{[]string{"-l", "eng", "deu", "zho"}, []string{"-l", "eng,deu,zho"}},
		{[]string{"--eval-splits", "test", "dev", "--overwrite"}, []string{"--eval-splits", "test,dev", "--overwrite"}},
		{[]string{"-m", "a", "b"}, []string{"-m", "a", "b"}}, // not a list flag: left for the parser to refuse
	} {
		if diff := cmp.Diff(tc.want, normalizeArgs(tc.in)); diff != "" {
			t.Errorf("normalizeArgs(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestNormalizeLangs(t *testing.T) {
	got, err := normalizeLangs([]string{"eng", "deu-Latn", "DE", "zho", "zh", "cmn-Hans"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"en", "de", "de", "zh", "zh", "zh"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := normalizeLangs([]string{"xyz"}); err == nil || !strings.Contains(err.Error(), `"xyz"`) {
		t.Errorf("unknown code: %v", err)
	}
}

// TestMTEBSpellings runs mimo-eval with MTEB's flags (issue 11: -m was
// "flag provided but not defined", and --langs deu,eng selected nothing).
func TestMTEBSpellings(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"-m", "lexical", "-t", "mini", "-l", "deu", "eng", "--output-folder", out, "--no-cache", "--eval-splits", "test"}
	if code := Main(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "MiniMLIR") || !strings.Contains(stdout.String(), " de ") {
		t.Errorf("table:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, "lexical")); err != nil {
		t.Errorf("results not under --output-folder: %v", err)
	}
	// only-cache: the result is there now; a task without one is an error.
	stdout.Reset()
	stderr.Reset()
	args = []string{"-m", "lexical", "-t", "mini", "-l", "deu", "eng", "--output-folder", out, "--no-cache", "--overwrite-strategy", "only-cache", "--eval-splits", "test"}
	if code := Main(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("only-cache with the result present: exit %d: %s", code, stderr.String())
	}
	args = []string{"-m", "lexical", "-t", "mini", "--output-folder", t.TempDir(), "--no-cache", "--overwrite-strategy", "only-cache"}
	if code := Main(context.Background(), args, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "only-cache") {
		t.Errorf("only-cache without results: exit %d: %s", code, stderr.String())
	}
	for _, bad := range [][]string{
		{"--overwrite-strategy", "sometimes"},
		{"--overwrite-strategy", "only-cache", "--overwrite"},
		{"-m", "lexical", "--model-revision", "main"},
		{"-t", "mini", "--eval-splits", "train", "-m", "lexical", "--no-cache", "--output-folder", t.TempDir()},
	} {
		stderr.Reset()
		if code := Main(context.Background(), bad, &stdout, &stderr); code == 0 {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestDefaultModelAnywhere: from a folder that is not the checkout,
// mimo-eval with no --model evaluates the embedded mimo-mini (issue 11: it
// silently evaluated "lexical").
func TestDefaultModelAnywhere(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out := t.TempDir()
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"--langs", "de,en", "--no-cache", "--output", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "mimo-mini")); err != nil {
		t.Errorf("no mimo-mini results: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "mimo-mini records") {
		t.Errorf("the contamination record was not read:\n%s", stderr.String())
	}
}
