package transformer

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/internal/tinymodel"
)

// The tiny XLM-R, its PyTorch goldens and the agreement required with
// them (internal/tinymodel, shared with the encoder's tests).
var (
	tinyDir    = tinymodel.XLMRDir
	readGolden = tinymodel.ReadGolden
	maxAbsDiff = tinymodel.MaxAbsDiff
)

const goldenTol = tinymodel.GoldenTol

// newBackend is the backend of the tests, finalised at the end of the test:
// the pure-Go one unless $GOMLX_BACKEND names
// another (scripts/gpu-check.sh runs the tests on "xla:cuda").
func newBackend(t testing.TB) backends.Backend {
	t.Helper()
	b, err := EnvBackend()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Finalize)
	return b
}

// loadTiny loads the tiny model's weights into a fresh context.
func loadTiny(t testing.TB, b backends.Backend, pooling string) *Model {
	t.Helper()
	cfg, err := ReadConfig(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Pooling = pooling
	ctx := mlctx.New()
	if err := LoadSafetensors(ctx, cfg, filepath.Join(tinyDir, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(b, ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestForwardMatchesPyTorch runs every golden text alone and all of them in
// one padded batch, for both poolings, and compares with PyTorch.
func TestForwardMatchesPyTorch(t *testing.T) {
	g := readGolden(t)
	b := newBackend(t)
	for _, pooling := range []string{PoolingMean, PoolingCLS} {
		want := g.Mean
		if pooling == PoolingCLS {
			want = g.CLS
		}
		m := loadTiny(t, b, pooling)
		t.Run(pooling+"/alone", func(t *testing.T) {
			for i, ids := range g.InputIDs {
				got, err := m.Forward([][]int64{ids}, len(ids))
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(t, got[0], want[i]); d > goldenTol {
					t.Errorf("text %d %q: max |diff| %.3g > %g", i, g.Texts[i], d, goldenTol)
				}
			}
		})
		t.Run(pooling+"/padded-batch", func(t *testing.T) {
			got, err := m.Forward(g.InputIDs, 0)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if d := maxAbsDiff(t, got[i], want[i]); d > goldenTol {
					t.Errorf("text %d %q: max |diff| %.3g > %g", i, g.Texts[i], d, goldenTol)
				}
			}
		})
		t.Run(pooling+"/truncated", func(t *testing.T) {
			tr := g.Truncated
			if len(tr.InputIDs) == 0 || len(tr.InputIDs) > tr.MaxLength {
				t.Fatalf("golden truncated case has %d ids for max_length %d", len(tr.InputIDs), tr.MaxLength)
			}
			w := tr.Mean
			if pooling == PoolingCLS {
				w = tr.CLS
			}
			got, err := m.Forward([][]int64{tr.InputIDs}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(t, got[0], w); d > goldenTol {
				t.Errorf("truncated text: max |diff| %.3g > %g", d, goldenTol)
			}
		})
	}
}

// TestLastHiddenStateMatchesPyTorch compares every token's output, not only
// the pooled vector, for the texts golden.json gives it for.
func TestLastHiddenStateMatchesPyTorch(t *testing.T) {
	g := readGolden(t)
	b := newBackend(t)
	m := loadTiny(t, b, PoolingMean)
	if len(g.LastHiddenState) == 0 {
		t.Fatal("golden.json has no last_hidden_state")
	}
	compareLastHidden(t, m, g.InputIDs, g.LastHiddenState)
}

// compareLastHidden runs each of the first len(want) id sequences alone
// through EncodeTokens and compares every token's output with want.
func compareLastHidden(t *testing.T, m *Model, inputIDs [][]int64, want [][][]float32) {
	t.Helper()
	exec, err := mlctx.NewExec(m.backend, m.ctx.Reuse(), func(ctx *mlctx.Context, ids, mask *graph.Node) *graph.Node {
		return EncodeTokens(ctx, m.Config, ids, mask, false)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	for i, rows := range want {
		t.Run(fmt.Sprint("text", i), func(t *testing.T) {
			ids := inputIDs[i]
			mask := make([]int64, len(ids))
			for j := range mask {
				mask[j] = 1
			}
			outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(ids, 1, len(ids)), tensors.FromFlatDataAndDimensions(mask, 1, len(ids)))
			if err != nil {
				t.Fatal(err)
			}
			flat := tensors.MustCopyFlatData[float32](outs[0])
			h := m.Config.HiddenSize
			if len(rows) != len(ids) || len(flat) != len(ids)*h {
				t.Fatalf("golden has %d token rows, ids %d, output %d values", len(rows), len(ids), len(flat))
			}
			for j := range rows {
				if d := maxAbsDiff(t, flat[j*h:(j+1)*h], rows[j]); d > goldenTol {
					t.Errorf("token %d: max |diff| %.3g > %g", j, d, goldenTol)
				}
			}
		})
	}
}
