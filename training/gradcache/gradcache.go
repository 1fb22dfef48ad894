// Package gradcache is the one gradient-cache engine (Gao et al. 2021) that
// every training objective runs through, so a full batch of any size gives
// exactly the gradients of the direct computation while only one mini-batch of
// activations is ever alive.
//
// The mental model, for a full batch of S text streams (e.g. queries and
// passages) of B rows each, split into mini-batches of M rows:
//
//  1. Forward every mini-batch of every stream with a graph that has no
//     backward part, in a fixed order (stream-major, mini-batch-minor); keep
//     the representations and a copy of the context's random state taken just
//     before each mini-batch (the dropout masks are a function of it).
//  2. Run the objective once on the detached full-batch representations (and
//     any fixed targets, e.g. teacher vectors), differentiate it with respect
//     to every representation, and add the gradients of the objective's own
//     variables (psi) into their accumulators.
//  3. Re-run each mini-batch with the backward graph under the random state it
//     had in step 1 (so dropout replays exactly), back-propagate the surrogate
//     <representations, cached gradient>, and add the student's parameter
//     gradients into their accumulators.
//
// One optimiser step per full batch then reads the accumulators
// (training/optim). Direct computes the same gradients without the cache, in
// one graph over the whole batch, consuming the random state in the same order;
// the tests hold the two equal for every objective.
//
// Every executable runs on the devices its Plan gives: one device, or a
// DeviceMesh of Options.Devices devices with GoMLX's AutoSharding (rows
// sharded, variables replicated, the same graphs), see Plan.
//
// Variables live in one GoMLX context: the student's under StudentScope, the
// objective's (psi) under LossScope, and one accumulator per trainable variable
// under AccumScope. All must exist, with values, before New: load or initialise
// the student and the objective first.
package gradcache

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Node is graph.Node.
type Node = graph.Node

// Scopes of the variables the engine knows about.
const (
	StudentScope = "student"
	LossScope    = "loss"
	AccumScope   = "gradcache_accum"
)

// Student is the encoder being trained. Embed builds pooled representations
// [batch, dim] from ids and mask ([batch, len], int32, mask 1 for real
// tokens). ctx is scoped to StudentScope. Any randomness (dropout) must come
// from ctx's random state (ctx.RandomUniform and friends), which is how the
// engine replays it.
type Student interface {
	Embed(ctx *context.Context, ids, mask *Node, train bool) *Node
}

// Objective is a loss over full-batch representations. Build gets one
// [batch, dim] node per text stream and one [batch, k] node per target
// stream, with ctx scoped to LossScope, and returns the scalar loss and its
// named terms (for the log).
type Objective interface {
	Name() string
	Streams() int
	Targets() int
	TermNames() []string
	Build(ctx *context.Context, reps, targets []*Node) (total *Node, terms []*Node)
}

// Tokens is one padded batch of token ids, row-major [Batch, Len].
type Tokens struct {
	IDs, Mask  []int32
	Batch, Len int
}

// Rows returns rows [from, to) of t. With trim, trailing columns that are
// padding in every selected row are dropped.
func (t Tokens) Rows(from, to int, trim bool) Tokens { return t.rows(from, to, trim, 1) }

// rows is Rows with the trimmed length rounded up to a multiple of bucket
// (never beyond t.Len), so that mini-batches share a few compiled shapes.
func (t Tokens) rows(from, to int, trim bool, bucket int) Tokens {
	n := to - from
	l := t.Len
	if trim {
		l = 0
		for r := from; r < to; r++ {
			for c := t.Len - 1; c >= l; c-- {
				if t.Mask[r*t.Len+c] != 0 {
					l = c + 1
					break
				}
			}
		}
		if l == 0 {
			l = 1
		}
		if bucket > 1 {
			l = min((l+bucket-1)/bucket*bucket, t.Len)
		}
	}
	out := Tokens{IDs: make([]int32, n*l), Mask: make([]int32, n*l), Batch: n, Len: l}
	for r := 0; r < n; r++ {
		copy(out.IDs[r*l:(r+1)*l], t.IDs[(from+r)*t.Len:(from+r)*t.Len+l])
		copy(out.Mask[r*l:(r+1)*l], t.Mask[(from+r)*t.Len:(from+r)*t.Len+l])
	}
	return out
}

