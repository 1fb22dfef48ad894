package training

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/progress"
	"github.com/mimo-mlir/mimo/transformer"
)

// TestHooks: Train reports each step and checkpoint through Hooks, draws
// its progress on Hooks.Progress (not os.Stderr) and ends when Hooks.Stop
// says so, leaving the checkpoint behind as StopAfter does.
func TestHooks(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	interval := progress.LogInterval
	progress.LogInterval = 0 // a progress line on every step off a terminal
	defer func() { progress.LogInterval = interval }()

	cfg := testConfig("infonce", t.TempDir())
	cfg.Quiet = false
	var log, bar bytes.Buffer
	r := newTestRun(t, b, cfg, 1, &log)
	defer r.Close()
	var steps []int
	var checkpoints []State
	r.Hooks = Hooks{
		Progress:     &bar,
		OnStep:       func(l StepLog) { steps = append(steps, l.Step) },
		OnCheckpoint: func(s State) { checkpoints = append(checkpoints, s) },
		Stop:         func(s State) bool { return s.Step == 2 },
	}
	sum, err := r.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Finished || sum.Steps != 2 {
		t.Errorf("summary = %+v, want 2 steps, not finished", sum)
	}
	if len(steps) != 2 || steps[0] != 1 || steps[1] != 2 {
		t.Errorf("OnStep saw steps %v, want [1 2]", steps)
	}
	if got := len(readLog(t, &log)); got != 2 {
		t.Errorf("log holds %d lines, want 2", got)
	}
	// CheckpointEvery is 1: a checkpoint after each step.
	if len(checkpoints) != 2 || checkpoints[1].Step != 2 || checkpoints[1].Config == nil {
		t.Errorf("OnCheckpoint saw %+v, want steps 1 and 2 with their config", checkpoints)
	}
	lines := strings.Split(strings.TrimSpace(bar.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "baseline: 1/4 ") || !strings.Contains(lines[0], "steps/s") {
		t.Errorf("progress on Hooks.Progress = %q, want one steps line per step", bar.String())
	}
}
