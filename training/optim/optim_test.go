package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/internal/fakedevices"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/transformer"
)

func TestSchedule(t *testing.T) {
	cases := []struct {
		name  string
		s     Schedule
		steps []int
		want  []float64
	}{
		{"10-steps-10pct", NewSchedule(10, 0.1), []int{0, 1, 5, 9, 10, 11}, []float64{0, 1, 5.0 / 9, 1.0 / 9, 0, 0}},
		{"100-steps-10pct", NewSchedule(100, 0.1), []int{0, 5, 10, 55, 99}, []float64{0, 0.5, 1, 0.5, 1.0 / 90}},
		{"ceil-warmup", NewSchedule(15, 0.1), []int{1, 2}, []float64{0.5, 1}},
		{"no-warmup", Schedule{Total: 4}, []int{0, 2}, []float64{1, 0.5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i, st := range c.steps {
				if got := c.s.Factor(st); math.Abs(got-c.want[i]) > 1e-12 {
					t.Fatalf("factor(%d) = %g, want %g", st, got, c.want[i])
				}
			}
		})
	}
}

// refAdamW is torch.optim.AdamW with HF-style decay groups and global clipping.
type refParam struct {
	p, m, v []float64
	decay   bool
}

func refStep(ps []*refParam, grads [][]float64, cfg Config, lr float64, t int) float64 {
	var sq float64
	for _, g := range grads {
		for _, x := range g {
			sq += x * x
		}
	}
	norm := math.Sqrt(sq)
	coef := 1.0
	if cfg.MaxGradNorm > 0 {
		coef = math.Min(1, cfg.MaxGradNorm/(norm+1e-6))
	}
	for k, rp := range ps {
		for i := range rp.p {
			g := grads[k][i] * coef
			if rp.decay {
				rp.p[i] *= 1 - lr*cfg.WeightDecay
			}
			rp.m[i] = cfg.Beta1*rp.m[i] + (1-cfg.Beta1)*g
			rp.v[i] = cfg.Beta2*rp.v[i] + (1-cfg.Beta2)*g*g
			mh := rp.m[i] / (1 - math.Pow(cfg.Beta1, float64(t)))
			vh := rp.v[i] / (1 - math.Pow(cfg.Beta2, float64(t)))
			rp.p[i] -= lr * mh / (math.Sqrt(vh) + cfg.Eps)
		}
	}
	return norm
}

