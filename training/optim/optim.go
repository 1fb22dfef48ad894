// Package optim is the optimiser of training: AdamW over gradients that the
// gradient-cache engine accumulated for a full batch, with global-norm
// clipping and the paper's learning-rate schedule (linear warm-up over the
// first 10% of steps, then linear decay to zero).
//
// It follows PyTorch's torch.optim.AdamW and Hugging Face's
// get_linear_schedule_with_warmup, so a step here is a step there:
//
//	clip:   g <- g * min(1, max_norm / (||g||_2 + 1e-6)), norm over all parameters
//	decay:  p <- p * (1 - lr * wd)            (rank >= 2 parameters only; biases and
//	                                            norm gains are not decayed, as HF does)
//	adam:   m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2
//	        p <- p - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
//
// The moments live in the same GoMLX context as the parameters (scope
// "optim"), so a checkpoint of the context is a checkpoint of the optimiser.
// The whole update is one compiled graph; the accumulators are zeroed by it.
// With a data-parallel gradcache.Plan (WithPlan) the graph is compiled for
// the plan's device mesh: its inputs (learning rate, step) and every
// variable are replicated, so each device applies the same update to its
// replica of the weights.
package optim

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/training/gradcache"
)

// Scope holds the optimiser's state variables.
const Scope = "optim"

// Config is AdamW's hyper-parameters.
type Config struct {
	Beta1, Beta2, Eps float64
	WeightDecay       float64
	// MaxGradNorm clips the global gradient norm; 0 disables clipping.
	MaxGradNorm float64
}

// Default is PyTorch AdamW's betas and eps, weight decay 0.01 and clipping at 1.0
// (Hugging Face Trainer's max_grad_norm).
func Default() Config {
	return Config{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, MaxGradNorm: 1.0}
}

// Schedule is linear warm-up then linear decay, as Hugging Face's
// get_linear_schedule_with_warmup: the multiplier for the optimiser step with
// 0-based index step is step/warmup during warm-up, then
// (total-step)/(total-warmup), never below 0.
type Schedule struct {
	Total, Warmup int
}

// NewSchedule uses warmup = ceil(ratio * total) (HF's warmup_ratio).
func NewSchedule(total int, ratio float64) Schedule {
	return Schedule{Total: total, Warmup: int(math.Ceil(ratio * float64(total)))}
}

// Factor is the learning-rate multiplier at 0-based step.
func (s Schedule) Factor(step int) float64 {
	if step < s.Warmup {
		return float64(step) / float64(max(1, s.Warmup))
	}
	return math.Max(0, float64(s.Total-step)/float64(max(1, s.Total-s.Warmup)))
}

// AdamW updates params from their accumulated gradients.
type AdamW struct {
	cfg            Config
	params, accums []*context.Variable
	ms, vs         []*context.Variable
	exec           *context.Exec
	plan           *gradcache.Plan
}

// Option configures NewAdamW.
type Option func(*AdamW) error

// WithPlan runs the update on the devices of p, the plan of the engine
// whose accumulators it reads (gradcache.Engine.Plan): the optimiser and the
// engine must share one plan, since a variable keeps the mesh it first ran
// on. Without it the update runs on one device.
func WithPlan(p *gradcache.Plan) Option {
	return func(o *AdamW) error {
		if p == nil {
			return fmt.Errorf("adamw: WithPlan(nil): give the engine's plan")
		}
		o.plan = p
		return nil
	}
}

// Executable is the update's compiled step (for inspection of its device
// configuration).
func (o *AdamW) Executable() *context.Exec { return o.exec }

// stepInputs: the learning rate and the step, scalars on every device.
var stepInputs = []gradcache.Input{gradcache.Replicated, gradcache.Replicated}

// Close releases the optimiser's compiled step; idempotent.
func (o *AdamW) Close() error {
	if o.exec != nil {
		o.exec.Finalize()
		o.exec = nil
	}
	return nil
}

