package native

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/onnx"
	"github.com/mimo-mlir/mimo/internal/tinymodel"
)

// engineTexts cover many scripts and lengths (longer ones past the tiny
// ModernBERT's sliding window).
var engineTexts = []string{
	"Nobody is going to hurt you.", "他去義大利的目的是學習音樂。", "彼は彼の人生の話を私にしてくれた。",
	"لن يسيء لكن أحد.", "फ़ेसबुक पर हमें लाइक करें!", "Она усовершенствовала искусство обращения со сложными клиентами.",
	"x", "Chúng tôi sống ở nông thôn trong suốt mùa hè. Chúng tôi sống ở nông thôn trong suốt mùa hè. Chúng tôi sống ở nông thôn.",
}

// openEngine opens f on engine, its export cached under exports.
func openEngine(t *testing.T, f adapters.Folder, engine, exports string) *Encoder {
	t.Helper()
	return openWith(t, f, adapters.Options{BatchSize: 3, Engine: engine, ExportDir: exports})
}

// ranking is, for each query vector, the document indexes by descending
// dot product (ties by index): what a retrieval score is computed from.
func ranking(q, d [][]float32) [][]int {
	out := make([][]int, len(q))
	for i, qv := range q {
		score := make([]float64, len(d))
		for j, dv := range d {
			for k := range qv {
				score[j] += float64(qv[k]) * float64(dv[k])
			}
		}
		idx := make([]int, len(d))
		for j := range idx {
			idx[j] = j
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case score[a] > score[b]:
				return -1
			case score[a] < score[b]:
				return 1
			}
			return 0
		})
		out[i] = idx
	}
	return out
}

// TestEnginesAgree runs the tiny XLM-R (both poolings, prompts) and the
// tiny ModernBERT through both engines: the ONNX Runtime engine's vectors
// equal the GoMLX graph's to float32 rounding, every query ranks the
// documents in the same order (the same retrieval scores), and the
// identities differ only in the engine. A second open reuses the cached
// export. Skipped without the ONNX Runtime library.
func TestEnginesAgree(t *testing.T) {
	if _, err := onnx.FindLibrary(""); err != nil {
		t.Skipf("ONNX Runtime library not found (make ort): %v", err)
	}
	modern, err := adapters.ReadFolder(modernDirs[0])
	if err != nil {
		t.Fatal(err)
	}
	exports := t.TempDir()
	for _, c := range []struct {
		name string
		f    adapters.Folder
	}{
		{"tiny-xlmr/mean", tinyFolder(t, PoolingMean, true, map[string]string{"query": "query: ", "document": "passage: "})},
		{"tiny-xlmr/cls", tinyFolder(t, PoolingCLS, false, nil)},
		{"tiny-modernbert", modern},
	} {
		t.Run(c.name, func(t *testing.T) {
			gomlx := openEngine(t, c.f, adapters.EngineGoMLX, exports)
			ort := openEngine(t, c.f, adapters.EngineAuto, exports)
			if ort.ort == nil || ort.note != "" {
				t.Fatalf("the automatic engine is not ONNX Runtime (note %q)", ort.note)
			}
			tinymodel.SameVectors(t, gomlx, ort, engineTexts, 1e-5)
			var ranks [2][][]int
			for i, enc := range []adapters.Encoder{gomlx, ort} {
				q, err := enc.Encode(context.Background(), adapters.Request{Role: adapters.RoleQuery, Texts: engineTexts})
				if err != nil {
					t.Fatal(err)
				}
				d, err := enc.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: engineTexts})
				if err != nil {
					t.Fatal(err)
				}
				ranks[i] = ranking(q, d)
			}
			if diff := cmp.Diff(ranks[0], ranks[1]); diff != "" {
				t.Errorf("rankings differ (-gomlx +onnxruntime):\n%s", diff)
			}
			gid, oid := gomlx.Identity(), ort.Identity()
			if oid.Extra[EngineExtra] != adapters.EngineONNXRuntime || gid.Extra != nil {
				t.Errorf("engine in the identity: gomlx %v, onnxruntime %v", gid.Extra, oid.Extra)
			}
			oid.Extra = nil
			if diff := cmp.Diff(gid, oid); diff != "" {
				t.Errorf("identities differ beyond the engine (-gomlx +onnxruntime):\n%s", diff)
			}
		})
	}
	// One export per distinct weights (the two tiny-xlmr folders share one),
	// complete, and nothing half-written beside them.
	entries, err := os.ReadDir(exports)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if _, err := os.Stat(filepath.Join(exports, e.Name(), ".complete")); err != nil {
			t.Errorf("export %s: %v", e.Name(), err)
		}
	}
	if len(names) != 2 {
		t.Errorf("exports %v, want one per model (2)", names)
	}
}

// TestEngineWithoutRuntime: with no ONNX Runtime library the automatic
// choice falls back to the GoMLX graph and says why (ExportHint, which
// mimo-eval prints); asking for ONNX Runtime is then an error naming the
// library; an unknown engine is an error listing the two.
func TestEngineWithoutRuntime(t *testing.T) {
	f := tinyFolder(t, PoolingMean, true, nil)
	missing := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	auto, err := Open(context.Background(), f, adapters.Options{ORTLibrary: missing, ExportDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer auto.Close()
	if auto.ort != nil || auto.model == nil {
		t.Fatal("no library, yet the ONNX Runtime engine runs")
	}
	if h := auto.ExportHint("dir"); !strings.Contains(h, missing) || !strings.Contains(h, "GoMLX") || !strings.Contains(h, "make ort") {
		t.Errorf("fallback note %q, want the library, GoMLX and make ort", h)
	}
	if auto.Identity().Extra != nil {
		t.Errorf("fallback identity has extra %v", auto.Identity().Extra)
	}
	_, err = Open(context.Background(), f, adapters.Options{ORTLibrary: missing, Engine: adapters.EngineONNXRuntime})
	if !errors.Is(err, errNoRuntime) || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), f.Dir) {
		t.Errorf("explicit onnxruntime without the library: error %v", err)
	}
	_, err = Open(context.Background(), f, adapters.Options{Engine: "torch"})
	if err == nil || !strings.Contains(err.Error(), `engine "torch"`) || !strings.Contains(err.Error(), "gomlx") {
		t.Errorf("unknown engine: error %v", err)
	}
}
