// Package tasks knows what to evaluate: the task registry, the Hugging Face
// Hub client, one builder per benchmark of the MIMO paper, the local
// (BEIR-like) task format and the embedded mini benchmark.
//
// A Task is metadata plus a loader. Loading yields one or more Datasets
// (MTEB's "hf_subset": one for each MLIR task, one per language for MIRACL),
// each with queries, a corpus and qrels, ready for the harness.
package tasks

import "context"

// Query is one query. Group ties together the same question in several
// languages (parallel queries); MRC@k needs it. Empty Group means none.
type Query struct {
	ID    string
	Text  string
	Lang  string // ISO 639-1 code as the paper uses: ar de nl en es fr hi id it ja pt ru vi zh
	Group string
}

// Doc is one corpus document. Text already folds in any title the task
// defines (e.g. NeuCLIR's title + "\n" + text).
type Doc struct {
	ID   string
	Text string
	Lang string
	// Group ties together the language versions of one passage (parallel
	// documents); cross-lingual alignment needs it. Empty means none.
	Group string
}

// Qrels maps query id -> doc id -> graded relevance (integer, as trec_eval reads it).
type Qrels map[string]map[string]int

// Dataset is one evaluable unit: MTEB's (split, hf_subset).
type Dataset struct {
	Subset    string   // MTEB hf_subset, "default" for the MLIR tasks, the language for MIRACL
	Split     string   // "test", "dev", ...
	Languages []string // MTEB-style language tags, e.g. "deu-Latn"
	Queries   []Query
	Corpus    []Doc
	Qrels     Qrels
	// Skipped counts inputs dropped by the builder's rules (e.g. queries
	// without positives), by reason, so the harness can report them.
	Skipped map[string]int
}

// Metadata describes a task.
type Metadata struct {
	// Name is the task's name in results. MTEB's name only for a task that
	// is MTEB's (MIRACLRetrievalHardNegatives); the paper's pooled tasks
	// have their own ("XQuADMLIR"), see docs/decisions.md.
	Name string `json:"name"`
	// Aliases are older names --tasks still accepts for this task (MTEB's
	// names mimo used before, e.g. "XQuADRetrieval"); results are written
	// under Name.
	Aliases     []string `json:"aliases,omitempty"`
	Group       string   `json:"group"` // "mlir", "miracl", "mini", "local"
	Description string   `json:"description"`
	Languages   []string `json:"languages"`  // paper codes: ar de en ...
	MainScore   string   `json:"main_score"` // "ndcg_at_20" for MLIR, "ndcg_at_10" for MIRACL
	Source      string   `json:"source"`     // hub repo id, or "embedded", or a folder
	Revision    string   `json:"revision"`   // pinned dataset revision
	License     string   `json:"license"`
	Reference   string   `json:"reference,omitempty"`
	// Expected sizes (paper Table 7), zero when unknown.
	ExpectedQueries int `json:"expected_queries,omitempty"`
	ExpectedCorpus  int `json:"expected_corpus,omitempty"`
	ExpectedQrels   int `json:"expected_qrels,omitempty"`
}

// LoadOptions narrows what a task loads.
type LoadOptions struct {
	// Langs keeps only queries and docs in these languages (nil: all).
	Langs []string
	// Variant selects builder options, e.g. "arb_Arab" for Belebele's Arabic.
	Variant map[string]string
}

// Task is one benchmark.
type Task interface {
	Metadata() Metadata
	Load(ctx context.Context, opts LoadOptions) ([]Dataset, error)
}

// Checker is implemented by tasks whose data may be absent on this machine
// (a task read from a local copy of its files). Available returns nil when
// Load can run, else an error saying what is missing; callers skip such a
// task when it was selected only through its group.
type Checker interface {
	Available() error
}
