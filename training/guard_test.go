package training

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/filelock"
	"github.com/mimo-mlir/mimo/training/data"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/transformer"
)

// readLogFile reads OUTPUT/train-log.jsonl with the wall-clock field zeroed.
func readLogFile(t *testing.T, dir string) []StepLog {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return wallClockFree(t, f)
}

// TestResumedLogEqualsUninterrupted: a run stopped some steps after its
// last checkpoint (here also with a torn last line, as kill -9 during a
// write leaves it) and resumed writes, in OUTPUT/train-log.jsonl, exactly
// the lines an uninterrupted run writes: the steps after the checkpoint are
// dropped, not repeated. Across the MIMO stage boundary too.
func TestResumedLogEqualsUninterrupted(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method      data.Method
		every, stop int
		torn        bool
	}{
		{data.MethodXLCO, 2, 3, false},
		{data.MethodXLCO, 2, 3, true},
		{data.MethodMIMO, 3, 5, false}, // checkpoint at the stage boundary (4), stopped in stage 2
		{data.MethodMIMO, 3, 4, true},  // checkpoint at stage-1 step 3, stopped at the boundary
		{data.MethodInfoNCE, 0, 2, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s-every%d-stop%d-torn%v", c.method, c.every, c.stop, c.torn), func(t *testing.T) {
			full := testConfig(c.method, t.TempDir())
			full.CheckpointEvery = c.every
			if _, err := newTestRun(t, b, full, 1, nil).Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			want := readLogFile(t, full.Output)

			cfg := testConfig(c.method, t.TempDir())
			cfg.CheckpointEvery = c.every
			r1 := newTestRun(t, b, cfg, 1, nil)
			r1.StopAfter = c.stop
			if _, err := r1.Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := len(readLogFile(t, cfg.Output)); got != c.stop {
				t.Fatalf("stopped run logged %d lines, want %d", got, c.stop)
			}
			if c.torn {
				f, err := os.OpenFile(filepath.Join(cfg.Output, LogFile), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteString(`{"phase":"baseline","step":`); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
			cfg.Resume = true
			var notes bytes.Buffer
			// A student initialised otherwise, which the checkpoint must
			// overwrite (without a checkpoint the run starts over from the
			// same initialisation, as a student folder would give it).
			seed := uint64(999)
			if c.every == 0 {
				seed = 1
			}
			r2 := newTestRun(t, b, cfg, seed, nil)
			r2.Notes = &notes
			if _, err := r2.Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, readLogFile(t, cfg.Output)); diff != "" {
				t.Fatalf("resumed log differs from the uninterrupted one (-want +got):\n%s", diff)
			}
			if !strings.Contains(notes.String(), "resume") {
				t.Errorf("no note on resuming: %q", notes.String())
			}
		})
	}
}

