// Package reports turns result folders into what a researcher puts in a
// paper: Markdown tables shaped like the MIMO paper's (models x tasks with
// the average, MIRACL per language, per-query-language breakdowns, MRC@k,
// alignment/uniformity, a comparison with the published numbers) and the
// figures beside them (lambda sweep, alignment vs uniformity, MRC radar,
// per-language bars).
//
// Reports read files, never live objects: anything that wrote MTEB-format
// results (mimo-eval, or MTEB itself) can be reported. A file that is not
// an MTEB task result is reported by name and skipped.
package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mimo-mlir/mimo/harness"
)

// Entry is one (model, revision, task) result read from disk.
type Entry struct {
	Model    string // "org/name" (from model_meta.json, else the folder name with "__" -> "/")
	Revision string
	Task     string
	Path     string
	Result   harness.TaskResult
	Extras   *harness.Extras    // nil for results written by MTEB itself
	Meta     *harness.ModelMeta // nil when model_meta.json is absent
}

// Label is how the entry's model is shown in tables.
func (e Entry) Label() string { return e.Model }

// Problem is a file that could not be used, with the reason.
type Problem struct {
	Path string
	Err  error
}

func (p Problem) String() string { return fmt.Sprintf("%s: %v", p.Path, p.Err) }

// ErrNotTaskResult marks JSON files that are not MTEB task results.
var ErrNotTaskResult = errors.New("not an MTEB task result")

// Load reads every task result under the given folders. Folders are laid out
// as MTEB writes them: <dir>/<org>__<model>/<revision>/<Task>.json, with
// model_meta.json beside and our extras in a mimo/ sub-folder. A dir may also
// be one model folder or one revision folder. Unreadable or foreign files are
// returned as problems, never fatal; a missing folder is an error.
func Load(dirs ...string) ([]Entry, []Problem, error) {
	var entries []Entry
	var problems []Problem
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("results folder: %w", err)
		}
		if !st.IsDir() {
			return nil, nil, fmt.Errorf("results folder %s: not a folder", dir)
		}
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				problems = append(problems, Problem{Path: p, Err: err})
				return nil //nolint:nilerr // an unreadable entry is reported, the walk goes on
			}
			if d.IsDir() {
				if d.Name() == harness.ExtrasDir || strings.HasPrefix(d.Name(), ".") && p != dir {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(d.Name(), ".json") || d.Name() == "model_meta.json" {
				return nil
			}
			e, err := readEntry(p)
			if err != nil {
				problems = append(problems, Problem{Path: p, Err: err})
				return nil //nolint:nilerr // a file that is not a result is reported, the walk goes on
			}
			entries = append(entries, e)
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("results folder %s: %w", dir, err)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		if a.Task != b.Task {
			return a.Task < b.Task
		}
		return a.Revision < b.Revision
	})
	return entries, problems, nil
}

func readEntry(path string) (Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Entry{}, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Entry{}, fmt.Errorf("%w: invalid JSON: %w", ErrNotTaskResult, err)
	}
	var r harness.TaskResult
	if err := json.Unmarshal(b, &r); err != nil {
		return Entry{}, fmt.Errorf("%w: %w", ErrNotTaskResult, err)
	}
	if r.TaskName == "" {
		// MTEB v1 files name the task "mteb_dataset_name".
		if v, ok := raw["mteb_dataset_name"]; ok {
			_ = json.Unmarshal(v, &r.TaskName)
		}
	}
	if r.TaskName == "" {
		return Entry{}, fmt.Errorf("%w: field \"task_name\" is missing", ErrNotTaskResult)
	}
	if len(r.Scores) == 0 {
		return Entry{}, fmt.Errorf("%w: field \"scores\" is missing or empty", ErrNotTaskResult)
	}
	for split, subsets := range r.Scores {
		for i, s := range subsets {
			if _, err := number(s["main_score"]); err != nil {
				return Entry{}, fmt.Errorf("%w: scores.%s[%d].main_score: %w", ErrNotTaskResult, split, i, err)
			}
		}
	}
	revDir := filepath.Dir(path)
	modelDir := filepath.Dir(revDir)
	e := Entry{
		Model:    strings.ReplaceAll(filepath.Base(modelDir), "__", "/"),
		Revision: filepath.Base(revDir),
		Task:     r.TaskName,
		Path:     path,
		Result:   r,
	}
	if mb, err := os.ReadFile(filepath.Join(revDir, "model_meta.json")); err == nil {
		var m harness.ModelMeta
		if err := json.Unmarshal(mb, &m); err == nil {
			e.Meta = &m
			if m.Name != "" {
				e.Model = m.Name
			}
		}
	}
	xp := filepath.Join(revDir, harness.ExtrasDir, filepath.Base(path))
	if xb, err := os.ReadFile(xp); err == nil {
		var x harness.Extras
		if err := json.Unmarshal(xb, &x); err != nil {
			return Entry{}, fmt.Errorf("extras %s: %w", xp, err)
		}
		e.Extras = &x
	}
	return e, nil
}

// number reads a JSON number decoded into any.
func number(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case json.Number:
		return x.Float64()
	case nil:
		return 0, errors.New("missing")
	default:
		return 0, fmt.Errorf("not a number (%T)", v)
	}
}

// preferredSplit is the split a table reports: test, else dev, else the
// first in name order.
func preferredSplit(r harness.TaskResult) string {
	for _, s := range []string{"test", "dev", "validation"} {
		if _, ok := r.Scores[s]; ok {
			return s
		}
	}
	splits := make([]string, 0, len(r.Scores))
	for s := range r.Scores {
		splits = append(splits, s)
	}
	sort.Strings(splits)
	return splits[0]
}

// MainScore is the task's main score: the mean of main_score over the
// subsets of the preferred split (MTEB's convention).
func (e Entry) MainScore() float64 {
	subs := e.Result.Scores[preferredSplit(e.Result)]
	var sum float64
	for _, s := range subs {
		v, _ := number(s["main_score"])
		sum += v
	}
	return sum / float64(len(subs))
}

// Score returns a named score (e.g. "ndcg_at_10") of one subset of the
// preferred split.
func (e Entry) Score(subset, name string) (float64, bool) {
	for _, s := range e.Result.Scores[preferredSplit(e.Result)] {
		if hs, _ := s["hf_subset"].(string); hs == subset {
			v, err := number(s[name])
			return v, err == nil
		}
	}
	return 0, false
}

// Subsets lists the hf_subsets of the preferred split.
func (e Entry) Subsets() []string {
	var out []string
	for _, s := range e.Result.Scores[preferredSplit(e.Result)] {
		if hs, _ := s["hf_subset"].(string); hs != "" {
			out = append(out, hs)
		}
	}
	return out
}
