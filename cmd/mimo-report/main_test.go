package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/harness"
	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/results"
)

// mimo-report over the real MTEB results of shared/data reads all 39 task
// files (skipping none) and says how many models and revisions they are.
func TestRealMTEBResults(t *testing.T) {
	dir := shareddata.Require(t, "mteb-results")
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

// TestSignificanceFlags: --baseline, --draws and --seed reach the
// significance table (from the per-query scores of mimo's extras); bad
// values are refused.
func TestSignificanceFlags(t *testing.T) {
	dir := t.TempDir()
	for name, shift := range map[string]float64{"a": 0, "b": 0.3} {
		pq := map[string]float64{}
		for i := range 20 {
			pq[fmt.Sprintf("q%02d", i)] = float64(i%5)/5 - shift*float64(i%2)
		}
		d := filepath.Join(dir, "org__"+name, results.NoRevision)
		res := results.TaskResult{TaskName: "MiniMLIR", MTEBVersion: harness.MTEBVersion,
			Scores: map[string][]map[string]any{"test": {{"main_score": 0.4, "ndcg_at_20": 0.4, "hf_subset": "default", "languages": []string{"eng-Latn"}}}}}
		x := results.Extras{TaskName: "MiniMLIR", Model: "org/" + name, Subsets: []results.SubsetExtras{{Split: "test", Subset: "default", PerQuery: pq}}}
		for path, v := range map[string]any{filepath.Join(d, "MiniMLIR.json"): res, filepath.Join(d, results.ExtrasDir, "MiniMLIR.json"): x} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := filepath.Join(t.TempDir(), "report.md")
	var stderr bytes.Buffer
	if code := run([]string{"--no-figures", "--out", out, "--baseline", "b", "--draws", "500", "--seed", "7", dir}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MiniMLIR: significance against org/b", "500 draws", "seeded 7", "| org/a |     -15.00 |"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, args := range [][]string{{"--draws", "0"}, {"--seed", "0"}} {
		if code := run(append(args, "--out", out, dir), &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
