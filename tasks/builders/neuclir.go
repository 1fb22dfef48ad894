package builders

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/tasks"
)

// NeuCLIR 2022 / 2023: TREC news retrieval with English topics over Russian,
// Chinese and Persian news. The paper's MLIR version pools the Russian and
// Chinese documents of MTEB's hard-negative sets (Persian excluded) and asks
// the English queries of NeuCLIRBench; NIST's graded judgements (0/1/3) on
// those documents are made binary.

// NeuCLIRSubsets are the MTEB subsets pooled into the corpus and the
// language code of each.
var NeuCLIRSubsets = []struct{ Subset, Lang string }{{"rus", "ru"}, {"zho", "zh"}}

// NeuCLIRLangs are the task's languages: English queries, ru and zh docs.
var NeuCLIRLangs = lang.NeuCLIR

// NeuCLIRBenchRef is neuclir/bench (queries and qrels of every NeuCLIR year).
// No MTEB pin exists for it; "main" is read and recorded.
var NeuCLIRBenchRef = Ref{Repo: "neuclir/bench", Revision: "main"}

// NeuCLIR2022Ref and NeuCLIR2023Ref are MTEB's hard-negative corpora.
var (
	NeuCLIR2022Ref = Ref{Repo: "mteb/NeuCLIR2022RetrievalHardNegatives", Revision: "cc5a0360c8bdf1e4afa19d2ea8ec111c0ca96335"}
	NeuCLIR2023Ref = Ref{Repo: "mteb/NeuCLIR2023RetrievalHardNegatives", Revision: "efb44bb789b9f82223aa819e18dba3748fd09e33"}
)

func init() {
	for _, y := range []struct {
		year          string
		ref           Ref
		queries, docs int
	}{{"2022", NeuCLIR2022Ref, 49, 19049}, {"2023", NeuCLIR2023Ref, 63, 33512}} {
		register(func() *Task {
			return &Task{
				meta: tasks.Metadata{
					Name:    "NeuCLIR" + y.year + "MLIR",
					Aliases: []string{"NeuCLIR" + y.year + "Retrieval"},
					Group:   "mlir",
					Description: "NeuCLIR " + y.year + " as multilingual retrieval: English topics (neuclir/bench) against " +
						"the pooled Russian and Chinese documents of MTEB's hard-negative set (Persian excluded); " +
						"NIST judgements > 0 count as relevant.",
					Languages:       NeuCLIRLangs,
					MainScore:       "ndcg_at_20",
					Source:          y.ref.Repo + " + " + NeuCLIRBenchRef.Repo,
					Revision:        y.ref.Revision + " + " + NeuCLIRBenchRef.Revision,
					License:         "ODC-BY (documents), CC-BY-4.0 (topics and judgements)",
					Reference:       "https://neuclir.github.io/",
					ExpectedQueries: y.queries,
					ExpectedCorpus:  y.docs,
				},
				build: func(ctx context.Context, src tasks.Source, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
					return BuildNeuCLIR(ctx, src, y.ref, NeuCLIRBenchRef, opts)
				},
			}
		})
	}
}

// BuildNeuCLIR builds a NeuCLIR task: corpus from the rus and zho subsets
// (split test) of corpusRef, doc ids "{subset}::{id}", text title + "\n" +
// text (text alone when the title is empty); queries from bench's
// data/news.eng.tsv for the query ids of those subsets; qrels from bench's
// data/qrels.{rus,zho}.gains.txt, relevance > 0, made binary, restricted to
// the pooled corpus; queries without a positive dropped.
func BuildNeuCLIR(ctx context.Context, src tasks.Source, corpusRef, benchRef Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	if err := checkLangs("NeuCLIR", NeuCLIRLangs, opts.Langs); err != nil {
		return nil, err
	}
	ds := tasks.Dataset{Subset: "default", Split: "test", Qrels: tasks.Qrels{}}
	inCorpus := map[string]bool{}
	var qids []string
	seenQ := map[string]bool{}
	for _, s := range NeuCLIRSubsets {
		sub, err := ReadMTEBSubset(ctx, src, corpusRef, s.Subset, "test")
		if err != nil {
			return nil, err
		}
		for _, d := range sub.Corpus {
			key := s.Subset + "::" + d.ID
			if inCorpus[key] {
				skip(&ds, "duplicate_doc_id", 1)
				continue
			}
			inCorpus[key] = true
			text := d.Text
			if d.Title != "" {
				text = d.Title + "\n" + d.Text
			}
			ds.Corpus = append(ds.Corpus, tasks.Doc{ID: key, Text: text, Lang: s.Lang})
		}
		for _, q := range sub.Queries {
			if !seenQ[q.ID] {
				seenQ[q.ID] = true
				qids = append(qids, q.ID)
			}
		}
	}
	bench := input{src: src, ref: benchRef}
	text := map[string]string{}
	const queriesFile = "data/news.eng.tsv"
	err := readLines(ctx, bench, queriesFile, func(_ int, s string) error {
		id, q, ok := strings.Cut(s, "\t")
		if !ok || strings.TrimSpace(id) == "" {
			return fmt.Errorf("want \"id<TAB>query\", got %q: %w", s, errColumn)
		}
		id = strings.TrimSpace(id)
		if _, dup := text[id]; !dup {
			text[id] = strings.TrimSpace(q)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, id := range qids {
		t, ok := text[id]
		if !ok || t == "" {
			skip(&ds, "query_missing_in_bench", 1)
			continue
		}
		ds.Queries = append(ds.Queries, tasks.Query{ID: id, Text: t, Lang: "en", Group: id})
	}
	for _, s := range NeuCLIRSubsets {
		name := "data/qrels." + s.Subset + ".gains.txt"
		err := readLines(ctx, bench, name, func(_ int, row string) error {
			f := strings.Fields(row)
			if len(f) != 4 {
				return fmt.Errorf("want 4 fields \"id ignore docid relevance\", got %d: %w", len(f), errColumn)
			}
			rel, err := strconv.Atoi(f[3])
			if err != nil {
				return fmt.Errorf("column relevance: %q is not an integer: %w", f[3], errColumn)
			}
			qid, key := f[0], s.Subset+"::"+f[2]
			switch {
			case !seenQ[qid]:
				skip(&ds, "qrels_other_topics", 1)
			case rel <= 0:
				skip(&ds, "qrels_not_relevant", 1)
			case !inCorpus[key]:
				skip(&ds, "qrels_doc_not_in_corpus", 1)
			default:
				if ds.Qrels[qid] == nil {
					ds.Qrels[qid] = map[string]int{}
				}
				ds.Qrels[qid][key] = 1
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	finish(&ds, opts, "query_without_positive", NeuCLIRLangs, mtebTag)
	return []tasks.Dataset{ds}, nil
}
