package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/internal/shareddata"
)

// mimo-report over the real MTEB results of shared/data reads all 39 task
// files (skipping none) and says how many models and revisions they are.
func TestRealMTEBResults(t *testing.T) {
	dir, ok := shareddata.Path("mteb-results")
	if !ok {
		t.Fatal("shared data mteb-results not found (set MIMO_DATA to the shared data folder, normally ../shared/data beside the repo)")
	}
	out := filepath.Join(t.TempDir(), "report.md")
	var stderr bytes.Buffer
	if code := run([]string{"--no-figures", "--out", out, dir}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{
		"read 39 task result files of 6 models at 10 revisions (0 written by mimo, 39 by MTEB); 14 model_meta.json files, 4 of them in revision folders without task results; 0 files skipped",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "skipped /") {
		t.Errorf("a file was skipped:\n%s", stderr.String())
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"## MIRACL per language: mteb/MIRACLRetrievalHardNegatives (nDCG@10, split dev)",
		"| Main score (nDCG@10) |", "| Main score (nDCG@20) |", "1/12 (th)", "## Files read",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(string(md), "main score, nDCG@20)") {
		t.Error("report still labels MTEB's main score nDCG@20")
	}
}

// A file that cannot be read is named on stderr with the reason.
func TestSkippedFilesNamed(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.md")
	var stderr bytes.Buffer
	if code := run([]string{"--no-figures", "--out", out, "../../reports/testdata/layouts"}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{
		"skipped ../../reports/testdata/layouts/old__unknown/r1/ArguAna.json: not an MTEB task result: test.default has no main_score, and task ArguAna is not one mimo knows the main score of",
		`skipped ../../reports/testdata/layouts/bad__mixed/r1/XQuADRetrieval.json: not an MTEB task result: field "task_name" is missing`,
		"2 files skipped",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// --html alone writes the page and no Markdown; with --out, both.
func TestHTMLFlag(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "r.html")
	var stderr bytes.Buffer
	if code := run([]string{"--html", page, "../../reports/testdata/results"}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "<!DOCTYPE html>") || !strings.Contains(string(b), "<svg") {
		t.Errorf("not the HTML page: %.100s", b)
	}
	if _, err := os.Stat("report.md"); err == nil {
		t.Error("--html alone wrote report.md")
	}
	md := filepath.Join(dir, "r.md")
	if code := run([]string{"--no-figures", "--out", md, "--html", page, "../../reports/testdata/results"}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(md); err != nil {
		t.Errorf("--out with --html: %v", err)
	}
}
