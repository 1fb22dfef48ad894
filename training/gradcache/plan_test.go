package gradcache_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/internal/fakedevices"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/objective"
)

// TestPlan: the choice between data-parallel execution and the sequential
// emulation for 1..4 devices asked on backends of 1, 2 and 4 devices, and
// the data-parallel plan's mesh and specs.
func TestPlan(t *testing.T) {
	base := testBackend(t)
	for _, have := range []int{1, 2, 4} {
		for asked := 0; asked <= 4; asked++ {
			t.Run(fmt.Sprintf("asked %d of %d", asked, have), func(t *testing.T) {
				p, err := gradcache.NewPlan(fakedevices.New(base, have), asked)
				if err != nil {
					t.Fatal(err)
				}
				d := max(1, asked)
				if p.Devices() != d {
					t.Errorf("Devices() = %d, want %d", p.Devices(), d)
				}
				want := gradcache.Sequential
				if d > 1 && have >= d {
					want = gradcache.DataParallel
				}
				if p.Execution() != want {
					t.Fatalf("Execution() = %s, want %s", p.Execution(), want)
				}
				note := p.Note()
				switch {
				case d == 1:
					if note != "" {
						t.Errorf("Note() = %q for one device, want none", note)
					}
				case want == gradcache.Sequential:
					for _, w := range []string{fmt.Sprintf("devices %d:", d), fmt.Sprintf("has %d device", have), "one after the other", fmt.Sprintf("same gradients as %d devices", d)} {
						if !strings.Contains(note, w) {
							t.Errorf("Note() = %q, want it to say %q", note, w)
						}
					}
				default:
					if !strings.Contains(note, "data-parallel") || !strings.Contains(note, fmt.Sprintf("%s=%d", gradcache.MeshAxis, d)) {
						t.Errorf("Note() = %q, want data-parallel over %s=%d", note, gradcache.MeshAxis, d)
					}
				}
				if want == gradcache.Sequential {
					if p.Mesh() != nil || p.Spec(gradcache.BatchSharded) != nil || p.Spec(gradcache.Replicated) != nil {
						t.Errorf("sequential plan has mesh %v, specs %v, %v", p.Mesh(), p.Spec(gradcache.BatchSharded), p.Spec(gradcache.Replicated))
					}
					if !p.Divides(7) {
						t.Error("a sequential plan must take any number of rows")
					}
					return
				}
				m := p.Mesh()
				if m == nil || m.NumDevices() != d || !slices.Equal(m.AxesSizes(), []int{d}) || !slices.Equal(m.AxesNames(), []string{gradcache.MeshAxis}) {
					t.Fatalf("mesh %v, want one axis %s of %d devices", m, gradcache.MeshAxis, d)
				}
				bs := p.Spec(gradcache.BatchSharded)
				if bs.Mesh != m || len(bs.Axes) != 1 || !slices.Equal([]string(bs.Axes[0]), []string{gradcache.MeshAxis}) || bs.IsReplicated() {
					t.Errorf("batch spec %s: want axis 0 sharded over %s, the rest replicated", bs, gradcache.MeshAxis)
				}
				if r := p.Spec(gradcache.Replicated); r.Mesh != m || !r.IsReplicated() {
					t.Errorf("replicated spec %s", r)
				}
				if !p.Divides(4*d) || p.Divides(4*d+1) {
					t.Errorf("Divides: %d rows split over %d devices, %d do not", 4*d, d, 4*d+1)
				}
				if seq := p.Sequential(); seq.Execution() != gradcache.Sequential || seq.Devices() != d {
					t.Errorf("Sequential() = %s over %d devices, want sequential over %d", seq.Execution(), seq.Devices(), d)
				}
			})
		}
	}
}

