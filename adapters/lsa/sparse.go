package lsa

import (
	"context"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// CSR is a sparse matrix in compressed sparse row form: the entries of row i
// are Cols[RowPtr[i]:RowPtr[i+1]] (ascending) with values Vals[...]. Values
// are float32 (the fit corpus can hold tens of millions of entries);
// products accumulate in float64.
type CSR struct {
	Rows, ColsN int
	RowPtr      []int64
	Cols        []int32
	Vals        []float32
}

// NewCSR builds a CSR from a dense matrix, keeping its non-zeros (for tests
// and small inputs).
func NewCSR(a mat.Matrix) *CSR {
	r, c := a.Dims()
	m := &CSR{Rows: r, ColsN: c, RowPtr: make([]int64, r+1)}
	for i := range r {
		for j := range c {
			if v := a.At(i, j); v != 0 {
				m.Cols = append(m.Cols, int32(j))
				m.Vals = append(m.Vals, float32(v))
			}
		}
		m.RowPtr[i+1] = int64(len(m.Cols))
	}
	return m
}

// NNZ is the number of stored entries.
func (m *CSR) NNZ() int { return len(m.Cols) }

// T returns the transpose, also in CSR form (i.e. m in CSC form).
func (m *CSR) T() *CSR {
	t := &CSR{Rows: m.ColsN, ColsN: m.Rows, RowPtr: make([]int64, m.ColsN+1),
		Cols: make([]int32, len(m.Cols)), Vals: make([]float32, len(m.Vals))}
	for _, c := range m.Cols {
		t.RowPtr[c+1]++
	}
	for i := range m.ColsN {
		t.RowPtr[i+1] += t.RowPtr[i]
	}
	next := append([]int64(nil), t.RowPtr[:m.ColsN]...)
	for i := range m.Rows {
		for k := m.RowPtr[i]; k < m.RowPtr[i+1]; k++ {
			c := m.Cols[k]
			t.Cols[next[c]] = int32(i)
			t.Vals[next[c]] = m.Vals[k]
			next[c]++
		}
	}
	return t
}

// MulDense sets dst = m · b, where b is m.ColsN × l and dst is m.Rows × l.
// Rows of dst are split among goroutines; each row is summed in a fixed
// order, so the result does not depend on the number of goroutines.
func (m *CSR) MulDense(ctx context.Context, dst, b *mat.Dense) error {
	br, l := b.Dims()
	if br != m.ColsN {
		panic("lsa: CSR.MulDense shape mismatch")
	}
	if r, c := dst.Dims(); !dst.IsEmpty() && (r != m.Rows || c != l) {
		dst.Reset()
	}
	if dst.IsEmpty() {
		dst.ReuseAs(m.Rows, l)
	}
	bRaw, dRaw := b.RawMatrix(), dst.RawMatrix()
	return parallelRows(ctx, m.Rows, func(i int) {
		out := dRaw.Data[i*dRaw.Stride : i*dRaw.Stride+l]
		clear(out)
		for k := m.RowPtr[i]; k < m.RowPtr[i+1]; k++ {
			v := float64(m.Vals[k])
			src := bRaw.Data[int(m.Cols[k])*bRaw.Stride : int(m.Cols[k])*bRaw.Stride+l]
			for j, x := range src {
				out[j] += v * x
			}
		}
	})
}

// parallelRows runs f(i) for i in [0, n) on all cores, in chunks, and stops
// early (returning ctx.Err()) when ctx is cancelled.
func parallelRows(ctx context.Context, n int, f func(i int)) error {
	const chunk = 256
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					f(i)
				}
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
