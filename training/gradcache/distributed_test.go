package gradcache_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/losses"
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
