package lsa

import (
	"context"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
)

// BenchmarkEncode encodes XQuAD's 40 held-out English paragraphs with a 256-d
// model fitted on the training articles (skipped without the data).
func BenchmarkEncode(b *testing.B) {
	fit, paras, _, _ := xquadSplit(b)
	m, err := Fit(context.Background(), fit, Dims(256), SVDParams(10, 1))
	if err != nil {
		b.Fatal(err)
	}
	req := adapters.Request{Role: adapters.RoleDocument, Texts: paras}
	for b.Loop() {
		if _, err := m.Encode(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(paras)), "ns/text")
}

// BenchmarkFitSVD times the randomized SVD alone on the XQuAD training
// TF-IDF matrix (1,213 texts × ~23k features), 256 dims.
func BenchmarkFitSVD(b *testing.B) {
	fit, _, _, _ := xquadSplit(b)
	m, err := Fit(context.Background(), fit, Dims(8), SVDParams(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	x, _, err := buildCSR(context.Background(), m.f, fit, len(m.f.idf))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := RandomizedSVD(context.Background(), x, SVDOptions{K: 256, Oversample: 10, PowerIters: 3, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
