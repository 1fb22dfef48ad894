package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/training"
)

// childArgs, when set in the environment (a JSON list), makes the test
// binary run mimo-train with those arguments instead of the tests: a real
// process the tests can kill.
const childArgs = "MIMO_TRAIN_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(childArgs); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(run(context.Background(), args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// logLines reads a train-log.jsonl with the wall-clock field zeroed.
func logLines(t *testing.T, dir string) []training.StepLog {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, training.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := training.ReadLog(f)
	if err != nil {
		t.Fatal(err)
	}
	for i := range out {
		out[i].Seconds = 0
	}
	return out
}

// TestKill9Resume: a trainer killed with SIGKILL some steps after a
// checkpoint, then resumed, ends with the log (line for line, wall-clock
// aside) and the weights (byte for byte) of an uninterrupted run. While the
// first trainer runs, a second one on its folder is refused, naming the
// holder's pid; a run without --resume on the killed run's folder is
// refused too.
func TestKill9Resume(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains 20 steps three times")
	}
	xquadDir := shareddata.Require(t, "xquad")
	args := func(out string, more ...string) []string {
		return append([]string{"--method", "xlco", "--student", "../../adapters/onnx/testdata/tiny-xlmr", "--rows", "xquad:" + xquadDir,
			"--langs", "de,en", "--steps", "20", "--batch", "4", "--mini-batch", "2", "--max-length", "32",
			"--checkpoint-every", "3", "--output", out, "--quiet"}, more...)
	}
	full := filepath.Join(t.TempDir(), "full")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args(full), &stdout, &stderr); code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", code, stderr.String())
	}

	out := filepath.Join(t.TempDir(), "killed")
	a, _ := json.Marshal(args(out))
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childArgs+"="+string(a))
	var childErr bytes.Buffer
	child.Stderr = &childErr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	lines := func() int {
		b, _ := os.ReadFile(filepath.Join(out, training.LogFile))
		return bytes.Count(b, []byte("\n"))
	}
	deadline := time.Now().Add(2 * time.Minute)
	for lines() < 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// The folder is the child's: a second trainer is refused.
	stderr.Reset()
	if code := run(context.Background(), args(out, "--resume"), &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), fmt.Sprintf("process %d", child.Process.Pid)) || !strings.Contains(stderr.String(), out) {
		t.Errorf("second trainer on a busy folder: exit %d, %s", code, stderr.String())
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := child.Wait()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the trainer was not killed (it ended with %v before 5 steps were logged?): %s", err, childErr.String())
	}
	killedAt := len(logLines(t, out))
	if killedAt >= 20 {
		t.Skipf("the trainer finished (%d lines) before it was killed", killedAt)
	}

	stderr.Reset()
	if code := run(context.Background(), args(out), &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "--resume") {
		t.Errorf("a run without --resume on the killed run's folder: exit %d, %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), args(out, "--resume"), &stdout, &stderr); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr.String())
	}
	t.Logf("killed after %d logged steps; resume said: %s", killedAt, strings.TrimSpace(stderr.String()))
	if diff := cmp.Diff(logLines(t, full), logLines(t, out)); diff != "" {
		t.Fatalf("log after kill -9 and resume differs from the uninterrupted one (-want +got):\n%s", diff)
	}
	for _, f := range []string{"model.safetensors", "mimo-model.json"} {
		w, _ := os.ReadFile(filepath.Join(full, f))
		g, _ := os.ReadFile(filepath.Join(out, f))
		if len(w) == 0 || !bytes.Equal(w, g) {
			t.Errorf("%s differs from the uninterrupted run's", f)
		}
	}
}
