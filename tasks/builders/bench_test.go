package builders

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/tasks"
)

// BenchmarkXQuADReal builds XQuADMLIR from the real JSON files
// (parse + build + finish).
func BenchmarkXQuADReal(b *testing.B) {
	realXQuAD := filepath.Dir(shareddata.Require(b, "xquad", "xquad.en.json"))
	src := tasks.DirSource{Root: realXQuAD, Flat: true}
	for b.Loop() {
		if _, err := BuildXQuAD(context.Background(), src, XQuADRef, tasks.LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildMLQA runs the MLQA build (context de-dup, id union-find,
// relevance sets) on a synthetic input shaped like the real one: 49
// configs, ~5k instances per language, contexts shared by ~4 questions.
func BenchmarkBuildMLQA(b *testing.B) {
	const instances = 6000
	var configs []mlqaConfig
	for ci, c := range MLQALangs {
		for qi, q := range MLQALangs {
			cfg := mlqaConfig{Ctx: c, Q: q}
			for i := 0; i < instances; i++ {
				if (i+ci)%3 == 0 || (i+qi)%3 == 0 { // not every instance in every language
					continue
				}
				cfg.Rows = append(cfg.Rows, mlqaRow{
					ID:       fmt.Sprintf("id%05d", i),
					Context:  fmt.Sprintf("context %d in %s, a paragraph of some length to hash", i/4, c),
					Question: fmt.Sprintf("question %d in %s?", i, q),
				})
			}
			configs = append(configs, cfg)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		ds := buildMLQA(configs)
		finish(&ds, tasks.LoadOptions{}, "query_without_positive", MLQALangs, mtebTag)
	}
}
