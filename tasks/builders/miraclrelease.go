package builders

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/internal/strictjson"
	"github.com/mimo-mlir/mimo/tasks"
)

// MIRACL's own release, read as its authors publish it on the Hub (the
// layout is the one Pyserini's and Anserini's MIRACL regressions and
// ir_datasets read; the dataset cards of miracl/miracl and
// miracl/miracl-corpus describe it):
//
//	miracl/miracl         miracl-v1.0-{lang}/topics/topics.miracl-v1.0-{lang}-{split}.tsv   qid<TAB>query, no header
//	                      miracl-v1.0-{lang}/qrels/qrels.miracl-v1.0-{lang}-{split}.tsv     TREC qrels: qid Q0 docid relevance
//	miracl/miracl-corpus  miracl-corpus-v1.0-{lang}/docs-{n}.jsonl.gz                        {"docid": "X#Y", "title", "text"}
//
// This is MIRACL with its full Wikipedia corpus (MTEB's MIRACLRetrieval is
// built from the same files), not the hard-negative subset the paper's
// MIRACLRetrievalHardNegatives uses, so it is its own task. A local copy
// is read through the same Source: --source DIR holding
// DIR/miracl/miracl/... and DIR/miracl/miracl-corpus/..., or --source-flat
// on one folder holding both miracl-v1.0-{lang}/ and
// miracl-corpus-v1.0-{lang}/ (what `hf download --local-dir` writes when
// both repositories are downloaded into it).

// MIRACLTopicsRef and MIRACLCorpusRef are the release's repositories at
// the commits that public pinned MIRACL downloaders name (no MTEB pin
// exists for them; the same two ids appear independently in several
// harnesses' download manifests).
var (
	MIRACLTopicsRef = Ref{Repo: "miracl/miracl", Revision: "5be20db9509754dadad47689368639fcec739c00"}
	MIRACLCorpusRef = Ref{Repo: "miracl/miracl-corpus", Revision: "d921ec7e349ce0d28daf30b2da9da5ee698bef0d"}
)

// MIRACLSplitVariant is the LoadOptions.Variant key choosing the release's
// split: "dev" (the default, the split MIRACL is evaluated on) or "train".
// The test splits have no published judgements.
const MIRACLSplitVariant = "miracl_split"

// MIRACLReleaseGroup is the group of the release task. "all" leaves it
// out: its corpora hold tens of millions of passages.
const MIRACLReleaseGroup = "miracl-release"

func init() {
	register(func() *Task {
		return &Task{
			meta: tasks.Metadata{
				Name:  "MIRACLRetrievalRelease",
				Group: MIRACLReleaseGroup,
				Description: "MIRACL from its release files (miracl/miracl topics and TREC qrels, miracl/miracl-corpus " +
					"passages), multi-monolingual: one dataset per language over the language's full Wikipedia corpus " +
					"(split dev), nDCG@10 per language averaged.",
				Languages: MIRACLLangs,
				MainScore: "ndcg_at_10",
				License:   "Apache-2.0",
				Reference: "http://miracl.ai",
			},
			refs: []Ref{MIRACLTopicsRef, MIRACLCorpusRef},
			build: func(ctx context.Context, src tasks.Source, refs []Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
				return BuildMIRACLRelease(ctx, src, refs[0], refs[1], opts)
			},
		}
	})
}

// miraclTopicsFile, miraclQrelsFile and miraclCorpusDir name the release's
// files of one language and split.
func miraclTopicsFile(lang, split string) string {
	return "miracl-v1.0-" + lang + "/topics/topics.miracl-v1.0-" + lang + "-" + split + ".tsv"
}

func miraclQrelsFile(lang, split string) string {
	return "miracl-v1.0-" + lang + "/qrels/qrels.miracl-v1.0-" + lang + "-" + split + ".tsv"
}

func miraclCorpusDir(lang string) string { return "miracl-corpus-v1.0-" + lang + "/" }

