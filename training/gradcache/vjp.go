package gradcache

import (
	"reflect"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLX v0.26.0 defines no gradient for Rsqrt, which transformer layer norms
// use (the transformer package among them). Register the missing vector-Jacobian
// product once, for every graph of the process, unless a later GoMLX
// provides its own:
//
//	y = x^(-1/2)  =>  dy/dx = -1/2 x^(-3/2) = -1/2 y^3
func init() {
	if _, ok := graph.VJPRegistration[graph.NodeTypeRsqrt]; ok {
		return
	}
	graph.VJPRegistration[graph.NodeTypeRsqrt] = func(node *graph.Node, v []*graph.Node, _ shapes.Shape) []*graph.Node {
		y := node
		return []*graph.Node{graph.Mul(v[0], graph.MulScalar(graph.Mul(y, graph.Square(y)), -0.5))}
	}
}

// The gradient of Slice in GoMLX v0.26.0 is a Pad of the incoming
// gradient, and the pure-Go backend does not implement Pad, so nothing that
// slices a differentiated tensor (a token-type embedding row, [CLS] pooling)
// could train on CPU. For unit strides we build the same zero-padded
// gradient with Concatenate, which every backend has; strided slices keep
// GoMLX's own rule.
func init() {
	orig := graph.VJPRegistration[graph.NodeTypeSlice]
	graph.VJPRegistration[graph.NodeTypeSlice] = func(node *graph.Node, v []*graph.Node, out shapes.Shape) []*graph.Node {
		starts, limits, strides, ok := sliceParams(node)
		if !ok {
			return orig(node, v, out)
		}
		for _, s := range strides {
			if s > 1 {
				return orig(node, v, out)
			}
		}
		x := node.Inputs()[0]
		grad := v[0]
		dims := x.Shape().Dimensions
		for axis := range dims {
			before, after := starts[axis], dims[axis]-limits[axis]
			parts := make([]*graph.Node, 0, 3)
			if before > 0 {
				parts = append(parts, zerosWith(grad, axis, before))
			}
			parts = append(parts, grad)
			if after > 0 {
				parts = append(parts, zerosWith(grad, axis, after))
			}
			if len(parts) > 1 {
				grad = graph.Concatenate(parts, axis)
			}
		}
		return []*graph.Node{grad}
	}
}

// zerosWith is zeros shaped like like except n along axis.
func zerosWith(like *graph.Node, axis, n int) *graph.Node {
	d := like.Shape().Clone()
	d.Dimensions[axis] = n
	return graph.Zeros(like.Graph(), d)
}

// sliceParams reads a Slice node's starts, limits and strides. GoMLX keeps
// them in an unexported struct; reflection reads (never writes) them. ok is
// false if the layout is not the expected one, and the caller falls back.
func sliceParams(node *graph.Node) (starts, limits, strides []int, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	in := reflect.ValueOf(node).Elem().FieldByName("inputs")
	if !in.IsValid() || in.IsNil() {
		return nil, nil, nil, false
	}
	p := in.Elem()
	if p.Kind() == reflect.Pointer {
		p = p.Elem()
	}
	read := func(name string) []int {
		f := p.FieldByName(name)
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out
	}
	starts, limits, strides = read("starts"), read("limits"), read("strides")
	r := node.Inputs()[0].Rank()
	if len(starts) != r || len(limits) != r || (len(strides) != 0 && len(strides) != r) {
		return nil, nil, nil, false
	}
	return starts, limits, strides, true
}

// GoMLX v0.26.0 differentiates DotGeneral by broadcasting the incoming
// gradient against the other operand and summing (a Mul over batch x cross x
// cross x contracted elements): for a [batch, seq, in] x [out, in] layer
// that is a tensor of batch*seq*in*out values per layer and per step, which
// dominated a training step of even the tiny encoder (seconds, not
// milliseconds). The gradient of a contraction is itself a contraction, so we
// register it as two DotGenerals and a transpose:
//
//	out[b, lc, rc] = sum_k lhs[b, lc, k] rhs[b, rc, k]
//	d lhs[b, lc, k] = sum_rc v[b, lc, rc] rhs[b, rc, k]
//	d rhs[b, rc, k] = sum_lc v[b, lc, rc] lhs[b, lc, k]
//
// (b batch axes, lc/rc the free "cross" axes of each side, k the contracted
// axes), laid back out in each operand's own axis order.
func init() {
	orig := graph.VJPRegistration[graph.NodeTypeDotGeneral]
	gomlxDotVJP = orig
	graph.VJPRegistration[graph.NodeTypeDotGeneral] = func(node *graph.Node, v []*graph.Node, out shapes.Shape) []*graph.Node {
		ax, ok := dotParams(node)
		if !ok {
			return orig(node, v, out)
		}
		lhs, rhs := node.Inputs()[0], node.Inputs()[1]
		return []*graph.Node{
			dotOperandGrad(v[0], true, lhs, ax.lc, ax.lb, rhs, ax.rc, ax.rb),
			dotOperandGrad(v[0], false, rhs, ax.rc, ax.rb, lhs, ax.lc, ax.lb),
		}
	}
}

// gomlxDotVJP is GoMLX's own rule, kept for the fallback and the tests.
var gomlxDotVJP graph.VJP

type dotAxes struct{ lc, lb, rc, rb []int }

// dotParams reads a DotGeneral node's axes (unexported in GoMLX) by reflection.
func dotParams(node *graph.Node) (ax dotAxes, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	in := reflect.ValueOf(node).Elem().FieldByName("inputs")
	if !in.IsValid() || in.IsNil() {
		return ax, false
	}
	p := in.Elem()
	if p.Kind() == reflect.Pointer {
		p = p.Elem()
	}
	read := func(name string) []int {
		f := p.FieldByName(name)
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out
	}
	ax = dotAxes{lc: read("lhsContractingAxes"), lb: read("lhsBatchAxes"), rc: read("rhsContractingAxes"), rb: read("rhsBatchAxes")}
	if len(ax.lc) != len(ax.rc) || len(ax.lb) != len(ax.rb) {
		return ax, false
	}
	return ax, true
}

// crossAxes are the axes of a rank-r operand that are neither contracted nor batch, in order.
func crossAxes(rank int, contracting, batch []int) []int {
	used := make([]bool, rank)
	for _, a := range contracting {
		used[a] = true
	}
	for _, a := range batch {
		used[a] = true
	}
	var out []int
	for a := 0; a < rank; a++ {
		if !used[a] {
			out = append(out, a)
		}
	}
	return out
}

// dotOperandGrad is the gradient of one DotGeneral operand ("this") given the
// output gradient v, whose axes are [batch..., lhs cross..., rhs cross...].
func dotOperandGrad(v *graph.Node, thisIsLHS bool, this *graph.Node, thisC, thisB []int, other *graph.Node, otherC, otherB []int) *graph.Node {
	nb := len(thisB)
	thisCross := crossAxes(this.Rank(), thisC, thisB)
	otherCross := crossAxes(other.Rank(), otherC, otherB)
	// Positions of the other operand's cross axes in v.
	start := nb + len(thisCross)
	if !thisIsLHS {
		start = nb
	}
	vContract := make([]int, len(otherCross))
	for i := range otherCross {
		vContract[i] = start + i
	}
	vBatch := make([]int, nb)
	for i := range vBatch {
		vBatch[i] = i
	}
	// Result axes: [batch..., this cross..., other's contracted axes in increasing order].
	g := graph.DotGeneral(v, vContract, vBatch, other, otherCross, otherB)
	resultAxes := make([]int, 0, this.Rank()) // the axis of "this" each result axis is
	resultAxes = append(resultAxes, thisB...)
	resultAxes = append(resultAxes, thisCross...)
	for _, oa := range crossAxes(other.Rank(), otherCross, otherB) { // other's contracted axes, sorted
		for i, c := range otherC {
			if c == oa {
				resultAxes = append(resultAxes, thisC[i])
				break
			}
		}
	}
	perm := make([]int, this.Rank())
	identity := true
	for pos, a := range resultAxes {
		perm[a] = pos
	}
	for i, p := range perm {
		if i != p {
			identity = false
		}
	}
	if !identity {
		g = graph.TransposeAllAxes(g, perm...)
	}
	return g
}
