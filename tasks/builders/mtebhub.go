package builders

import (
	"context"
	"fmt"
	"strings"

	"github.com/mimo-mlir/mimo/tasks"
)

// MTEB v2 stores a retrieval subset S as three configs of Parquet shards:
//
//	S-corpus/{split}-0000i-of-0000n.parquet   id (or _id), text, optional title
//	S-queries/{split}-0000i-of-0000n.parquet  id (or _id), text
//	S-qrels/{split}-0000i-of-0000n.parquet    query-id, corpus-id, score (int)
//
// ReadMTEBSubset reads one subset; shards are discovered from the listing.

// MTEBDoc is one corpus row of an MTEB subset.
type MTEBDoc struct{ ID, Title, Text string }

// FullText is the document text MTEB embeds: title + " " + text, trimmed,
// when the title is non-empty; text otherwise.
func (d MTEBDoc) FullText() string {
	if strings.TrimSpace(d.Title) == "" {
		return d.Text
	}
	return strings.TrimSpace(d.Title + " " + d.Text)
}

// MTEBQuery is one query row of an MTEB subset.
type MTEBQuery struct{ ID, Text string }

// MTEBJudgement is one qrels row of an MTEB subset.
type MTEBJudgement struct {
	QueryID, CorpusID string
	Score             int
}

// MTEBSubset is one subset read from an MTEB v2 repository.
type MTEBSubset struct {
	Corpus  []MTEBDoc
	Queries []MTEBQuery
	Qrels   []MTEBJudgement
}

// ReadMTEBSubset reads subset (e.g. "rus", "ar") of split from ref. A
// subset of "" reads the configs "corpus", "queries" and "qrels" (the
// monolingual layout). Corpus and queries stored under another single split
// name are accepted; qrels must be of split.
func ReadMTEBSubset(ctx context.Context, src tasks.Source, ref Ref, subset, split string) (*MTEBSubset, error) {
	in := input{src: src, ref: ref}
	files, err := in.list(ctx)
	if err != nil {
		return nil, err
	}
	shards := func(part string, anySplit bool) ([]string, error) {
		config := part
		if subset != "" {
			config = subset + "-" + part
		}
		s, err := splitFiles(files, config, split, anySplit)
		if err != nil {
			return nil, fmt.Errorf("%s@%s: %w", ref.Repo, ref.Revision, err)
		}
		return s, nil
	}
	out := &MTEBSubset{}
	for _, part := range []struct {
		name     string
		anySplit bool
		read     func(ctx context.Context, in input, file string, out *MTEBSubset) error
	}{{"corpus", true, readMTEBCorpus}, {"queries", true, readMTEBQueries}, {"qrels", false, readMTEBQrels}} {
		files, err := shards(part.name, part.anySplit)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if err := part.read(ctx, in, f, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// readMTEBCorpus appends the rows of one corpus shard: id (or _id), text,
// optional title.
func readMTEBCorpus(ctx context.Context, in input, file string, out *MTEBSubset) error {
	return in.readParquet(ctx, file, nil, func(row int, rec map[string]any) error {
		var d MTEBDoc
		var err error
		if d.ID, err = firstCol(rec, "_id", "id"); err != nil {
			return err
		}
		if d.Text, err = strCol(rec, "text"); err != nil {
			return err
		}
		if _, ok := rec["title"]; ok {
			if d.Title, err = strCol(rec, "title"); err != nil {
				return err
			}
		}
		if d.ID == "" {
			return fmt.Errorf("empty id: %w", errColumn)
		}
		out.Corpus = append(out.Corpus, d)
		return nil
	})
}

// readMTEBQueries appends the rows of one queries shard: id (or _id), text.
func readMTEBQueries(ctx context.Context, in input, file string, out *MTEBSubset) error {
	return in.readParquet(ctx, file, nil, func(row int, rec map[string]any) error {
		var q MTEBQuery
		var err error
		if q.ID, err = firstCol(rec, "_id", "id"); err != nil {
			return err
		}
		if q.Text, err = strCol(rec, "text"); err != nil {
			return err
		}
		if q.ID == "" {
			return fmt.Errorf("empty id: %w", errColumn)
		}
		out.Queries = append(out.Queries, q)
		return nil
	})
}

// readMTEBQrels appends the rows of one qrels shard: query-id, corpus-id,
// score.
func readMTEBQrels(ctx context.Context, in input, file string, out *MTEBSubset) error {
	return in.readParquet(ctx, file, []string{"query-id", "corpus-id", "score"}, func(row int, rec map[string]any) error {
		var j MTEBJudgement
		var err error
		if j.QueryID, err = strCol(rec, "query-id"); err != nil {
			return err
		}
		if j.CorpusID, err = strCol(rec, "corpus-id"); err != nil {
			return err
		}
		if j.Score, err = intCol(rec, "score"); err != nil {
			return err
		}
		out.Qrels = append(out.Qrels, j)
		return nil
	})
}

// Dataset turns an MTEB subset into a Dataset in one language: doc text per
// FullText, qrels as stored (graded), queries without qrels dropped.
// Duplicate ids keep their first row (counted in Skipped).
func (s *MTEBSubset) Dataset(subset, split, lang string) tasks.Dataset {
	ds := tasks.Dataset{Subset: subset, Split: split, Qrels: tasks.Qrels{}}
	seen := map[string]bool{}
	for _, d := range s.Corpus {
		if seen[d.ID] {
			skip(&ds, "duplicate_doc_id", 1)
			continue
		}
		seen[d.ID] = true
		ds.Corpus = append(ds.Corpus, tasks.Doc{ID: d.ID, Text: d.FullText(), Lang: lang})
	}
	seen = map[string]bool{}
	for _, q := range s.Queries {
		if seen[q.ID] {
			skip(&ds, "duplicate_query_id", 1)
			continue
		}
		seen[q.ID] = true
		ds.Queries = append(ds.Queries, tasks.Query{ID: q.ID, Text: q.Text, Lang: lang})
	}
	for _, j := range s.Qrels {
		rel := ds.Qrels[j.QueryID]
		if rel == nil {
			rel = map[string]int{}
			ds.Qrels[j.QueryID] = rel
		}
		rel[j.CorpusID] = j.Score
	}
	return ds
}
