package gradcache_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/losses"
	"github.com/mimo-mlir/mimo/training/objective"
	"github.com/mimo-mlir/mimo/transformer"
)

// testBackend is $GOMLX_BACKEND's backend (the pure-Go one when unset), so
// scripts/gpu-check.sh runs these tests on xla:cuda.
func testBackend(t testing.TB) backends.Backend {
	t.Helper()
	b, err := transformer.EnvBackend()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randTokens makes a padded batch with rows of random length 1..maxLen.
func randTokens(r *rand.Rand, rows, maxLen, vocab int) gradcache.Tokens {
	t := gradcache.Tokens{IDs: make([]int32, rows*maxLen), Mask: make([]int32, rows*maxLen), Batch: rows, Len: maxLen}
	for i := 0; i < rows; i++ {
		n := 1 + r.IntN(maxLen)
		for j := 0; j < n; j++ {
			t.IDs[i*maxLen+j] = int32(1 + r.IntN(vocab-1))
			t.Mask[i*maxLen+j] = 1
		}
	}
	return t
}

func randTarget(r *rand.Rand, rows, dim int) *tensors.Tensor {
	v := make([]float32, rows*dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, rows, dim)
}

const (
	vocab, hidden, dim, teacherDim = 50, 8, 6, 5
	rows, miniBatch, maxLen        = 7, 3, 6
)

func newEngine(t testing.TB, b backends.Backend, obj gradcache.Objective, dt dtypes.DType, dropout float64, train bool) (*gradcache.Engine, *context.Context) {
	t.Helper()
	return newEngineOpts(t, b, obj, dt, dropout, gradcache.Options{MiniBatch: miniBatch, Train: train, TrimPadding: true})
}

// newEngineOpts is newEngine with the engine's options given.
func newEngineOpts(t testing.TB, b backends.Backend, obj gradcache.Objective, dt dtypes.DType, dropout float64, opts gradcache.Options) (*gradcache.Engine, *context.Context) {
	t.Helper()
	ctx := context.New()
	st := gradcache.Bag{Vocab: vocab, Hidden: hidden, Dim: dim, Dropout: dropout, DType: dt}
	if err := st.Init(ctx.In(gradcache.StudentScope), 3); err != nil {
		t.Fatal(err)
	}
	if err := objective.InitPsi(ctx.In(gradcache.LossScope), dim, teacherDim, 4, dt); err != nil {
		t.Fatal(err)
	}
	if err := ctx.SetRNGStateFromSeed(42); err != nil {
		t.Fatal(err)
	}
	e, err := gradcache.New(b, ctx, st, obj, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e, ctx
}

func makeBatch(obj gradcache.Objective, seed uint64) gradcache.Batch {
	return makeBatchRows(obj, seed, rows)
}

// makeBatchRows is makeBatch with n rows.
func makeBatchRows(obj gradcache.Objective, seed uint64, rows int) gradcache.Batch {
	r := rand.New(rand.NewPCG(seed, 1))
	var b gradcache.Batch
	for range obj.Streams() {
		b.Streams = append(b.Streams, randTokens(r, rows, maxLen, vocab))
	}
	for range obj.Targets() {
		b.Targets = append(b.Targets, randTarget(r, rows, teacherDim))
	}
	return b
}

func objectives() []gradcache.Objective {
	oneSided := losses.DefaultLaKDA()
	oneSided.Mode = losses.KLOneSided
	original := losses.DefaultLaKDA()
	original.Mode = losses.KLOriginal
	original.Threshold = 0
	sum := losses.DefaultStage2()
	sum.Bracket = losses.BracketSum
	return []gradcache.Objective{
		objective.Contrastive{Scale: 20},
		objective.Contrastive{Scale: 20, CrossLingual: true},
		objective.LaKDA{Opts: losses.DefaultLaKDA()},
		objective.LaKDA{Opts: oneSided},
		objective.LaKDA{Opts: original},
		objective.Stage1{},
		objective.Stage2{Opts: losses.DefaultStage2()},
		objective.Stage2{Opts: sum},
	}
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))+1e-12
}

