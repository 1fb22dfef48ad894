package gradcache_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/losses"
	"github.com/mimo-mlir/mimo/training/objective"
	"github.com/mimo-mlir/mimo/training/optim"
	"github.com/mimo-mlir/mimo/transformer"
)

// TestDataParallelAutoSharding is the multi-device check of the
// global-batch semantics on GoMLX's distributed execution: one step's
// graph (the tiny encoder on a query and a passage stream, InfoNCE over the
// whole batch, the gradient of every weight) compiled with AutoSharding over
// a one-axis DeviceMesh of all the backend's devices, the batch axis of the
// inputs sharded over it (each device holds Rows/D rows; XLA gathers the
// representations for the loss's negatives and all-reduces the weight
// gradients), gives the loss and gradients of the same graph on one device.
// Dropout is off (each device draws its own masks). It needs a backend with
// two or more devices ($GOMLX_BACKEND=xla:cuda on a multi-GPU machine:
// scripts/gpu-check.sh runs it there) and skips on the pure-Go backend,
// which has one.
func TestDataParallelAutoSharding(t *testing.T) {
	be := testBackend(t)
	nd := be.NumDevices()
	if nd < 2 {
		t.Skipf("backend %q has %d device; data-parallel execution needs 2 or more (scripts/gpu-check.sh runs this on a multi-GPU machine)", be.Name(), nd)
	}
	cfg := benchConfig
	cfg.HiddenDropout, cfg.AttentionDropout = 0, 0
	ctx := mlctx.New()
	if err := transformer.InitRandom(ctx.In(gradcache.StudentScope), cfg, 1); err != nil {
		t.Fatal(err)
	}
	var params []*mlctx.Variable
	for v := range ctx.IterVariables() {
		params = append(params, v)
	}
	stepGraph := func(ctx *mlctx.Context, in []*graph.Node) []*graph.Node {
		sctx := ctx.InAbsPath("/" + gradcache.StudentScope)
		q := transformer.Encode(sctx, cfg, in[0], in[1], false)
		p := transformer.Encode(sctx, cfg, in[2], in[3], false)
		loss := losses.InfoNCE(q, p, 20)
		var wrt []*graph.Node
		for _, v := range params {
			wrt = append(wrt, v.ValueGraph(loss.Graph()))
		}
		return append([]*graph.Node{loss}, graph.Gradient(loss, wrt...)...)
	}
	rows := 4 * nd
	r := rand.New(rand.NewPCG(3, 3))
	var args []*tensors.Tensor
	for range 2 {
		tok := benchTokens(r, cfg.VocabSize)
		tok = tok.Rows(0, rows, false)
		ids, mask := tensors.FromFlatDataAndDimensions(tok.IDs, tok.Batch, tok.Len), tensors.FromFlatDataAndDimensions(tok.Mask, tok.Batch, tok.Len)
		args = append(args, ids, mask)
	}

	one, err := mlctx.NewExec(be, ctx.Reuse(), stepGraph)
	if err != nil {
		t.Fatal(err)
	}
	want, err := one.Exec(anys(args)...)
	if err != nil {
		t.Fatal(err)
	}

	mesh, err := distributed.NewDeviceMesh([]int{nd}, []string{"data"})
	if err != nil {
		t.Fatal(err)
	}
	batchSharded, err := distributed.BuildSpec(mesh).S("data").R().Done()
	if err != nil {
		t.Fatal(err)
	}
	replicated := distributed.NewReplicatedShardingSpec(mesh)
	dp, err := mlctx.NewExec(be, ctx.Reuse(), stepGraph)
	if err != nil {
		t.Fatal(err)
	}
	dp = dp.AutoSharding(mesh).WithInputShardingSpecs(batchSharded).WithOutputShardingSpecs(replicated)
	if err := dp.SetDefaultShardingSpec(replicated); err != nil {
		t.Fatal(err)
	}
	var dargs []any
	for _, a := range args {
		d, err := distributed.ShardTensor(batchSharded, a)
		if err != nil {
			t.Fatal(err)
		}
		dargs = append(dargs, d)
	}
	got, err := dp.Exec(dargs...)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != nd*len(want) {
		t.Fatalf("%d outputs from %d devices, want %d per device", len(got), nd, len(want))
	}
	for dev := range nd {
		for k := range want {
			w, g := flat(want[k]), flat(got[dev*len(want)+k])
			name := "loss"
			if k > 0 {
				name = params[k-1].ScopeAndName()
			}
			if err := closeRel(w, g, 1e-4); err != nil {
				t.Errorf("device %d of %d, %s: %v", dev, nd, name, err)
			}
		}
	}
}