// Validate checks the sizes.
func (t Tokens) Validate() error {
	if t.Batch <= 0 || t.Len <= 0 || len(t.IDs) != t.Batch*t.Len || len(t.Mask) != t.Batch*t.Len {
		return fmt.Errorf("tokens: batch %d x len %d does not match %d ids and %d mask entries", t.Batch, t.Len, len(t.IDs), len(t.Mask))
	}
	return nil
}

func (t Tokens) tensors() (*tensors.Tensor, *tensors.Tensor) {
	return tensors.FromFlatDataAndDimensions(t.IDs, t.Batch, t.Len), tensors.FromFlatDataAndDimensions(t.Mask, t.Batch, t.Len)
}

// Batch is one full batch: Streams[s] are the texts of stream s, tokenised,
// all with the same number of rows; Targets[k] are fixed [rows, dim] float32
// vectors (e.g. teacher embeddings).
type Batch struct {
	Streams []Tokens
	Targets []*tensors.Tensor
}

// Rows is the number of rows of the batch.
func (b Batch) Rows() int {
	if len(b.Streams) == 0 {
		return 0
	}
	return b.Streams[0].Batch
}

// Options configure the engine.
type Options struct {
	// MiniBatch is the number of rows per forward/backward pass (paper: 32).
	MiniBatch int
	// Train turns dropout on (the student's train flag).
	Train bool
	// TrimPadding drops all-padding columns of each mini-batch, keeping
	// the length a multiple of Bucket (default 16) so few shapes compile.
	TrimPadding bool
	Bucket      int
	// Devices and PerDevice are the data-parallel batch semantics (see
	// Layout): with PerDevice the loss is the mean of one loss per device's
	// rows (Devices groups of Rows/Devices rows, no negatives shared between
	// them); without it, one loss over the whole batch, whatever Devices is.
	// Every batch needs a row per device (0 Devices means 1). The groups are
	// computed on the devices Plan gives: with a backend of Devices devices
	// or more, data-parallel over them; else one after the other on the
	// first device (the emulation: the numbers Devices devices give).
	Devices   int
	PerDevice bool
	// Plan, when set, is how the executables use the backend's devices; its
	// Devices must equal Devices. Nil: New makes one (NewPlan). Engines
	// (and optimisers) over one context must share one Plan: a variable
	// keeps the mesh it first ran on.
	Plan *Plan
}

// Result is the loss of one full batch and its terms, in TermNames order.
type Result struct {
	Loss  float64
	Terms []float64
}

// Engine runs an Objective over a Student with the gradient cache.
type Engine struct {
	backend backends.Backend
	ctx     *context.Context
	student Student
	obj     Objective
	opts    Options

	params []*context.Variable // trainable student + loss variables, sorted
	accums []*context.Variable // accumulators, aligned with params
	nStud  int                 // params[:nStud] are the student's
	rng    *context.Variable

	plan *Plan
	// main runs every batch whose rows split evenly over the plan's devices
	// (every batch when sequential); seq, built on first need, the others
	// (an epoch's last, short batch) one device after the other.
	main, seq *execs
}

// execs are the engine's four executables, configured for one plan.
type execs struct {
	plan                   *Plan
	fwd, loss, bwd, direct *context.Exec
}

// The inputs of each executable (a slice input's last entry is for all the
// remaining ones): every input of the engine's graphs has rows on axis 0.
var (
	fwdInputs  = []Input{BatchSharded, BatchSharded}               // ids, mask
	lossInputs = []Input{BatchSharded}                             // reps..., targets...
	bwdInputs  = []Input{BatchSharded, BatchSharded, BatchSharded} // ids, mask, cached gradient
	dirInputs  = []Input{BatchSharded}                             // ids, mask per mini-batch..., targets...
)

