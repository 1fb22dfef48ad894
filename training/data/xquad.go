package data

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mimo-mlir/mimo/tasks/formats"
	"github.com/mimo-mlir/mimo/tasks/xquad"
)

// XQuADRow is a ParallelRow with the article it came from.
type XQuADRow struct {
	ParallelRow
	Article int
}

// ReadXQuAD reads dir/xquad.<lang>.json for langs (SQuAD JSON, read by
// tasks/formats) and returns one row per question id: its question and its
// paragraph in every language, split into training and held-out rows by
// article (tasks/xquad.HeldOut, the split the evaluation side shares). The files must agree
// on articles, paragraphs and question ids; a mismatch is an error naming the
// file, article and id.
func ReadXQuAD(dir string, langs []string) (train, heldOut []XQuADRow, err error) {
	if len(langs) == 0 {
		return nil, nil, fmt.Errorf("xquad: no languages")
	}
	var rows []XQuADRow
	index := map[string]int{}
	for li, lang := range langs {
		lang = NormalizeLang(lang)
		path := filepath.Join(dir, xquad.File(lang))
		f, err := readSQuAD(path)
		if err != nil {
			return nil, nil, fmt.Errorf("xquad: %w", err)
		}
		n := 0
		for a, art := range f.Data {
			for _, par := range art.Paragraphs {
				for _, qa := range par.QAs {
					if li == 0 {
						index[qa.ID] = len(rows)
						rows = append(rows, XQuADRow{
							ParallelRow: ParallelRow{ID: qa.ID, Query: map[string]string{}, Positive: map[string]string{}},
							Article:     a,
						})
					}
					k, ok := index[qa.ID]
					if !ok {
						return nil, nil, fmt.Errorf("xquad: %s: article %d: question %q is not in xquad.%s.json", path, a, qa.ID, langs[0])
					}
					if rows[k].Article != a {
						return nil, nil, fmt.Errorf("xquad: %s: question %q is in article %d, in xquad.%s.json in article %d", path, qa.ID, a, langs[0], rows[k].Article)
					}
					rows[k].Query[lang] = qa.Question
					rows[k].Positive[lang] = par.Context
					n++
				}
			}
		}
		if n != len(rows) {
			return nil, nil, fmt.Errorf("xquad: %s has %d questions, xquad.%s.json has %d", path, n, langs[0], len(rows))
		}
	}
	for _, r := range rows {
		if xquad.HeldOut(r.Article) {
			heldOut = append(heldOut, r)
		} else {
			train = append(train, r)
		}
	}
	return train, heldOut, nil
}

// readSQuAD reads one SQuAD-format file (tasks/formats checks it).
func readSQuAD(path string) (*formats.SQuAD, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return formats.ReadSQuAD(f, path)
}

// Rows drops the article indices.
func Rows(xs []XQuADRow) []ParallelRow {
	out := make([]ParallelRow, len(xs))
	for i, x := range xs {
		out[i] = x.ParallelRow
	}
	return out
}