// TestResumeRefusesChangedConfig: resuming with another hyper-parameter is
// an error naming every field that differs, with both values; the fields
// that only say how or where the run computes may change.
func TestResumeRefusesChangedConfig(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*Config)
		want []string // nil: the resume is accepted
	}{
		{"lr", func(c *Config) { c.Stage2.LR, c.Stage1.LR = 0.02, 0.02 }, []string{"stage2.lr 0.01 -> 0.02", "stage1.lr"}},
		{"max-grad-norm", func(c *Config) { c.MaxGradNorm = 2 }, []string{"max_grad_norm 1 -> 2"}},
		{"two-fields", func(c *Config) { c.WeightDecay, c.Scale = 0.5, 10 }, []string{"weight_decay", "scale 20 -> 10"}},
		{"steps", func(c *Config) { c.Stage2.MaxSteps = 9 }, []string{"stage2.max_steps (unset) -> 9"}},
		{"rows", func(c *Config) { c.Rows = []string{"y"} }, []string{`rows ["x"] -> ["y"]`}},
		{"seed", func(c *Config) { c.Seed = 12 }, []string{"seed 11 -> 12"}},
		{"langs", func(c *Config) { c.Langs = []string{"de", "fr"} }, []string{"langs"}},
		{"dtype", func(c *Config) { c.DType = DTypeBF16 }, []string{`dtype "f32" -> "bf16"`}},
		{"allowed", func(c *Config) { c.Quiet, c.CheckpointEvery, c.Name, c.MiniBatch, c.Backend = false, 3, "x", 4, "go" }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(data.MethodXLCO, t.TempDir())
			r1 := newTestRun(t, b, cfg, 1, &bytes.Buffer{})
			r1.StopAfter = 1
			if _, err := r1.Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			cfg.Resume = true
			c.edit(&cfg)
			var notes bytes.Buffer
			r2 := newTestRun(t, b, cfg, 1, &bytes.Buffer{})
			r2.Notes = &notes
			_, err := r2.Train(context.Background())
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(notes.String(), "mini_batch 5 -> 4") {
					t.Errorf("the allowed change of mini_batch is not noted: %q", notes.String())
				}
				return
			}
			if err == nil {
				t.Fatal("resume with a changed configuration accepted")
			}
			for _, w := range append(c.want, "--overwrite", CheckpointFile) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestOutputFolderGuard: a run without --resume refuses a folder that holds
// an earlier run (and leaves it as it was); --overwrite clears mimo-train's
// own files and only those; --resume with --overwrite is refused.
func TestOutputFolderGuard(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(data.MethodXLCO, t.TempDir())
	cfg.CheckpointEvery = 2
	r := newTestRun(t, b, cfg, 1, nil)
	r.WriteFolder = func(_ *mlctx.Context, dir string) error {
		return os.WriteFile(filepath.Join(dir, "model.safetensors"), []byte("weights"), 0o644)
	}
	if _, err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := readLogFile(t, cfg.Output)
	mine := filepath.Join(cfg.Output, "notes.txt")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	ck, _ := os.ReadFile(filepath.Join(cfg.Output, CheckpointFile))

	_, err = newTestRun(t, b, cfg, 1, nil).Train(context.Background())
	if err == nil {
		t.Fatal("a second run into a used folder was accepted")
	}
	for _, w := range []string{cfg.Output, CheckpointFile, "--resume", "--overwrite"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(cfg.Output, CheckpointFile)); !bytes.Equal(got, ck) {
		t.Fatal("the refused run changed the checkpoint")
	}
	if got := readLogFile(t, cfg.Output); len(got) != len(first) {
		t.Fatalf("the refused run changed the log: %d lines, had %d", len(got), len(first))
	}

	cfg.Overwrite = true
	if _, err := newTestRun(t, b, cfg, 1, nil).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := readLogFile(t, cfg.Output); !cmp.Equal(got, first) {
		t.Fatalf("after --overwrite the log holds %d lines, want one run's %d", len(got), len(first))
	}
	if _, err := os.Stat(filepath.Join(cfg.Output, "model.safetensors")); !os.IsNotExist(err) {
		t.Errorf("--overwrite kept the old model.safetensors (%v)", err)
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "mine" {
		t.Errorf("--overwrite touched a file it did not write: %q, %v", b, err)
	}

	cfg.Resume = true
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Errorf("--resume with --overwrite: %v", err)
	}
}

// TestOverwriteKeepsInputs: --overwrite never deletes a file the run reads
// (here the student folder is the output folder).
func TestOverwriteKeepsInputs(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	// An earlier run's folder (it has a log), used as the student of a new
	// run into the same folder.
	dir := t.TempDir()
	for _, f := range []string{"model.safetensors", "config.json", "tokenizer.json", LogFile} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(data.MethodXLCO, dir)
	cfg.Student, cfg.Overwrite = dir, true
	_, err = newTestRun(t, b, cfg, 1, nil).Train(context.Background())
	if err == nil || !strings.Contains(err.Error(), "which this run reads (--student "+dir) {
		t.Fatalf("want an error naming the student's file, got %v", err)
	}
	for _, f := range []string{"model.safetensors", "config.json", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("student file %s: %v", f, err)
		}
	}
}