// New builds an engine. Every trainable variable under StudentScope and
// LossScope must already exist with a value.
func New(b backends.Backend, ctx *context.Context, student Student, obj Objective, opts Options) (*Engine, error) {
	if opts.MiniBatch <= 0 {
		return nil, fmt.Errorf("gradcache: mini-batch %d must be positive", opts.MiniBatch)
	}
	if opts.Devices < 0 {
		return nil, fmt.Errorf("gradcache: %d devices", opts.Devices)
	}
	e := &Engine{backend: b, ctx: ctx, student: student, obj: obj, opts: opts}
	var stud, loss []*context.Variable
	for v := range ctx.IterVariables() {
		if !v.Trainable {
			continue
		}
		switch {
		case inScope(v.Scope(), StudentScope):
			stud = append(stud, v)
		case inScope(v.Scope(), LossScope):
			loss = append(loss, v)
		}
	}
	if len(stud) == 0 {
		return nil, fmt.Errorf("gradcache: no trainable variables under /%s: initialise or load the student before building the engine", StudentScope)
	}
	sortVars(stud)
	sortVars(loss)
	e.params = append(stud, loss...)
	e.nStud = len(stud)
	for _, v := range e.params {
		if !v.HasValue() {
			return nil, fmt.Errorf("gradcache: variable %s has no value", v.ScopeAndName())
		}
		acc, err := accumFor(ctx, v)
		if err != nil {
			return nil, err
		}
		e.accums = append(e.accums, acc)
	}
	e.rng = ctx.GetVariableByScopeAndName(context.RootScope, context.RNGStateVariableName)
	if e.rng == nil {
		if err := ctx.SetRNGStateFromSeed(1); err != nil {
			return nil, fmt.Errorf("gradcache: random state: %w", err)
		}
		e.rng = ctx.GetVariableByScopeAndName(context.RootScope, context.RNGStateVariableName)
	}
	var err error
	if e.plan, err = planFor(b, opts); err != nil {
		return nil, err
	}
	if e.main, err = e.build(e.plan); err != nil {
		return nil, err
	}
	return e, nil
}

// planFor is opts.Plan, checked against opts, or a new one.
func planFor(b backends.Backend, opts Options) (*Plan, error) {
	p := opts.Plan
	if p == nil {
		var err error
		if p, err = NewPlan(b, opts.Devices); err != nil {
			return nil, err
		}
	} else if p.Devices() != max(1, opts.Devices) {
		return nil, fmt.Errorf("gradcache: the plan is for %d devices, the options ask for %d", p.Devices(), max(1, opts.Devices))
	}
	if err := p.CheckMiniBatch(opts.MiniBatch); err != nil {
		return nil, err
	}
	return p, nil
}

// build compiles (lazily: GoMLX compiles on first use per shape) the four
// executables for plan p.
func (e *Engine) build(p *Plan) (*execs, error) {
	x := &execs{plan: p}
	rctx := e.ctx.Reuse()
	for _, m := range []struct {
		name string
		dst  **context.Exec
		fn   any
		in   []Input
	}{
		{"forward", &x.fwd, e.fwdGraph, fwdInputs},
		{"loss", &x.loss, e.lossGraph, lossInputs},
		{"backward", &x.bwd, e.bwdGraph, bwdInputs},
		{"direct", &x.direct, e.directGraph, dirInputs},
	} {
		ex, err := context.NewExecAny(e.backend, rctx, m.fn)
		if err != nil {
			x.close()
			return nil, fmt.Errorf("gradcache: %s exec: %w", m.name, err)
		}
		*m.dst = ex
		if err := p.Configure(ex, m.in...); err != nil {
			x.close()
			return nil, fmt.Errorf("gradcache: %s exec: %w", m.name, err)
		}
	}
	return x, nil
}

