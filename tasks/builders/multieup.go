package builders

import (
	"context"
	"fmt"
	"strings"

	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/tasks"
)

// MultiEuP-v2: European Parliament debate speeches (the corpus, original
// language, not parallel) with the debate topic's title translated into the
// EU languages (the queries). A topic's relevant set is every speech given
// under it. The authors keep de en es fr it pt (their scripts call Dutch
// "dt", so nl fell out).

// MultiEuPLangs are the task's languages.
var MultiEuPLangs = lang.MultiEuP

// MultiEuPRef is unimelb-nlp/MultiEup-v2 at the pinned revision.
var MultiEuPRef = Ref{Repo: "unimelb-nlp/MultiEup-v2", Revision: "382817850e097286b3fa9d874fb1b5128d0a430c"}

// MultiEuPFile is the CSV the task is built from.
const MultiEuPFile = "clean_all_with_did_qid.MEP.csv"

func init() {
	register(func() *Task {
		return &Task{
			meta: tasks.Metadata{
				Name:    "MultiEuPMLIR",
				Aliases: []string{"MultiEuPRetrieval"},
				Group:   "mlir",
				Description: "MultiEuP-v2 as multilingual retrieval: debate topic titles in 6 languages against the " +
					"speeches (original languages) of those languages; every speech of the topic is relevant.",
				Languages:       MultiEuPLangs,
				MainScore:       "ndcg_at_20",
				License:         "CC-BY-4.0",
				Reference:       "https://arxiv.org/abs/2311.01870",
				ExpectedQueries: 10686,
				ExpectedCorpus:  35444,
			},
			refs: []Ref{MultiEuPRef},
			build: func(ctx context.Context, src tasks.Source, refs []Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
				return BuildMultiEuP(ctx, src, refs[0], opts)
			},
		}
	})
}

// BuildMultiEuP builds MultiEuPMLIR from ref by streaming MultiEuPFile.
func BuildMultiEuP(ctx context.Context, src tasks.Source, ref Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	if err := checkLangs("MultiEuPMLIR", MultiEuPLangs, opts.Langs); err != nil {
		return nil, err
	}
	in := input{src: src, ref: ref}
	b := newMEPBuilder(MultiEuPLangs)
	err := in.readCSV(ctx, MultiEuPFile, func(line int, rec map[string]string) error {
		if err := b.add(rec); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if b.rows == 0 {
		return nil, fmt.Errorf("%s: no rows", in.where(MultiEuPFile))
	}
	ds := b.build()
	finish(&ds, opts, "query_without_docs", MultiEuPLangs, mtebTag)
	return []tasks.Dataset{ds}, nil
}

// mepBuilder accumulates the CSV rows one at a time (the file is large).
type mepBuilder struct {
	langs   []string
	keep    map[string]bool
	rows    int
	ds      tasks.Dataset
	docSeen map[string]bool
	qSeen   map[string]string   // query id -> topic
	topic   map[string][]string // topic -> doc ids
}

func newMEPBuilder(langs []string) *mepBuilder {
	b := &mepBuilder{langs: langs, keep: map[string]bool{}, docSeen: map[string]bool{},
		qSeen: map[string]string{}, topic: map[string][]string{}}
	for _, l := range langs {
		b.keep[l] = true
	}
	b.ds = tasks.Dataset{Subset: "default", Split: "test", Qrels: tasks.Qrels{}}
	return b
}

// beforeHash is s up to its first "#", trimmed.
func beforeHash(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// add takes one CSV record. The first record checks the header: every
// column the build reads must exist.
func (b *mepBuilder) add(rec map[string]string) error {
	if b.rows == 0 {
		need := []string{"did", "TEXT", "LANGUAGE", "qid_EN"}
		for _, l := range b.langs {
			up := strings.ToUpper(l)
			need = append(need, "title_"+up, "qid_"+up)
		}
		for _, c := range need {
			if _, ok := rec[c]; !ok {
				return fmt.Errorf("column %q missing: %w", c, errColumn)
			}
		}
	}
	b.rows++
	topic := beforeHash(rec["qid_EN"])
	if topic == "" {
		skip(&b.ds, "row_without_qid_EN", 1)
		return nil
	}
	did, text := strings.TrimSpace(rec["did"]), rec["TEXT"]
	lang := strings.ToLower(strings.TrimSpace(rec["LANGUAGE"]))
	switch {
	case did == "" || strings.TrimSpace(text) == "":
		skip(&b.ds, "row_without_did_or_text", 1)
	case !b.keep[lang]:
		skip(&b.ds, "doc_language_not_in_task", 1)
	case b.docSeen[did]:
		skip(&b.ds, "duplicate_did", 1)
	default:
		b.docSeen[did] = true
		b.ds.Corpus = append(b.ds.Corpus, tasks.Doc{ID: did, Text: text, Lang: lang})
		b.topic[topic] = append(b.topic[topic], did)
	}
	for _, l := range b.langs {
		up := strings.ToUpper(l)
		title, qid := strings.TrimSpace(rec["title_"+up]), beforeHash(rec["qid_"+up])
		if title == "" || qid == "" {
			continue
		}
		id := l + "_" + qid
		if t, ok := b.qSeen[id]; ok {
			if t != topic {
				skip(&b.ds, "query_id_in_two_topics", 1)
			}
			continue
		}
		b.qSeen[id] = topic
		b.ds.Queries = append(b.ds.Queries, tasks.Query{ID: id, Text: title, Lang: l, Group: topic})
	}
	return nil
}

// build returns the dataset: every query relevant to all docs of its topic.
func (b *mepBuilder) build() tasks.Dataset {
	for _, q := range b.ds.Queries {
		rel := map[string]int{}
		for _, d := range b.topic[q.Group] {
			rel[d] = 1
		}
		b.ds.Qrels[q.ID] = rel
	}
	return b.ds
}
