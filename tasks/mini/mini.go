// Package mini is the embedded mini MLIR benchmark: 48 short factual
// passages (science, geography, history, food, sport, technology), each with
// the one question it answers, written in English and translated by hand
// into German, Spanish, French, Russian, Chinese, Japanese and Arabic.
//
// It is built the MIMO paper's way: queries in all 8 languages, one corpus
// pooling every language version of every passage (384 documents), and all 8
// language versions of the gold passage relevant to each query (384 queries,
// 3,072 qrels). Parallel texts share a group ("q07" / "p07"), so MRC@k and
// cross-lingual alignment can be computed on it. It needs no download, so it
// is the smoke test of every model and the dev set of training runs.
//
// The source is tasks/mini/source/<topic>.json, one entry per passage with
// all its translations side by side; `go generate ./tasks/mini` renders it
// into data/*.jsonl (the local task layout), which this package embeds and
// reads with tasks/local.
package mini

//go:generate go run ../../internal/cmd/minigen

import (
	"context"
	"embed"
	"io/fs"

	"github.com/mimo-mlir/mimo/internal/minisource"
	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/local"
)

// Name is the task name; Select("mini") also finds it by its group.
const Name = "MiniMLIR"

//go:embed data/queries.jsonl data/corpus.jsonl data/qrels.jsonl
var data embed.FS

// Data is the embedded task folder, "data", in the local layout.
func Data() fs.FS { return data }

// Langs are the benchmark's languages.
func Langs() []string { return append([]string(nil), minisource.Langs...) }

// Task is the mini benchmark.
type Task struct{}

func init() { tasks.Register(Task{}) }

// Metadata implements tasks.Task.
func (Task) Metadata() tasks.Metadata {
	return tasks.Metadata{
		Name:  Name,
		Group: "mini",
		Description: "Embedded mini MLIR benchmark: 48 hand-written factual passages with one question each, " +
			"parallel in 8 languages (en de es fr ru zh ja ar); queries in every language search one pooled corpus, " +
			"every language version of the gold passage is relevant.",
		Languages:       Langs(),
		MainScore:       "ndcg_at_20",
		Source:          "embedded",
		Revision:        "1",
		License:         "CC-BY-4.0",
		ExpectedQueries: 384,
		ExpectedCorpus:  384,
		ExpectedQrels:   3072,
	}
}

// Load implements tasks.Task.
func (Task) Load(ctx context.Context, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, err := local.Read(data, "data")
	if err != nil {
		return nil, err
	}
	return []tasks.Dataset{local.FilterLangs(d, opts.Langs)}, nil
}