// TestForeignModelFolder: a folder that holds model files mimo-train did
// not write (no checkpoint, no log) is refused, with --overwrite too, and
// nothing in it is removed.
func TestForeignModelFolder(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, overwrite := range []bool{false, true} {
		dir := t.TempDir()
		for _, f := range []string{"model.safetensors", "config.json"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cfg := testConfig(data.MethodXLCO, dir)
		cfg.Overwrite = overwrite
		_, err = newTestRun(t, b, cfg, 1, nil).Train(context.Background())
		if err == nil || !strings.Contains(err.Error(), "mimo-train did not write them") || !strings.Contains(err.Error(), "config.json") {
			t.Fatalf("overwrite %v: want a refusal naming config.json, got %v", overwrite, err)
		}
		for _, f := range []string{"model.safetensors", "config.json"} {
			if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || string(b) != f {
				t.Errorf("overwrite %v: %s changed: %q, %v", overwrite, f, b, err)
			}
		}
	}
}

// TestOutputLocked: a second trainer on the same output folder is refused,
// with the folder and the holder's pid named.
func TestOutputLocked(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(data.MethodXLCO, t.TempDir())
	l, err := filelock.Acquire(filepath.Join(cfg.Output, LockFile))
	if err != nil {
		t.Fatal(err)
	}
	_, err = newTestRun(t, b, cfg, 1, nil).Train(context.Background())
	if err == nil {
		t.Fatal("a second trainer on a locked folder was accepted")
	}
	for _, w := range []string{cfg.Output, fmt.Sprintf("process %d", os.Getpid())} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	var held *filelock.HeldError
	if !errors.As(err, &held) {
		t.Errorf("error %v is not a *filelock.HeldError", err)
	}
	l.Close()
	if _, err := newTestRun(t, b, cfg, 1, nil).Train(context.Background()); err != nil {
		t.Fatalf("after the holder released the folder: %v", err)
	}
}

// TestResumeDamagedCheckpoint: a damaged checkpoint is refused, naming the
// variable, and the error says how to go on from the intact previous one.
func TestResumeDamagedCheckpoint(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(data.MethodXLCO, t.TempDir())
	r1 := newTestRun(t, b, cfg, 1, nil)
	r1.StopAfter = 2
	if _, err := r1.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.Output, CheckpointFile)
	ck, _ := os.ReadFile(path)
	ck[len(ck)-100] ^= 1 // in the last variable's bytes
	if err := os.WriteFile(path, ck, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Resume = true
	_, err = newTestRun(t, b, cfg, 1, nil).Train(context.Background())
	if err == nil {
		t.Fatal("damaged checkpoint resumed")
	}
	for _, w := range []string{path, "variable /", "checksum", CheckpointFile + ".prev", "step 1", "--overwrite"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	// Following the advice resumes exactly.
	if err := os.Rename(path+".prev", path); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestRun(t, b, cfg, 1, nil).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	full := testConfig(data.MethodXLCO, t.TempDir())
	if _, err := newTestRun(t, b, full, 1, nil).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(readLogFile(t, full.Output), readLogFile(t, cfg.Output)); diff != "" {
		t.Fatalf("resumed from the previous checkpoint (-uninterrupted +resumed):\n%s", diff)
	}
}

// TestTruncateLog: what truncateLog keeps of a log, and the errors and
// notes it gives for logs it cannot or should not trust.
func TestTruncateLog(t *testing.T) {
	phases := []phase{phaseStage1, phaseStage2}
	line := func(p phase, step int) string {
		b, _ := json.Marshal(StepLog{Phase: string(p), Step: step, Total: 4})
		return string(b) + "\n"
	}
	s1 := line(phaseStage1, 1) + line(phaseStage1, 2) + line(phaseStage1, 3)
	cases := []struct {
		name, log string
		st        State
		keep      string
		err, note string
	}{
		{"cut-in-phase", s1 + line(phaseStage2, 1), State{Phase: 0, Step: 2}, line(phaseStage1, 1) + line(phaseStage1, 2), "", "dropped 2"},
		{"at-boundary", s1 + line(phaseStage2, 1) + line(phaseStage2, 2), State{Phase: 1}, s1, "", "dropped 2"},
		{"all", s1 + line(phaseStage2, 1), State{Phase: 2, Done: true}, s1 + line(phaseStage2, 1), "", ""},
		{"nothing-to-cut", s1, State{Phase: 0, Step: 3}, s1, "", ""},
		{"torn", s1 + `{"phase":"mimo`, State{Phase: 0, Step: 3}, s1, "", "torn last line"},
		{"fresh", s1, State{}, "", "", "dropped 3"},
		{"bad-middle-line", line(phaseStage1, 1) + "garbage\n" + line(phaseStage1, 3), State{Step: 3}, "", "train-log.jsonl:2: not a log line", ""},
		{"other-run", line("baseline", 1), State{Step: 1}, "", `train-log.jsonl:1: phase "baseline" is not one of this run's`, ""},
		{"missing-steps", line(phaseStage1, 1) + line(phaseStage1, 3), State{Step: 3}, line(phaseStage1, 1) + line(phaseStage1, 3), "", "line 2 (mimo-stage1 step 3) does not follow mimo-stage1 step 1"},
		{"short", line(phaseStage1, 1), State{Step: 3}, line(phaseStage1, 1), "", "it ends at mimo-stage1 step 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), LogFile)
			if err := os.WriteFile(path, []byte(c.log), 0o644); err != nil {
				t.Fatal(err)
			}
			note, err := truncateLog(path, phases, c.st)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				if b, _ := os.ReadFile(path); string(b) != c.log {
					t.Fatal("the log changed although it was refused")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(path); string(b) != c.keep {
				t.Errorf("kept %q, want %q", b, c.keep)
			}
			if (c.note == "") != (note == "") || !strings.Contains(note, c.note) {
				t.Errorf("note %q, want one saying %q", note, c.note)
			}
		})
	}
	if note, err := truncateLog(filepath.Join(t.TempDir(), "none"), phases, State{Step: 2}); err != nil || note != "" {
		t.Fatalf("no log: %q, %v", note, err)
	}
}

// TestDiffConfig: a Hub student is compared by the repo@commit it came
// from, not by the snapshot folder; every key outside ResumeMayChange is
// refused, and a new Config field is strict without being listed.
func TestDiffConfig(t *testing.T) {
	base := testConfig(data.MethodMIMO, "out")
	base.Student, base.StudentFrom = "/cache/a/snapshots/c1", "hf:org/m@c1"
	mut := func(f func(*Config)) Config { c := base; f(&c); return c }
	cases := []struct {
		name             string
		cur              Config
		refused, allowed []string
	}{
		{"same", base, nil, nil},
		{"snapshot-moved", mut(func(c *Config) { c.Student = "/other/cache/snapshots/c1" }), nil, nil},
		{"other-commit", mut(func(c *Config) { c.Student, c.StudentFrom = "/cache/a/snapshots/c2", "hf:org/m@c2" }), []string{`student_from "hf:org/m@c1" -> "hf:org/m@c2"`}, nil},
		{"local-student", mut(func(c *Config) { c.StudentFrom = "" }), []string{`student_from "hf:org/m@c1" -> (unset)`}, nil},
		{"other-local-student", mut(func(c *Config) { c.StudentFrom, c.Student = "", "/my/student" }), []string{`student "/cache/a/snapshots/c1" -> "/my/student"`, "student_from"}, nil},
		{"output-and-quiet", mut(func(c *Config) { c.Output, c.Quiet = "moved", false }), nil, []string{`output "out" -> "moved"`, "quiet true -> (unset)"}},
		{"teacher-prompt", mut(func(c *Config) { c.TeacherPrompt = "q: " }), []string{`teacher_prompt (unset) -> "q: "`}, nil},
		{"stage", mut(func(c *Config) { c.Stage = 2 }), []string{"stage 0 -> 2"}, nil},
		{"bracket", mut(func(c *Config) { c.Bracket = "sum" }), []string{`bracket "half" -> "sum"`}, nil},
		{"dtype", mut(func(c *Config) { c.DType = DTypeBF16 }), []string{`dtype "f32" -> "bf16"`}, nil},
		// A checkpoint written before the dtype key existed ran f32.
		{"dtype-unset-is-f32", mut(func(c *Config) { c.DType = "" }), nil, nil},
		{"batch-mode", mut(func(c *Config) { c.BatchMode, c.Devices = BatchPerDevice, 2 }), []string{`batch_mode "global" -> "per-device"`, "devices 1 -> 2"}, nil},
		{"devices-unset-is-one-global", mut(func(c *Config) { c.BatchMode, c.Devices = "", 0 }), nil, nil},
		// How the devices ran may change on a resume (other machine, same numbers up to rounding).
		{"device-execution", mut(func(c *Config) { c.DeviceExecution = string(gradcache.DataParallel) }), nil, []string{`device_execution "sequential" -> "data-parallel"`}},
		// A checkpoint written before the key existed ran sequentially.
		{"device-execution-unset-is-sequential", mut(func(c *Config) { c.DeviceExecution = string(gradcache.Sequential) }), nil, nil},
	}
	str := func(fs []FieldChange) string {
		var s []string
		for _, f := range fs {
			s = append(s, f.String())
		}
		return strings.Join(s, "; ")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refused, allowed := diffConfig(base, c.cur)
			if len(refused) != len(c.refused) || len(allowed) != len(c.allowed) {
				t.Fatalf("refused %q, allowed %q; want %q and %q", str(refused), str(allowed), c.refused, c.allowed)
			}
			for _, w := range c.refused {
				if !strings.Contains(str(refused), w) {
					t.Errorf("refused %q lacks %q", str(refused), w)
				}
			}
			for _, w := range c.allowed {
				if !strings.Contains(str(allowed), w) {
					t.Errorf("allowed %q lacks %q", str(allowed), w)
				}
			}
		})
	}
}

// TestRunCloseIdempotent: Run.Close releases the run (the output lock
// included, so another trainer may take the folder) and a second call is a
// no-op (issue 13 item 6).
func TestRunCloseIdempotent(t *testing.T) {
	r := bagSetup(t, t.TempDir())
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	r2, closer, err := Setup(context.Background(), r.Cfg)
	if err != nil {
		t.Fatalf("the output folder stayed locked after Close: %v", err)
	}
	if closer != io.Closer(r2) {
		t.Error("Setup's closer is not the Run")
	}
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
}
