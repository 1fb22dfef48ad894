// Package heldout is XQuADHeldOut: the XQuAD articles that no training run
// of this project reads, as a mixed-language retrieval task.
//
// XQuAD's 48 articles are split by article, never by question, so that no
// held-out paragraph (nor any translation of it) is seen in training.
// Article i (0-based, in file order, the same in every language) is held out
// when i % 4 == 3: articles 3, 7, ..., 47, 12 of 48. Training
// (training/data.ReadXQuAD) reads exactly the complement; this package
// states the rule again rather than importing training (tasks must not
// depend on the trainer), and a test checks the two agree.
//
// The task is the XQuADMLIR build (tasks/builders.BuildXQuAD: every
// language's paragraphs pooled into one corpus, a question's relevant set
// is its paragraph in all 8 languages) restricted to the held-out articles.
// It reads the original release's xquad.<lang>.json files from a local
// folder: $MIMO_DATA/xquad, else ../shared/data/xquad relative to the
// working directory, else relative to the repository root. It is in group
// "mini", so the default `mimo-eval` run includes it whenever the data is
// there; when it is not, Load returns an error wrapping tasks.ErrNotFound.
package heldout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/builders"
	"github.com/mimo-mlir/mimo/tasks/xquad"
)

// Name is the task name.
const Name = "XQuADHeldOut"

// Task is the held-out XQuAD split. Dir, when set, is the folder holding
// xquad.<lang>.json; empty means the lookup described in the package doc.
type Task struct {
	Dir string
}

func init() { tasks.Register(Task{}) }

// Metadata implements tasks.Task.
func (Task) Metadata() tasks.Metadata {
	return tasks.Metadata{
		Name:  Name,
		Group: "mini",
		Description: "XQuAD's held-out articles (i % 4 == 3: 12 of 48, never trained on by mimo-train) as MLIR: " +
			"questions in 8 languages against one corpus pooling every language version of their 60 paragraphs; " +
			"all 8 versions of the gold paragraph are relevant. Read from a local copy of the original release.",
		Languages:       append([]string(nil), builders.XQuADLangs...),
		MainScore:       "ndcg_at_20",
		Source:          builders.XQuADRef.Repo + " (local files, held-out articles)",
		Revision:        "articles-mod4-3",
		License:         "CC-BY-SA-4.0",
		Reference:       "https://github.com/google-deepmind/xquad",
		ExpectedQueries: expectedQueries,
		ExpectedCorpus:  expectedCorpus,
		ExpectedQrels:   expectedQueries * len(builders.XQuADLangs),
	}
}

// Sizes of the held-out split of the original release (checked against the
// real data by the tests): 60 paragraphs and 296 questions per language.
const (
	expectedCorpus  = 60 * 8
	expectedQueries = 296 * 8
)

// Locate returns the XQuAD folder the task reads: $MIMO_DATA/xquad, else
// ../shared/data/xquad relative to the working directory, else relative to
// the repository root. The error wraps tasks.ErrNotFound and names every
// place it looked.
func Locate() (string, error) {
	var tried []string
	if d := os.Getenv("MIMO_DATA"); d != "" {
		p := filepath.Join(d, "xquad")
		if hasXQuAD(p) {
			return p, nil
		}
		tried = append(tried, p+" ($MIMO_DATA)")
	} else {
		p := filepath.Join("..", "shared", "data", "xquad")
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if hasXQuAD(p) {
			return p, nil
		}
		tried = append(tried, p)
		if d, _ := shareddata.Dir(); d != "" {
			p := filepath.Join(d, "xquad")
			if hasXQuAD(p) {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	return "", fmt.Errorf("%s: no XQuAD folder with xquad.en.json (looked in %s; set MIMO_DATA to the folder holding xquad/): %w",
		Name, strings.Join(tried, ", "), tasks.ErrNotFound)
}

func hasXQuAD(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "xquad.en.json"))
	return err == nil && st.Mode().IsRegular()
}

// Load implements tasks.Task.
func (t Task) Load(ctx context.Context, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	dir := t.Dir
	if dir == "" {
		var err error
		if dir, err = Locate(); err != nil {
			return nil, err
		}
	} else if !hasXQuAD(dir) {
		return nil, fmt.Errorf("%s: %s has no xquad.en.json: %w", Name, dir, tasks.ErrNotFound)
	}
	dss, err := builders.BuildXQuAD(ctx, tasks.DirSource{Root: dir, Flat: true}, builders.XQuADRef, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	out := make([]tasks.Dataset, len(dss))
	for i, ds := range dss {
		if out[i], err = Restrict(ds); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", Name, dir, err)
		}
	}
	return out, nil
}

// Article returns the article index of an XQuAD paragraph group
// ("{article}_{paragraph}", as BuildXQuAD names paragraphs read from the
// SQuAD JSON files).
func Article(group string) (int, error) {
	a, _, ok := strings.Cut(group, "_")
	n, err := strconv.Atoi(a)
	if !ok || err != nil || n < 0 {
		return 0, fmt.Errorf("paragraph group %q is not \"{article}_{paragraph}\" (the split needs the SQuAD JSON files, not the Parquet configs)", group)
	}
	return n, nil
}

// Restrict keeps the held-out articles of an XQuADMLIR dataset: their
// paragraphs, the questions whose relevant paragraphs are all among them,
// and those questions' qrels. A question judged against paragraphs of both
// sides of the split is an error (it cannot happen with XQuAD's layout).
func Restrict(ds tasks.Dataset) (tasks.Dataset, error) {
	out := ds
	out.Corpus, out.Queries, out.Qrels = nil, nil, tasks.Qrels{}
	kept := map[string]bool{}
	for _, d := range ds.Corpus {
		a, err := Article(d.Group)
		if err != nil {
			return out, fmt.Errorf("doc %s: %w", d.ID, err)
		}
		if xquad.HeldOut(a) {
			kept[d.ID] = true
			out.Corpus = append(out.Corpus, d)
		}
	}
	for _, q := range ds.Queries {
		rel := ds.Qrels[q.ID]
		in, outside := 0, 0
		for id := range rel {
			if kept[id] {
				in++
			} else {
				outside++
			}
		}
		switch {
		case in > 0 && outside > 0:
			return out, fmt.Errorf("query %s is judged against paragraphs on both sides of the split", q.ID)
		case in > 0:
			out.Queries = append(out.Queries, q)
			out.Qrels[q.ID] = rel
		}
	}
	if len(out.Corpus) == 0 || len(out.Queries) == 0 {
		return out, errors.New("no held-out paragraphs or questions")
	}
	return out, nil
}
