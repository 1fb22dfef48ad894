package losses

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/mimo-mlir/mimo/transformer"
)

func testBackend(t testing.TB) backends.Backend {
	t.Helper()
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type matrix = [][]float64

func randMatrix(r *rand.Rand, rows, cols int) matrix {
	m := make(matrix, rows)
	for i := range m {
		m[i] = make([]float64, cols)
		for j := range m[i] {
			m[i][j] = r.NormFloat64()
		}
	}
	return m
}

func toTensor(m matrix) *tensors.Tensor {
	rows, cols := len(m), len(m[0])
	flat := make([]float64, 0, rows*cols)
	for _, r := range m {
		flat = append(flat, r...)
	}
	return tensors.FromFlatDataAndDimensions(flat, rows, cols)
}

func clone(ms []matrix) []matrix {
	out := make([]matrix, len(ms))
	for k, m := range ms {
		out[k] = make(matrix, len(m))
		for i := range m {
			out[k][i] = append([]float64(nil), m[i]...)
		}
	}
	return out
}

// graphCase is a loss built on float64 [rows, cols] inputs and its reference.
type graphCase struct {
	name  string
	dims  [][2]int // input shapes
	graph func(in []*Node) *Node
	ref   func(in []matrix) float64
}

// check compares the graph value with the reference and the graph gradient
// with central finite differences of the reference.
func check(t *testing.T, b backends.Backend, c graphCase, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	in := make([]matrix, len(c.dims))
	args := make([]any, len(c.dims))
	for k, d := range c.dims {
		in[k] = randMatrix(r, d[0], d[1])
		args[k] = toTensor(in[k])
	}
	exec := MustNewExec(b, func(nodes []*Node) []*Node {
		loss := c.graph(nodes)
		return append([]*Node{loss}, Gradient(loss, nodes...)...)
	})
	outs, err := exec.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	got := outs[0].Value().(float64)
	want := c.ref(in)
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Fatalf("value: graph %.12g, formula %.12g", got, want)
	}
	const h = 1e-6
	for k := range in {
		grad := tensors.MustCopyFlatData[float64](outs[1+k])
		cols := c.dims[k][1]
		for i := range in[k] {
			for j := range in[k][i] {
				plus, minus := clone(in), clone(in)
				plus[k][i][j] += h
				minus[k][i][j] -= h
				num := (c.ref(plus) - c.ref(minus)) / (2 * h)
				an := grad[i*cols+j]
				if math.Abs(num-an) > 1e-6*math.Max(1, math.Abs(num)) {
					t.Fatalf("d loss / d input%d[%d][%d]: graph %.9g, finite difference %.9g", k, i, j, an, num)
				}
			}
		}
	}
}

func TestLossesAgainstFormulas(t *testing.T) {
	b := testBackend(t)
	const B, D, T = 4, 5, 3
	lakda := func(mode KLMode) graphCase {
		o := DefaultLaKDA()
		o.Mode = mode
		if mode == KLOriginal {
			o.Threshold = 0 // keep the KL branch on so its gradient is checked
		}
		return graphCase{
			name: "lakda-" + string(mode),
			dims: [][2]int{{B, D}, {B, D}, {B, D}},
			graph: func(in []*Node) *Node {
				tot, _, _ := LaKDA(in[0], in[1], in[2], o)
				return tot
			},
			ref: func(in []matrix) float64 { tot, _, _ := RefLaKDA(in[0], in[1], in[2], o); return tot },
		}
	}
	stage2 := func(o Stage2Options) graphCase {
		return graphCase{
			name: "stage2-" + string(o.Bracket),
			dims: [][2]int{{B, D}, {B, D}, {D, T}, {1, T}, {B, T}, {B, T}},
			graph: func(in []*Node) *Node {
				bias := Reshape(in[3], T)
				tot, _, _ := Stage2(in[0], in[1], Psi(in[0], in[2], bias), Psi(in[1], in[2], bias), in[4], in[5], o)
				return tot
			},
			ref: func(in []matrix) float64 {
				tot, _, _ := RefStage2(in[0], in[1], in[2], in[3][0], in[4], in[5], o)
				return tot
			},
		}
	}
	half, sum := DefaultStage2(), DefaultStage2()
	sum.Bracket = BracketSum
	sum.Lambda = 0.7
	cases := []graphCase{
		{
			name:  "infonce",
			dims:  [][2]int{{B, D}, {B, D}},
			graph: func(in []*Node) *Node { return InfoNCE(in[0], in[1], DefaultScale) },
			ref:   func(in []matrix) float64 { return RefInfoNCE(in[0], in[1], DefaultScale) },
		},
		{
			name:  "xlco-scale-1",
			dims:  [][2]int{{B, D}, {B, D}},
			graph: func(in []*Node) *Node { return XLCO(in[0], in[1], 1) },
			ref:   func(in []matrix) float64 { return RefInfoNCE(in[0], in[1], 1) },
		},
		lakda(KLSymmetric), lakda(KLOneSided), lakda(KLOriginal),
		{
			name: "stage1",
			dims: [][2]int{{B, D}, {D, T}, {1, T}, {B, T}},
			graph: func(in []*Node) *Node {
				return Distill(Psi(in[0], in[1], Reshape(in[2], T)), in[3])
			},
			ref: func(in []matrix) float64 { return RefStage1(in[0], in[1], in[2][0], in[3]) },
		},
		stage2(half), stage2(sum),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 2; seed++ {
				check(t, b, c, seed)
			}
		})
	}
}