// dpSteps are the batches of TestDataParallelStep with mini-batches of 4
// over 2 devices: the cached path (two mini-batches), the direct path (one),
// an uneven batch (7 rows: the sequential executables) and the cached path
// again after it (mini-batches of 4 and 2).
var dpSteps = []int{8, 4, 7, 6}

// dpRun is what one run of TestDataParallelStep gives: per step the loss,
// its terms, the gradients and the optimiser's gradient norm; at the end
// the weights and the random state.
type dpRun struct {
	exec    gradcache.Execution
	losses  [][]float64
	grads   []map[string][]float64
	norms   []float64
	weights map[string][]float64
	rng     []uint64
}

// dpStudent builds a student, psi and the random state in a new context.
type dpStudent func(t *testing.T) (*mlctx.Context, gradcache.Student)

func bagStudent(t *testing.T) (*mlctx.Context, gradcache.Student) {
	ctx := mlctx.New()
	st := gradcache.Bag{Vocab: vocab, Hidden: hidden, Dim: dim, Dropout: 0.2}
	if err := st.Init(ctx.In(gradcache.StudentScope), 3); err != nil {
		t.Fatal(err)
	}
	return ctx, st
}

func encoderStudent(t *testing.T) (*mlctx.Context, gradcache.Student) {
	cfg := tinyConfig(transformer.ModelXLMRoberta, 0.1)
	cfg.VocabSize = vocab
	ctx := mlctx.New()
	if err := transformer.InitRandom(ctx.In(gradcache.StudentScope), cfg, 3); err != nil {
		t.Fatal(err)
	}
	return ctx, transformer.Student{Cfg: cfg}
}

