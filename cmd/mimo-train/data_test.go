package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/hub/hubtest"
	"github.com/mimo-mlir/mimo/training/corpora"
)

const corporaFixtures = "../../training/corpora/testdata/hub"

// hubEnv points the hub client of this process and its children at srv.
func hubEnv(t *testing.T, srv *hubtest.Server) []string {
	t.Helper()
	env := map[string]string{"HF_ENDPOINT": srv.URL, "HF_HUB_CACHE": t.TempDir(), "HF_HUB_OFFLINE": "0", "HF_TOKEN": ""}
	var out []string
	for k, v := range env {
		t.Setenv(k, v)
		out = append(out, k+"="+v)
	}
	return out
}

// TestDataKill9Resume: `mimo-train data opus` killed with SIGKILL while
// it works through the languages, then run again with the same flags,
// ends with the files of an uninterrupted build; a third run finds the
// build finished and fetches nothing.
func TestDataKill9Resume(t *testing.T) {
	srv := hubtest.NewServer(t, corporaFixtures)
	env := hubEnv(t, srv)
	args := func(out string) []string {
		return []string{"data", "opus", "--out", out, "--per-language", "20"}
	}
	whole := filepath.Join(t.TempDir(), "whole")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args(whole), &stdout, &stderr); code != 0 {
		t.Fatalf("uninterrupted build: exit %d: %s", code, stderr.String())
	}

	srv.SetDelay(150 * time.Millisecond) // each request; a language takes a few
	out := filepath.Join(t.TempDir(), "killed")
	a, _ := json.Marshal(args(out))
	child := exec.Command(os.Args[0], "-test.run=^$")
	// A cache of its own, so the child downloads (slowly) what the
	// uninterrupted build has cached.
	child.Env = append(append(os.Environ(), env...), "HF_HUB_CACHE="+t.TempDir(), childArgs+"="+string(a))
	var childErr bytes.Buffer
	child.Stderr = &childErr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	parts := func() int {
		var p struct{ Parts []json.RawMessage }
		b, _ := os.ReadFile(filepath.Join(out, corpora.ProgressFile))
		_ = json.Unmarshal(b, &p)
		return len(p.Parts)
	}
	deadline := time.Now().Add(time.Minute)
	for parts() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the build was not killed: %s", childErr.String())
	}
	killedAt := parts()
	if _, err := os.Stat(filepath.Join(out, corpora.ManifestFile)); err == nil {
		t.Skipf("the build finished (%d parts) before it was killed", killedAt)
	}
	srv.SetDelay(0)
	srv.ResetLog()
	stderr.Reset()
	if code := run(context.Background(), args(out), &stdout, &stderr); code != 0 {
		t.Fatalf("resumed build: exit %d: %s", code, stderr.String())
	}
	t.Logf("killed after %d parts", killedAt)
	for _, f := range []string{corpora.ManifestFile, corpora.OPUSOutput} {
		w, _ := os.ReadFile(filepath.Join(whole, f))
		g, _ := os.ReadFile(filepath.Join(out, f))
		if diff := cmp.Diff(string(w), string(g)); diff != "" || len(w) == 0 {
			t.Errorf("%s after kill -9 and resume differs from the uninterrupted build (-want +got):\n%s", f, diff)
		}
	}
	srv.ResetLog()
	if code := run(context.Background(), args(out), &stdout, &stderr); code != 0 || len(srv.Requests()) != 0 {
		t.Errorf("third run: exit %d, %d requests, want 0 (the build is finished)", code, len(srv.Requests()))
	}
}

func TestDataUsage(t *testing.T) {
	for _, args := range [][]string{{"data"}, {"data", "stage3", "--out", "x"}, {"data", "opus"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 || !bytes.Contains(stderr.Bytes(), []byte("mimo-train data")) {
			t.Errorf("%v: exit %d, %s", args, code, stderr.String())
		}
	}
}
