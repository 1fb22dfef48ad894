package losses

import "math"

// The functions below are the direct, unvectorised float64 statements of the
// losses above. They exist so tests can hold the graph versions to the
// formulas (values and, by finite differences, gradients) and so callers can
// check a batch by hand. Matrices are [row][col].

func refNorm(x []float64) []float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	n := math.Max(math.Sqrt(s), normEps)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v / n
	}
	return out
}

func refDot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// RefCosine is cos(a, b).
func RefCosine(a, b []float64) float64 { return refDot(refNorm(a), refNorm(b)) }

func refLogSoftmaxRow(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	lse := m + math.Log(s)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v - lse
	}
	return out
}

func refSim(q, p [][]float64, cosine bool) [][]float64 {
	out := make([][]float64, len(q))
	for i := range q {
		out[i] = make([]float64, len(p))
		for j := range p {
			if cosine {
				out[i][j] = RefCosine(q[i], p[j])
			} else {
				out[i][j] = refDot(q[i], p[j])
			}
		}
	}
	return out
}

// RefInfoNCE is mean_i -log( exp(scale cos(q_i,p_i)) / sum_j exp(scale cos(q_i,p_j)) ).
func RefInfoNCE(q, p [][]float64, scale float64) float64 {
	s := refSim(q, p, true)
	var l float64
	for i := range s {
		row := make([]float64, len(s[i]))
		for j := range row {
			row[j] = scale * s[i][j]
		}
		l -= refLogSoftmaxRow(row)[i]
	}
	return l / float64(len(q))
}

// RefKL is (1/rows) sum_i sum_j P_ij log(P_ij / Q_ij) with P, Q given as
// row-wise softmax of the logits lp, lq.
func RefKL(lp, lq [][]float64) float64 {
	var s float64
	for i := range lp {
		a, b := refLogSoftmaxRow(lp[i]), refLogSoftmaxRow(lq[i])
		for j := range a {
			s += math.Exp(a[j]) * (a[j] - b[j])
		}
	}
	return s / float64(len(lp))
}

// RefLaKDA returns (total, infoNCE, kl) as LaKDA defines them.
func RefLaKDA(qa, qb, p [][]float64, o LaKDAOptions) (total, infoNCE, kl float64) {
	infoNCE = RefInfoNCE(qa, p, o.Scale)
	switch o.Mode {
	case KLOriginal:
		kl = RefKL(refSim(qa, p, false), refSim(qb, p, false))
		total = infoNCE
		if kl >= o.Threshold {
			total += kl
		}
		return
	case KLOneSided:
		kl = RefKL(refSim(qb, p, true), refSim(qa, p, true))
	default:
		sa, sb := refSim(qa, p, true), refSim(qb, p, true)
		kl = 0.5 * (RefKL(sa, sb) + RefKL(sb, sa))
	}
	return (1-o.Alpha)*infoNCE + o.Alpha*kl, infoNCE, kl
}

// RefPsi is z W + b for one row z, with W given as [in][out].
func RefPsi(z []float64, w [][]float64, b []float64) []float64 {
	out := make([]float64, len(b))
	for o := range b {
		s := b[o]
		for i := range z {
			s += z[i] * w[i][o]
		}
		out[o] = s
	}
	return out
}

// RefDistill is mean_i [1 - cos(s_i, t_i)].
func RefDistill(s, t [][]float64) float64 {
	var l float64
	for i := range s {
		l += 1 - RefCosine(s[i], t[i])
	}
	return l / float64(len(s))
}

// RefStage1 is mean_i [1 - cos(psi(z_i), t_i)].
func RefStage1(z [][]float64, w [][]float64, b []float64, t [][]float64) float64 {
	ps := make([][]float64, len(z))
	for i := range z {
		ps[i] = RefPsi(z[i], w, b)
	}
	return RefDistill(ps, t)
}

// RefStage2 returns (total, xlco, distill) for MIMO stage 2.
func RefStage2(q, p [][]float64, w [][]float64, b []float64, tq, tp [][]float64, o Stage2Options) (total, xlco, distill float64) {
	xlco = RefInfoNCE(q, p, o.Scale)
	distill = RefStage1(q, w, b, tq) + RefStage1(p, w, b, tp)
	if o.Bracket == BracketHalf {
		distill *= 0.5
	}
	return o.Lambda*xlco + (1-o.Lambda)*distill, xlco, distill
}