// TestCachedEqualsDirect is the engine's contract: for every objective, with
// dropout on and uneven mini-batches, the cached loss and every parameter
// gradient (student and psi) equal the direct computation's.
func TestCachedEqualsDirect(t *testing.T) {
	b := testBackend(t)
	for _, dt := range []dtypes.DType{dtypes.Float64, dtypes.Float32} {
		tol := 1e-9
		if dt == dtypes.Float32 {
			tol = 1e-5
		}
		for i, obj := range objectives() {
			t.Run(dt.String()+"/"+obj.Name()+"/"+string(rune('a'+i)), func(t *testing.T) {
				e, ctx := newEngine(t, b, obj, dt, 0.3, true)
				batch := makeBatch(obj, uint64(10+i))
				rng := ctx.GetVariableByScopeAndName(context.RootScope, context.RNGStateVariableName)
				start, _ := rng.MustValue().LocalClone()

				cached, err := e.Accumulate(batch)
				if err != nil {
					t.Fatal(err)
				}
				gc, err := e.Gradients()
				if err != nil {
					t.Fatal(err)
				}
				afterCached, _ := rng.MustValue().LocalClone()
				if err := e.ZeroGradients(); err != nil {
					t.Fatal(err)
				}
				if err := rng.SetValue(start); err != nil {
					t.Fatal(err)
				}
				direct, err := e.Direct(batch)
				if err != nil {
					t.Fatal(err)
				}
				gd, err := e.Gradients()
				if err != nil {
					t.Fatal(err)
				}
				if !relClose(cached.Loss, direct.Loss, tol) {
					t.Fatalf("loss: cached %.12g, direct %.12g", cached.Loss, direct.Loss)
				}
				for k := range cached.Terms {
					if !relClose(cached.Terms[k], direct.Terms[k], tol) {
						t.Fatalf("term %s: cached %.12g, direct %.12g", obj.TermNames()[k], cached.Terms[k], direct.Terms[k])
					}
				}
				if !rngEqual(afterCached, rng.MustValue()) {
					t.Fatal("cached and direct paths left different random states")
				}
				nonzero := 0
				for name, want := range gd {
					got := gc[name]
					w, g := flat(want), flat(got)
					scale := 0.0
					for _, v := range w {
						scale = math.Max(scale, math.Abs(v))
					}
					if scale > 0 {
						nonzero++
					}
					for j := range w {
						if math.Abs(w[j]-g[j]) > tol*scale+1e-12 {
							t.Fatalf("%s[%d]: cached %.12g, direct %.12g (max |grad| %.3g)", name, j, g[j], w[j], scale)
						}
					}
				}
				if nonzero < 3 {
					t.Fatalf("only %d of %d gradients are non-zero", nonzero, len(gd))
				}
			})
		}
	}
}

// TestDropoutIsActive guards the test above against passing vacuously: with
// dropout on, the loss differs from the deterministic one, and two steps
// from different random states differ from each other.
func TestDropoutIsActive(t *testing.T) {
	b := testBackend(t)
	obj := objective.Contrastive{Scale: 20, CrossLingual: true}
	batch := makeBatch(obj, 99)
	on, _ := newEngine(t, b, obj, dtypes.Float64, 0.3, true)
	off, _ := newEngine(t, b, obj, dtypes.Float64, 0.3, false)
	r1, err := on.Accumulate(batch)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := on.Accumulate(batch) // random state moved on
	if err != nil {
		t.Fatal(err)
	}
	r0, err := off.Accumulate(batch)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Loss == r0.Loss || r1.Loss == r2.Loss {
		t.Fatalf("dropout has no effect: train %g, train again %g, eval %g", r1.Loss, r2.Loss, r0.Loss)
	}
}

