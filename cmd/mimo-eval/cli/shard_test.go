package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestShardHelper is the body of the helper processes TestShardedProcesses
// starts; run alone, it has nothing to do.
func TestShardHelper(t *testing.T) {
	args := os.Getenv("MIMO_SHARD_HELPER_ARGS")
	if args == "" {
		t.Skip("helper process of TestShardedProcesses")
	}
	os.Exit(Main(context.Background(), strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
}

// TestShardedProcesses runs three mimo-eval processes with --shard i/3 at
// once on one cache folder, then a run without --shard: that run encodes
// nothing and its scores equal a single uncached run's exactly (issue 16
// item 3).
func TestShardedProcesses(t *testing.T) {
	cacheDir, shardOut := t.TempDir(), t.TempDir()
	base := []string{"-m", "lexical", "-t", "mini", "--langs", "de,en,fr"}
	var procs []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 3 {
		args := append(append([]string{}, base...), "--cache-dir", cacheDir, "--output", shardOut, "--shard", []string{"0/3", "1/3", "2/3"}[i])
		cmd := exec.Command(os.Args[0], "-test.run=^TestShardHelper$")
		cmd.Env = append(os.Environ(), "MIMO_SHARD_HELPER_ARGS="+strings.Join(args, "\x1f"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs, outs = append(procs, cmd), append(outs, &out)
	}
	encoded := 0
	for i, p := range procs {
		if err := p.Wait(); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, outs[i])
		}
		if strings.Contains(outs[i].String(), "will not be cached") {
			t.Errorf("shard %d could not write the cache:\n%s", i, outs[i])
		}
		if !strings.Contains(outs[i].String(), "texts encoded into") {
			t.Errorf("shard %d output:\n%s", i, outs[i])
		}
		encoded++
	}
	if m, _ := filepath.Glob(filepath.Join(shardOut, "*", "*", "*.json")); len(m) != 0 {
		t.Errorf("a shard wrote results: %v", m)
	}

	final := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), append(append([]string{}, base...), "--cache-dir", cacheDir, "--output", final), &stdout, &stderr); code != 0 {
		t.Fatalf("final run: exit %d: %s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), ": encoding ") {
		t.Errorf("the final run encoded texts the shards should have cached:\n%s", stderr.String())
	}
	single := t.TempDir()
	stdout.Reset()
	stderr.Reset()
	if code := Main(context.Background(), append(append([]string{}, base...), "--no-cache", "--output", single), &stdout, &stderr); code != 0 {
		t.Fatalf("single run: exit %d: %s", code, stderr.String())
	}
	scores := func(root string) any {
		t.Helper()
		m, _ := filepath.Glob(filepath.Join(root, "*", "*", "MiniMLIR.json"))
		if len(m) != 1 {
			t.Fatalf("result files under %s: %v", root, m)
		}
		b, err := os.ReadFile(m[0])
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Scores any `json:"scores"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return r.Scores
	}
	if diff := cmp.Diff(scores(single), scores(final)); diff != "" {
		t.Errorf("sharded then merged differs from a single run (-single +sharded):\n%s", diff)
	}
}
