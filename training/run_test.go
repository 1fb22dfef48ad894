package training

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/fakedevices"
	"github.com/mimo-mlir/mimo/training/checkpoint"
	"github.com/mimo-mlir/mimo/training/data"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/teacher"
	"github.com/mimo-mlir/mimo/transformer"
)

var testLangs = []string{"de", "en", "fr", "zh"}

// synthetic builds rows and pairs whose words are language-tagged tokens,
// and teacher vectors for their English sides.
func synthetic(nRows, nPairs int) ([]data.ParallelRow, []data.SentencePair, map[string]teacher.Vectors) {
	r := rand.New(rand.NewPCG(5, 5))
	words := func(lang string, id, n int) string {
		var b bytes.Buffer
		for k := 0; k < n; k++ {
			fmt.Fprintf(&b, "%s%d_%d ", lang, id, k)
		}
		return b.String()
	}
	const tdim = 7
	tv := map[string]*teacher.Memory{RoleSentence: teacher.NewMemory(tdim), RoleQuery: teacher.NewMemory(tdim), RoleDocument: teacher.NewMemory(tdim)}
	vec := func() []float32 {
		v := make([]float32, tdim)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	put := func(role, text string) {
		if err := tv[role].Put(text, vec()); err != nil {
			panic(err) // vec() always has tdim values
		}
	}
	var rows []data.ParallelRow
	for i := 0; i < nRows; i++ {
		row := data.ParallelRow{ID: fmt.Sprint(i), Query: map[string]string{}, Positive: map[string]string{}}
		for _, l := range testLangs {
			row.Query[l] = words("q"+l, i, 2+i%3)
			row.Positive[l] = words("p"+l, i, 4+i%5)
		}
		put(RoleQuery, row.Query["en"])
		put(RoleDocument, row.Positive["en"])
		rows = append(rows, row)
	}
	var pairs []data.SentencePair
	for i := 0; i < nPairs; i++ {
		l := testLangs[i%len(testLangs)]
		p := data.SentencePair{Lang: l, En: words("en", i, 3), Text: words(l, i, 3+i%2)}
		put(RoleSentence, p.En)
		pairs = append(pairs, p)
	}
	out := map[string]teacher.Vectors{}
	for k, v := range tv {
		out[k] = v
	}
	return rows, pairs, out
}

func newTestRun(t *testing.T, b backends.Backend, cfg Config, initSeed uint64, log io.Writer) *Run {
	t.Helper()
	rows, pairs, tv := synthetic(40, 40)
	ctx := mlctx.New()
	st := gradcache.Bag{Vocab: 97, Hidden: 8, Dim: 6, Dropout: 0.1}
	if err := st.Init(ctx.In(gradcache.StudentScope), initSeed); err != nil {
		t.Fatal(err)
	}
	return &Run{
		Cfg: cfg, Backend: b, Ctx: ctx, Student: bagStudent{st}, Tok: HashTokenizer{Vocab: 97},
		Teacher: tv, Pairs: pairs, Rows: rows, Langs: testLangs, Log: log, Notes: io.Discard,
	}
}

type bagStudent struct{ gradcache.Bag }

func (s bagStudent) Dim() int { return s.Bag.Dim }

func testConfig(method data.Method, out string) Config {
	c := Default()
	c.Method = method
	c.Output = out
	c.Stage1 = Hyper{LR: 1e-2, Batch: 12, MaxLen: 16, Epochs: 1}
	c.Stage2 = Hyper{LR: 1e-2, Batch: 12, MaxLen: 16, Epochs: 1}
	c.MiniBatch = 5
	c.Quiet = true
	c.Seed = 11
	c.CheckpointEvery = 1
	c.Student = "bag"
	c.Pairs, c.Rows, c.TeacherCache = []string{"x"}, []string{"x"}, "x"
	return c
}

func readLog(t *testing.T, b *bytes.Buffer) []StepLog {
	t.Helper()
	return wallClockFree(t, bytes.NewReader(b.Bytes()))
}

// wallClockFree is the log r holds with the wall-clock field zeroed.
func wallClockFree(t *testing.T, r io.Reader) []StepLog {
	t.Helper()
	out, err := ReadLog(r)
	if err != nil {
		t.Fatal(err)
	}
	for i := range out {
		out[i].Seconds = 0
	}
	return out
}

// TestResumeExact: a run interrupted after k steps and resumed from its
// checkpoint (into a student initialised differently, which the checkpoint
// must overwrite) logs exactly the steps the uninterrupted run logs after k,
// including across the MIMO stage boundary.
func TestResumeExact(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method data.Method
		stage  int
		stop   int
	}{
		{data.MethodXLCO, 0, 2},
		{data.MethodLaKDA, 0, 1},
		{data.MethodInfoNCE, 0, 3},
		{data.MethodMIMO, 0, 2}, // inside stage 1
		{data.MethodMIMO, 0, 4}, // exactly at the stage boundary (stage 1 has 4 steps)
		{data.MethodMIMO, 0, 5}, // inside stage 2
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s-stop%d", c.method, c.stop), func(t *testing.T) {
			var full bytes.Buffer
			cfg := testConfig(c.method, t.TempDir())
			cfg.Stage = c.stage
			sum, err := newTestRun(t, b, cfg, 1, &full).Train(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Finished {
				t.Fatal("uninterrupted run did not finish")
			}
			want := readLog(t, &full)

			cfg2 := testConfig(c.method, t.TempDir())
			cfg2.Stage = c.stage
			var first bytes.Buffer
			r1 := newTestRun(t, b, cfg2, 1, &first)
			r1.StopAfter = c.stop
			if _, err := r1.Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			var second bytes.Buffer
			cfg2.Resume = true
			s2, err := newTestRun(t, b, cfg2, 999, &second).Train(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !s2.Resumed || !s2.Finished {
				t.Fatalf("resumed %v, finished %v", s2.Resumed, s2.Finished)
			}
			got := append(readLog(t, &first), readLog(t, &second)...)
			if len(readLog(t, &first)) != c.stop {
				t.Fatalf("interrupted run logged %d steps, want %d", len(readLog(t, &first)), c.stop)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("resumed log differs from the uninterrupted one (-want +got):\n%s", diff)
			}
			if want[0].Loss == want[len(want)-1].Loss {
				t.Fatal("loss never changed")
			}
		})
	}
}

