package builders

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/tasks"
)

// XQuAD: 240 paragraphs from 48 Wikipedia articles, professionally
// translated into each language with their 1,190 questions; qa ids are
// shared by the translations. The MLIR build pools every language's
// paragraphs into one corpus; a question's relevant set is its paragraph in
// all 8 languages.

// XQuADLangs are the task's languages, in the paper's order.
var XQuADLangs = lang.XQuAD

// XQuADRef is google/xquad at the revision MTEB pins.
var XQuADRef = Ref{Repo: "google/xquad", Revision: "51adfef1c1287aab1d2d91b5bead9bcfb9c68583"}

func init() {
	register(func() *Task {
		return &Task{
			meta: tasks.Metadata{
				Name:    "XQuADMLIR",
				Aliases: []string{"XQuADRetrieval"},
				Group:   "mlir",
				Description: "XQuAD as multilingual retrieval: questions in 8 languages against one corpus " +
					"pooling every language version of the 240 paragraphs; all 8 versions of the gold paragraph are relevant.",
				Languages:       XQuADLangs,
				MainScore:       "ndcg_at_20",
				License:         "CC-BY-SA-4.0",
				Reference:       "https://github.com/google-deepmind/xquad",
				ExpectedQueries: 9520,
				ExpectedCorpus:  1920,
				ExpectedQrels:   76160,
			},
			refs: []Ref{XQuADRef},
			build: func(ctx context.Context, src tasks.Source, refs []Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
				return BuildXQuAD(ctx, src, refs[0], opts)
			},
		}
	})
}

// xquadQA is one question of a paragraph.
type xquadQA struct{ ID, Question string }

// xquadPara is one paragraph. Key is its position, shared by the language
// versions: "{article}_{paragraph}" from SQuAD JSON, "p{n}" (n-th distinct
// paragraph in row order) from the Parquet configs, which carry no article
// structure.
type xquadPara struct {
	Key     string
	Context string
	QAs     []xquadQA
}

// xquadLang is one language version of the data set.
type xquadLang struct {
	Lang  string
	File  string
	Paras []xquadPara
}

// xquadJSONNames are the file names the SQuAD-format release of one
// language is found under, in order of preference: google-deepmind/xquad's
// (and google/xquad's) "xquad.{lang}.json", LAReQA's XQuAD-R copy
// "{lang}.json" (a folder holding google-research-datasets/lareqa's
// xquad-r/), and "xquad-r/{lang}.json" (the root of a LAReQA checkout).
func xquadJSONNames(lang string) []string {
	return []string{"xquad." + lang + ".json", lang + ".json", "xquad-r/" + lang + ".json"}
}