// miraclLangs are the languages a MIRACL build reads: opts.Langs (checked
// against every MIRACL language, lower-cased, de-duplicated) or the
// paper's.
func miraclLangs(task string, want []string) ([]string, error) {
	if err := checkLangs(task, MIRACLAllLangs, want); err != nil {
		return nil, err
	}
	if len(want) == 0 {
		return MIRACLLangs, nil
	}
	var langs []string
	for _, l := range want {
		l = strings.ToLower(strings.TrimSpace(l))
		if !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	return langs, nil
}

// BuildMIRACLRelease builds one Dataset per language (MIRACLLangs, or
// LoadOptions.Langs) from the release: queries from the topics TSV, graded
// qrels from the TREC qrels, the corpus from every docs-{n}.jsonl.gz shard
// of the language (found in corpus's listing, read in shard order), doc
// text as MTEB's (title + " " + text, trimmed, when there is a title).
// Queries without a positive judgement are dropped; judged passages
// missing from the corpus are kept (they count against recall, as in
// MTEB and trec_eval).
func BuildMIRACLRelease(ctx context.Context, src tasks.Source, topics, corpus Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	langs, err := miraclLangs("MIRACLRetrievalRelease", opts.Langs)
	if err != nil {
		return nil, err
	}
	split := "dev"
	switch v := opts.Variant[MIRACLSplitVariant]; v {
	case "", "dev":
	case "train":
		split = v
	default:
		return nil, fmt.Errorf("MIRACLRetrievalRelease: Variant %s=%q: want dev or train (the test splits have no judgements)", MIRACLSplitVariant, v)
	}
	tin, cin := input{src: src, ref: topics}, input{src: src, ref: corpus}
	files, err := cin.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []tasks.Dataset
	for _, lang := range langs {
		shards, err := miraclShards(files, lang)
		if err != nil {
			return nil, fmt.Errorf("%s@%s: %w", corpus.Repo, corpus.Revision, err)
		}
		sub := &MTEBSubset{}
		if err := readTopicsTSV(ctx, tin, miraclTopicsFile(lang, split), sub); err != nil {
			return nil, err
		}
		if err := readTRECQrels(ctx, tin, miraclQrelsFile(lang, split), sub); err != nil {
			return nil, err
		}
		for _, f := range shards {
			if err := readMIRACLPassages(ctx, cin, f, sub); err != nil {
				return nil, err
			}
		}
		ds := sub.Dataset(lang, split, lang)
		finish(&ds, tasks.LoadOptions{}, "query_without_positive", []string{lang}, mtebTag)
		out = append(out, ds)
	}
	return out, nil
}

// miraclShards returns the corpus shards of lang in files,
// miracl-corpus-v1.0-{lang}/docs-{n}.jsonl[.gz], ordered by n.
func miraclShards(files []string, lang string) ([]string, error) {
	dir := miraclCorpusDir(lang)
	type shard struct {
		name string
		n    int
	}
	var found []shard
	for _, f := range files {
		rest, ok := strings.CutPrefix(f, dir)
		if !ok || strings.Contains(rest, "/") {
			continue
		}
		num, ok := strings.CutPrefix(strings.TrimSuffix(strings.TrimSuffix(rest, ".gz"), ".jsonl"), "docs-")
		if !ok || !strings.HasSuffix(strings.TrimSuffix(rest, ".gz"), ".jsonl") {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 {
			continue
		}
		found = append(found, shard{f, n})
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no corpus shards %sdocs-{n}.jsonl.gz for language %s: %w", dir, lang, tasks.ErrNotFound)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].n < found[j].n })
	out := make([]string, len(found))
	for i, s := range found {
		if i > 0 && s.n == found[i-1].n {
			return nil, fmt.Errorf("corpus shard %d stored twice (%s and %s): %w", s.n, found[i-1].name, s.name, errColumn)
		}
		out[i] = s.name
	}
	return out, nil
}

// readTopicsTSV reads a topics TSV, "qid<TAB>query" per line, no header
// (MIRACL's topics, NeuCLIRBench's queries).
func readTopicsTSV(ctx context.Context, in input, name string, sub *MTEBSubset) error {
	return readLines(ctx, in, name, func(_ int, s string) error {
		id, q, ok := strings.Cut(s, "\t")
		id, q = strings.TrimSpace(id), strings.TrimSpace(q)
		if !ok || id == "" || q == "" {
			return fmt.Errorf("want \"qid<TAB>query\", got %q: %w", s, errColumn)
		}
		sub.Queries = append(sub.Queries, MTEBQuery{ID: id, Text: q})
		return nil
	})
}

// readTRECQrels reads TREC qrels, "qid iteration docid relevance" (tab or
// space separated; the iteration column is ignored, as trec_eval does).
func readTRECQrels(ctx context.Context, in input, name string, sub *MTEBSubset) error {
	return readLines(ctx, in, name, func(_ int, s string) error {
		f := strings.Fields(s)
		if len(f) != 4 {
			return fmt.Errorf("want 4 fields \"qid Q0 docid relevance\", got %d: %w", len(f), errColumn)
		}
		rel, err := strconv.Atoi(f[3])
		if err != nil {
			return fmt.Errorf("column relevance: %q is not an integer: %w", f[3], errColumn)
		}
		sub.Qrels = append(sub.Qrels, MTEBJudgement{QueryID: f[0], CorpusID: f[2], Score: rel})
		return nil
	})
}

// miraclDocFields are the keys of a corpus line (any other is an error).
var miraclDocFields = []string{"docid", "title", "text"}

// readMIRACLPassages reads one corpus shard, a JSON object per line.
func readMIRACLPassages(ctx context.Context, in input, name string, sub *MTEBSubset) error {
	n := 0
	err := in.readJSONL(ctx, name, func(_ int, raw json.RawMessage) error {
		if err := strictjson.Check(raw); err != nil {
			return fmt.Errorf("%w: %w", err, errColumn)
		}
		m, err := strictjson.Members(raw, miraclDocFields...)
		if err != nil {
			return fmt.Errorf("%w: %w", err, errColumn)
		}
		var d MTEBDoc
		for _, f := range []struct {
			key      string
			dst      *string
			required bool
		}{{"docid", &d.ID, true}, {"text", &d.Text, true}, {"title", &d.Title, false}} {
			v, ok := m[f.key]
			if !ok {
				if f.required {
					return fmt.Errorf("field %q missing: %w", f.key, errColumn)
				}
				continue
			}
			if err := json.Unmarshal(v, f.dst); err != nil {
				return fmt.Errorf("field %q: want a string, got %s: %w", f.key, v, errColumn)
			}
		}
		if d.ID == "" {
			return fmt.Errorf("empty docid: %w", errColumn)
		}
		sub.Corpus = append(sub.Corpus, d)
		n++
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: no passages: %w", in.where(name), errColumn)
	}
	return nil
}
