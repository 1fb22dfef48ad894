package transformer

import (
	"fmt"
	"testing"
)

// benchIDs is a batch of n sequences of seq tokens (special tokens at the
// ends, in-vocabulary ids inside).
func benchIDs(cfg Config, n, seq int) [][]int64 {
	out := make([][]int64, n)
	for i := range out {
		s := make([]int64, seq)
		s[0], s[seq-1] = 0, 2
		for j := 1; j < seq-1; j++ {
			s[j] = int64(3 + (i*131+j*17)%(cfg.VocabSize-3))
		}
		out[i] = s
	}
	return out
}

// BenchmarkForward is one inference forward pass (pure-Go backend unless
// $GOMLX_BACKEND says otherwise) of a compiled graph: the tiny XLM-R
// (64-d, 2 layers), a MiniLM-sized XLM-R (384-d, 6 layers, 12 heads) and a
// ModernBERT of the same size (mmBERT's layout: global attention every third
// layer, a 128-token window, no biases), for the cost of the rotary and
// GeGLU graph against the post-LN one.
func BenchmarkForward(b *testing.B) {
	backend, err := EnvBackend()
	if err != nil {
		b.Fatal(err)
	}
	defer backend.Finalize()
	tiny := smallConfig(ModelXLMRoberta, PoolingMean)
	tiny.VocabSize, tiny.HiddenSize, tiny.NumHeads, tiny.IntermediateSize, tiny.MaxPositions = 4002, 64, 4, 128, 514
	mini := tiny
	mini.HiddenSize, mini.NumLayers, mini.NumHeads, mini.IntermediateSize = 384, 6, 12, 1536
	modern := Config{
		ModelType: ModelModernBERT, VocabSize: 4002, HiddenSize: 384, NumLayers: 6, NumHeads: 12,
		IntermediateSize: 768, MaxPositions: 512, PadTokenID: 1, LayerNormEps: 1e-5, Pooling: PoolingMean,
		LocalAttention: 128, GlobalEvery: 3, GlobalRopeTheta: 160000, LocalRopeTheta: 160000,
	}
	for _, c := range []struct {
		name     string
		cfg      Config
		batch, n int
	}{
		{"tiny", tiny, 8, 64},
		{"tiny", tiny, 32, 128},
		{"minilm-shaped", mini, 8, 64},
		{"minilm-shaped", mini, 8, 256},
		{"modernbert-minilm-shaped", modern, 8, 64},
		{"modernbert-minilm-shaped", modern, 8, 256},
	} {
		b.Run(fmt.Sprintf("%s/b%d-s%d", c.name, c.batch, c.n), func(b *testing.B) {
			m := randomModel(b, backend, c.cfg, 1)
			ids := benchIDs(c.cfg, c.batch, c.n)
			if _, err := m.Forward(ids, 0); err != nil { // compile outside the timer
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := m.Forward(ids, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.batch*b.N)/b.Elapsed().Seconds(), "seqs/s")
		})
	}
}
