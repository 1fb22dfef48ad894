package gradcache

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Execution is how the Devices of Options run: the value training.json
// records as device_execution.
type Execution string

const (
	// Sequential: every executable runs on the backend's first device, the
	// D devices' rows one after the other (the emulation: the numbers a
	// D-device run gives, see Layout).
	Sequential Execution = "sequential"
	// DataParallel: every executable is compiled once for a DeviceMesh of D
	// devices with GoMLX's AutoSharding; XLA splits the batch axis over them.
	DataParallel Execution = "data-parallel"
)

// MeshAxis is the name of the data-parallel mesh axis.
const MeshAxis = "data"

// Input says where one input of an executable lives on the mesh.
type Input int

const (
	// Replicated inputs are whole on every device (scalars: the optimiser's
	// learning rate and step).
	Replicated Input = iota
	// BatchSharded inputs have their axis 0 (rows) split over the mesh:
	// device d holds rows [d*n/D, (d+1)*n/D) of the n rows.
	BatchSharded
)

func (in Input) String() string {
	if in == BatchSharded {
		return "batch-sharded"
	}
	return "replicated"
}

// Plan is how the engine's and the optimiser's executables use the
// backend's devices. The mental model: a data-parallel step is the
// one-device step's graph, unchanged, compiled once for a one-axis mesh of D
// devices (axis "data") with AutoSharding. The graph computes on logical
// (global) tensors; the plan says only where each input lives: the rows of
// token ids and masks, of cached gradients, of representations and of
// targets are split over the devices (BatchSharded), scalars are whole on
// each (Replicated), and so is every variable (student, psi, accumulators,
// the optimiser's moments, the random state: the context's default spec)
// and every output. XLA's partitioner then places the work and inserts the
// collectives: the all-gather of the representations the loss's negatives
// need and the all-reduce that turns each device's partial weight gradient
// into the replicated accumulator. A Plan of one device (Sequential) leaves
// the executables alone: that is the emulation, and what a backend with
// fewer devices than asked runs.
//
// Dropout: the random state is a replicated variable and each random draw
// (ctx.RandomUniform of a [rows, len, hidden] shape) is one logical tensor,
// the same tensor the one-device graph draws from the same state; XLA's
// SPMD partitioner keeps an RngBitGenerator's value independent of how its
// output is sharded (a device computes the rows of the logical tensor it
// holds, not a private stream), so device d's rows get their own masks --
// the masks the one-device run gives those rows -- and the state advances
// exactly as on one device, so the gradient cache replays it. That is a
// property of XLA, not of this code: TestDataParallelStep checks it with
// dropout on (a data-parallel step equals the one-device step) where 2+
// devices exist (scripts/gpu-check.sh).
//
// A Variable keeps the sharding spec, and so the mesh, it first ran with,
// and a graph may only name meshes it was configured with: one Plan serves
// every executable of one context (all phases' engines and the optimiser).
type Plan struct {
	devices int    // devices asked for (>= 1)
	have    int    // the backend's devices
	backend string // the backend's name, for messages
	mesh    *distributed.DeviceMesh
	batch   *distributed.ShardingSpec
	repl    *distributed.ShardingSpec
}

// NewPlan chooses how devices (Options.Devices; 0 means 1) run on b: data
// parallel over a mesh of the first devices devices when b has at least
// that many and more than one is asked for, else sequential on one device.
func NewPlan(b backends.Backend, devices int) (*Plan, error) {
	if devices < 0 {
		return nil, fmt.Errorf("gradcache: %d devices", devices)
	}
	p := &Plan{devices: max(1, devices), have: b.NumDevices(), backend: b.Name()}
	if p.devices == 1 || p.have < p.devices {
		return p, nil
	}
	mesh, err := distributed.NewDeviceMesh([]int{p.devices}, []string{MeshAxis})
	if err != nil {
		return nil, fmt.Errorf("gradcache: mesh of %d devices: %w", p.devices, err)
	}
	batch, err := distributed.BuildSpec(mesh).S(MeshAxis).Done()
	if err != nil {
		return nil, fmt.Errorf("gradcache: batch sharding: %w", err)
	}
	p.mesh, p.batch, p.repl = mesh, batch, distributed.NewReplicatedShardingSpec(mesh)
	return p, nil
}

// Execution is DataParallel when the plan has a mesh, else Sequential.
func (p *Plan) Execution() Execution {
	if p.mesh == nil {
		return Sequential
	}
	return DataParallel
}

// Devices is the number of devices asked for (the Layout's).
func (p *Plan) Devices() int { return p.devices }

// Mesh is the data-parallel mesh; nil when sequential.
func (p *Plan) Mesh() *distributed.DeviceMesh { return p.mesh }