// runDP trains dpSteps with plan p (AdamW with a large eps, so that the
// update is a smooth function of the gradient and float noise in a tiny
// component cannot flip its sign).
func runDP(t *testing.T, be backends.Backend, p *gradcache.Plan, mk dpStudent, obj gradcache.Objective, perDevice bool) dpRun {
	t.Helper()
	ctx, st := mk(t)
	studentDim := dim
	if enc, ok := st.(transformer.Student); ok {
		studentDim = enc.Cfg.HiddenSize
	}
	if obj.Targets() > 0 {
		if err := objective.InitPsi(ctx.In(gradcache.LossScope), studentDim, teacherDim, 4, dtypes.Float32); err != nil {
			t.Fatal(err)
		}
	}
	if err := ctx.SetRNGStateFromSeed(42); err != nil {
		t.Fatal(err)
	}
	e, err := gradcache.New(be, ctx, st, obj, gradcache.Options{
		MiniBatch: 4, Train: true, TrimPadding: true, Bucket: 2, Devices: p.Devices(), PerDevice: perDevice, Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Close() }()
	cfg := optim.Default()
	cfg.Eps = 1e-2
	opt, err := optim.NewAdamW(be, ctx, e.Params(), e.Accumulators(), cfg, optim.WithPlan(e.Plan()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = opt.Close() }()
	out := dpRun{exec: e.Execution(), weights: map[string][]float64{}}
	for k, rows := range dpSteps {
		res, err := e.Accumulate(makeBatchRows(obj, uint64(20+k), rows))
		if err != nil {
			t.Fatalf("step %d (%d rows): %v", k+1, rows, err)
		}
		out.losses = append(out.losses, append([]float64{res.Loss}, res.Terms...))
		gs, err := e.Gradients()
		if err != nil {
			t.Fatal(err)
		}
		g := map[string][]float64{}
		for name, v := range gs {
			g[name] = flat(v)
		}
		out.grads = append(out.grads, g)
		norm, err := opt.Step(1e-2, k+1)
		if err != nil {
			t.Fatalf("step %d: %v", k+1, err)
		}
		out.norms = append(out.norms, norm)
	}
	for _, v := range e.Params() {
		out.weights[v.ScopeAndName()] = flat(v.MustValue())
	}
	rng := ctx.GetVariableByScopeAndName(mlctx.RootScope, mlctx.RNGStateVariableName)
	out.rng = tensors.MustCopyFlatData[uint64](rng.MustValue())
	return out
}

// TestDataParallelStep runs the engine and the optimiser data-parallel
// over 2 devices (GoMLX AutoSharding, the engine's own plan) and the same
// Layout emulated on one device, dropout on, and holds them equal within
// float32 tolerance: every step's loss and terms, accumulated gradients and
// gradient norm, the weights after the steps, and the random state bit for
// bit (the data-parallel draws consume it exactly as one device does; if
// XLA gave every device the same dropout stream for its rows, the losses
// would differ). Students: the bag of embeddings and the tiny XLM-R
// encoder; objectives: stage 2 (targets, psi) over the global batch and
// InfoNCE per device. It needs a backend with 2 or more devices and skips
// on the pure-Go one (scripts/gpu-check.sh runs it on a multi-GPU machine).
func TestDataParallelStep(t *testing.T) {
	be := testBackend(t)
	if nd := be.NumDevices(); nd < 2 {
		t.Skipf("backend %q has %d device; data-parallel execution needs 2 or more (scripts/gpu-check.sh runs this on a multi-GPU machine)", be.Name(), nd)
	}
	dp, err := gradcache.NewPlan(be, 2)
	if err != nil {
		t.Fatal(err)
	}
	if dp.Execution() != gradcache.DataParallel {
		t.Fatalf("plan for 2 of %d devices is %s", be.NumDevices(), dp.Execution())
	}
	for _, tc := range []struct {
		name      string
		student   dpStudent
		obj       gradcache.Objective
		perDevice bool
	}{
		{"bag/stage2", bagStudent, objective.Stage2{Opts: losses.DefaultStage2()}, false},
		{"bag/infonce/per-device", bagStudent, objective.Contrastive{Scale: 20}, true},
		{"xlmr/stage2", encoderStudent, objective.Stage2{Opts: losses.DefaultStage2()}, false},
		{"xlmr/xlco/per-device", encoderStudent, objective.Contrastive{Scale: 20, CrossLingual: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each run needs its own plan: a variable keeps the mesh it ran on.
			p, err := gradcache.NewPlan(be, 2)
			if err != nil {
				t.Fatal(err)
			}
			one := runDP(t, be, p.Sequential(), tc.student, tc.obj, tc.perDevice)
			got := runDP(t, be, p, tc.student, tc.obj, tc.perDevice)
			if one.exec != gradcache.Sequential || got.exec != gradcache.DataParallel {
				t.Fatalf("executions %s and %s, want sequential and data-parallel", one.exec, got.exec)
			}
			for k := range dpSteps {
				if err := closeRel(one.losses[k], got.losses[k], 1e-5); err != nil {
					t.Errorf("step %d (%d rows) loss and terms: %v", k+1, dpSteps[k], err)
				}
				for name, w := range one.grads[k] {
					if err := closeRel(w, got.grads[k][name], 1e-4); err != nil {
						t.Errorf("step %d gradient of %s: %v", k+1, name, err)
					}
				}
				if err := closeRel([]float64{one.norms[k]}, []float64{got.norms[k]}, 1e-5); err != nil {
					t.Errorf("step %d gradient norm: %v", k+1, err)
				}
			}
			for name, w := range one.weights {
				if err := closeRel(w, got.weights[name], 1e-5); err != nil {
					t.Errorf("weights %s after %d steps: %v", name, len(dpSteps), err)
				}
			}
			if !slices.Equal(one.rng, got.rng) {
				t.Errorf("random state after the steps: data-parallel %v, one device %v", got.rng, one.rng)
			}
		})
	}
}

func anys(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

// closeRel reports the first element of got farther than tol * max|want|
// from want.
func closeRel(want, got []float64, tol float64) error {
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	for i := range want {
		if math.Abs(want[i]-got[i]) > tol*scale+1e-7 {
			return fmt.Errorf("[%d] = %g, want %g (max |want| %g)", i, got[i], want[i], scale)
		}
	}
	return nil
}