func (x *execs) close() {
	if x == nil {
		return
	}
	for _, ex := range []**context.Exec{&x.fwd, &x.loss, &x.bwd, &x.direct} {
		if *ex != nil {
			(*ex).Finalize()
			*ex = nil
		}
	}
}

// Plan is how the engine's executables use the backend's devices.
func (e *Engine) Plan() *Plan { return e.plan }

// Executables are the forward, loss, backward and direct executables of
// the engine's plan (for inspection of their device configuration).
func (e *Engine) Executables() []*context.Exec {
	return []*context.Exec{e.main.fwd, e.main.loss, e.main.bwd, e.main.direct}
}

// Execution is how the engine runs Options.Devices (its plan's).
func (e *Engine) Execution() Execution { return e.plan.Execution() }

// execsFor are the executables for a batch of rows: the plan's, or the
// sequential ones when the rows do not split evenly over its devices.
func (e *Engine) execsFor(rows int) (*execs, error) {
	if e.plan.Divides(rows) {
		return e.main, nil
	}
	if e.seq == nil {
		var err error
		if e.seq, err = e.build(e.plan.Sequential()); err != nil {
			return nil, err
		}
	}
	return e.seq, nil
}

func (e *Engine) bucket() int {
	if e.opts.Bucket <= 0 {
		return 16
	}
	return e.opts.Bucket
}

func inScope(scope, top string) bool {
	p := context.RootScope + top
	return scope == p || strings.HasPrefix(scope, p+context.ScopeSeparator)
}

func sortVars(vs []*context.Variable) {
	sort.Slice(vs, func(i, j int) bool { return vs[i].ScopeAndName() < vs[j].ScopeAndName() })
}

// accumFor returns (creating with zeros) the accumulator of v.
func accumFor(ctx *context.Context, v *context.Variable) (*context.Variable, error) {
	scope := context.RootScope + AccumScope + v.Scope()
	if a := ctx.GetVariableByScopeAndName(scope, v.Name()); a != nil {
		if !a.Shape().Equal(v.Shape()) {
			return nil, fmt.Errorf("gradcache: accumulator %s has shape %s, variable has %s", a.ScopeAndName(), a.Shape(), v.Shape())
		}
		return a, nil
	}
	a := ctx.InAbsPath(scope).Checked(false).VariableWithValue(v.Name(), tensors.FromShape(v.Shape()))
	a.SetTrainable(false)
	return a, nil
}

// Close releases the engine's compiled executables (on xla:cuda they hold
// device memory until finalised). It is idempotent; the engine cannot be
// used after it.
func (e *Engine) Close() error {
	e.main.close()
	e.seq.close()
	e.main, e.seq = nil, nil
	return nil
}

// Params are the trainable variables the engine differentiates (student
// first, then the objective's), sorted by scope and name.
func (e *Engine) Params() []*context.Variable { return e.params }

// Accumulators are the gradient accumulators, aligned with Params.
func (e *Engine) Accumulators() []*context.Variable { return e.accums }

// Objective returns the engine's objective.
func (e *Engine) Objective() Objective { return e.obj }

// ZeroGradients clears the accumulators.
func (e *Engine) ZeroGradients() error {
	for _, a := range e.accums {
		if err := a.SetValue(tensors.FromShape(a.Shape())); err != nil {
			return fmt.Errorf("gradcache: zero %s: %w", a.ScopeAndName(), err)
		}
	}
	return nil
}

// Gradients returns host copies of the accumulated gradients, keyed by the
// parameter's scope and name.
func (e *Engine) Gradients() (map[string]*tensors.Tensor, error) {
	out := make(map[string]*tensors.Tensor, len(e.params))
	for i, a := range e.accums {
		t, err := a.Value()
		if err != nil {
			return nil, fmt.Errorf("gradcache: gradient of %s: %w", e.params[i].ScopeAndName(), err)
		}
		c, err := t.LocalClone()
		if err != nil {
			return nil, fmt.Errorf("gradcache: gradient of %s: %w", e.params[i].ScopeAndName(), err)
		}
		out[e.params[i].ScopeAndName()] = c
	}
	return out, nil
}

