package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/hub/hubtest"
	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/training"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/transformer"
)

func TestBadInvocations(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown-flag", []string{"--nope"}, 2, "flag provided but not defined"},
		{"unknown-method", []string{"--method", "simcse", "--student-config", "x", "--output", "o"}, 1, `method "simcse"`},
		{"stage-for-baseline", []string{"--method", "xlco", "--stage", "1", "--rows", "jsonl:x", "--student-config", "x", "--output", "o"}, 1, "--stage is for mimo only"},
		{"no-teacher", []string{"--method", "mimo", "--pairs", "jsonl:x", "--rows", "jsonl:x", "--student-config", "x", "--output", "o"}, 1, "needs a teacher"},
		{"bad-config-key", []string{"--config", "testdata/bad.json"}, 2, "unknown field"},
		{"resume-and-overwrite", []string{"--method", "xlco", "--rows", "jsonl:x", "--student-config", "x", "--output", "o", "--resume", "--overwrite"}, 1, "--resume and --overwrite exclude each other"},
		{"help-says-overwrite", []string{"--help"}, 0, "removes only the files mimo-train writes there"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(context.Background(), c.args, &out, &errb); code != c.code || !strings.Contains(errb.String(), c.msg) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, c.code, errb.String(), c.msg)
			}
		})
	}
}

