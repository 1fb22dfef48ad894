package data

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// XQuADHeldOutEvery sets the split: XQuAD's 48 articles are split by article,
// never by question, so that no held-out paragraph (or a translation of it)
// is ever seen in training. The
// split is a pure function of the article's position in the files (the same
// in every language), exported so the evaluation side builds the held-out
// task from exactly the complement of what training reads:
//
//	article i is held out  <=>  i % XQuADHeldOutEvery == XQuADHeldOutEvery-1
//
// i.e. articles 3, 7, 11, ..., 47: 12 of 48 held out, 36 for training.
const XQuADHeldOutEvery = 4

// XQuADHeldOut reports whether article index i (0-based, file order) is held out.
func XQuADHeldOut(i int) bool { return i%XQuADHeldOutEvery == XQuADHeldOutEvery-1 }

// XQuADHeldOutArticles lists the held-out article indices among n articles.
func XQuADHeldOutArticles(n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		if XQuADHeldOut(i) {
			out = append(out, i)
		}
	}
	return out
}

type squadFile struct {
	Data []struct {
		Title      string `json:"title"`
		Paragraphs []struct {
			Context string `json:"context"`
			QAs     []struct {
				ID       string `json:"id"`
				Question string `json:"question"`
			} `json:"qas"`
		} `json:"paragraphs"`
	} `json:"data"`
}

// XQuADRow is a ParallelRow with the article it came from.
type XQuADRow struct {
	ParallelRow
	Article int
}

// ReadXQuAD reads dir/xquad.<lang>.json for langs and returns one row per
// question id: its question and its paragraph in every language, split into
// training and held-out rows by article (XQuADHeldOut). The files must agree
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
		path := filepath.Join(dir, "xquad."+lang+".json")
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("xquad: %w", err)
		}
		var f squadFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, nil, fmt.Errorf("xquad: %s: %w", path, err)
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
		if XQuADHeldOut(r.Article) {
			heldOut = append(heldOut, r)
		} else {
			train = append(train, r)
		}
	}
	return train, heldOut, nil
}

// Rows drops the article indices.
func Rows(xs []XQuADRow) []ParallelRow {
	out := make([]ParallelRow, len(xs))
	for i, x := range xs {
		out[i] = x.ParallelRow
	}
	return out
}