func (e *Engine) studentCtx(ctx *context.Context) *context.Context {
	return ctx.InAbsPath(context.RootScope + StudentScope)
}

func (e *Engine) lossCtx(ctx *context.Context) *context.Context {
	return ctx.InAbsPath(context.RootScope + LossScope)
}

func (e *Engine) embed(ctx *context.Context, ids, mask *Node) *Node {
	sctx := e.studentCtx(ctx)
	sctx.SetTraining(ids.Graph(), e.opts.Train)
	return e.student.Embed(sctx, ids, mask, e.opts.Train)
}

// fwdGraph: ids, mask -> reps, no backward part.
func (e *Engine) fwdGraph(ctx *context.Context, ids, mask *Node) *Node {
	return graph.StopGradient(e.embed(ctx, ids, mask))
}

// lossGraph: reps..., targets... -> loss, terms..., d loss/d reps...; adds
// the objective's own parameter gradients into their accumulators.
func (e *Engine) lossGraph(ctx *context.Context, in []*Node) []*Node {
	ns := e.obj.Streams()
	reps, targets := in[:ns], in[ns:]
	total, terms := e.buildObjective(e.lossCtx(ctx), reps, targets)
	g := total.Graph()
	var lossAccs []*context.Variable
	wrt := append([]*Node(nil), reps...)
	for i := e.nStud; i < len(e.params); i++ {
		if e.params[i].InUseByGraph(g) {
			lossAccs = append(lossAccs, e.accums[i])
			wrt = append(wrt, e.params[i].ValueGraph(g))
		}
	}
	grads := graph.Gradient(total, wrt...)
	for k, acc := range lossAccs {
		acc.SetValueGraph(graph.Add(acc.ValueGraph(g), grads[ns+k]))
	}
	out := append([]*Node{total}, terms...)
	return append(out, grads[:ns]...)
}

// bwdGraph: ids, mask, cached gradient -> surrogate; adds the student's
// parameter gradients into their accumulators.
func (e *Engine) bwdGraph(ctx *context.Context, ids, mask, cached *Node) *Node {
	reps := e.embed(ctx, ids, mask)
	sur := graph.ReduceAllSum(graph.Mul(reps, graph.StopGradient(graph.ConvertDType(cached, reps.DType()))))
	e.accumulate(sur, 0, e.nStud)
	return sur
}

// accumulate adds d out / d params[from:to] into the accumulators.
func (e *Engine) accumulate(out *Node, from, to int) {
	g := out.Graph()
	var idx []int
	var wrt []*Node
	for i := from; i < to; i++ {
		if e.params[i].InUseByGraph(g) {
			idx = append(idx, i)
			wrt = append(wrt, e.params[i].ValueGraph(g))
		}
	}
	grads := graph.Gradient(out, wrt...)
	for k, i := range idx {
		acc := e.accums[i]
		acc.SetValueGraph(graph.Add(acc.ValueGraph(g), graph.ConvertDType(grads[k], acc.DType())))
	}
}

// directGraph: for every stream, the ids and mask of each of its
// mini-batches (exactly the tensors the cached path feeds, padding trimmed
// the same way), then the targets -> loss, terms...; adds every parameter's
// gradient into its accumulator. The student runs over the mini-batches in
// the cached path's order, so the random state is consumed identically.
func (e *Engine) directGraph(ctx *context.Context, in []*Node) []*Node {
	ns := e.obj.Streams()
	nchunks := (len(in) - e.obj.Targets()) / (2 * ns)
	reps := make([]*Node, ns)
	for s := 0; s < ns; s++ {
		chunks := make([]*Node, nchunks)
		for c := range nchunks {
			k := 2 * (s*nchunks + c)
			chunks[c] = e.embed(ctx, in[k], in[k+1])
		}
		reps[s] = chunks[0]
		if nchunks > 1 {
			reps[s] = graph.Concatenate(chunks, 0)
		}
	}
	total, terms := e.buildObjective(e.lossCtx(ctx), reps, in[2*ns*nchunks:])
	e.accumulate(total, 0, len(e.params))
	return append([]*Node{total}, terms...)
}

