package search

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rawBlocks serves raw (unnormalised) vectors in blocks, as the embedding
// cache's Rows do (the tests wrap it in NormalizedRows); reads counts the
// calls and failAt makes the read of that row fail.
type rawBlocks struct {
	ids    []string
	vecs   [][]float32
	dim    int
	reads  int
	failAt int
}

func (b *rawBlocks) Len() int { return len(b.vecs) }
func (b *rawBlocks) Dim() int { return b.dim }
func (b *rawBlocks) Read(start int, dst []float32) error {
	b.reads++
	n := len(dst) / b.dim
	if b.failAt >= start && b.failAt < start+n {
		return errors.New("disk on fire")
	}
	for i := range n {
		copy(dst[i*b.dim:(i+1)*b.dim], b.vecs[start+i])
	}
	return nil
}

func TestSearchStreamEqualsSearch(t *testing.T) {
	const dim = 19 // not a multiple of 8: the kernels' tail is used too
	for _, tc := range []struct {
		name             string
		nq, nc, distinct int
		k                int
	}{
		{"distinct", 37, 1000, 0, 50},
		// 40 distinct vectors over 1000 documents: scores tie everywhere,
		// the id order decides.
		{"ties", 37, 1000, 40, 100},
		{"k above corpus", 5, 30, 7, 1000},
		{"one query", 1, 700, 0, 10},
	} {
		r := rand.New(rand.NewPCG(7, uint64(tc.nc)))
		qv := vectors(r, tc.nq, dim, 0)
		dv := vectors(r, tc.nc, dim, tc.distinct)
		ids := randomIDs(r, tc.nc)
		q := mustMatrix(t, "q", qv, dim)
		c, err := Normalized(ids, dv, dim)
		if err != nil {
			t.Fatal(err)
		}
		order := TieOrder(ids)
		want, err := Search(context.Background(), q, c, order, Options{K: tc.k})
		if err != nil {
			t.Fatal(err)
		}
		for _, bs := range []int{1, 7, 256, tc.nc, 5000} {
			for _, workers := range []int{1, 3, 8} {
				t.Run(fmt.Sprintf("%s/block=%d/workers=%d", tc.name, bs, workers), func(t *testing.T) {
					src := &rawBlocks{ids: ids, vecs: dv, dim: dim, failAt: -1}
					got, err := SearchStream(context.Background(), q, NormalizedRows(src, ids), order,
						StreamOptions{Options: Options{K: tc.k, Workers: workers, Chunk: 16}, BlockRows: bs})
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("streamed hits differ from Search (-want +got):\n%s", diff)
					}
					if wantReads := (tc.nc + bs - 1) / bs; src.reads != wantReads {
						t.Errorf("%d block reads, want %d (the corpus read once)", src.reads, wantReads)
					}
				})
			}
		}
	}
}

func TestSearchStreamErrors(t *testing.T) {
	const dim = 8
	r := rand.New(rand.NewPCG(1, 1))
	dv := vectors(r, 100, dim, 0)
	ids := randomIDs(r, 100)
	q := mustMatrix(t, "q", vectors(r, 3, dim, 0), dim)
	order := TieOrder(ids)

	t.Run("read error names the rows", func(t *testing.T) {
		src := &rawBlocks{ids: ids, vecs: dv, dim: dim, failAt: 45}
		_, err := SearchStream(context.Background(), q, NormalizedRows(src, ids), order, StreamOptions{BlockRows: 20})
		if err == nil || err.Error() != "search: corpus rows 40-59: disk on fire" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad vector names its id", func(t *testing.T) {
		bad := append([][]float32(nil), dv...)
		bad[77] = make([]float32, dim)
		src := &rawBlocks{ids: ids, vecs: bad, dim: dim, failAt: -1}
		_, err := SearchStream(context.Background(), q, NormalizedRows(src, ids), order, StreamOptions{BlockRows: 10})
		if !errors.Is(err, ErrBadVector) || !strings.Contains(err.Error(), fmt.Sprintf("%q", ids[77])) {
			t.Fatalf("err = %v, want ErrBadVector naming %q", err, ids[77])
		}
	})
	t.Run("ordinals must match the corpus", func(t *testing.T) {
		src := &rawBlocks{ids: ids, vecs: dv, dim: dim, failAt: -1}
		if _, err := SearchStream(context.Background(), q, NormalizedRows(src, ids), order[:99], StreamOptions{}); err == nil {
			t.Fatal("no error for 99 ordinals and 100 rows")
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		src := &rawBlocks{ids: ids, vecs: dv, dim: dim, failAt: -1}
		if _, err := SearchStream(ctx, q, NormalizedRows(src, ids), order, StreamOptions{BlockRows: 10}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}