// NewAdamW creates (or finds, e.g. after a checkpoint load) the moments of
// each parameter. accums[i] holds the gradient of params[i].
func NewAdamW(b backends.Backend, ctx *context.Context, params, accums []*context.Variable, cfg Config, opts ...Option) (*AdamW, error) {
	if len(params) != len(accums) {
		return nil, fmt.Errorf("adamw: %d parameters but %d gradient accumulators", len(params), len(accums))
	}
	if cfg.Beta1 < 0 || cfg.Beta1 >= 1 || cfg.Beta2 < 0 || cfg.Beta2 >= 1 || cfg.Eps <= 0 {
		return nil, fmt.Errorf("adamw: bad betas (%g, %g) or eps %g", cfg.Beta1, cfg.Beta2, cfg.Eps)
	}
	o := &AdamW{cfg: cfg, params: params, accums: accums}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.plan == nil {
		p, err := gradcache.NewPlan(b, 1)
		if err != nil {
			return nil, fmt.Errorf("adamw: %w", err)
		}
		o.plan = p
	}
	for _, p := range params {
		for _, kind := range []string{"m", "v"} {
			scope := context.RootScope + Scope + context.ScopeSeparator + kind + p.Scope()
			v := ctx.GetVariableByScopeAndName(scope, p.Name())
			if v == nil {
				v = ctx.InAbsPath(scope).Checked(false).VariableWithValue(p.Name(), tensors.FromShape(p.Shape()))
			} else if !v.Shape().Equal(p.Shape()) {
				return nil, fmt.Errorf("adamw: state %s has shape %s, parameter %s", v.ScopeAndName(), v.Shape(), p.Shape())
			}
			v.SetTrainable(false)
			if kind == "m" {
				o.ms = append(o.ms, v)
			} else {
				o.vs = append(o.vs, v)
			}
		}
	}
	var err error
	o.exec, err = context.NewExec(b, ctx.Reuse(), o.graph)
	if err != nil {
		return nil, fmt.Errorf("adamw: %w", err)
	}
	if err := o.plan.Configure(o.exec, stepInputs...); err != nil {
		o.exec.Finalize()
		return nil, fmt.Errorf("adamw: %w", err)
	}
	return o, nil
}

// graph: lr, t (1-based step) -> global gradient norm (before clipping).
func (o *AdamW) graph(ctx *context.Context, lr, t *Node) *Node {
	g := lr.Graph()
	grads := make([]*Node, len(o.params))
	var sq *Node
	for i, a := range o.accums {
		grads[i] = ConvertDType(a.ValueGraph(g), dtypes.Float64)
		s := ReduceAllSum(Square(grads[i]))
		if sq == nil {
			sq = s
		} else {
			sq = Add(sq, s)
		}
	}
	norm := Sqrt(sq)
	coef := ScalarOne(g, dtypes.Float64)
	if o.cfg.MaxGradNorm > 0 {
		coef = Min(coef, Div(Scalar(g, dtypes.Float64, o.cfg.MaxGradNorm), AddScalar(norm, 1e-6)))
	}
	b1, b2 := o.cfg.Beta1, o.cfg.Beta2
	bc1 := OneMinus(Pow(Scalar(g, dtypes.Float64, b1), t))
	bc2 := OneMinus(Pow(Scalar(g, dtypes.Float64, b2), t))
	for i, p := range o.params {
		dt := p.DType()
		gr := ConvertDType(Mul(grads[i], coef), dt)
		pv := p.ValueGraph(g)
		lrT := ConvertDType(lr, dt)
		if o.cfg.WeightDecay > 0 && p.Shape().Rank() >= 2 {
			pv = Mul(pv, OneMinus(MulScalar(lrT, o.cfg.WeightDecay)))
		}
		m := Add(MulScalar(o.ms[i].ValueGraph(g), b1), MulScalar(gr, 1-b1))
		v := Add(MulScalar(o.vs[i].ValueGraph(g), b2), MulScalar(Square(gr), 1-b2))
		mHat := Div(m, ConvertDType(bc1, dt))
		vHat := Div(v, ConvertDType(bc2, dt))
		pv = Sub(pv, Mul(lrT, Div(mHat, AddScalar(Sqrt(vHat), o.cfg.Eps))))
		p.SetValueGraph(pv)
		o.ms[i].SetValueGraph(m)
		o.vs[i].SetValueGraph(v)
		o.accums[i].SetValueGraph(ZerosLike(o.accums[i].ValueGraph(g)))
	}
	return norm
}

// Step applies one update with learning rate lr as optimiser step number t
// (1-based, for bias correction), zeroes the accumulators and returns the
// global gradient norm before clipping.
func (o *AdamW) Step(lr float64, t int) (float64, error) {
	if t < 1 {
		return 0, fmt.Errorf("adamw: step %d must be >= 1", t)
	}
	out, err := o.plan.Run(o.exec, stepInputs, tensors.FromScalar(lr), tensors.FromScalar(float64(t)))
	if err != nil {
		return 0, fmt.Errorf("adamw step %d: %w", t, err)
	}
	return out[0].Value().(float64), nil
}

// Reset zeroes the moments (a new phase starts a fresh optimiser).
func (o *AdamW) Reset() error {
	for i := range o.params {
		for _, v := range []*context.Variable{o.ms[i], o.vs[i]} {
			if err := v.SetValue(tensors.FromShape(v.Shape())); err != nil {
				return fmt.Errorf("adamw: reset %s: %w", v.ScopeAndName(), err)
			}
		}
	}
	return nil
}