func (e *Engine) check(b Batch) error {
	if len(b.Streams) != e.obj.Streams() || len(b.Targets) != e.obj.Targets() {
		return fmt.Errorf("gradcache: objective %s wants %d streams and %d targets, batch has %d and %d",
			e.obj.Name(), e.obj.Streams(), e.obj.Targets(), len(b.Streams), len(b.Targets))
	}
	for s, t := range b.Streams {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("gradcache: stream %d: %w", s, err)
		}
		if t.Batch != b.Rows() {
			return fmt.Errorf("gradcache: stream %d has %d rows, stream 0 has %d", s, t.Batch, b.Rows())
		}
	}
	for k, t := range b.Targets {
		if t.Rank() != 2 || t.Shape().Dimensions[0] != b.Rows() {
			return fmt.Errorf("gradcache: target %d has shape %s, want [%d, dim]", k, t.Shape(), b.Rows())
		}
	}
	return e.layout(b.Rows()).Validate()
}

// snapshot copies the random state.
func (e *Engine) snapshot() (*tensors.Tensor, error) {
	t, err := e.rng.Value()
	if err != nil {
		return nil, fmt.Errorf("gradcache: random state: %w", err)
	}
	c, err := t.LocalClone()
	if err != nil {
		return nil, fmt.Errorf("gradcache: random state: %w", err)
	}
	return c, nil
}

func (e *Engine) restore(t *tensors.Tensor) error {
	c, err := t.LocalClone()
	if err != nil {
		return fmt.Errorf("gradcache: restore random state: %w", err)
	}
	if err := e.rng.SetValue(c); err != nil {
		return fmt.Errorf("gradcache: restore random state: %w", err)
	}
	return nil
}

// Accumulate runs steps 1-3 on a full batch and adds its gradients into the
// accumulators (it does not zero them first). A batch that one mini-batch
// holds takes the direct step instead (Direct: the same loss, gradients
// and random state, without the cache's second forward pass).
func (e *Engine) Accumulate(b Batch) (Result, error) {
	if err := e.check(b); err != nil {
		return Result{}, err
	}
	if b.Rows() <= e.opts.MiniBatch {
		return e.Direct(b)
	}
	x, err := e.execsFor(b.Rows())
	if err != nil {
		return Result{}, err
	}
	type chunk struct {
		tok   Tokens
		state *tensors.Tensor
		from  int
	}
	rows := b.Rows()
	ns := e.obj.Streams()
	chunks := make([][]chunk, ns)
	reps := make([]*tensors.Tensor, ns)
	// 1. Forward without a backward graph, remembering the random state.
	for s := 0; s < ns; s++ {
		var parts []*tensors.Tensor
		for from := 0; from < rows; from += e.opts.MiniBatch {
			to := min(from+e.opts.MiniBatch, rows)
			c := chunk{tok: b.Streams[s].rows(from, to, e.opts.TrimPadding, e.bucket()), from: from}
			var err error
			if c.state, err = e.snapshot(); err != nil {
				return Result{}, err
			}
			ids, mask := c.tok.tensors()
			out, err := x.plan.Run(x.fwd, fwdInputs, ids, mask)
			if err != nil {
				return Result{}, fmt.Errorf("gradcache: forward stream %d rows %d-%d: %w", s, from, to, err)
			}
			parts = append(parts, out[0])
			chunks[s] = append(chunks[s], c)
		}
		var err error
		if reps[s], err = concatRows(parts); err != nil {
			return Result{}, fmt.Errorf("gradcache: stream %d: %w", s, err)
		}
	}
	final, err := e.snapshot()
	if err != nil {
		return Result{}, err
	}
	// 2. Full-batch loss on detached representations.
	args := append(append(make([]*tensors.Tensor, 0, ns+len(b.Targets)), reps...), b.Targets...)
	out, err := x.plan.Run(x.loss, lossInputs, args...)
	if err != nil {
		return Result{}, fmt.Errorf("gradcache: loss %s: %w", e.obj.Name(), err)
	}
	nt := len(e.obj.TermNames())
	res := Result{Loss: scalar(out[0]), Terms: make([]float64, nt)}
	for k := range nt {
		res.Terms[k] = scalar(out[1+k])
	}
	grads := out[1+nt:]
	// 3. Replay each mini-batch with the backward graph.
	for s := 0; s < ns; s++ {
		for _, c := range chunks[s] {
			if err := e.restore(c.state); err != nil {
				return Result{}, err
			}
			g, err := sliceRows(grads[s], c.from, c.from+c.tok.Batch)
			if err != nil {
				return Result{}, err
			}
			ids, mask := c.tok.tensors()
			if _, err := x.plan.Run(x.bwd, bwdInputs, ids, mask, g); err != nil {
				return Result{}, fmt.Errorf("gradcache: backward stream %d rows %d-%d: %w", s, c.from, c.from+c.tok.Batch, err)
			}
		}
	}
	if err := e.restore(final); err != nil {
		return Result{}, err
	}
	return res, nil
}