// Spec is the sharding spec of an input; nil when sequential.
func (p *Plan) Spec(in Input) *distributed.ShardingSpec {
	if p.mesh == nil {
		return nil
	}
	if in == BatchSharded {
		return p.batch
	}
	return p.repl
}

// Note is one line saying how the devices run ("" for one device asked).
func (p *Plan) Note() string {
	switch {
	case p.devices == 1:
		return ""
	case p.mesh == nil:
		return fmt.Sprintf("devices %d: backend %s has %d device%s; the %d shards run one after the other on it (same gradients as %d devices)",
			p.devices, p.backend, p.have, plural(p.have), p.devices, p.devices)
	default:
		return fmt.Sprintf("devices %d: data-parallel over %d of backend %s's %d devices (GoMLX AutoSharding, mesh %s=%d, batch axis sharded, variables replicated)",
			p.devices, p.devices, p.backend, p.have, MeshAxis, p.devices)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Divides reports whether rows split evenly over the plan's devices (always
// when sequential). A data-parallel executable takes only such batches.
func (p *Plan) Divides(rows int) bool { return p.mesh == nil || rows%p.devices == 0 }

// CheckMiniBatch refuses, for a data-parallel plan, a mini-batch that does
// not split evenly over the devices (every mini-batch is sharded over them).
func (p *Plan) CheckMiniBatch(miniBatch int) error {
	if !p.Divides(miniBatch) {
		return fmt.Errorf("gradcache: mini-batch %d does not split evenly over %d devices (data-parallel: each device computes mini-batch/%d rows of every mini-batch); use a multiple of %d",
			miniBatch, p.devices, p.devices, p.devices)
	}
	return nil
}

// Sequential is the one-device plan for the same devices: the emulation,
// which a data-parallel engine runs a batch whose rows do not split evenly
// over the devices (an epoch's last, short batch) with.
func (p *Plan) Sequential() *Plan {
	return &Plan{devices: p.devices, have: p.have, backend: p.backend}
}

// Configure sets x up for the plan: for a data-parallel plan, AutoSharding
// over the mesh, the inputs' specs (with a slice input, the last one is for
// all the remaining inputs, as GoMLX does), every output replicated (one
// replicated spec, which GoMLX repeats over the updated variables and the
// outputs alike) and the context's default spec, which the variables take,
// replicated. A sequential plan leaves x as it is.
func (p *Plan) Configure(x *context.Exec, in ...Input) error {
	if p.mesh == nil {
		return nil
	}
	specs := make([]*distributed.ShardingSpec, len(in))
	for i, k := range in {
		specs[i] = p.Spec(k)
	}
	x.AutoSharding(p.mesh).WithInputShardingSpecs(specs...).WithOutputShardingSpecs(p.repl)
	if err := x.SetDefaultShardingSpec(p.repl); err != nil {
		return fmt.Errorf("gradcache: default sharding: %w", err)
	}
	return nil
}

// Run executes x, configured by Configure with in, on host tensors args
// and returns its outputs once: for a data-parallel plan the args are split
// (or replicated) over the mesh first, and of the outputs, replicated, the
// first device's are kept and the others' released.
func (p *Plan) Run(x *context.Exec, in []Input, args ...*tensors.Tensor) ([]*tensors.Tensor, error) {
	if p.mesh == nil {
		as := make([]any, len(args))
		for i, a := range args {
			as[i] = a
		}
		return x.Exec(as...)
	}
	as, err := p.shard(in, args)
	if err != nil {
		return nil, err
	}
	out, err := x.Exec(as...)
	if err != nil {
		return nil, err
	}
	if len(out)%p.devices != 0 {
		return nil, fmt.Errorf("gradcache: %d outputs from %d devices", len(out), p.devices)
	}
	n := len(out) / p.devices
	for _, t := range out[n:] {
		if err := t.FinalizeAll(); err != nil {
			return nil, fmt.Errorf("gradcache: release a replica: %w", err)
		}
	}
	return out[:n], nil
}

// shard splits (or replicates) host tensors over a data-parallel plan's
// mesh: input i is placed as in[i] says (the last entry for the rest).
func (p *Plan) shard(in []Input, args []*tensors.Tensor) ([]any, error) {
	as := make([]any, len(args))
	for i, a := range args {
		k := Replicated
		if len(in) > 0 {
			k = in[min(i, len(in)-1)]
		}
		d, err := distributed.ShardTensor(p.Spec(k), a)
		if err != nil {
			return nil, fmt.Errorf("gradcache: input %d (%s, shape %s) over %d devices: %w", i, k, a.Shape(), p.devices, err)
		}
		as[i] = d
	}
	return as, nil
}
