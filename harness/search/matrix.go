// Package search is the exact (brute-force) top-k retrieval of the harness.
//
// The mental model: every embedding is L2-normalised once, in float32, into a
// row-major Matrix; cosine similarity is then a dot product. Search walks the
// query matrix in blocks of rows and the corpus in chunks of rows, scores each
// (query block x corpus chunk) tile with a register-tiled float32 dot kernel,
// and offers every score to a bounded heap per query that keeps the best k.
// Memory is O(queries x k + block x chunk): the full score matrix never exists.
//
// Ranking order is the one every metric uses (docs/evaluation.md, "Ranking"): score
// descending, then document id descending compared byte-wise. The caller
// passes, for each corpus row, the ordinal of its id in byte-wise sorted
// order (see TieOrder), so the hot loop compares integers, never strings.
package search

import (
	"fmt"
	"math"
)

// Matrix is a row-major block of Rows vectors of dimension Dim.
type Matrix struct {
	Rows, Dim int
	Data      []float32 // len Rows*Dim
}

// Row returns row i (aliasing Data).
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.Dim : (i+1)*m.Dim : (i+1)*m.Dim] }

// Normalized copies vecs into a Matrix, L2-normalising each row in float32
// (the norm is accumulated in float64 for stability). A vector of the wrong
// dimension, with a NaN or Inf component, or with a zero norm is an error
// naming ids[i], the text it came from.
func Normalized(ids []string, vecs [][]float32, dim int) (Matrix, error) {
	if len(ids) != len(vecs) {
		return Matrix{}, fmt.Errorf("search: %d ids for %d vectors", len(ids), len(vecs))
	}
	if dim <= 0 {
		return Matrix{}, fmt.Errorf("search: dimension %d, want > 0", dim)
	}
	m := Matrix{Rows: len(vecs), Dim: dim, Data: make([]float32, len(vecs)*dim)}
	for i, v := range vecs {
		if err := normalizeInto(m.Data[i*dim:(i+1)*dim], v); err != nil {
			return Matrix{}, fmt.Errorf("search: embedding of %q: %w", ids[i], err)
		}
	}
	return m, nil
}

// ErrBadVector is wrapped by the errors of Normalized and Check.
var ErrBadVector = fmt.Errorf("invalid embedding")

// Check reports whether v is a usable embedding of dimension dim.
func Check(v []float32, dim int) error {
	if len(v) != dim {
		return fmt.Errorf("%w: dimension %d, want %d", ErrBadVector, len(v), dim)
	}
	var ss float64
	for j, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: component %d is %v", ErrBadVector, j, x)
		}
		ss += f * f
	}
	if ss == 0 {
		return fmt.Errorf("%w: zero norm", ErrBadVector)
	}
	if math.IsInf(ss, 0) {
		return fmt.Errorf("%w: norm overflows", ErrBadVector)
	}
	return nil
}

func normalizeInto(dst, v []float32) error {
	if err := Check(v, len(dst)); err != nil {
		return err
	}
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	inv := 1 / math.Sqrt(ss)
	for j, x := range v {
		dst[j] = float32(float64(x) * inv)
	}
	return nil
}
