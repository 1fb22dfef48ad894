package cli

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// teiImitation answers POST /embed like text-embeddings-inference, with a
// vector that depends on the text only. With failAfter >= 0 it answers 500
// to every request after the first failAfter (a GPU that died mid-run).
func teiImitation(t *testing.T, failAfter int) string {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Inputs []string `json:"inputs"`
		}
		if r.URL.Path != "/embed" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, `{"error":"no route"}`, 404)
			return
		}
		if failAfter >= 0 && n.Add(1) > int64(failAfter) {
			http.Error(w, `{"error":"CUDA out of memory"}`, 500)
			return
		}
		out := make([][]float32, len(req.Inputs))
		for i, text := range req.Inputs {
			v := make([]float32, 8)
			for _, word := range strings.Fields(strings.ToLower(text)) {
				h := fnv.New32a()
				h.Write([]byte(word))
				v[h.Sum32()%8]++
			}
			v[0] += 0.5
			out[i] = v
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// TestPoolRunEqualsSingle: a mimo-eval run through a pool (one replica
// failing) prints the same scores as a run through one server, and the
// per-replica throughput at the end.
func TestPoolRunEqualsSingle(t *testing.T) {
	// The third replica answers the dimension probe and the pool's probe
	// at open, then dies: its batches fail over to the others.
	a, b, bad := teiImitation(t, -1), teiImitation(t, -1), teiImitation(t, 2)
	eval := func(model string) (string, string) {
		t.Helper()
		code, stdout, stderr := run("--model", model, "--data-dir", "testdata/task", "--output", t.TempDir(),
			"--cache-dir", t.TempDir(), "--batch-size", "3")
		if code != 0 {
			t.Fatalf("%s: exit %d\nstderr:\n%s", model, code, stderr)
		}
		return stdout, stderr
	}
	single, _ := eval("tei+" + a + "?name=acme/m&batch=2")
	pooled, stderr := eval("pool:tei+" + a + "?name=acme/m&batch=2,tei+" + b + "?name=acme/m&batch=2&retries=1,tei+" + bad + "?name=acme/m&batch=2&retries=1")
	if d := cmp.Diff(single, pooled); d != "" {
		t.Errorf("pool scores differ from a single server's:\n%s", d)
	}
	for _, u := range []string{a, b, bad} {
		if !strings.Contains(stderr, "pool replica tei "+u+":") {
			t.Errorf("no throughput line for %s:\n%s", u, stderr)
		}
	}
	if !strings.Contains(stderr, "pool replica tei "+bad+": 0 texts") {
		t.Errorf("the dead replica encoded texts:\n%s", stderr)
	}
}
