package gradcache

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/internal/fakedevices"
	"github.com/mimo-mlir/mimo/training/objective"
	"github.com/mimo-mlir/mimo/transformer"
)

func internalBackend(t *testing.T, devices int) fakedevices.Backend {
	t.Helper()
	b, err := transformer.EnvBackend()
	if err != nil {
		t.Fatal(err)
	}
	return fakedevices.New(b, devices)
}

// TestExecutableInputs: every input of the engine's graphs has its rows on
// axis 0 and is sharded on it; the optimiser's scalars are replicated.
func TestExecutableInputs(t *testing.T) {
	for name, in := range map[string][]Input{"forward": fwdInputs, "loss": lossInputs, "backward": bwdInputs, "direct": dirInputs} {
		for i, k := range in {
			if k != BatchSharded {
				t.Errorf("%s input %d is %s, want batch-sharded", name, i, k)
			}
		}
	}
	if len(fwdInputs) != 2 || len(bwdInputs) != 3 || len(lossInputs) != 1 || len(dirInputs) != 1 {
		t.Errorf("inputs forward %d (ids, mask), backward %d (ids, mask, gradient), loss %d and direct %d (one spec for all)",
			len(fwdInputs), len(bwdInputs), len(lossInputs), len(dirInputs))
	}
}

// TestShardArgs: what a data-parallel plan hands each device: device d the
// rows [d*n/D, (d+1)*n/D) of a batch-sharded input, every device the whole
// of a replicated one (the last input kind counts for the rest); a batch
// that does not split evenly is refused.
func TestShardArgs(t *testing.T) {
	for _, d := range []int{2, 3, 4} {
		p, err := NewPlan(internalBackend(t, d), d)
		if err != nil {
			t.Fatal(err)
		}
		rows, cols := 2*d, 3
		v := make([]int32, rows*cols)
		for i := range v {
			v[i] = int32(i)
		}
		x := tensors.FromFlatDataAndDimensions(v, rows, cols)
		lr := tensors.FromScalar(0.5)
		as, err := p.shard([]Input{BatchSharded, Replicated}, []*tensors.Tensor{x, lr, lr})
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 3 {
			t.Fatalf("%d args, want 3", len(as))
		}
		sx := as[0].(*distributed.Tensor)
		if sx.NumShards() != d {
			t.Fatalf("%d shards, want %d", sx.NumShards(), d)
		}
		for dev, s := range sx.Shards() {
			want := v[dev*2*cols : (dev+1)*2*cols]
			if got := s.Value().([][]int32); !slices.Equal(slices.Concat(got...), want) {
				t.Errorf("%d devices: device %d holds %v, want rows %d-%d %v", d, dev, got, 2*dev, 2*dev+1, want)
			}
		}
		for _, a := range as[1:] {
			r := a.(*distributed.Tensor)
			for dev, s := range r.Shards() {
				if s.Value().(float64) != 0.5 {
					t.Errorf("%d devices: replicated scalar on device %d is %v", d, dev, s.Value())
				}
			}
		}
		odd := tensors.FromFlatDataAndDimensions(make([]int32, (rows+1)*cols), rows+1, cols)
		if _, err := p.shard([]Input{BatchSharded}, []*tensors.Tensor{odd}); err == nil {
			t.Errorf("%d devices: %d rows were sharded", d, rows+1)
		}
	}
}

// TestUnevenBatchRunsSequential: a data-parallel engine takes a batch whose
// rows split evenly over its devices with its data-parallel executables and
// one that does not (an epoch's last batch) with the sequential ones.
func TestUnevenBatchRunsSequential(t *testing.T) {
	b := internalBackend(t, 2)
	ctx := context.New()
	st := Bag{Vocab: 20, Hidden: 4, Dim: 3}
	if err := st.Init(ctx.In(StudentScope), 3); err != nil {
		t.Fatal(err)
	}
	e, err := New(b, ctx, st, objective.Contrastive{Scale: 20}, Options{MiniBatch: 4, Devices: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Close() }()
	even, err := e.execsFor(8)
	if err != nil {
		t.Fatal(err)
	}
	if even != e.main || even.plan.Execution() != DataParallel || even.fwd.DistributionStrategy() != distributed.AutoSharding {
		t.Errorf("8 rows over 2 devices: %s executables, want the data-parallel ones", even.plan.Execution())
	}
	odd, err := e.execsFor(7)
	if err != nil {
		t.Fatal(err)
	}
	if odd == e.main || odd.plan.Execution() != Sequential || odd.fwd.DistributionStrategy() != distributed.None || odd.loss.NumDevices() != 1 {
		t.Errorf("7 rows over 2 devices: %s executables, want sequential ones", odd.plan.Execution())
	}
	if again, _ := e.execsFor(5); again != odd {
		t.Error("the sequential executables were built twice")
	}
}
