// Command benchsearch times harness/search on random normalised matrices and
// writes the same matrices as .npy files, so scripts/bench_search_numpy.py
// can time numpy's exact top-k on identical input (scripts/bench-search.sh
// runs both and prints the throughput ratio).
//
//	go run ./internal/cmd/benchsearch -nq 1000 -nc 100000 -dim 384 -k 1000 -out /tmp/bench
//
// It prints one line "go_seconds=<best of -repeat runs>" on stdout.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/mimo-mlir/mimo/harness/search"
)

func main() {
	nq := flag.Int("nq", 1000, "queries")
	nc := flag.Int("nc", 100000, "corpus rows")
	dim := flag.Int("dim", 384, "dimension")
	k := flag.Int("k", 1000, "depth")
	out := flag.String("out", "", "folder for q.npy and c.npy (empty: do not write)")
	repeat := flag.Int("repeat", 3, "timed runs (the best is reported)")
	seed := flag.Uint64("seed", 42, "random seed")
	flag.Parse()
	if err := run(*nq, *nc, *dim, *k, *out, *repeat, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "benchsearch:", err)
		os.Exit(1)
	}
}

func run(nq, nc, dim, k int, out string, repeat int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	q := randomMatrix(r, nq, dim)
	c := randomMatrix(r, nc, dim)
	ids := make([]string, nc)
	for i := range ids {
		ids[i] = fmt.Sprintf("doc%d", i)
	}
	order := search.TieOrder(ids)
	if out != "" {
		if err := writeNPY(filepath.Join(out, "q.npy"), q); err != nil {
			return err
		}
		if err := writeNPY(filepath.Join(out, "c.npy"), c); err != nil {
			return err
		}
	}
	best := math.Inf(1)
	for range max(repeat, 1) {
		start := time.Now()
		if _, err := search.Search(context.Background(), q, c, order, search.Options{K: k}); err != nil {
			return err
		}
		best = min(best, time.Since(start).Seconds())
	}
	fmt.Printf("go_seconds=%.4f\n", best)
	return nil
}

// randomMatrix returns n Gaussian rows, L2-normalised.
func randomMatrix(r *rand.Rand, n, dim int) search.Matrix {
	m := search.Matrix{Rows: n, Dim: dim, Data: make([]float32, n*dim)}
	for i := range n {
		row := m.Row(i)
		var ss float64
		for j := range row {
			x := r.NormFloat64()
			row[j] = float32(x)
			ss += x * x
		}
		inv := 1 / math.Sqrt(ss)
		for j := range row {
			row[j] = float32(float64(row[j]) * inv)
		}
	}
	return m
}

// writeNPY writes m as a little-endian float32 C-order .npy (format 1.0).
func writeNPY(path string, m search.Matrix) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", m.Rows, m.Dim)
	// magic(6) + version(2) + len(2) + header + padding + '\n' divisible by 64
	total := 10 + len(header) + 1
	pad := (64 - total%64) % 64
	for range pad {
		header += " "
	}
	header += "\n"
	w.WriteString("\x93NUMPY\x01\x00")
	if err := binary.Write(w, binary.LittleEndian, uint16(len(header))); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	w.WriteString(header)
	buf := make([]byte, 4)
	for _, x := range m.Data {
		binary.LittleEndian.PutUint32(buf, math.Float32bits(x))
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
