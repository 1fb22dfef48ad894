package gradcache_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/training/gradcache"
)

// TestLayoutPlan: which rows each device holds and which negatives each
// row's loss sees, in both batch semantics.
func TestLayoutPlan(t *testing.T) {
	type plan struct {
		Devices   [][2]int // rows of each device
		Groups    [][2]int // loss groups
		Negatives [][2]int // of every row
	}
	span := func(from, to int) [2]int { return [2]int{from, to} }
	cases := []struct {
		name string
		l    gradcache.Layout
		want plan
	}{
		{"one device", gradcache.Layout{Rows: 4}, plan{
			Devices: [][2]int{span(0, 4)}, Groups: [][2]int{span(0, 4)},
			Negatives: [][2]int{span(0, 4), span(0, 4), span(0, 4), span(0, 4)}}},
		{"one device per-device", gradcache.Layout{Rows: 4, Devices: 1, PerDevice: true}, plan{
			Devices: [][2]int{span(0, 4)}, Groups: [][2]int{span(0, 4)},
			Negatives: [][2]int{span(0, 4), span(0, 4), span(0, 4), span(0, 4)}}},
		{"global over 2", gradcache.Layout{Rows: 4, Devices: 2}, plan{
			Devices: [][2]int{span(0, 2), span(2, 4)}, Groups: [][2]int{span(0, 4)},
			Negatives: [][2]int{span(0, 4), span(0, 4), span(0, 4), span(0, 4)}}},
		{"per-device over 2", gradcache.Layout{Rows: 4, Devices: 2, PerDevice: true}, plan{
			Devices: [][2]int{span(0, 2), span(2, 4)}, Groups: [][2]int{span(0, 2), span(2, 4)},
			Negatives: [][2]int{span(0, 2), span(0, 2), span(2, 4), span(2, 4)}}},
		// An epoch's last, short batch.
		{"short batch per-device over 2", gradcache.Layout{Rows: 5, Devices: 2, PerDevice: true}, plan{
			Devices: [][2]int{span(0, 2), span(2, 5)}, Groups: [][2]int{span(0, 2), span(2, 5)},
			Negatives: [][2]int{span(0, 2), span(0, 2), span(2, 5), span(2, 5), span(2, 5)}}},
		// The authors' step: 2 processes x 2,048 rows, no gather.
		{"authors", gradcache.Layout{Rows: 4096, Devices: 2, PerDevice: true}, plan{
			Devices: [][2]int{span(0, 2048), span(2048, 4096)}, Groups: [][2]int{span(0, 2048), span(2048, 4096)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.l.Validate(); err != nil {
				t.Fatal(err)
			}
			var got plan
			for d := range max(1, c.l.Devices) {
				from, to := c.l.DeviceRows(d)
				got.Devices = append(got.Devices, span(from, to))
				for r := from; r < to; r++ {
					if c.l.Device(r) != d {
						t.Errorf("row %d: device %d, want %d", r, c.l.Device(r), d)
					}
				}
			}
			got.Groups = c.l.LossGroups()
			if c.want.Negatives != nil {
				for r := range c.l.Rows {
					got.Negatives = append(got.Negatives, span(c.l.Negatives(r)))
				}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
	if err := (gradcache.Layout{Rows: 1, Devices: 2}).Validate(); err == nil {
		t.Error("1 row over 2 devices accepted")
	}
}

// step runs one cached (or direct) step from the random state seed and
// returns the loss, terms and gradients.
func step(t *testing.T, e *gradcache.Engine, b gradcache.Batch, direct bool) (gradcache.Result, map[string]*tensors.Tensor) {
	t.Helper()
	if err := e.ZeroGradients(); err != nil {
		t.Fatal(err)
	}
	run := e.Accumulate
	if direct {
		run = e.Direct
	}
	res, err := run(b)
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.Gradients()
	if err != nil {
		t.Fatal(err)
	}
	return res, g
}

// TestOneDeviceLayoutsEqualTheStep: per-device semantics on one device, and
// the global batch over two devices, are the engine's plain step bit for
// bit (same loss, terms and gradients), dropout on, for every objective.
func TestOneDeviceLayoutsEqualTheStep(t *testing.T) {
	b := testBackend(t)
	for i, obj := range objectives() {
		t.Run(obj.Name()+"/"+string(rune('a'+i)), func(t *testing.T) {
			batch := makeBatchRows(obj, uint64(30+i), 8)
			base := gradcache.Options{MiniBatch: miniBatch, Train: true, TrimPadding: true}
			e0, _ := newEngineOpts(t, b, obj, dtypes.Float32, 0.3, base)
			want, wantG := step(t, e0, batch, false)
			for _, o := range []gradcache.Options{{Devices: 1, PerDevice: true}, {Devices: 2}} {
				opts := base
				opts.Devices, opts.PerDevice = o.Devices, o.PerDevice
				e, _ := newEngineOpts(t, b, obj, dtypes.Float32, 0.3, opts)
				got, gotG := step(t, e, batch, false)
				if got.Loss != want.Loss || !cmp.Equal(got.Terms, want.Terms) {
					t.Errorf("devices %d per-device %v: loss %v %v, want %v %v", o.Devices, o.PerDevice, got.Loss, got.Terms, want.Loss, want.Terms)
				}
				for name, w := range wantG {
					if !cmp.Equal(flat(w), flat(gotG[name])) {
						t.Errorf("devices %d per-device %v: gradient of %s differs", o.Devices, o.PerDevice, name)
					}
				}
			}
		})
	}
}

// split is rows [from, to) of every stream and target of b.
func split(b gradcache.Batch, from, to int) gradcache.Batch {
	var out gradcache.Batch
	for _, s := range b.Streams {
		out.Streams = append(out.Streams, s.Rows(from, to, false))
	}
	for _, tg := range b.Targets {
		d := tg.Shape().Dimensions[1]
		v := tensors.MustCopyFlatData[float64](tg)
		out.Targets = append(out.Targets, tensors.FromFlatDataAndDimensions(v[from*d:to*d], to-from, d))
	}
	return out
}

// TestPerDeviceIsDataParallel: per-device semantics over 2 devices is what
// two data-parallel processes compute (torch DDP without a gather): the
// mean of the losses and of the gradients of two separate steps, one on
// each device's rows. Cached and direct agree with it, for every objective.
// Dropout is off: the two processes would draw other masks.
func TestPerDeviceIsDataParallel(t *testing.T) {
	b := testBackend(t)
	const tol = 1e-9
	for i, obj := range objectives() {
		t.Run(obj.Name()+"/"+string(rune('a'+i)), func(t *testing.T) {
			batch := makeBatchRows(obj, uint64(50+i), 8)
			for k, tg := range batch.Targets { // the float64 engine's targets
				batch.Targets[k] = toFloat64(tg)
			}
			base := gradcache.Options{MiniBatch: miniBatch, TrimPadding: true}
			one, _ := newEngineOpts(t, b, obj, dtypes.Float64, 0, base)
			r0, g0 := step(t, one, split(batch, 0, 4), false)
			r1, g1 := step(t, one, split(batch, 4, 8), false)
			opts := base
			opts.Devices, opts.PerDevice = 2, true
			e, _ := newEngineOpts(t, b, obj, dtypes.Float64, 0, opts)
			for _, direct := range []bool{false, true} {
				got, gotG := step(t, e, batch, direct)
				if want := (r0.Loss + r1.Loss) / 2; math.Abs(got.Loss-want) > tol*math.Abs(want) {
					t.Errorf("direct %v: loss %.12g, want the devices' mean %.12g (%.12g, %.12g)", direct, got.Loss, want, r0.Loss, r1.Loss)
				}
				for k := range got.Terms {
					if want := (r0.Terms[k] + r1.Terms[k]) / 2; math.Abs(got.Terms[k]-want) > tol*math.Abs(want)+1e-12 {
						t.Errorf("direct %v: term %s %.12g, want %.12g", direct, obj.TermNames()[k], got.Terms[k], want)
					}
				}
				for name, gw0 := range g0 {
					w0, w1, g := flat(gw0), flat(g1[name]), flat(gotG[name])
					for j := range g {
						want := (w0[j] + w1[j]) / 2
						if math.Abs(g[j]-want) > tol*(math.Abs(w0[j])+math.Abs(w1[j]))+1e-15 {
							t.Fatalf("direct %v: %s[%d] = %.12g, want the devices' mean %.12g", direct, name, j, g[j], want)
						}
					}
				}
			}
			// And it is not the global batch's loss: the negatives differ.
			glob, _ := newEngineOpts(t, b, obj, dtypes.Float64, 0, base)
			if gl, _ := step(t, glob, batch, false); obj.Streams() > 1 && math.Abs(gl.Loss-(r0.Loss+r1.Loss)/2) < 1e-9 {
				t.Errorf("global-batch loss %.12g equals the per-device mean: the test cannot tell the semantics apart", gl.Loss)
			}
		})
	}
}

func toFloat64(t *tensors.Tensor) *tensors.Tensor {
	if t.DType() == dtypes.Float64 {
		return t
	}
	v := flat(t)
	return tensors.FromFlatDataAndDimensions(v, t.Shape().Dimensions...)
}
