package builders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/formats"
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

// NeuCLIRBenchRef is neuclir/bench (queries and qrels of every NeuCLIR
// year). No commit of it is known here (MTEB pins none, and none could be
// read offline), so the revision is empty and the build refuses to run
// until one is given (Task.WithRevision, mimo-eval --dataset-revision
// neuclir/bench@COMMIT): reading "main" would record a branch that moves.
var NeuCLIRBenchRef = Ref{Repo: "neuclir/bench"}

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
					License:         "ODC-BY (documents), CC-BY-4.0 (topics and judgements)",
					Reference:       "https://neuclir.github.io/",
					ExpectedQueries: y.queries,
					ExpectedCorpus:  y.docs,
				},
				refs: []Ref{y.ref, NeuCLIRBenchRef},
				build: func(ctx context.Context, src tasks.Source, refs []Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
					return BuildNeuCLIR(ctx, src, refs[0], refs[1], opts)
				},
			}
		})
	}
}

// neuclir/bench documents its files in its card's `configs:` (README.md,
// read at the pinned revision): config "queries", CSV with sep "\t", no
// header, columns id, query, one split per query language (eng:
// data/news.eng.tsv); config "qrels", CSV with sep " ", no header, columns
// id, ignore, docid, relevance (TREC qrels), one split per document
// language (rus, zho, fas) and mlir. The builder reads the files the card
// names and checks the columns it relies on.
const (
	benchQueriesConfig = "queries"
	benchQrelsConfig   = "qrels"
	benchQuerySplit    = "eng"
)

var (
	benchQueryColumns = []string{"id", "query"}
	benchQrelsColumns = []string{"id", "ignore", "docid", "relevance"}
)

// benchFiles are the files the card names for the English queries and the
// qrels of each pooled subset.
type benchFiles struct {
	queries string
	qrels   map[string]string // subset -> file
}

// readBenchCard reads bench's README.md and resolves the data files of
// the English queries and of each subset's qrels against the listing.
func readBenchCard(ctx context.Context, bench input) (benchFiles, error) {
	rc, err := bench.open(ctx, formats.CardName)
	if err != nil {
		return benchFiles{}, err
	}
	b, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	rc.Close()
	if err != nil {
		return benchFiles{}, fmt.Errorf("%s: %w", bench.where(formats.CardName), err)
	}
	card, ok, err := formats.ParseCard(b, bench.where(formats.CardName))
	if err != nil {
		return benchFiles{}, fmt.Errorf("%w: %w", err, errColumn)
	}
	if !ok {
		return benchFiles{}, fmt.Errorf("%s: no YAML front matter (the configs naming the files): %w", bench.where(formats.CardName), errColumn)
	}
	listing, err := bench.list(ctx)
	if err != nil {
		return benchFiles{}, err
	}
	file := func(config, sep string, columns []string, split string) (string, error) {
		where := fmt.Sprintf("%s: config %q", bench.where(formats.CardName), config)
		cfg, ok := card.Config(config)
		if !ok {
			return "", fmt.Errorf("%s: not in configs: %w", where, errColumn)
		}
		if cfg.Format != "csv" || cfg.Sep == nil || *cfg.Sep != sep || !slices.Equal(cfg.Names, columns) {
			return "", fmt.Errorf("%s: want format csv, sep %q, names %v; the card says format %q, sep %s, names %v: %w",
				where, sep, columns, cfg.Format, quotedOrNone(cfg.Sep), cfg.Names, errColumn)
		}
		splits, err := cfg.Splits(bench.where(formats.CardName))
		if err != nil {
			return "", fmt.Errorf("%w: %w", err, errColumn)
		}
		pats, ok := splits.Patterns[split]
		if !ok {
			return "", fmt.Errorf("%s: no split %q (splits: %s): %w", where, split, strings.Join(splits.Names, ", "), errColumn)
		}
		got := formats.ResolvePatterns(listing, pats)
		if len(got) != 1 {
			return "", fmt.Errorf("%s split %q: %s matches %d files of the repository, want 1: %w", where, split, strings.Join(pats, ", "), len(got), tasks.ErrNotFound)
		}
		return got[0], nil
	}
	out := benchFiles{qrels: map[string]string{}}
	if out.queries, err = file(benchQueriesConfig, "\t", benchQueryColumns, benchQuerySplit); err != nil {
		return out, err
	}
	for _, s := range NeuCLIRSubsets {
		if out.qrels[s.Subset], err = file(benchQrelsConfig, " ", benchQrelsColumns, s.Subset); err != nil {
			return out, err
		}
	}
	return out, nil
}

func quotedOrNone(s *string) string {
	if s == nil {
		return "none"
	}
	return strconv.Quote(*s)
}

// commitSource is implemented by Sources that know which commit a
// revision was served at (HubSource: the Hub's X-Repo-Commit, recorded in
// the cache).
type commitSource interface {
	ResolvedCommit(repo, revision string) string
}

