package metrics

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// Alignment is the cross-lingual alignment of parallel texts (lower is
// better): the mean, over every pair of vectors inside a group (the same
// text in two different languages), of the squared Euclidean distance
// ||f(x_a) - f(x_b)||^2. Vectors are expected L2-normalised, all of one
// dimension. Pairs are pooled over groups, so a group of L languages
// weighs L(L-1)/2 pairs; groups with fewer than two vectors contribute
// nothing. It returns NaN when there is no pair or when two paired vectors
// differ in dimension.
func Alignment(groups [][][]float32) float64 {
	var sum float64
	var n int
	for _, g := range groups {
		for i := 0; i < len(g); i++ {
			for j := i + 1; j < len(g); j++ {
				if len(g[i]) != len(g[j]) {
					return math.NaN()
				}
				sum += float64(sqDist(g[i], g[j]))
				n++
			}
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// Uniformity is log of the mean, over all pairs of distinct vectors, of
// exp(-t ||x - y||^2) (Wang and Isola 2020; the paper uses t = 2; lower is
// better). It is O(n^2 d): the pairs are cut into square tiles of rows so
// both operands stay in cache, and the tiles are shared among all cores.
// It returns NaN for fewer than two vectors or mixed dimensions. For large
// corpora see UniformitySample.
func Uniformity(vecs [][]float32, t float64) float64 {
	n := len(vecs)
	if n < 2 || !sameDim(vecs) {
		return math.NaN()
	}
	const tile = 64
	nt := (n + tile - 1) / tile
	workers := min(runtime.GOMAXPROCS(0), nt)
	partial := make([]float64, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var acc float64
			for {
				bi := int(next.Add(1) - 1)
				if bi >= nt {
					break
				}
				i0, i1 := bi*tile, min((bi+1)*tile, n)
				for bj := bi; bj < nt; bj++ {
					j0, j1 := bj*tile, min((bj+1)*tile, n)
					var tsum float64
					for i := i0; i < i1; i++ {
						x := vecs[i]
						for j := max(j0, i+1); j < j1; j++ {
							tsum += math.Exp(-t * float64(sqDist(x, vecs[j])))
						}
					}
					acc += tsum
				}
			}
			partial[w] = acc
		}()
	}
	wg.Wait()
	var sum float64
	for _, p := range partial {
		sum += p
	}
	pairs := float64(n) * float64(n-1) / 2
	return math.Log(sum / pairs)
}

// UniformitySample estimates Uniformity from maxPairs pairs of distinct
// vectors drawn uniformly with replacement by a PCG generator seeded with
// seed, so the estimate is reproducible. When the corpus has no more than
// maxPairs distinct pairs it computes Uniformity exactly.
func UniformitySample(vecs [][]float32, t float64, maxPairs int, seed uint64) float64 {
	if !sameDim(vecs) {
		return math.NaN()
	}
	return UniformitySampleAt(len(vecs), func(i int) []float32 { return vecs[i] }, t, maxPairs, seed)
}

// UniformitySampleAt is UniformitySample over n vectors of one dimension
// given by at(i), for a corpus not held in memory: the same pairs, the same
// value. The slices at returns must stay valid (two are used at once, and
// all n when the value is exact).
func UniformitySampleAt(n int, at func(i int) []float32, t float64, maxPairs int, seed uint64) float64 {
	if n < 2 || maxPairs <= 0 {
		return math.NaN()
	}
	if float64(n)*float64(n-1)/2 <= float64(maxPairs) {
		vecs := make([][]float32, n)
		for i := range vecs {
			vecs[i] = at(i)
		}
		return Uniformity(vecs, t)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var sum float64
	for range maxPairs {
		i := r.IntN(n)
		j := r.IntN(n - 1)
		if j >= i {
			j++
		}
		sum += math.Exp(-t * float64(sqDist(at(i), at(j))))
	}
	return math.Log(sum / float64(maxPairs))
}

func sameDim(vecs [][]float32) bool {
	for _, v := range vecs {
		if len(v) != len(vecs[0]) {
			return false
		}
	}
	return true
}

// sqDist is ||x - y||^2 with four float32 accumulators; len(y) >= len(x).
func sqDist(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0 := x[i] - y[i]
		d1 := x[i+1] - y[i+1]
		d2 := x[i+2] - y[i+2]
		d3 := x[i+3] - y[i+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := x[i] - y[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}