func TestAdamWMatchesReference(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, clip := range []float64{0, 0.5} {
		t.Run("clip", func(t *testing.T) {
			cfg := Default()
			cfg.MaxGradNorm = clip
			cfg.WeightDecay = 0.1
			ctx := context.New()
			w0 := []float64{0.5, -1, 2, 0.25, 3, -0.75}
			b0 := []float64{0.1, -0.2}
			w := ctx.In("student").VariableWithValue("w", tensors.FromFlatDataAndDimensions(append([]float64(nil), w0...), 3, 2))
			bias := ctx.In("student").VariableWithValue("b", tensors.FromFlatDataAndDimensions(append([]float64(nil), b0...), 2))
			gw := ctx.In("acc").VariableWithValue("w", tensors.FromShape(w.Shape()))
			gb := ctx.In("acc").VariableWithValue("b", tensors.FromShape(bias.Shape()))
			o, err := NewAdamW(b, ctx, []*context.Variable{w, bias}, []*context.Variable{gw, gb}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			ref := []*refParam{
				{p: append([]float64(nil), w0...), m: make([]float64, 6), v: make([]float64, 6), decay: true},
				{p: append([]float64(nil), b0...), m: make([]float64, 2), v: make([]float64, 2)},
			}
			grads := [][][]float64{
				{{1, 2, -3, 0.5, 0, 1}, {0.3, -0.7}},
				{{-0.1, 0.2, 0.3, -2, 1, 0}, {1.5, 0.25}},
				{{0, 0, 0.01, 0, 0, 0}, {0, -0.01}},
			}
			for step, g := range grads {
				if err := gw.SetValue(tensors.FromFlatDataAndDimensions(append([]float64(nil), g[0]...), 3, 2)); err != nil {
					t.Fatal(err)
				}
				if err := gb.SetValue(tensors.FromFlatDataAndDimensions(append([]float64(nil), g[1]...), 2)); err != nil {
					t.Fatal(err)
				}
				lr := 1e-2 * float64(step+1)
				norm, err := o.Step(lr, step+1)
				if err != nil {
					t.Fatal(err)
				}
				wantNorm := refStep(ref, g, cfg, lr, step+1)
				if math.Abs(norm-wantNorm) > 1e-12 {
					t.Fatalf("step %d: norm %g, want %g", step+1, norm, wantNorm)
				}
				for k, v := range []*context.Variable{w, bias} {
					got := tensors.MustCopyFlatData[float64](v.MustValue())
					for i := range got {
						if math.Abs(got[i]-ref[k].p[i]) > 1e-12 {
							t.Fatalf("step %d: %s[%d] = %.15g, want %.15g", step+1, v.Name(), i, got[i], ref[k].p[i])
						}
					}
				}
				for _, a := range []*context.Variable{gw, gb} {
					for _, x := range tensors.MustCopyFlatData[float64](a.MustValue()) {
						if x != 0 {
							t.Fatalf("step %d: accumulator %s not zeroed", step+1, a.ScopeAndName())
						}
					}
				}
			}
		})
	}
}

// TestAdamWPlan: the update's executable takes the engine's plan: on a
// backend reporting 2 devices (built, not run), AutoSharding over the
// plan's mesh with the variables replicated; without a plan, or with the
// sequential one, one device.
func TestAdamWPlan(t *testing.T) {
	base, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	b := fakedevices.New(base, 2)
	vars := func() (*context.Context, []*context.Variable, []*context.Variable) {
		ctx := context.New()
		w := ctx.In("student").VariableWithValue("w", tensors.FromFlatDataAndDimensions([]float32{1, 2}, 2))
		a := ctx.In("acc").VariableWithValue("w", tensors.FromShape(w.Shape()))
		return ctx, []*context.Variable{w}, []*context.Variable{a}
	}
	dp, err := gradcache.NewPlan(b, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		opts    []Option
		devices int
		mesh    *distributed.DeviceMesh
	}{
		{"no plan", nil, 1, nil},
		{"sequential", []Option{WithPlan(dp.Sequential())}, 1, nil},
		{"data-parallel", []Option{WithPlan(dp)}, 2, dp.Mesh()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, ps, as := vars()
			o, err := NewAdamW(b, ctx, ps, as, Default(), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = o.Close() }()
			x := o.Executable()
			if x.NumDevices() != tc.devices {
				t.Errorf("%d devices, want %d", x.NumDevices(), tc.devices)
			}
			if tc.mesh == nil {
				if x.DistributionStrategy() != distributed.None || len(x.Meshes()) != 0 {
					t.Errorf("strategy %s, meshes %v: want one device", x.DistributionStrategy(), x.Meshes())
				}
				return
			}
			if x.DistributionStrategy() != distributed.AutoSharding || len(x.Meshes()) != 1 || x.Meshes()[0] != tc.mesh {
				t.Errorf("strategy %s, meshes %v: want AutoSharding over the plan's mesh", x.DistributionStrategy(), x.Meshes())
			}
			if d := x.DefaultShardingSpec(); d == nil || d.Mesh != tc.mesh || !d.IsReplicated() {
				t.Errorf("default sharding %s: want the variables replicated", d)
			}
		})
	}
	ctx, ps, as := vars()
	if _, err := NewAdamW(b, ctx, ps, as, Default(), WithPlan(nil)); err == nil || !strings.Contains(err.Error(), "WithPlan(nil)") {
		t.Errorf("WithPlan(nil): %v, want refused", err)
	}
}
