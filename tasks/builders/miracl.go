package builders

import (
	"context"
	"fmt"

	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/tasks"
)

// MIRACL (multi-monolingual): Wikipedia retrieval in each language on its
// own, from MTEB's hard-negative version (queries for ar, fi and ru
// subsampled to 1,000). One Dataset per language; nDCG@10 per language is
// averaged by the harness.

// MIRACLLangs are the paper's MIRACL languages (loaded by default).
var MIRACLLangs = lang.MIRACL

// MIRACLAllLangs are every subset of the hard-negative set; LoadOptions.Langs
// may name any of them.
var MIRACLAllLangs = lang.MIRACLAll

// MIRACLRef is mteb/MIRACLRetrievalHardNegatives at the pinned revision.
var MIRACLRef = Ref{Repo: "mteb/MIRACLRetrievalHardNegatives", Revision: "d7d94fa4b946cec4a27c84653aa0cf6b33f74a3c"}

func init() {
	register(func() *Task {
		return &Task{
			meta: tasks.Metadata{
				Name:    "MIRACLRetrievalHardNegatives",
				Aliases: []string{"MIRACLRetrieval"},
				Group:   "miracl",
				Description: "MIRACL hard negatives, multi-monolingual: one dataset per language (dev split), " +
					"nDCG@10 per language averaged.",
				Languages: MIRACLLangs,
				MainScore: "ndcg_at_10",
				License:   "Apache-2.0",
				Reference: "http://miracl.ai",
			},
			refs: []Ref{MIRACLRef},
			build: func(ctx context.Context, src tasks.Source, refs []Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
				return BuildMIRACL(ctx, src, refs[0], opts)
			},
		}
	})
}

// BuildMIRACL builds one Dataset per language (MIRACLLangs, or the
// LoadOptions.Langs given) from the MTEB v2 subsets {lang}-corpus,
// -queries, -qrels of split dev. Qrels keep their grades; queries without a
// positive judgement are dropped.
func BuildMIRACL(ctx context.Context, src tasks.Source, ref Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	langs, err := miraclLangs("MIRACLRetrievalHardNegatives", opts.Langs)
	if err != nil {
		return nil, err
	}
	var out []tasks.Dataset
	for _, lang := range langs {
		sub, err := ReadMTEBSubset(ctx, src, ref, lang, "dev")
		if err != nil {
			return nil, fmt.Errorf("MIRACL %s: %w", lang, err)
		}
		ds := sub.Dataset(lang, "dev", lang)
		finish(&ds, tasks.LoadOptions{}, "query_without_positive", []string{lang}, mtebTag)
		out = append(out, ds)
	}
	return out, nil
}
