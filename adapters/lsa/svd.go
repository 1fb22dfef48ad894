package lsa

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// SVDOptions controls RandomizedSVD.
type SVDOptions struct {
	K          int    // singular triplets wanted
	Oversample int    // extra random directions (Halko et al. suggest 5-10)
	PowerIters int    // subspace iterations; each sharpens the spectrum's decay
	Seed       uint64 // seeds the Gaussian test matrix
}

// SVD is a truncated singular value decomposition A ≈ U diag(S) Vᵀ with
// U rows×K, V cols×K, both with orthonormal columns, S descending.
type SVD struct {
	U, V *mat.Dense
	S    []float64
}

// RandomizedSVD computes the top o.K singular triplets of the sparse a with
// the randomized range finder of Halko, Martinsson & Tropp (2011),
// Algorithms 4.4 (randomized subspace iteration) and 5.1:
//
//	Ω ~ N(0,1)^{cols×l}, l = K + Oversample (at most min(rows, cols))
//	Q = orth(A Ω); repeat PowerIters times: Q = orth(A orth(Aᵀ Q))
//	Aᵀ Q = Q_z R (thin QR), R = U_r Σ V_rᵀ (small dense SVD)
//	then A ≈ Q Qᵀ A = (Q V_r) Σ (Q_z U_r)ᵀ
//
// Working from Aᵀ Q's QR rather than the Gram matrix keeps the accuracy of
// the small singular values (no squaring of the condition number). Every
// step is deterministic given Seed (sparse products sum each output row in
// a fixed order), and each singular pair's sign is fixed so that V's
// largest-magnitude entry in each column is positive.
func RandomizedSVD(ctx context.Context, a *CSR, o SVDOptions) (*SVD, error) {
	lim := min(a.Rows, a.ColsN)
	switch {
	case o.K < 1:
		return nil, fmt.Errorf("randomized svd: K = %d, want ≥ 1", o.K)
	case o.K > lim:
		return nil, fmt.Errorf("randomized svd: K = %d exceeds min(rows, cols) = %d of a %d×%d matrix", o.K, lim, a.Rows, a.ColsN)
	case o.Oversample < 0 || o.PowerIters < 0:
		return nil, fmt.Errorf("randomized svd: oversample %d and power iterations %d must be ≥ 0", o.Oversample, o.PowerIters)
	}
	l := min(o.K+o.Oversample, lim)
	at := a.T()

	rng := rand.New(rand.NewPCG(o.Seed, 0x6c73615f73766431)) // "lsa_svd1"
	omega := mat.NewDense(a.ColsN, l, nil)
	raw := omega.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}

	var q, z mat.Dense
	if err := a.MulDense(ctx, &q, omega); err != nil {
		return nil, err
	}
	if err := orthonormalize(&q); err != nil {
		return nil, fmt.Errorf("randomized svd: range of A Ω: %w", err)
	}
	for it := range o.PowerIters {
		if err := at.MulDense(ctx, &z, &q); err != nil {
			return nil, err
		}
		if err := orthonormalize(&z); err != nil {
			return nil, fmt.Errorf("randomized svd: power iteration %d (Aᵀ Q): %w", it+1, err)
		}
		if err := a.MulDense(ctx, &q, &z); err != nil {
			return nil, err
		}
		if err := orthonormalize(&q); err != nil {
			return nil, fmt.Errorf("randomized svd: power iteration %d (A Z): %w", it+1, err)
		}
	}
	if err := at.MulDense(ctx, &z, &q); err != nil {
		return nil, err
	}
	// z = Aᵀ Q = Q_z R.
	r, err := orthonormalizeR(&z)
	if err != nil {
		return nil, fmt.Errorf("randomized svd: Aᵀ Q: %w", err)
	}
	var small mat.SVD
	if !small.Factorize(r, mat.SVDThin) {
		return nil, errors.New("randomized svd: small dense SVD did not converge")
	}
	var ur, vr mat.Dense
	small.UTo(&ur)
	small.VTo(&vr)
	s := small.Values(nil)

	var u, v mat.Dense
	v.Mul(&z, ur.Slice(0, l, 0, o.K))
	u.Mul(&q, vr.Slice(0, l, 0, o.K))
	fixSigns(&u, &v)
	return &SVD{U: &u, V: &v, S: s[:o.K]}, nil
}

// orthonormalize replaces the tall a (m×n, m ≥ n) by the Q of its thin QR
// factorisation (Householder, LAPACK dgeqrf + dorgqr).
func orthonormalize(a *mat.Dense) error {
	_, err := orthonormalizeR(a)
	return err
}

// orthonormalizeR is orthonormalize that also returns the n×n R, a = Q R.
func orthonormalizeR(a *mat.Dense) (*mat.Dense, error) {
	m, n := a.Dims()
	if m < n {
		return nil, fmt.Errorf("orthonormalize: %d×%d is wider than tall", m, n)
	}
	g := a.RawMatrix()
	tau := make([]float64, n)
	work := []float64{0}
	lapack64.Geqrf(g, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(g, tau, work, len(work))
	r := mat.NewDense(n, n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			r.Set(i, j, g.Data[i*g.Stride+j])
		}
	}
	lapack64.Orgqr(g, tau, work[:1], -1)
	if need := int(work[0]); need > len(work) {
		work = make([]float64, need)
	}
	lapack64.Orgqr(g, tau, work, len(work))
	for _, x := range g.Data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.New("orthonormalize: non-finite value")
		}
	}
	return r, nil
}

// fixSigns flips each column pair (u_i, v_i) so that v_i's largest-magnitude
// entry is positive, which makes the factorisation unique up to ties.
func fixSigns(u, v *mat.Dense) {
	rows, k := v.Dims()
	ur, _ := u.Dims()
	for j := range k {
		best, at := 0.0, 0
		for i := range rows {
			if x := math.Abs(v.At(i, j)); x > best {
				best, at = x, i
			}
		}
		if v.At(at, j) < 0 {
			for i := range rows {
				v.Set(i, j, -v.At(i, j))
			}
			for i := range ur {
				u.Set(i, j, -u.At(i, j))
			}
		}
	}
}
