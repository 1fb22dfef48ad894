package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mimo-mlir/mimo/results"
	"github.com/mimo-mlir/mimo/tasks"
)

// evaluateWith runs the tasks with change applied to fresh options and
// returns the outcomes and the run files' bytes.
func evaluateWith(t *testing.T, enc *fakeEncoder, ts []tasks.Task, change func(*Options)) ([]Outcome, map[string]string) {
	t.Helper()
	opts := testOptions(t)
	opts.UniformityPairs = 50 // the sampled path on the larger task
	runs := t.TempDir()
	opts.RunFile = filepath.Join(runs, "{task}.run")
	change(&opts)
	outs, err := Evaluate(context.Background(), enc, ts, opts)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, o := range outs {
		b, err := os.ReadFile(filepath.Join(runs, o.Task.Name+".run"))
		if err != nil {
			t.Fatal(err)
		}
		files[o.Task.Name] = string(b)
	}
	return outs, files
}

// TestSearchBlockEqualsInMemory: a corpus searched from the cache in blocks
// gives the results, extras and run files of the in-memory search, bit for
// bit, whatever the block size: ties (the hand task's tie, the hash task's
// duplicate texts), MRC, alignment and sampled uniformity included.
func TestSearchBlockEqualsInMemory(t *testing.T) {
	hand, enc := handTask()
	ts := []tasks.Task{hand, hashTask("HashRetrieval", 30, 200)}
	want, wantRuns := evaluateWith(t, enc, ts, func(*Options) {})
	if want[1].Extras.Subsets[0].UniformitySample.Exact {
		t.Fatal("the hash task's uniformity is exact: the sampled path is not tested")
	}
	ignoreTime := cmpopts.IgnoreFields(results.TaskResult{}, "EvaluationTime")
	for _, bs := range []int{1, 7, 64, 100000} {
		t.Run(fmt.Sprintf("block=%d", bs), func(t *testing.T) {
			got, gotRuns := evaluateWith(t, enc, ts, func(o *Options) { o.SearchBlock = bs })
			for i := range want {
				if diff := cmp.Diff(want[i].Result, got[i].Result, ignoreTime); diff != "" {
					t.Errorf("%s: result (-memory +blocks):\n%s", want[i].Task.Name, diff)
				}
				if diff := cmp.Diff(want[i].Extras, got[i].Extras); diff != "" {
					t.Errorf("%s: extras (-memory +blocks):\n%s", want[i].Task.Name, diff)
				}
			}
			if diff := cmp.Diff(wantRuns, gotRuns); diff != "" {
				t.Errorf("run files (-memory +blocks):\n%s", diff)
			}
		})
	}
}

func TestStoreDtypeF16(t *testing.T) {
	task := hashTask("HashRetrieval", 30, 200)
	enc := &fakeEncoder{dim: 8}
	cacheDir := t.TempDir()
	f32, _ := evaluateWith(t, enc, []tasks.Task{task}, func(o *Options) { o.CacheDir = cacheDir })
	enc.texts = 0
	cold, _ := evaluateWith(t, enc, []tasks.Task{task}, func(o *Options) { o.CacheDir, o.StoreDtype = cacheDir, "f16" })
	if enc.texts == 0 {
		t.Fatal("the f16 run was served float32 vectors from the cache")
	}
	if m, _ := filepath.Glob(filepath.Join(cacheDir, "*", "document-f16-*.vec")); len(m) != 1 {
		t.Errorf("f16 document logs: %v, want one", m)
	}
	enc.texts = 0
	warm, _ := evaluateWith(t, enc, []tasks.Task{task}, func(o *Options) { o.CacheDir, o.StoreDtype = cacheDir, "float16" })
	if enc.texts != 0 {
		t.Errorf("the warm f16 run encoded %d texts", enc.texts)
	}
	ignoreTime := cmpopts.IgnoreFields(results.TaskResult{}, "EvaluationTime")
	if diff := cmp.Diff(cold[0].Result, warm[0].Result, ignoreTime); diff != "" {
		t.Errorf("cold and warm f16 runs differ (-cold +warm):\n%s", diff)
	}
	if diff := cmp.Diff(cold[0].Extras, warm[0].Extras); diff != "" {
		t.Errorf("cold and warm f16 extras differ (-cold +warm):\n%s", diff)
	}
	if s := cold[0].Extras.Settings.StoreDtype; s != "f16" {
		t.Errorf("settings store dtype %q, want f16", s)
	}
	if s := f32[0].Extras.Settings.StoreDtype; s != "" {
		t.Errorf("float32 settings store dtype %q, want empty", s)
	}
	// Half precision changes the vectors, so the geometry changes.
	if *cold[0].Extras.Subsets[0].Uniformity == *f32[0].Extras.Subsets[0].Uniformity {
		t.Error("f16 and float32 runs have the same uniformity: the vectors were not rounded")
	}

	t.Run("stale", func(t *testing.T) {
		opts := testOptions(t)
		if _, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts); err != nil {
			t.Fatal(err)
		}
		opts.StoreDtype = "f16"
		_, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
		if !errors.Is(err, ErrStaleResult) || !strings.Contains(err.Error(), "store dtype float32, now f16") {
			t.Fatalf("err = %v, want ErrStaleResult naming the store dtype", err)
		}
	})
}

func TestStreamOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no cache", Options{OutputDir: "x", NoCache: true, SearchBlock: 10}, "cannot run without one"},
		{"negative block", Options{OutputDir: "x", CacheDir: "c", SearchBlock: -1}, "search block -1 is negative"},
		{"dtype", Options{OutputDir: "x", CacheDir: "c", StoreDtype: "bf16"}, `store dtype "bf16"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Progress = &bytes.Buffer{}
			err := tc.o.Validate(1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