// TestHandComputed pins the formulas themselves on batches small enough to
// work out by hand, so a shared mistake in graph and reference cannot pass.
func TestHandComputed(t *testing.T) {
	// Orthonormal queries and positives: cos = identity matrix.
	q := matrix{{1, 0}, {0, 1}}
	p := matrix{{2, 0}, {0, 3}}
	// -log(e^20 / (e^20 + e^0)) = log(1 + e^-20)
	want := math.Log1p(math.Exp(-20))
	cases := []struct {
		name      string
		got, want float64
	}{
		{"infonce-orthogonal", RefInfoNCE(q, p, 20), want},
		{"infonce-identical-rows", RefInfoNCE(matrix{{1, 1}, {1, 1}}, matrix{{1, 1}, {2, 2}}, 20), math.Log(2)},
		{"distill-opposite", RefDistill(matrix{{1, 0}}, matrix{{-1, 0}}), 2},
		{"distill-orthogonal", RefDistill(matrix{{1, 0}}, matrix{{0, 5}}), 1},
		{"kl-equal", RefKL(matrix{{1, 2}}, matrix{{1, 2}}), 0},
		// P = softmax(0, log 3) = (1/4, 3/4), Q = (1/2, 1/2): KL = 1/4 log(1/2) + 3/4 log(3/2).
		{"kl-two-point", RefKL(matrix{{0, math.Log(3)}}, matrix{{0, 0}}), 0.25*math.Log(0.5) + 0.75*math.Log(1.5)},
		{"psi", RefPsi([]float64{1, 2}, matrix{{1, 0, 1}, {0, 1, 1}}, []float64{0.5, 0, -3})[2], 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if math.Abs(c.got-c.want) > 1e-12 {
				t.Fatalf("got %.15g, want %.15g", c.got, c.want)
			}
		})
	}
	t.Run("lakda-original-threshold", func(t *testing.T) {
		o := DefaultLaKDA()
		o.Mode = KLOriginal
		// Identical queries: KL = 0 < 0.15, so the total is InfoNCE alone.
		tot, nce, kl := RefLaKDA(q, q, p, o)
		if kl != 0 || tot != nce {
			t.Fatalf("total %g, infonce %g, kl %g", tot, nce, kl)
		}
	})
}

func TestOptionsValidate(t *testing.T) {
	bad := []struct {
		name string
		err  error
	}{
		{"lakda-mode", LaKDAOptions{Alpha: 0.5, Scale: 20, Mode: "both"}.Validate()},
		{"lakda-alpha", LaKDAOptions{Alpha: 1.5, Scale: 20, Mode: KLSymmetric}.Validate()},
		{"stage2-lambda", Stage2Options{Lambda: -0.1, Scale: 20, Bracket: BracketHalf}.Validate()},
		{"stage2-bracket", Stage2Options{Lambda: 0.2, Scale: 20, Bracket: "avg"}.Validate()},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil {
				t.Fatal("want an error")
			}
		})
	}
	if err := DefaultLaKDA().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DefaultStage2().Validate(); err != nil {
		t.Fatal(err)
	}
}