// TestTrainXLCOOnXQuAD trains one step end to end and checks the flags
// overrode the config file and the folder opens as kind native.
func TestTrainXLCOOnXQuAD(t *testing.T) {
	xquadDir := shareddata.Require(t, "xquad")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "run.json")
	if err := os.WriteFile(cfg, []byte(`{"method": "lakda", "stage2": {"lr": 1, "batch": 4, "max_length": 32, "epochs": 1}, "mini_batch": 2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "model")
	args := []string{"--config", cfg, "--method", "xlco", "--student", "../../adapters/onnx/testdata/tiny-xlmr",
		"--rows", "xquad:" + xquadDir, "--langs", "de,en,zh", "--steps", "1", "--lr", "1e-4", "--output", out, "--quiet"}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var sum training.Summary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	last := sum.Last["baseline"]
	if !sum.Finished || sum.Steps != 1 || last.Rows != 4 || last.Terms["xlco"] == 0 {
		t.Fatalf("summary %+v", sum)
	}
	var used training.Config
	b, _ := os.ReadFile(filepath.Join(out, "training.json"))
	if err := json.Unmarshal(b, &used); err != nil {
		t.Fatal(err)
	}
	if used.Method != "xlco" || used.Stage2.LR != 1e-4 || used.Stage2.Batch != 4 || used.MiniBatch != 2 {
		t.Fatalf("flags did not override the file as expected: %+v", used)
	}
	f, err := adapters.ReadFolder(out)
	if err != nil || f.Kind != "native" || f.Dim != 64 {
		t.Fatalf("folder %+v, %v", f, err)
	}
}

// TestTrainFromHub trains a ModernBERT student named hf:ORG/NAME, fetched
// from a local server in the Hub's layout into a fresh cache, and checks
// the run records where the student came from.
func TestTrainFromHub(t *testing.T) {
	xquadDir := shareddata.Require(t, "xquad")
	root := t.TempDir()
	files := map[string]string{}
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json"} {
		b, err := os.ReadFile(filepath.Join("../../transformer/testdata/tiny-modernbert", f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
	}
	hubtest.WriteRepo(t, root, hub.Model, "mimo-test/tiny-modernbert", files)
	srv := hubtest.NewServer(t, root)
	t.Setenv("HF_ENDPOINT", srv.URL)
	t.Setenv("HF_HOME", t.TempDir())
	t.Setenv("HF_HUB_OFFLINE", "0")
	out := filepath.Join(t.TempDir(), "model")
	args := []string{"--method", "xlco", "--student", "hf:mimo-test/tiny-modernbert", "--rows", "xquad:" + xquadDir,
		"--langs", "de,en", "--steps", "1", "--batch", "4", "--mini-batch", "2", "--max-length", "32", "--output", out, "--quiet"}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var used training.Config
	b, err := os.ReadFile(filepath.Join(out, "training.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &used); err != nil {
		t.Fatal(err)
	}
	if want := "hf:mimo-test/tiny-modernbert@" + hubtest.Commit("mimo-test/tiny-modernbert"); used.StudentFrom != want || used.Pooling != "mean" {
		t.Errorf("student_from %q (want %q), pooling %q", used.StudentFrom, want, used.Pooling)
	}
	f, err := adapters.ReadFolder(out)
	if err != nil || f.Kind != "native" || f.Dim != 64 {
		t.Fatalf("folder %+v, %v", f, err)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil || !strings.Contains(string(cfg), `"model_type": "modernbert"`) {
		t.Fatalf("trained config: %v\n%s", err, cfg)
	}
}

// TestRevisionNamesTheWeights: the folder's revision (which keys the
// embedding cache and the result files) is the same for a bit-identical
// rerun and differs when the weights do, here after one more step.
func TestRevisionNamesTheWeights(t *testing.T) {
	xquadDir := shareddata.Require(t, "xquad")
	train := func(steps string) adapters.Folder {
		t.Helper()
		out := filepath.Join(t.TempDir(), "model")
		args := []string{"--method", "xlco", "--student", "../../adapters/onnx/testdata/tiny-xlmr", "--rows", "xquad:" + xquadDir,
			"--langs", "de,en", "--steps", steps, "--batch", "4", "--mini-batch", "2", "--max-length", "32", "--output", out, "--quiet"}
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		f, err := adapters.ReadFolder(out)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a, b, c := train("1"), train("1"), train("2")
	if !strings.HasPrefix(a.Revision, "xlco-seed42-") || len(a.Revision) != len("xlco-seed42-")+12 {
		t.Errorf("revision %q, want xlco-seed42-<12 hex digits>", a.Revision)
	}
	if a.Revision != b.Revision {
		t.Errorf("identical runs: revisions %q and %q", a.Revision, b.Revision)
	}
	if a.Revision == c.Revision {
		t.Errorf("1 and 2 steps share revision %q", a.Revision)
	}
}

// TestTrainBFloat16: --dtype bf16 trains on the pure-Go backend (GoMLX's
// simplego runs bfloat16), is recorded in training.json, gives a first-step
// loss within bfloat16's precision of the f32 run's on the same batch, and
// a resume that changes it is refused naming the key.
func TestTrainBFloat16(t *testing.T) {
	xquadDir := shareddata.Require(t, "xquad")
	dir := t.TempDir()
	train := func(dtype, out string, extra ...string) (training.Summary, string, int) {
		args := append([]string{"--method", "xlco", "--student", "../../adapters/onnx/testdata/tiny-xlmr",
			"--rows", "xquad:" + xquadDir, "--langs", "de,en,zh", "--steps", "1", "--batch", "4", "--mini-batch", "2",
			"--max-length", "32", "--lr", "1e-4", "--output", out, "--quiet", "--dtype", dtype}, extra...)
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		var sum training.Summary
		if code == 0 {
			if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
				t.Fatal(err)
			}
		}
		return sum, stderr.String(), code
	}
	f32, stderr, code := train("f32", filepath.Join(dir, "f32"))
	if code != 0 {
		t.Fatalf("f32: exit %d: %s", code, stderr)
	}
	out := filepath.Join(dir, "bf16")
	bf, stderr, code := train("bf16", out)
	if code != 0 {
		t.Fatalf("bf16: exit %d: %s", code, stderr)
	}
	lf, lb := f32.Last["baseline"].Loss, bf.Last["baseline"].Loss
	if math.IsNaN(lb) || math.Abs(lb-lf) > 0.02*math.Abs(lf) {
		t.Errorf("first-step loss bf16 %g vs f32 %g: want within 2%%", lb, lf)
	}
	if lb == lf {
		t.Errorf("bf16 loss %g equals the f32 loss exactly: bf16 did not run", lb)
	}
	var used training.Config
	b, err := os.ReadFile(filepath.Join(out, "training.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &used); err != nil || used.DType != "bf16" {
		t.Fatalf("training.json dtype %q (%v), want bf16", used.DType, err)
	}
	if _, stderr, code := train("f32", out, "--resume"); code == 0 || !strings.Contains(stderr, `dtype "bf16" -> "f32"`) {
		t.Errorf("resume with another dtype: exit %d, stderr %q; want a refusal naming dtype", code, stderr)
	}
}

// writeRows writes n generated parallel rows (English and German) as
// mMARCO-style JSONL and returns the path.
func writeRows(t *testing.T, dir string, n int) string {
	t.Helper()
	en := []string{"river", "mountain", "city", "music", "history", "garden", "winter", "library"}
	de := []string{"Fluss", "Berg", "Stadt", "Musik", "Geschichte", "Garten", "Winter", "Bibliothek"}
	var b strings.Builder
	for i := range n {
		a, c := i%len(en), (i*3+1)%len(en)
		row := map[string]any{
			"id":       fmt.Sprintf("r%d", i),
			"query":    map[string]string{"en": fmt.Sprintf("where is the %s near the %s %d", en[a], en[c], i), "de": fmt.Sprintf("wo ist der %s bei der %s %d", de[a], de[c], i)},
			"positive": map[string]string{"en": fmt.Sprintf("the %s lies beside the old %s, number %d", en[a], en[c], i), "de": fmt.Sprintf("der %s liegt neben dem alten %s, Nummer %d", de[a], de[c], i)},
		}
		line, err := json.Marshal(row)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	path := filepath.Join(dir, "rows.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTrainDevices: --devices 2 runs on the devices the backend has --
// data-parallel over 2 of them when it has 2 or more ($GOMLX_BACKEND=xla:cuda
// on a multi-GPU machine, which scripts/gpu-check.sh runs), else the
// emulation on its one device -- says which in one line, records it in
// training.json (device_execution), and logs the losses of the one-device
// run for the global batch: bit for bit when emulated, within float32
// rounding when data-parallel (the all-reduce sums in another order).
func TestTrainDevices(t *testing.T) {
	dir := t.TempDir()
	rows := writeRows(t, dir, 24)
	train := func(name string, extra ...string) ([]training.StepLog, training.Config, string) {
		out := filepath.Join(dir, name)
		args := append([]string{"--method", "xlco", "--student", "../../adapters/onnx/testdata/tiny-xlmr",
			"--rows", "jsonl:" + rows, "--langs", "de,en", "--steps", "3", "--batch", "8", "--mini-batch", "4",
			"--max-length", "32", "--lr", "1e-4", "--output", out, "--quiet"}, extra...)
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr.String())
		}
		log := logLines(t, out)
		var used training.Config
		b, err := os.ReadFile(filepath.Join(out, training.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &used); err != nil {
			t.Fatal(err)
		}
		return log, used, stderr.String()
	}
	be, err := transformer.EnvBackend()
	if err != nil {
		t.Fatal(err)
	}
	have := be.NumDevices()
	be.Finalize()
	want, note, tol := gradcache.Sequential, "the 2 shards run one after the other", 0.0
	if have >= 2 {
		want, note, tol = gradcache.DataParallel, "data-parallel over 2", 1e-4
	}
	one, used1, stderr1 := train("one")
	two, used2, stderr2 := train("two", "--devices", "2")
	if used1.DeviceExecution != string(gradcache.Sequential) || strings.Contains(stderr1, "devices 1:") {
		t.Errorf("one device: device_execution %q, stderr %q; want sequential, no devices note", used1.DeviceExecution, stderr1)
	}
	if used2.DeviceExecution != string(want) || used2.Devices != 2 {
		t.Errorf("2 devices on a backend of %d: training.json devices %d, device_execution %q; want 2, %s", have, used2.Devices, used2.DeviceExecution, want)
	}
	if !strings.Contains(stderr2, "devices 2: ") || !strings.Contains(stderr2, note) {
		t.Errorf("2 devices: stderr %q, want a line saying %q", stderr2, note)
	}
	if len(one) != 3 || len(two) != 3 {
		t.Fatalf("%d and %d logged steps, want 3", len(one), len(two))
	}
	for k := range one {
		a, b := one[k].Loss, two[k].Loss
		if math.IsNaN(b) || math.Abs(a-b) > tol*math.Abs(a) {
			t.Errorf("step %d: loss %.9g on 2 devices (%s), %.9g on one: want within %g", k+1, b, want, a, tol)
		}
	}
	t.Logf("backend of %d devices: 2 devices ran %s; losses one %v", have, want, []float64{one[0].Loss, one[1].Loss, one[2].Loss})
}
