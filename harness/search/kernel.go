package search

// scoreTile fills out[i*ldo+j] = dot(q row q0+i, c row c0+j) for i < nq, j < nc.
// It walks the tile in 4x4 micro-tiles (dot4x4), so each loaded query value
// is reused against four documents and each document value against four
// queries; the ragged edges fall back to 1x4 and 1x1 kernels.
func scoreTile(out []float32, ldo int, q Matrix, q0, nq int, c Matrix, c0, nc int) {
	dim := q.Dim
	i := 0
	for ; i+4 <= nq; i += 4 {
		qa := q.Data[(q0+i)*dim : (q0+i+1)*dim]
		qb := q.Data[(q0+i+1)*dim : (q0+i+2)*dim]
		qc := q.Data[(q0+i+2)*dim : (q0+i+3)*dim]
		qd := q.Data[(q0+i+3)*dim : (q0+i+4)*dim]
		j := 0
		for ; j+4 <= nc; j += 4 {
			base := (c0 + j) * dim
			dot4x4(out[i*ldo+j:], ldo, qa, qb, qc, qd, c.Data[base:base+4*dim], dim)
		}
		for ; j < nc; j++ {
			d := c.Data[(c0+j)*dim : (c0+j+1)*dim]
			out[i*ldo+j] = dot(qa, d)
			out[(i+1)*ldo+j] = dot(qb, d)
			out[(i+2)*ldo+j] = dot(qc, d)
			out[(i+3)*ldo+j] = dot(qd, d)
		}
	}
	for ; i < nq; i++ {
		qa := q.Data[(q0+i)*dim : (q0+i+1)*dim]
		j := 0
		for ; j+4 <= nc; j += 4 {
			base := (c0 + j) * dim
			dot1x4(out[i*ldo+j:i*ldo+j+4], qa, c.Data[base:base+4*dim], dim)
		}
		for ; j < nc; j++ {
			out[i*ldo+j] = dot(qa, c.Data[(c0+j)*dim:(c0+j+1)*dim])
		}
	}
}

// Dot returns the float32 dot product of a and b (len(b) >= len(a)),
// accumulated in index order. Every kernel of this file sums each (query,
// document) pair in exactly this order, so a score does not depend on where
// the pair fell in a tile, and Dot reproduces what Search ranked by.
func Dot(a, b []float32) float32 { return dot(a, b) }

func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for k, x := range a {
		s += x * b[k]
	}
	return s
}

// dot1x4 scores one query against four consecutive document rows held in d
// (len 4*dim).
func dot1x4(out []float32, q, d []float32, dim int) {
	q = q[:dim]
	d0 := d[:dim]
	d1 := d[dim : 2*dim]
	d2 := d[2*dim : 3*dim]
	d3 := d[3*dim : 4*dim]
	var s0, s1, s2, s3 float32
	for k, x := range q {
		s0 += x * d0[k]
		s1 += x * d1[k]
		s2 += x * d2[k]
		s3 += x * d3[k]
	}
	out = out[:4]
	out[0], out[1], out[2], out[3] = s0, s1, s2, s3
}

// dot4x4 scores four queries against four consecutive document rows held in
// d (len 4*dim), writing out[i*ldo+j]. Sixteen accumulators live in
// registers; each step loads 8 values and does 16 multiply-adds.
func dot4x4(out []float32, ldo int, qa, qb, qc, qd, d []float32, dim int) {
	qa, qb, qc, qd = qa[:dim], qb[:dim], qc[:dim], qd[:dim]
	d0 := d[:dim]
	d1 := d[dim : 2*dim]
	d2 := d[2*dim : 3*dim]
	d3 := d[3*dim : 4*dim]
	var (
		s00, s01, s02, s03 float32
		s10, s11, s12, s13 float32
		s20, s21, s22, s23 float32
		s30, s31, s32, s33 float32
	)
	for k := range qa {
		a, b, c, e := qa[k], qb[k], qc[k], qd[k]
		x0, x1, x2, x3 := d0[k], d1[k], d2[k], d3[k]
		s00 += a * x0
		s01 += a * x1
		s02 += a * x2
		s03 += a * x3
		s10 += b * x0
		s11 += b * x1
		s12 += b * x2
		s13 += b * x3
		s20 += c * x0
		s21 += c * x1
		s22 += c * x2
		s23 += c * x3
		s30 += e * x0
		s31 += e * x1
		s32 += e * x2
		s33 += e * x3
	}
	r := out[:4]
	r[0], r[1], r[2], r[3] = s00, s01, s02, s03
	r = out[ldo : ldo+4]
	r[0], r[1], r[2], r[3] = s10, s11, s12, s13
	r = out[2*ldo : 2*ldo+4]
	r[0], r[1], r[2], r[3] = s20, s21, s22, s23
	r = out[3*ldo : 3*ldo+4]
	r[0], r[1], r[2], r[3] = s30, s31, s32, s33
}
