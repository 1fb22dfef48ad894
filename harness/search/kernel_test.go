package search

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kernelSet is one way of scoring tiles: a tile scorer and the pair
// kernels it and Dot use.
type kernelSet struct {
	name   string
	tiler  func() tiler
	lanes1 func(a, b []float32, n int) float32
	lanes2 func(out *[8]float32, q []float32, ldq int, d []float32, ldd int, n int)
}

// availableKernels lists the portable Go kernel and every assembly one
// this CPU runs, the one in use last.
func availableKernels() []kernelSet {
	ks := []kernelSet{{"go", func() tiler { return &tiler4x2{} }, lanes1Go, lanes4x2Go}}
	if kernelName != "go" {
		ks = append(ks, kernelSet{"avx2", func() tiler { return &tiler4x2{} }, lanes1, lanes4x2})
	}
	if kernelName == "avx512" {
		ks = append(ks, kernelSet{"avx512", func() tiler { return &tiler4x8{} }, lanes1, lanes4x2})
	}
	return ks
}

// useKernel makes k the kernel in use until the test ends.
func useKernel(t testing.TB, k kernelSet) {
	t.Helper()
	nt, l1, l2 := newTiler, lanes1, lanes4x2
	newTiler, lanes1, lanes4x2 = k.tiler, k.lanes1, k.lanes2
	t.Cleanup(func() { newTiler, lanes1, lanes4x2 = nt, l1, l2 })
}

// TestTileScorersAgree: every tile scorer this CPU runs gives, bit for
// bit, refDot's score for every (query, document) of tiles of ragged
// shapes and offsets, and writes nothing outside the tile.
func TestTileScorersAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, k := range availableKernels() {
		t.Run(k.name, func(t *testing.T) {
			useKernel(t, k)
			for _, dim := range []int{1, 7, 8, 9, 16, 17, 100, 384, 385} {
				for _, shape := range [][2]int{{1, 1}, {3, 7}, {4, 8}, {5, 9}, {8, 16}, {13, 37}, {64, 40}} {
					nq, nc := shape[0], shape[1]
					q := mustMatrix(t, "q", vectors(r, nq+3, dim, 0), dim)
					c := mustMatrix(t, "d", vectors(r, nc+5, dim, 0), dim)
					ldo := nc + 2
					out := make([]float32, nq*ldo)
					for i := range out {
						out[i] = float32(math.NaN())
					}
					tl := newTiler()
					tl.setQueries(q, 2, nq)
					tl.score(out, ldo, c, 3, nc)
					for i := range nq {
						for j := range ldo {
							got := out[i*ldo+j]
							if j >= nc {
								if !math.IsNaN(float64(got)) {
									t.Fatalf("dim %d, %dx%d: wrote out[%d][%d] outside the tile", dim, nq, nc, i, j)
								}
								continue
							}
							want := refDot(q.Row(2+i), c.Row(3+j))
							if math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("dim %d, %dx%d: score(q%d, d%d) = %v, refDot = %v", dim, nq, nc, i, j, got, want)
							}
						}
					}
				}
			}
		})
	}
}

// TestSearchBitIdentical: Search returns the same hits with the same
// score bits for every kernel this CPU runs, every number of workers,
// query block and chunk (so for any split of the work between threads),
// and those hits are the brute-force ranking by refDot.
func TestSearchBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const nq, nc, dim, k = 37, 1500, 72, 50
	ids := randomIDs(r, nc)
	q := mustMatrix(t, "q", vectors(r, nq, dim, 0), dim)
	c := mustMatrix(t, "d", vectors(r, nc, dim, 300), dim) // repeated vectors: ties
	order := TieOrder(ids)
	want := scoreBits(bruteForce(q, c, ids, k))
	for _, kern := range availableKernels() {
		for _, workers := range []int{1, 2, 3, 8} {
			for _, blockChunk := range [][2]int{{0, 0}, {5, 24}, {64, 256}, {1, 8}} {
				name := fmt.Sprintf("%s/workers=%d/block=%d/chunk=%d", kern.name, workers, blockChunk[0], blockChunk[1])
				t.Run(name, func(t *testing.T) {
					useKernel(t, kern)
					got, err := Search(context.Background(), q, c, order, Options{K: k, Workers: workers, QueryBlock: blockChunk[0], Chunk: blockChunk[1]})
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, scoreBits(got)); diff != "" {
						t.Errorf("hits differ from the brute-force ranking (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
}

// hitBits is a hit with its score's bit pattern, compared exactly.
type hitBits struct {
	Doc   int32
	Score uint32
}

func scoreBits(hits [][]Hit) [][]hitBits {
	out := make([][]hitBits, len(hits))
	for i, hs := range hits {
		for _, h := range hs {
			out[i] = append(out[i], hitBits{h.Doc, math.Float32bits(h.Score)})
		}
	}
	return out
}