// Direct computes the same loss and gradients as Accumulate without the
// cache: one graph holding the whole batch. It exists for the equivalence
// tests and for batches small enough to need no cache.
func (e *Engine) Direct(b Batch) (Result, error) {
	if err := e.check(b); err != nil {
		return Result{}, err
	}
	rows := b.Rows()
	x, err := e.execsFor(rows)
	if err != nil {
		return Result{}, err
	}
	var args []*tensors.Tensor
	for _, t := range b.Streams {
		for from := 0; from < rows; from += e.opts.MiniBatch {
			ids, mask := t.rows(from, min(from+e.opts.MiniBatch, rows), e.opts.TrimPadding, e.bucket()).tensors()
			args = append(args, ids, mask)
		}
	}
	args = append(args, b.Targets...)
	out, err := x.plan.Run(x.direct, dirInputs, args...)
	if err != nil {
		return Result{}, fmt.Errorf("gradcache: direct %s: %w", e.obj.Name(), err)
	}
	res := Result{Loss: scalar(out[0])}
	for _, t := range out[1:] {
		res.Terms = append(res.Terms, scalar(t))
	}
	return res, nil
}

func scalar(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	default:
		panic(fmt.Sprintf("gradcache: loss is %T, want a float scalar", v))
	}
}

// concatRows concatenates [n_i, d] tensors on the host.
func concatRows(parts []*tensors.Tensor) (*tensors.Tensor, error) {
	if len(parts) == 1 {
		return parts[0], nil
	}
	d := parts[0].Shape().Dimensions[1]
	n := 0
	for _, p := range parts {
		n += p.Shape().Dimensions[0]
	}
	out := tensors.FromShape(shapes.Make(parts[0].DType(), n, d))
	var inner error
	err := out.MutableBytes(func(dst []byte) {
		off := 0
		for _, p := range parts {
			if e := p.ConstBytes(func(src []byte) { off += copy(dst[off:], src) }); e != nil {
				inner = e
			}
		}
	})
	if err == nil {
		err = inner
	}
	return out, err
}

// sliceRows copies rows [from, to) of a [n, d] tensor.
func sliceRows(t *tensors.Tensor, from, to int) (*tensors.Tensor, error) {
	n, d := t.Shape().Dimensions[0], t.Shape().Dimensions[1]
	if from == 0 && to == n {
		return t, nil
	}
	out := tensors.FromShape(shapes.Make(t.DType(), to-from, d))
	rowBytes := t.DType().Size() * d
	var inner error
	err := out.MutableBytes(func(dst []byte) {
		inner = t.ConstBytes(func(src []byte) { copy(dst, src[from*rowBytes:to*rowBytes]) })
	})
	if err == nil {
		err = inner
	}
	return out, err
}
