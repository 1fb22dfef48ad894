package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/training"
)

// TestParseArgs checks the order of precedence: training.Default(), then the
// --config file, then the flags given, and nothing else.
func TestParseArgs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "run.json")
	if err := os.WriteFile(file, []byte(`{"method": "lakda", "alpha": 0.3, "pairs": ["jsonl:a", "jsonl:b"], "rows": ["jsonl:r"],
		"stage1": {"lr": 0.5, "batch": 7, "max_length": 11, "epochs": 1}, "stage2": {"lr": 0.25, "batch": 9, "max_length": 13, "epochs": 2}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile, err := training.ReadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		base training.Config
		edit func(*training.Config)
	}{
		{"defaults", nil, training.Default(), func(*training.Config) {}},
		{"flags over defaults", []string{"--method", "xlco", "--seed", "9", "--langs", "de,en", "--quiet"}, training.Default(), func(c *training.Config) {
			c.Method, c.Seed, c.Langs, c.Quiet = "xlco", 9, []string{"de", "en"}, true
		}},
		{"file alone", []string{"--config", file}, fromFile, func(*training.Config) {}},
		{"engine flags", []string{"--dtype", "bf16", "--devices", "2", "--batch-mode", "per-device"}, training.Default(), func(c *training.Config) {
			c.DType, c.Devices, c.BatchMode = training.DTypeBF16, 2, training.BatchPerDevice
		}},
		{"flag over file", []string{"--config", file, "--alpha", "0.7"}, fromFile, func(c *training.Config) { c.Alpha = 0.7 }},
		{"flag before --config still wins", []string{"--alpha", "0.7", "--config", file}, fromFile, func(c *training.Config) { c.Alpha = 0.7 }},
		{"repeated flag replaces the file's list", []string{"--config", file, "--pairs", "jsonl:c", "--pairs", "jsonl:d"}, fromFile, func(c *training.Config) {
			c.Pairs = []string{"jsonl:c", "jsonl:d"}
		}},
		{"phase flag sets every phase, leaves the rest", []string{"--config", file, "--lr", "0.125", "--steps", "3"}, fromFile, func(c *training.Config) {
			c.Stage1.LR, c.Stage2.LR, c.Stage1.MaxSteps, c.Stage2.MaxSteps = 0.125, 0.125, 3, 3
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := parseArgs(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.base
			want.Pairs = append([]string(nil), tc.base.Pairs...)
			tc.edit(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseArgsExtras(t *testing.T) {
	_, x, err := parseArgs([]string{"--init-bag", "out/bag", "--bag-ridge", "0.05", "--bag-no-prior"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := (extras{initBag: "out/bag", bagRidge: 0.05, bagNoPrior: true}); x != want {
		t.Fatalf("extras %+v, want %+v", x, want)
	}
	if _, _, err := parseArgs([]string{"--steps", "x"}, io.Discard); err == nil {
		t.Fatal("--steps x: no error")
	}
}