// TestTrainingLowersLoss: several epochs of XLCO on a tiny problem reduce
// the loss (the optimiser and gradients point the right way end to end).
func TestTrainingLowersLoss(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(data.MethodXLCO, t.TempDir())
	cfg.Stage2 = Hyper{LR: 5e-2, Batch: 40, MaxLen: 16, Epochs: 30}
	cfg.WarmupRatio = 0
	cfg.CheckpointEvery = 0
	var log bytes.Buffer
	if _, err := newTestRun(t, b, cfg, 1, &log).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	l := readLog(t, &log)
	if l[len(l)-1].Loss > 0.5*l[0].Loss {
		t.Fatalf("loss %g -> %g: not learning", l[0].Loss, l[len(l)-1].Loss)
	}
}

func TestConfigValidate(t *testing.T) {
	good := testConfig(data.MethodMIMO, "out")
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	mut := func(f func(*Config)) Config { c := good; f(&c); return c }
	// Each error names the setting and, where the user must supply
	// something, how; a baseline's errors name its method.
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"method", mut(func(c *Config) { c.Method = "simcse" }), `method "simcse": want infonce, xlco, lakda or mimo`},
		{"stage", mut(func(c *Config) { c.Stage = 3 }), "mimo stage 3: want 1, 2 or 0"},
		{"stage-baseline", mut(func(c *Config) { c.Method = data.MethodXLCO; c.Stage = 1 }), "--stage is for mimo only, method is xlco"},
		{"no-pairs", mut(func(c *Config) { c.Pairs = nil }), "mimo stage 1 needs parallel sentence pairs (--pairs tatoeba:DIR, jsonl:PATH or opus:LANG:PATH; `mimo-train data opus --out DIR`"},
		{"no-rows", mut(func(c *Config) { c.Method = data.MethodLaKDA; c.Rows = nil }), "lakda needs parallel query/passage rows (--rows xquad:DIR, mmarco:DIR:QRELS or jsonl:PATH; `mimo-train data mmarco --out DIR`"},
		{"no-teacher", mut(func(c *Config) { c.TeacherCache = "" }), "mimo-stage1 needs a teacher (--teacher or --teacher-cache)"},
		{"lambda", mut(func(c *Config) { c.Lambda = 2 }), "mimo stage 2: lambda 2 outside [0, 1]"},
		{"kl", mut(func(c *Config) { c.Method = data.MethodLaKDA; c.KL = "both" }), `lakda: unknown kl mode "both" (want symmetric, one-sided or original)`},
		{"no-output", mut(func(c *Config) { c.Output = "" }), "no output folder (--output)"},
		{"batch", mut(func(c *Config) { c.Stage1.Batch = 0 }), "mimo-stage1: lr 0.01, batch 0, max length 16, epochs 1: all must be positive"},
		{"baseline-batch", mut(func(c *Config) { c.Method = data.MethodInfoNCE; c.Stage2.Batch = -1 }), "infonce: lr 0.01, batch -1, max length 16, epochs 1: all must be positive"},
		{"dtype", mut(func(c *Config) { c.DType = "fp16" }), `dtype "fp16": want f32 or bf16`},
		{"batch-mode", mut(func(c *Config) { c.BatchMode = "local" }), `batch mode "local": want global or per-device`},
		{"devices", mut(func(c *Config) { c.Devices = -1 }), "devices -1: want 1 or more"},
		{"uneven-devices", mut(func(c *Config) { c.Devices = 5 }), "mimo-stage1: batch 12 does not split evenly over 5 devices"},
		{"uneven-devices-baseline", mut(func(c *Config) { c.Method = data.MethodXLCO; c.Stage = 0; c.Devices = 5 }), "xlco: batch 12 does not split evenly over 5 devices"},
		{"device-exec", mut(func(c *Config) { c.DeviceExecution = "both" }), `device_execution "both"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestCancelCheckpoints: a cancelled run leaves a checkpoint at the step it
// reached, and resuming from it finishes with the uninterrupted log.
func TestCancelCheckpoints(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	var full bytes.Buffer
	cfg := testConfig(data.MethodXLCO, t.TempDir())
	cfg.CheckpointEvery = 0
	if _, err := newTestRun(t, b, cfg, 1, &full).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg2 := testConfig(data.MethodXLCO, t.TempDir())
	cfg2.CheckpointEvery = 0
	ctx, cancel := context.WithCancel(context.Background())
	var first cancelAfter
	first.n, first.cancel = 2, cancel
	if _, err := newTestRun(t, b, cfg2, 1, &first).Train(ctx); err == nil {
		t.Fatal("cancelled run returned no error")
	}
	cfg2.Resume = true
	var second bytes.Buffer
	if _, err := newTestRun(t, b, cfg2, 7, &second).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := append(readLog(t, &first.Buffer), readLog(t, &second)...)
	if diff := cmp.Diff(readLog(t, &full), got); diff != "" {
		t.Fatalf("(-uninterrupted +cancelled and resumed):\n%s", diff)
	}
}

// cancelAfter is a log writer that cancels the run after n lines.
type cancelAfter struct {
	bytes.Buffer
	n      int
	cancel func()
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	n, err := c.Buffer.Write(p)
	if bytes.Count(c.Buffer.Bytes(), []byte("\n")) >= c.n {
		c.cancel()
	}
	return n, err
}

// TestBatchModes: a run's batch semantics reach the engine. The global
// batch over 2 devices logs exactly the one-device run (its loss does not
// depend on the devices); per-device over 2 devices is another loss (each
// row's negatives are its half of the batch), and it is the one-device run
// again with per-device over 1 device.
func TestBatchModes(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	logOf := func(edit func(*Config)) []StepLog {
		cfg := testConfig(data.MethodMIMO, t.TempDir())
		cfg.CheckpointEvery = 0
		edit(&cfg)
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		if _, err := newTestRun(t, b, cfg, 1, &log).Train(context.Background()); err != nil {
			t.Fatal(err)
		}
		return readLog(t, &log)
	}
	one := logOf(func(*Config) {})
	if diff := cmp.Diff(one, logOf(func(c *Config) { c.Devices = 2 })); diff != "" {
		t.Errorf("global batch over 2 devices differs from one device (-one +two):\n%s", diff)
	}
	if diff := cmp.Diff(one, logOf(func(c *Config) { c.BatchMode = BatchPerDevice })); diff != "" {
		t.Errorf("per-device over 1 device differs from the global batch (-global +per-device):\n%s", diff)
	}
	per := logOf(func(c *Config) { c.Devices, c.BatchMode = 2, BatchPerDevice })
	if len(per) != len(one) || per[len(per)-1].Loss == one[len(one)-1].Loss {
		t.Errorf("per-device over 2 devices: %d steps, last loss %g; global: %d steps, %g: want the same steps and another loss",
			len(per), per[len(per)-1].Loss, len(one), one[len(one)-1].Loss)
	}
}

// TestDeviceExecution: how --devices runs is chosen from the backend and
// recorded. On the one-device pure-Go backend 2 devices are the emulation:
// one note line, device_execution "sequential" in the run's and the
// checkpoint's configuration. On a backend reporting more devices (the
// choice only: nothing runs there) 2 devices are data-parallel, and a
// --mini-batch they cannot split is refused naming both flags; one device,
// or more than the backend has, is sequential.
func TestDeviceExecution(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("emulated run", func(t *testing.T) {
		cfg := testConfig(data.MethodMIMO, t.TempDir())
		cfg.Devices = 2
		var notes bytes.Buffer
		r := newTestRun(t, b, cfg, 1, io.Discard)
		r.Notes, r.StopAfter = &notes, 1
		if _, err := r.Train(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := "mimo-train: devices 2: backend SimpleGo (go) has 1 device; the 2 shards run one after the other on it (same gradients as 2 devices)\n"
		if got := notes.String(); strings.Count(got, "devices 2:") != 1 || !strings.Contains(got, want) {
			t.Errorf("notes %q, want the line %q once", got, want)
		}
		if r.Cfg.DeviceExecution != string(gradcache.Sequential) {
			t.Errorf("device_execution %q, want sequential", r.Cfg.DeviceExecution)
		}
		info, err := checkpoint.Verify(r.CheckpointPath())
		if err != nil {
			t.Fatal(err)
		}
		var st State
		if err := json.Unmarshal(info.State, &st); err != nil || st.Config == nil || st.Config.DeviceExecution != string(gradcache.Sequential) {
			t.Errorf("checkpoint configuration %+v (%v): want device_execution sequential", st.Config, err)
		}
	})
	for _, tc := range []struct {
		have, devices, miniBatch int
		want                     gradcache.Execution
		note, err                string
	}{
		{2, 2, 4, gradcache.DataParallel, "devices 2: data-parallel over 2 of backend SimpleGo (go)'s 2 devices", ""},
		{4, 2, 6, gradcache.DataParallel, "data-parallel over 2 of backend SimpleGo (go)'s 4 devices", ""},
		{2, 2, 5, "", "", "--mini-batch 5 does not split evenly over --devices 2"},
		{1, 2, 5, gradcache.Sequential, "has 1 device; the 2 shards run one after the other", ""},
		{2, 4, 5, gradcache.Sequential, "has 2 devices; the 4 shards run one after the other", ""},
		{4, 1, 5, gradcache.Sequential, "", ""},
	} {
		t.Run(fmt.Sprintf("%d of %d, mini-batch %d", tc.devices, tc.have, tc.miniBatch), func(t *testing.T) {
			cfg := testConfig(data.MethodMIMO, t.TempDir())
			cfg.Devices, cfg.MiniBatch = tc.devices, tc.miniBatch
			var notes bytes.Buffer
			r := &Run{Cfg: cfg, Backend: fakedevices.New(b, tc.have), Notes: &notes}
			err := r.planDevices()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("planDevices: %v, want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Cfg.DeviceExecution != string(tc.want) {
				t.Errorf("device_execution %q, want %q", r.Cfg.DeviceExecution, tc.want)
			}
			if tc.note == "" && notes.Len() > 0 || !strings.Contains(notes.String(), tc.note) || strings.Count(notes.String(), "\n") > 1 {
				t.Errorf("notes %q, want one line saying %q (none when empty)", notes.String(), tc.note)
			}
		})
	}
}