// BuildXQuAD builds XQuADMLIR from ref. It reads the SQuAD-v1.1 JSON
// file of each language under any of xquadJSONNames (the original release,
// and LAReQA's XQuAD-R copy, whose texts and ids are identical: doc ids
// "{lang}_{article}_{paragraph}") and otherwise the Hub's Parquet configs
// xquad.{lang}, split validation (doc ids "{lang}_p{n}", the same grouping
// by position). With LoadOptions.Langs set only those languages are read;
// doc ids do not depend on which are. Every selected language found under
// no name is named in one error wrapping tasks.ErrNotFound.
func BuildXQuAD(ctx context.Context, src tasks.Source, ref Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	if err := checkLangs("XQuADMLIR", XQuADLangs, opts.Langs); err != nil {
		return nil, err
	}
	in := input{src: src, ref: ref}
	files, err := in.list(ctx)
	if err != nil {
		return nil, err
	}
	sel := newLangFilter(opts.Langs)
	var langs []xquadLang
	var missing []string
	for _, lang := range XQuADLangs {
		if !sel.Keep(lang) {
			continue
		}
		var l xquadLang
		var err error
		name := ""
		for _, n := range xquadJSONNames(lang) {
			if slices.Contains(files, n) {
				name = n
				break
			}
		}
		if name != "" {
			l, err = readXQuADJSON(ctx, in, lang, name)
		} else {
			l, err = readXQuADParquet(ctx, in, files, lang)
			if errors.Is(err, tasks.ErrNotFound) {
				missing = append(missing, fmt.Sprintf("%s (none of %s; %v)", lang, strings.Join(xquadJSONNames(lang), ", "), err))
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		langs = append(langs, l)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s@%s: %d selected language(s) found under no name: %s (select the languages present with --langs): %w",
			ref.Repo, ref.Revision, len(missing), strings.Join(missing, "; "), tasks.ErrNotFound)
	}
	ds, err := buildXQuAD(langs)
	if err != nil {
		return nil, err
	}
	finish(&ds, opts, "query_without_positive", XQuADLangs, mtebTag)
	return []tasks.Dataset{ds}, nil
}

func readXQuADJSON(ctx context.Context, in input, lang, name string) (xquadLang, error) {
	sq, err := in.readSQuAD(ctx, name)
	if err != nil {
		return xquadLang{}, err
	}
	l := xquadLang{Lang: lang, File: in.where(name)}
	for a, art := range sq.Data {
		for p, para := range art.Paragraphs {
			xp := xquadPara{Key: strconv.Itoa(a) + "_" + strconv.Itoa(p), Context: para.Context}
			for _, qa := range para.QAs {
				xp.QAs = append(xp.QAs, xquadQA{ID: qa.ID, Question: qa.Question})
			}
			l.Paras = append(l.Paras, xp)
		}
	}
	if len(l.Paras) == 0 {
		return l, fmt.Errorf("%s: no paragraphs", l.File)
	}
	return l, nil
}

func readXQuADParquet(ctx context.Context, in input, files []string, lang string) (xquadLang, error) {
	config := "xquad." + lang
	shards, err := splitFiles(files, config, "validation", false)
	if err != nil {
		if errors.Is(err, tasks.ErrNotFound) {
			return xquadLang{}, err // the caller names the repository and every name tried
		}
		return xquadLang{}, fmt.Errorf("%s@%s: %w", in.ref.Repo, in.ref.Revision, err)
	}
	l := xquadLang{Lang: lang, File: in.where(config)}
	index := map[string]int{} // context -> position in l.Paras
	for _, f := range shards {
		err := in.readParquet(ctx, f, []string{"id", "context", "question"}, func(row int, rec map[string]any) error {
			id, err := strCol(rec, "id")
			if err != nil {
				return err
			}
			ctxText, err := strCol(rec, "context")
			if err != nil {
				return err
			}
			q, err := strCol(rec, "question")
			if err != nil {
				return err
			}
			if id == "" || ctxText == "" {
				return fmt.Errorf("empty id or context: %w", errColumn)
			}
			i, ok := index[ctxText]
			if !ok {
				i = len(l.Paras)
				index[ctxText] = i
				l.Paras = append(l.Paras, xquadPara{Key: "p" + strconv.Itoa(i), Context: ctxText})
			}
			l.Paras[i].QAs = append(l.Paras[i].QAs, xquadQA{ID: id, Question: q})
			return nil
		})
		if err != nil {
			return l, err
		}
	}
	return l, nil
}

// buildXQuAD is the pure build: docs "{lang}_{key}" in language then
// paragraph order, queries "{lang}_{qa_id}", relevant = the paragraph holding
// qa_id in every language that has it.
func buildXQuAD(langs []xquadLang) (tasks.Dataset, error) {
	ds := tasks.Dataset{Subset: "default", Split: "test", Qrels: tasks.Qrels{}}
	// holder[lang][qa id] = doc id of the paragraph holding it.
	holder := make(map[string]map[string]string, len(langs))
	for _, l := range langs {
		h := map[string]string{}
		holder[l.Lang] = h
		for _, p := range l.Paras {
			docID := l.Lang + "_" + p.Key
			ds.Corpus = append(ds.Corpus, tasks.Doc{ID: docID, Text: p.Context, Lang: l.Lang, Group: p.Key})
			for _, qa := range p.QAs {
				if _, dup := h[qa.ID]; dup {
					skip(&ds, "duplicate_question_id", 1)
					continue
				}
				h[qa.ID] = docID
				ds.Queries = append(ds.Queries, tasks.Query{ID: l.Lang + "_" + qa.ID, Text: qa.Question, Lang: l.Lang, Group: qa.ID})
			}
		}
	}
	for _, q := range ds.Queries {
		rel := map[string]int{}
		for _, l := range langs {
			if d, ok := holder[l.Lang][q.Group]; ok {
				rel[d] = 1
			} else {
				skip(&ds, "question_missing_in_language", 1)
			}
		}
		ds.Qrels[q.ID] = rel
	}
	if len(ds.Queries) == 0 {
		return ds, fmt.Errorf("XQuAD: no questions read")
	}
	return ds, nil
}
