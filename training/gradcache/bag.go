package gradcache

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Bag is a tiny Student for tests, smoke runs and benchmarks of the engine
// (the transformer's is transformer.Student): token embeddings, dropout,
// masked mean pooling, then a dense layer with tanh. Small enough to differentiate by hand-sized
// batches in float64, and enough like a transformer for the engine (ids and
// mask in, pooled vectors out, dropout from the context's random state).
type Bag struct {
	Vocab, Hidden, Dim int
	Dropout            float64
	DType              dtypes.DType // Float32 (default) or Float64
}

func (b Bag) dtype() dtypes.DType {
	if b.DType == dtypes.InvalidDType {
		return dtypes.Float32
	}
	return b.DType
}

// Init creates the variables in ctx (the student scope), from seed.
func (b Bag) Init(ctx *context.Context, seed uint64) error {
	if b.Vocab <= 0 || b.Hidden <= 0 || b.Dim <= 0 {
		return fmt.Errorf("bag student: vocab %d, hidden %d, dim %d must be positive", b.Vocab, b.Hidden, b.Dim)
	}
	r := rand.New(rand.NewPCG(seed, 11))
	mk := func(scale float64, dims ...int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64() * scale
		}
		if b.dtype() == dtypes.Float64 {
			return tensors.FromFlatDataAndDimensions(v, dims...)
		}
		f := make([]float32, n)
		for i := range v {
			f[i] = float32(v[i])
		}
		return tensors.FromFlatDataAndDimensions(f, dims...)
	}
	c := ctx.In("bag").Checked(false)
	c.VariableWithValue("embeddings", mk(1, b.Vocab, b.Hidden))
	c.VariableWithValue("weights", mk(1/math.Sqrt(float64(b.Hidden)), b.Hidden, b.Dim))
	c.VariableWithValue("bias", mk(0.1, b.Dim))
	return nil
}

// Embed implements Student.
func (b Bag) Embed(ctx *context.Context, ids, mask *Node, train bool) *Node {
	g := ids.Graph()
	c := ctx.In("bag")
	emb := c.GetVariable("embeddings").ValueGraph(g)
	w := c.GetVariable("weights").ValueGraph(g)
	bias := c.GetVariable("bias").ValueGraph(g)
	dt := emb.DType()
	x := graph.Gather(emb, graph.ExpandAxes(graph.ConvertDType(ids, dtypes.Int32), -1)) // [batch, len, hidden]
	if train && b.Dropout > 0 {
		keep := graph.LessThan(ctx.RandomUniform(g, shapes.Make(dt, x.Shape().Dimensions...)), graph.Scalar(g, dt, 1-b.Dropout))
		x = graph.Where(keep, graph.DivScalar(x, 1-b.Dropout), graph.ZerosLike(x))
	}
	m := graph.ExpandAxes(graph.ConvertDType(mask, dt), -1) // [batch, len, 1]
	sum := graph.ReduceSum(graph.Mul(x, m), 1)
	cnt := graph.MaxScalar(graph.ReduceSum(m, 1), 1)
	return graph.Tanh(graph.Add(graph.MatMul(graph.Div(sum, cnt), w), graph.ExpandAxes(bias, 0)))
}