// checkExec checks one executable's device configuration against plan p.
func checkExec(t *testing.T, name string, x *context.Exec, p *gradcache.Plan) {
	t.Helper()
	if p.Execution() == gradcache.Sequential {
		if x.NumDevices() != 1 || x.DistributionStrategy() != distributed.None || len(x.Meshes()) != 0 {
			t.Errorf("%s: %d devices, strategy %s, meshes %v; want one device, no strategy", name, x.NumDevices(), x.DistributionStrategy(), x.Meshes())
		}
		return
	}
	if x.NumDevices() != p.Devices() || x.DistributionStrategy() != distributed.AutoSharding {
		t.Errorf("%s: %d devices, strategy %s; want %d, AutoSharding", name, x.NumDevices(), x.DistributionStrategy(), p.Devices())
	}
	if ms := x.Meshes(); len(ms) != 1 || ms[0] != p.Mesh() {
		t.Errorf("%s: meshes %v, want the plan's %v", name, ms, p.Mesh())
	}
	if d := x.DefaultShardingSpec(); d == nil || d.Mesh != p.Mesh() || !d.IsReplicated() {
		t.Errorf("%s: default sharding %s, want replicated over the plan's mesh (the variables')", name, d)
	}
}

// TestEngineExecutables: the engine's four executables configured for its
// plan, built without running them (the wrapped backend only reports the
// devices): data-parallel on a backend of 2 devices, the emulation on one
// of 1 or when more devices are asked than it has.
func TestEngineExecutables(t *testing.T) {
	base := testBackend(t)
	for _, tc := range []struct {
		have, asked int
		want        gradcache.Execution
	}{
		{1, 1, gradcache.Sequential},
		{1, 2, gradcache.Sequential},
		{2, 2, gradcache.DataParallel},
		{2, 4, gradcache.Sequential},
		{4, 2, gradcache.DataParallel},
		{4, 4, gradcache.DataParallel},
	} {
		t.Run(fmt.Sprintf("%d of %d", tc.asked, tc.have), func(t *testing.T) {
			b := fakedevices.New(base, tc.have)
			e, _ := newEngineOpts(t, b, objective.Stage2{}, dtypes.Float32, 0.1,
				gradcache.Options{MiniBatch: 4, Train: true, TrimPadding: true, Devices: tc.asked})
			defer func() { _ = e.Close() }()
			if e.Execution() != tc.want || e.Plan().Execution() != tc.want {
				t.Fatalf("Execution() = %s, want %s", e.Execution(), tc.want)
			}
			xs := e.Executables()
			if len(xs) != 4 {
				t.Fatalf("%d executables, want forward, loss, backward, direct", len(xs))
			}
			for i, name := range []string{"forward", "loss", "backward", "direct"} {
				checkExec(t, name, xs[i], e.Plan())
			}
		})
	}
}

// TestDataParallelOptions: the mini-batch must split evenly over the
// devices when (and only when) they run data-parallel; a given plan must be
// for the options' devices.
func TestDataParallelOptions(t *testing.T) {
	base := testBackend(t)
	for _, tc := range []struct {
		name            string
		have, asked, mb int
		err             string
	}{
		{"even", 2, 2, 4, ""},
		{"uneven data-parallel", 2, 2, 3, "mini-batch 3 does not split evenly over 2 devices"},
		{"uneven over 4", 4, 4, 6, "mini-batch 6 does not split evenly over 4 devices"},
		{"uneven emulated", 1, 2, 3, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := fakedevices.New(base, tc.have)
			ctx := context.New()
			st := gradcache.Bag{Vocab: vocab, Hidden: hidden, Dim: dim}
			if err := st.Init(ctx.In(gradcache.StudentScope), 3); err != nil {
				t.Fatal(err)
			}
			e, err := gradcache.New(b, ctx, st, objective.Contrastive{Scale: 20}, gradcache.Options{MiniBatch: tc.mb, Devices: tc.asked})
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				_ = e.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("New: %v, want an error saying %q", err, tc.err)
			}
		})
	}
	t.Run("plan for other devices", func(t *testing.T) {
		b := fakedevices.New(base, 2)
		p, err := gradcache.NewPlan(b, 2)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.New()
		st := gradcache.Bag{Vocab: vocab, Hidden: hidden, Dim: dim}
		if err := st.Init(ctx.In(gradcache.StudentScope), 3); err != nil {
			t.Fatal(err)
		}
		_, err = gradcache.New(b, ctx, st, objective.Contrastive{Scale: 20}, gradcache.Options{MiniBatch: 4, Devices: 1, Plan: p})
		if err == nil || !strings.Contains(err.Error(), "plan is for 2 devices") {
			t.Fatalf("New: %v, want the plan's devices refused", err)
		}
	})
	if _, err := gradcache.NewPlan(base, -1); err == nil {
		t.Error("NewPlan(-1 devices) did not fail")
	}
}