// ErrRevisionMismatch is wrapped when a Source served a pinned revision at
// another commit (a mirror answering one snapshot for every revision):
// the result would record a commit whose files were not read.
var ErrRevisionMismatch = errors.New("served at another commit")

// checkResolved fails when src served ref at a commit other than its pin.
func checkResolved(src tasks.Source, ref Ref) error {
	cs, ok := src.(commitSource)
	if !ok {
		return nil // a local copy: one revision, the one given
	}
	if got := cs.ResolvedCommit(ref.Repo, ref.Revision); got != "" && got != ref.Revision {
		return fmt.Errorf("%s: asked for commit %s, the server answered X-Repo-Commit %s: %w", ref.Repo, ref.Revision, got, ErrRevisionMismatch)
	}
	return nil
}

// BuildNeuCLIR builds a NeuCLIR task: corpus from the rus and zho subsets
// (split test) of corpusRef, doc ids "{subset}::{id}", text title + "\n" +
// text (text alone when the title is empty); queries from bench's config
// queries, split eng, for the query ids of those subsets; qrels from
// bench's config qrels, splits rus and zho, relevance > 0, made binary,
// restricted to the pooled corpus; queries without a positive dropped.
// From the Hub, benchRef must be a 40-hex commit (ErrUnpinned otherwise;
// Task.PinBranches pins a branch to its current commit) and the Hub must
// have served that one (ErrRevisionMismatch); a local copy is read as it is.
func BuildNeuCLIR(ctx context.Context, src tasks.Source, corpusRef, benchRef Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkLangs("NeuCLIR", NeuCLIRLangs, opts.Langs); err != nil {
		return nil, err
	}
	if _, hub := src.(commitSource); hub {
		// From the Hub, a branch would be read at whatever commit it has
		// when each file is fetched: Task.PinBranches pins it first.
		if err := pinnedRef(benchRef); err != nil {
			return nil, err
		}
	}
	ds := tasks.Dataset{Subset: "default", Split: "test", Qrels: tasks.Qrels{}}
	inCorpus, qids, err := readNeuCLIRCorpus(ctx, src, corpusRef, &ds)
	if err != nil {
		return nil, err
	}
	bench := input{src: src, ref: benchRef}
	files, err := readBenchCard(ctx, bench)
	if err != nil {
		return nil, err
	}
	topics := &MTEBSubset{}
	if err := readTopicsTSV(ctx, bench, files.queries, topics); err != nil {
		return nil, err
	}
	text := map[string]string{}
	for _, q := range topics.Queries {
		if _, dup := text[q.ID]; !dup {
			text[q.ID] = q.Text
		}
	}
	seenQ := map[string]bool{}
	for _, id := range qids {
		seenQ[id] = true
		t, ok := text[id]
		if !ok {
			skip(&ds, "query_missing_in_bench", 1)
			continue
		}
		ds.Queries = append(ds.Queries, tasks.Query{ID: id, Text: t, Lang: "en", Group: id})
	}
	for _, s := range NeuCLIRSubsets {
		j := &MTEBSubset{}
		if err := readTRECQrels(ctx, bench, files.qrels[s.Subset], j); err != nil {
			return nil, err
		}
		for _, r := range j.Qrels {
			key := s.Subset + "::" + r.CorpusID
			switch {
			case !seenQ[r.QueryID]:
				skip(&ds, "qrels_other_topics", 1)
			case r.Score <= 0:
				skip(&ds, "qrels_not_relevant", 1)
			case !inCorpus[key]:
				skip(&ds, "qrels_doc_not_in_corpus", 1)
			default:
				if ds.Qrels[r.QueryID] == nil {
					ds.Qrels[r.QueryID] = map[string]int{}
				}
				ds.Qrels[r.QueryID][key] = 1
			}
		}
	}
	if err := checkResolved(src, benchRef); err != nil {
		return nil, err
	}
	finish(&ds, opts, "query_without_positive", NeuCLIRLangs, mtebTag)
	return []tasks.Dataset{ds}, nil
}

// readNeuCLIRCorpus pools the subsets' corpora into ds, ids
// "{subset}::{id}", and returns the pooled ids and the query ids of the
// subsets, in order.
func readNeuCLIRCorpus(ctx context.Context, src tasks.Source, corpusRef Ref, ds *tasks.Dataset) (map[string]bool, []string, error) {
	inCorpus := map[string]bool{}
	var qids []string
	seenQ := map[string]bool{}
	for _, s := range NeuCLIRSubsets {
		sub, err := ReadMTEBSubset(ctx, src, corpusRef, s.Subset, "test")
		if err != nil {
			return nil, nil, err
		}
		for _, d := range sub.Corpus {
			key := s.Subset + "::" + d.ID
			if inCorpus[key] {
				skip(ds, "duplicate_doc_id", 1)
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
	return inCorpus, qids, nil
}
