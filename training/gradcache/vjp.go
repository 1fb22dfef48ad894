package gradcache

import (
	"reflect"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLX v0.26.0 defines no gradient for Rsqrt, which transformer layer norms
// use (adapters/native among them). Register the missing vector-Jacobian
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
