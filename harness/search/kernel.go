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
// register per pair; with AVX-512 (F and DQ) a tile is scored in 4x8
// micro-tiles, two documents per ZMM register (lanes 0-7 one document's
// eight lane sums, lanes 8-15 the other's) and the same products summed
// in the same order; elsewhere (or with -tags purego) the portable Go
// functions below do the same arithmetic. The kernel is chosen at run
// time (golang.org/x/sys/cpu).

// kernelName names the kernel in use ("go", "avx2" or "avx512"), for
// benchmarks.
var kernelName = "go"

// newTiler returns the tile scorer in use (see tiler).
var newTiler = func() tiler { return &tiler4x2{} }

// lanes4x8 computes steps 1-2 for the four queries of the query panel qp
// (packQueries) against the eight documents of panel (packPanel), into
// out[8*i+j]; n is a multiple of 8, > 0. The three are nil where the CPU
// lacks AVX-512.
var (
	lanes4x8    func(out *[32]float32, qp, panel []float32, n int)
	packPanel   func(panel, d []float32, ldd, n int)
	packQueries func(qp, q []float32, ldq, n int)
)

// skipBelow returns the index of the first score of s that is not below
// thr (NaN is not), looking at whole blocks of 16 only: len(s) rounded
// down to 16 when all of those are below. It is topK.offer's threshold
// test, sixteen scores at a time; nil where the CPU lacks AVX-512.
var skipBelow func(s []float32, thr float32) int

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

// scoreTile4x2 fills out[i*ldo+j] = Dot(q row q0+i, c row c0+j) for i <
// nq, j < nc. It walks the tile in 4x2 micro-tiles, so each loaded query
// value is reused against two documents and each document value against
// four queries; ragged edges use the one-pair kernel.
func scoreTile4x2(out []float32, ldo int, q Matrix, q0, nq int, c Matrix, c0, nc int) {
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

// tiler scores the tiles of one query block (setQueries: rows q0..q0+nq-1
// of q) against chunks of the corpus: score fills out[i*ldo+j] = Dot(query
// row q0+i, corpus row c0+j) for i < nq, j < nc. A Search worker keeps one
// and reuses its buffers.
type tiler interface {
	setQueries(q Matrix, q0, nq int)
	score(out []float32, ldo int, c Matrix, c0, nc int)
}

// tiler4x2 is scoreTile4x2.
type tiler4x2 struct {
	q      Matrix
	q0, nq int
}

func (t *tiler4x2) setQueries(q Matrix, q0, nq int) { t.q, t.q0, t.nq = q, q0, nq }

func (t *tiler4x2) score(out []float32, ldo int, c Matrix, c0, nc int) {
	scoreTile4x2(out, ldo, t.q, t.q0, t.nq, c, c0, nc)
}

// tiler4x8 scores with lanes4x8. The query block is packed once (every
// four queries a panel) and each chunk of documents once (every eight a
// panel); then, for every 64 queries (whose panels stay in the L2 cache)
// and every document panel (in L1), every query panel in one micro-tile,
// so each loaded pair of document chunks serves four queries and each
// query chunk eight documents, and the corpus is read from memory once per
// query block, not once per 64 queries. Queries and documents beyond
// multiples of four and eight go to scoreTile4x2.
type tiler4x8 struct {
	q      Matrix
	q0, nq int
	qp     []float32 // query panel m (queries 4m..4m+3) at qp[8*n*m:]
	dp     []float32 // document panel p (documents 8p..8p+7 of the chunk) at dp[8*n*p:]
}

// querySub is how many queries share their document panels' trip through
// L1 in tiler4x8 (their packed panels, 64 x 384 x 8 bytes, fit L2).
const querySub = 64

func (t *tiler4x8) setQueries(q Matrix, q0, nq int) {
	t.q, t.q0, t.nq = q, q0, nq
	dim := q.Dim
	n := dim &^ 7
	if n == 0 {
		return
	}
	nq4 := nq &^ 3
	t.qp = growFloats(t.qp, 2*nq4*n)
	for m := range nq4 / 4 {
		packQueries(t.qp[8*n*m:8*n*(m+1)], q.Data[(q0+4*m)*dim:(q0+4*m+4)*dim], dim, n)
	}
}

func (t *tiler4x8) score(out []float32, ldo int, c Matrix, c0, nc int) {
	q, q0, nq := t.q, t.q0, t.nq
	dim := q.Dim
	n := dim &^ 7
	if n == 0 || nq < 4 || nc < 8 {
		scoreTile4x2(out, ldo, q, q0, nq, c, c0, nc)
		return
	}
	nq4, nc8 := nq&^3, nc&^7
	t.dp = growFloats(t.dp, nc8*n)
	for p := range nc8 / 8 {
		packPanel(t.dp[8*n*p:8*n*(p+1)], c.Data[(c0+8*p)*dim:(c0+8*p+8)*dim], dim, n)
	}
	var r [32]float32
	for s := 0; s < nq4; s += querySub {
		for j := 0; j < nc8; j += 8 {
			panel := t.dp[n*j : n*(j+8)]
			for i := s; i < min(s+querySub, nq4); i += 4 {
				lanes4x8(&r, t.qp[2*n*i:2*n*(i+4)], panel, n)
				if n < dim {
					t.tails(&r, i, c, c0+j, n)
				}
				for a := range 4 {
					copy(out[(i+a)*ldo+j:(i+a)*ldo+j+8], r[8*a:8*a+8])
				}
			}
		}
	}
	if nq4 < nq {
		scoreTile4x2(out[nq4*ldo:], ldo, q, q0+nq4, nq-nq4, c, c0, nc8)
	}
	if nc8 < nc {
		scoreTile4x2(out[nc8:], ldo, q, q0, nq, c, c0+nc8, nc-nc8)
	}
}

// tails adds the components from n on (step 3) to the micro-tile r of
// queries i..i+3 of the block and corpus rows c0..c0+7.
func (t *tiler4x8) tails(r *[32]float32, i int, c Matrix, c0, n int) {
	dim := t.q.Dim
	for a := range 4 {
		qa := t.q.Row(t.q0 + i + a)
		for b := range 8 {
			r[8*a+b] = tail(r[8*a+b], qa, c.Data[(c0+b)*dim:(c0+b+1)*dim], n)
		}
	}
}

// growFloats returns b resliced to n floats, reallocated when too small.
func growFloats(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}
