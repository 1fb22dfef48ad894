// Command benchstream measures the search of a corpus larger than memory
// (mimo-eval --search-block, issue 16): it writes a synthetic corpus into a
// real embedding cache log (harness/cache, the format mimo-eval reads), then
// searches it with random queries either streamed from the cache in blocks
// (search.SearchStream) or loaded whole into memory first (search.Search),
// as mimo-eval does with and without --search-block.
//
//	go run ./internal/cmd/benchstream gen -dir /tmp/c -n 5000000 -dim 768
//	go run ./internal/cmd/benchstream search -dir /tmp/c -n 5000000 -dim 768 -mode stream
//
// scripts/stream-search-bench.sh runs both under /usr/bin/time -v. search
// prints one line of key=value pairs: the phases' seconds and a digest of
// every hit (document and score bits), equal between the modes when their
// results are bit-identical.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"time"

	"github.com/mimo-mlir/mimo/harness/cache"
	"github.com/mimo-mlir/mimo/harness/search"
)

// key is the log the synthetic corpus lives in.
var key = cache.Key{Model: "benchstream-synthetic", Role: "document", Prompt: ""}

func main() {
	if len(os.Args) < 2 || os.Args[1] != "gen" && os.Args[1] != "search" {
		fmt.Fprintln(os.Stderr, "usage: benchstream gen|search [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", "", "embedding cache folder")
	n := fs.Int("n", 1000000, "corpus rows")
	dim := fs.Int("dim", 768, "dimension")
	dtype := fs.String("dtype", "", `storage dtype: "" (float32) or f16`)
	nq := fs.Int("queries", 1000, "queries (search)")
	k := fs.Int("k", 1000, "depth (search)")
	mode := fs.String("mode", "stream", "stream (blocks from the cache) or memory (the whole corpus loaded first)")
	block := fs.Int("block", search.DefaultBlockRows, "rows per block (stream)")
	seed := fs.Uint64("seed", 42, "random seed")
	_ = fs.Parse(os.Args[2:])
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "benchstream: -dir is required")
		os.Exit(2)
	}
	key.Dtype = *dtype
	var err error
	if os.Args[1] == "gen" {
		err = gen(*dir, *n, *dim, *seed)
	} else {
		err = searchCorpus(*dir, *n, *dim, *nq, *k, *mode, *block, *seed)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchstream:", err)
		os.Exit(1)
	}
}

// text is the synthetic text (and id) of row i.
func text(i int) string { return fmt.Sprintf("doc-%09d", i) }

// fill writes uniform values in [-1, 1) into v, four per random word.
func fill(r *rand.Rand, v []float32) {
	for j := 0; j < len(v); j += 4 {
		u := r.Uint64()
		for l := 0; l < 4 && j+l < len(v); l++ {
			v[j+l] = float32(int16(u>>(16*l)))/32768 + 1.0/65536
		}
	}
}

// gen appends n random vectors to the cache log, 4096 per write.
func gen(dir string, n, dim int, seed uint64) error {
	c, err := cache.Open(dir)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 1))
	const batch = 4096
	texts := make([]string, 0, batch)
	vecs := make([][]float32, batch)
	for i := range vecs {
		vecs[i] = make([]float32, dim)
	}
	start := time.Now()
	for s := 0; s < n; s += batch {
		texts = texts[:0]
		for i := s; i < min(s+batch, n); i++ {
			texts = append(texts, text(i))
			fill(r, vecs[i-s])
		}
		if err := c.Put(key, texts, vecs[:len(texts)]); err != nil {
			return err
		}
	}
	if err := c.Close(); err != nil {
		return err
	}
	fmt.Printf("gen rows=%d dim=%d dtype=%q seconds=%.1f\n", n, dim, key.Dtype, time.Since(start).Seconds())
	return nil
}

func searchCorpus(dir string, n, dim, nq, k int, mode string, block int, seed uint64) error {
	t0 := time.Now()
	c, err := cache.Open(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	texts := make([]string, n)
	for i := range texts {
		texts[i] = text(i)
	}
	rows, err := c.Rows(key, texts) // opens (scans) the log and locates every row
	if err != nil {
		return err
	}
	if rows.Dim() != dim {
		return fmt.Errorf("the cache holds dimension %d, not %d", rows.Dim(), dim)
	}
	order := search.TieOrder(texts)
	r := rand.New(rand.NewPCG(seed, 2))
	qv := make([][]float32, nq)
	qids := make([]string, nq)
	for i := range qv {
		qv[i] = make([]float32, dim)
		fill(r, qv[i])
		qids[i] = fmt.Sprintf("q%d", i)
	}
	q, err := search.Normalized(qids, qv, dim)
	if err != nil {
		return err
	}
	tOpen := time.Since(t0)
	t1 := time.Now()
	var hits [][]search.Hit
	var tLoad time.Duration
	opts := search.Options{K: k, Workers: runtime.GOMAXPROCS(0)}
	switch mode {
	case "stream":
		hits, err = search.SearchStream(context.Background(), q, search.NormalizedRows(rows, texts), order,
			search.StreamOptions{Options: opts, BlockRows: block})
	case "memory":
		m := search.Matrix{Rows: n, Dim: dim, Data: make([]float32, n*dim)}
		for s := 0; s < n && err == nil; s += block {
			dst := m.Data[s*dim : min(s+block, n)*dim]
			if err = rows.Read(s, dst); err == nil {
				err = search.NormalizeRows(texts, s, dst, dim)
			}
		}
		tLoad = time.Since(t1)
		if err == nil {
			hits, err = search.Search(context.Background(), q, m, order, opts)
		}
	default:
		return fmt.Errorf("mode %q: want stream or memory", mode)
	}
	if err != nil {
		return err
	}
	// total_s: reading the corpus from the cache and searching it (load_s
	// is the memory mode's reading alone; stream mode reads as it searches).
	fmt.Printf("mode=%s rows=%d dim=%d queries=%d k=%d block=%d workers=%d open_s=%.1f load_s=%.1f search_s=%.1f total_s=%.1f hits_sha256=%s\n",
		mode, n, dim, nq, k, block, opts.Workers, tOpen.Seconds(), tLoad.Seconds(), (time.Since(t1) - tLoad).Seconds(), time.Since(t1).Seconds(), digest(hits))
	return nil
}

// digest is the sha256 of every hit's document and score bits, in order.
func digest(hits [][]search.Hit) string {
	h := sha256.New()
	var b [8]byte
	for _, hs := range hits {
		for _, x := range hs {
			binary.LittleEndian.PutUint32(b[:4], uint32(x.Doc))
			binary.LittleEndian.PutUint32(b[4:], math.Float32bits(x.Score))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
