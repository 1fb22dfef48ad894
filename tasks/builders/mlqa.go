package builders

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/tasks"
)

// MLQA: extractive QA instances aligned across 7 languages; an instance id is
// shared by its parallel versions, and config mlqa.{c}.{q} pairs contexts in
// language c with questions in language q. The MLIR build de-duplicates the
// contexts of all 49 configs into one corpus and turns every (id, question
// language) into a query whose relevant set is every context, in any
// language, carrying that id.

// MLQALangs are the task's languages (MLQA's own order).
var MLQALangs = lang.MLQA

// MLQARef is facebook/mlqa on the Hub's Parquet conversion branch. MTEB pins
// the repository at 397ed406c1a7902140303e7faf60fff35b58d285, a loading-script
// revision whose data lives outside the Hub; the same rows are served as
// Parquet under refs/convert/parquet ("mlqa.{c}.{q}/{split}/0000.parquet").
// The reader accepts both "{config}/{split}/*.parquet" and
// "{config}/{split}-0000i-of-0000n.parquet".
var MLQARef = Ref{Repo: "facebook/mlqa", Revision: "refs/convert/parquet"}

// MLQASplitVariant is the LoadOptions.Variant key choosing the MLQA split
// ("test", the default, or "validation").
const MLQASplitVariant = "mlqa_split"

func init() {
	register(func() *Task {
		return &Task{
			meta: tasks.Metadata{
				Name:    "MLQAMLIR",
				Aliases: []string{"MLQARetrieval"},
				Group:   "mlir",
				Description: "MLQA as multilingual retrieval: questions of 7 languages against the contexts of all 49 " +
					"configs de-duplicated by text; every context carrying the question's MLQA id is relevant.",
				Languages:       MLQALangs,
				MainScore:       "ndcg_at_20",
				License:         "CC-BY-SA-3.0",
				Reference:       "https://arxiv.org/abs/1910.07475",
				ExpectedQueries: 42245,
				ExpectedCorpus:  36799,
			},
			refs: []Ref{MLQARef},
			build: func(ctx context.Context, src tasks.Source, refs []Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
				return BuildMLQA(ctx, src, refs[0], opts)
			},
		}
	})
}

// mlqaRow is one row of an MLQA config.
type mlqaRow struct{ ID, Context, Question string }

// mlqaConfig is one config mlqa.{Ctx}.{Q}.
type mlqaConfig struct {
	Ctx, Q string
	Rows   []mlqaRow
}

// mlqaReleaseDirs are the folders, relative to the source's root, where
// the original release's files of a split are looked for: the root itself,
// {split}/ (the unpacked MLQA_V1 folder) and MLQA_V1/{split}/ (the folder
// the zip was unpacked in).
func mlqaReleaseDirs(split string) []string {
	return []string{"", split + "/", "MLQA_V1/" + split + "/"}
}

// mlqaReleaseName is the original release's file of one config:
// "{split}-context-{c}-question-{q}.json", split test or dev.
func mlqaReleaseName(split, c, q string) string {
	return split + "-context-" + c + "-question-" + q + ".json"
}

// BuildMLQA builds MLQAMLIR from ref, reading the 49 configs
// mlqa.{c}.{q} (c, q in MLQALangs order) of split test (or
// Variant["mlqa_split"]: "validation", or its release name "dev"). When the
// source holds the original release's SQuAD-format JSON
// ({split}-context-{c}-question-{q}.json, at its root, under {split}/ or
// under MLQA_V1/{split}/; github.com/facebookresearch/MLQA), all 49 are
// read from it, in the file's article, paragraph, question order (the
// order the Hub's rows have); otherwise the Hub's Parquet configs. A
// partial release is an error naming every missing file.
func BuildMLQA(ctx context.Context, src tasks.Source, ref Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	if err := checkLangs("MLQAMLIR", MLQALangs, opts.Langs); err != nil {
		return nil, err
	}
	split := "test"
	if v := opts.Variant[MLQASplitVariant]; v != "" {
		split = v
	}
	release := split // the release's name of the split
	switch split {
	case "test":
	case "validation", "dev":
		split, release = "validation", "dev"
	default:
		return nil, fmt.Errorf("MLQAMLIR: Variant %s=%q: want test or validation (dev)", MLQASplitVariant, split)
	}
	in := input{src: src, ref: ref}
	files, err := in.list(ctx)
	if err != nil {
		return nil, err
	}
	dir, found, err := findMLQARelease(files, release, ref)
	if err != nil {
		return nil, err
	}
	var configs []mlqaConfig
	for _, c := range MLQALangs {
		for _, q := range MLQALangs {
			cfg := mlqaConfig{Ctx: c, Q: q}
			if found {
				err = readMLQARelease(ctx, in, dir+mlqaReleaseName(release, c, q), &cfg)
			} else {
				err = readMLQAParquet(ctx, in, files, split, release, &cfg)
			}
			if err != nil {
				return nil, err
			}
			configs = append(configs, cfg)
		}
	}
	ds := buildMLQA(configs)
	ds.Split = split
	finish(&ds, opts, "query_without_positive", MLQALangs, mtebTag)
	return []tasks.Dataset{ds}, nil
}

