package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchData builds nq x dim queries and nc x dim documents, normalised, from
// a fixed seed.
func benchData(b *testing.B, nq, nc, dim int) (Matrix, Matrix, []int32) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	q := mustMatrix(b, "q", vectors(r, nq, dim, 0), dim)
	c := mustMatrix(b, "d", vectors(r, nc, dim, 0), dim)
	return q, c, TieOrder(randomIDs(r, nc))
}

// BenchmarkSearch reports documents scored per second per query
// ("pairs/s"): queries x corpus / time.
//
//	go test ./harness/search -run '^$' -bench 'Search/1kx100k' -benchtime 1x
//
// Each kernel this CPU runs is a sub-benchmark (avx2, avx512).
func BenchmarkSearch(b *testing.B) {
	b.Logf("kernel: %s", kernelName)
	for _, s := range []struct {
		name           string
		nq, nc, dim, k int
	}{
		{"1kx100kx384/k=1k", 1000, 100000, 384, 1000},
		{"1kx100kx384/k=10", 1000, 100000, 384, 10},
		{"256x20kx384/k=1k", 256, 20000, 384, 1000},
		{"256x20kx384/k=10", 256, 20000, 384, 10},
		{"16x20kx768/k=100", 16, 20000, 768, 100},
	} {
		for _, k := range availableKernels() {
			if k.name == "go" && kernelName != "go" {
				continue // a hundred times slower: the assembly kernels are what runs
			}
			b.Run(s.name+"/"+k.name, func(b *testing.B) {
				useKernel(b, k)
				q, c, ord := benchData(b, s.nq, s.nc, s.dim)
				b.ResetTimer()
				for range b.N {
					if _, err := Search(context.Background(), q, c, ord, Options{K: s.k}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(s.nq)*float64(s.nc)*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
				b.ReportMetric(2*float64(s.nq)*float64(s.nc)*float64(s.dim)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkKernel measures the raw dot-product throughput of each tile
// scorer this CPU runs (2 flops per multiply-add), on one thread.
func BenchmarkKernel(b *testing.B) {
	for _, dim := range []int{384, 768} {
		for _, k := range availableKernels() {
			b.Run(fmt.Sprintf("dim=%d/%s", dim, k.name), func(b *testing.B) {
				useKernel(b, k)
				const nq, nc = 64, 256
				q, c, _ := benchData(b, nq, nc, dim)
				buf := make([]float32, nq*nc)
				tl := newTiler()
				tl.setQueries(q, 0, nq)
				b.ResetTimer()
				for range b.N {
					tl.score(buf, nc, c, 0, nc)
				}
				b.ReportMetric(2*float64(nq*nc*dim)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
