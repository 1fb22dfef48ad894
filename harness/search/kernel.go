package search

// The dot-product order. Every score in this package, whichever kernel
// computes it, is summed in one fixed order, so a score does not depend on
// the CPU, on where a pair fell in a tile, or on batch sizes, and Dot
// reproduces exactly what Search ranked by:
//
//  1. over the first n = dim rounded down to a multiple of 8 components,
//     eight lane sums: lane l accumulates float32(a[k]*b[k]) for k = l, l+8,
//     ... in increasing k (each product rounded, then added: no fused
//     multiply-add);
//  2. the lanes are combined as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7));
//  3. the remaining dim-n components are added one by one.
//
// On amd64 with AVX2, steps 1-2 run in assembly (kernel_amd64.s), one YMM
// register per pair; elsewhere (or with -tags purego) the portable Go
// functions below do the same arithmetic.

// kernelName names the kernel in use ("go" or "avx2"), for benchmarks.
var kernelName = "go"

// lanes1 computes steps 1-2 for one pair; n is a multiple of 8.
var lanes1 = lanes1Go

// lanes4x2 computes steps 1-2 for query rows q[i*ldq:] (i < 4) against
// document rows d[j*ldd:] (j < 2) into out[2*i+j].
var lanes4x2 = lanes4x2Go

// Dot returns the float32 dot product of a and b (len(b) >= len(a)) in the
// package's fixed summation order.
func Dot(a, b []float32) float32 {
	n := len(a) &^ 7
	return tail(lanes1(a, b, n), a, b, n)
}

// tail adds the components from n on (step 3).
func tail(s float32, a, b []float32, n int) float32 {
	for k := n; k < len(a); k++ {
		s += float32(a[k] * b[k])
	}
	return s
}

func laneSum(l *[8]float32) float32 {
	return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

func lanes1Go(a, b []float32, n int) float32 {
	var l [8]float32
	a, b = a[:n], b[:n]
	for k := 0; k+8 <= n; k += 8 {
		x, y := a[k:k+8:k+8], b[k:k+8:k+8]
		l[0] += float32(x[0] * y[0])
		l[1] += float32(x[1] * y[1])
		l[2] += float32(x[2] * y[2])
		l[3] += float32(x[3] * y[3])
		l[4] += float32(x[4] * y[4])
		l[5] += float32(x[5] * y[5])
		l[6] += float32(x[6] * y[6])
		l[7] += float32(x[7] * y[7])
	}
	return laneSum(&l)
}

func lanes4x2Go(out *[8]float32, q []float32, ldq int, d []float32, ldd int, n int) {
	for i := range 4 {
		for j := range 2 {
			out[2*i+j] = lanes1Go(q[i*ldq:], d[j*ldd:], n)
		}
	}
}

// scoreTile fills out[i*ldo+j] = Dot(q row q0+i, c row c0+j) for i < nq,
// j < nc. It walks the tile in 4x2 micro-tiles, so each loaded query value
// is reused against two documents and each document value against four
// queries; ragged edges use the one-pair kernel.
func scoreTile(out []float32, ldo int, q Matrix, q0, nq int, c Matrix, c0, nc int) {
	dim := q.Dim
	n := dim &^ 7
	var r [8]float32
	i := 0
	for ; i+4 <= nq; i += 4 {
		qs := q.Data[(q0+i)*dim : (q0+i+4)*dim]
		j := 0
		for ; j+2 <= nc; j += 2 {
			ds := c.Data[(c0+j)*dim : (c0+j+2)*dim]
			lanes4x2(&r, qs, dim, ds, dim, n)
			if n < dim {
				for a := range 4 {
					for b := range 2 {
						r[2*a+b] = tail(r[2*a+b], qs[a*dim:(a+1)*dim], ds[b*dim:(b+1)*dim], n)
					}
				}
			}
			o := out[i*ldo+j:]
			o[0], o[1] = r[0], r[1]
			o[ldo], o[ldo+1] = r[2], r[3]
			o[2*ldo], o[2*ldo+1] = r[4], r[5]
			o[3*ldo], o[3*ldo+1] = r[6], r[7]
		}
		for ; j < nc; j++ {
			d := c.Data[(c0+j)*dim : (c0+j+1)*dim]
			for a := range 4 {
				out[(i+a)*ldo+j] = Dot(qs[a*dim:(a+1)*dim], d)
			}
		}
	}
	for ; i < nq; i++ {
		qa := q.Data[(q0+i)*dim : (q0+i+1)*dim]
		for j := 0; j < nc; j++ {
			out[i*ldo+j] = Dot(qa, c.Data[(c0+j)*dim:(c0+j+1)*dim])
		}
	}
}