// findMLQARelease finds the release folder of split release in the
// listing: the first of mlqaReleaseDirs holding any of its 49 files. found
// is false when none does; a folder holding only some of them is an error
// naming every missing file.
func findMLQARelease(files []string, release string, ref Ref) (dir string, found bool, err error) {
	have := make(map[string]bool, len(files))
	for _, f := range files {
		have[f] = true
	}
	holds := func(d string) bool {
		for _, c := range MLQALangs {
			for _, q := range MLQALangs {
				if have[d+mlqaReleaseName(release, c, q)] {
					return true
				}
			}
		}
		return false
	}
	for _, d := range mlqaReleaseDirs(release) {
		if holds(d) {
			dir, found = d, true
			break
		}
	}
	if !found {
		return "", false, nil
	}
	var missing []string
	for _, c := range MLQALangs {
		for _, q := range MLQALangs {
			if n := dir + mlqaReleaseName(release, c, q); !have[n] {
				missing = append(missing, n)
			}
		}
	}
	if len(missing) > 0 {
		return "", false, fmt.Errorf("%s@%s: MLQA release folder incomplete, %d of the 49 files of split %s missing: %s: %w",
			ref.Repo, ref.Revision, len(missing), release, strings.Join(missing, ", "), tasks.ErrNotFound)
	}
	return dir, true, nil
}

// readMLQAParquet appends the rows of the Hub's Parquet config
// mlqa.{Ctx}.{Q} of split to cfg (columns id, context, question).
func readMLQAParquet(ctx context.Context, in input, files []string, split, release string, cfg *mlqaConfig) error {
	name := "mlqa." + cfg.Ctx + "." + cfg.Q
	shards, err := splitFiles(files, name, split, false)
	if err != nil {
		return fmt.Errorf("%s@%s: found neither the release file %s (nor under %s or %s) nor the Parquet config: %w",
			in.ref.Repo, in.ref.Revision, mlqaReleaseName(release, cfg.Ctx, cfg.Q), mlqaReleaseDirs(release)[1], mlqaReleaseDirs(release)[2], err)
	}
	for _, f := range shards {
		err := in.readParquet(ctx, f, []string{"id", "context", "question"}, func(row int, rec map[string]any) error {
			var r mlqaRow
			var err error
			if r.ID, err = strCol(rec, "id"); err != nil {
				return err
			}
			if r.Context, err = strCol(rec, "context"); err != nil {
				return err
			}
			if r.Question, err = strCol(rec, "question"); err != nil {
				return err
			}
			if r.ID == "" || r.Context == "" {
				return fmt.Errorf("empty id or context: %w", errColumn)
			}
			cfg.Rows = append(cfg.Rows, r)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readMLQARelease appends the rows of one release file (SQuAD v1.1:
// data[].paragraphs[].qas[], one row per question) to cfg.
func readMLQARelease(ctx context.Context, in input, name string, cfg *mlqaConfig) error {
	sq, err := in.readSQuAD(ctx, name)
	if err != nil {
		return err
	}
	for _, art := range sq.Data {
		for _, para := range art.Paragraphs {
			for _, qa := range para.QAs {
				cfg.Rows = append(cfg.Rows, mlqaRow{ID: qa.ID, Context: para.Context, Question: qa.Question})
			}
		}
	}
	return nil
}

// buildMLQA is the pure build. Docs "doc_{lang}_{n}": one per distinct
// context text of a language, numbered over the corpus in config order then
// row order. Queries "{lang}_{id}": one per (id, question language), text
// from its first row. Relevant: every context carrying the id. Doc groups
// are the connected components of "contexts sharing an id" (the language
// versions of one paragraph), named by their first doc.
func buildMLQA(configs []mlqaConfig) tasks.Dataset {
	ds := tasks.Dataset{Subset: "default", Split: "test", Qrels: tasks.Qrels{}}
	type key struct{ lang, text string }
	docOf := map[key]int{}       // (lang, context) -> corpus index
	idDocs := map[string][]int{} // MLQA id -> corpus indexes (in order, distinct)
	queryOf := map[string]bool{} // query id -> seen
	var parent []int             // union-find over corpus indexes
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, cfg := range configs {
		for _, r := range cfg.Rows {
			k := key{cfg.Ctx, r.Context}
			d, ok := docOf[k]
			if !ok {
				d = len(ds.Corpus)
				docOf[k] = d
				ds.Corpus = append(ds.Corpus, tasks.Doc{ID: "doc_" + cfg.Ctx + "_" + strconv.Itoa(d), Text: r.Context, Lang: cfg.Ctx})
				parent = append(parent, d)
			}
			docs := idDocs[r.ID]
			has := false
			for _, x := range docs {
				if x == d {
					has = true
					break
				}
			}
			if !has {
				if len(docs) > 0 {
					a, b := find(docs[0]), find(d)
					if a != b {
						if a < b {
							parent[b] = a
						} else {
							parent[a] = b
						}
					}
				}
				idDocs[r.ID] = append(docs, d)
			}
			qid := cfg.Q + "_" + r.ID
			if !queryOf[qid] {
				queryOf[qid] = true
				ds.Queries = append(ds.Queries, tasks.Query{ID: qid, Text: r.Question, Lang: cfg.Q, Group: r.ID})
			}
		}
	}
	for i := range ds.Corpus {
		ds.Corpus[i].Group = ds.Corpus[find(i)].ID
	}
	for _, q := range ds.Queries {
		rel := map[string]int{}
		for _, d := range idDocs[q.Group] {
			rel[ds.Corpus[d].ID] = 1
		}
		ds.Qrels[q.ID] = rel
	}
	return ds
}