func TestBatchShapeErrors(t *testing.T) {
	b := testBackend(t)
	obj := objective.Stage2{Opts: losses.DefaultStage2()}
	e, _ := newEngine(t, b, obj, dtypes.Float32, 0, true)
	good := makeBatch(obj, 1)
	cases := map[string]gradcache.Batch{
		"missing-target": {Streams: good.Streams, Targets: good.Targets[:1]},
		"rows-differ":    {Streams: []gradcache.Tokens{good.Streams[0], good.Streams[1].Rows(0, 2, false)}, Targets: good.Targets},
		"bad-tokens":     {Streams: []gradcache.Tokens{{IDs: []int32{1}, Mask: []int32{1, 1}, Batch: 1, Len: 2}, good.Streams[1]}, Targets: good.Targets},
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := e.Accumulate(bad); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestTokensRowsTrim(t *testing.T) {
	tok := gradcache.Tokens{
		IDs:   []int32{5, 6, 0, 0, 7, 0, 0, 0, 8, 9, 1, 0},
		Mask:  []int32{1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0},
		Batch: 3, Len: 4,
	}
	got := tok.Rows(0, 2, true)
	if got.Len != 2 || got.Batch != 2 || got.IDs[2] != 7 || got.Mask[3] != 0 {
		t.Fatalf("trimmed rows 0-2: %+v", got)
	}
	if got := tok.Rows(1, 3, true); got.Len != 3 || got.IDs[3] != 8 {
		t.Fatalf("trimmed rows 1-3: %+v", got)
	}
	if got := tok.Rows(1, 2, false); got.Len != 4 {
		t.Fatalf("untrimmed: %+v", got)
	}
}

func flat(t *tensors.Tensor) []float64 {
	switch t.DType() {
	case dtypes.Float64:
		return tensors.MustCopyFlatData[float64](t)
	default:
		f := tensors.MustCopyFlatData[float32](t)
		out := make([]float64, len(f))
		for i, v := range f {
			out[i] = float64(v)
		}
		return out
	}
}

func rngEqual(a, b *tensors.Tensor) bool {
	var x, y []byte
	_ = a.ConstBytes(func(d []byte) { x = append(x, d...) })
	_ = b.ConstBytes(func(d []byte) { y = append(y, d...) })
	return string(x) == string(y)
}

// TestOneMiniBatchIsDirect: when one mini-batch holds the whole batch,
// Accumulate is the direct step: the same loss, terms, gradients and final
// random state as Direct, bit for bit (the cached path agrees only to
// rounding), for every objective, dropout on.
func TestOneMiniBatchIsDirect(t *testing.T) {
	b := testBackend(t)
	for i, obj := range objectives() {
		t.Run(obj.Name()+"/"+string(rune('a'+i)), func(t *testing.T) {
			ctx := context.New()
			st := gradcache.Bag{Vocab: vocab, Hidden: hidden, Dim: dim, Dropout: 0.3, DType: dtypes.Float32}
			if err := st.Init(ctx.In(gradcache.StudentScope), 3); err != nil {
				t.Fatal(err)
			}
			if err := objective.InitPsi(ctx.In(gradcache.LossScope), dim, teacherDim, 4, dtypes.Float32); err != nil {
				t.Fatal(err)
			}
			if err := ctx.SetRNGStateFromSeed(42); err != nil {
				t.Fatal(err)
			}
			e, err := gradcache.New(b, ctx, st, obj, gradcache.Options{MiniBatch: rows, Train: true, TrimPadding: true})
			if err != nil {
				t.Fatal(err)
			}
			batch := makeBatch(obj, uint64(30+i))
			rng := ctx.GetVariableByScopeAndName(context.RootScope, context.RNGStateVariableName)
			start, _ := rng.MustValue().LocalClone()
			var res [2]gradcache.Result
			var grads [2]map[string][]float64
			var after [2]*tensors.Tensor
			for k, step := range []func(gradcache.Batch) (gradcache.Result, error){e.Accumulate, e.Direct} {
				if err := e.ZeroGradients(); err != nil {
					t.Fatal(err)
				}
				again, err := start.LocalClone() // SetValue hands the tensor to the variable
				if err != nil {
					t.Fatal(err)
				}
				if err := rng.SetValue(again); err != nil {
					t.Fatal(err)
				}
				if res[k], err = step(batch); err != nil {
					t.Fatal(err)
				}
				g, err := e.Gradients()
				if err != nil {
					t.Fatal(err)
				}
				grads[k] = map[string][]float64{}
				for name, v := range g {
					grads[k][name] = flat(v)
				}
				after[k], _ = rng.MustValue().LocalClone()
			}
			if diff := cmp.Diff(res[1], res[0]); diff != "" {
				t.Errorf("result (-direct +accumulate):\n%s", diff)
			}
			if diff := cmp.Diff(grads[1], grads[0]); diff != "" {
				t.Errorf("gradients (-direct +accumulate):\n%s", diff)
			}
			if !rngEqual(after[0], after[1]) {
				t.Error("Accumulate and Direct left different random states")
			}
		})
	}
}
