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
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/mimo-mlir/mimo/internal/pyjson"
	"github.com/mimo-mlir/mimo/results"
)

// Entry is one (model, revision, task) result read from disk.
type Entry struct {
	Model    string // "org/name" (from model_meta.json, else the folder name with "__" -> "/")
	Revision string
	Task     string
	Path     string
	Root     string // the results folder Path was found under
	Result   results.TaskResult
	Extras   *results.Extras // nil for results written by MTEB itself
	Meta     *ModelMeta      // nil when model_meta.json is absent or unreadable
	// Layout is LayoutCurrent or LayoutPre111 (converted as MTEB does).
	Layout string
	// MainMetric is the score key main_score holds ("ndcg_at_10"); empty
	// when no key of the file matches it. MainMetricNote says how it was
	// found when not from the task's definition ("inferred from the file").
	MainMetric     string
	MainMetricNote string
}

// Label is how the entry's model is shown in tables.
func (e Entry) Label() string { return e.Model }

// ByMimo is true when mimo wrote the result (its extras are beside it).
func (e Entry) ByMimo() bool { return e.Extras != nil }

// Writer names who wrote the file: "mimo", or "MTEB <version>".
func (e Entry) Writer() string {
	if e.ByMimo() {
		return "mimo"
	}
	if e.Result.MTEBVersion == "" {
		return "MTEB (version not recorded)"
	}
	return "MTEB " + e.Result.MTEBVersion
}

// RelPath is Path relative to the results folder it was found under.
func (e Entry) RelPath() string { return relTo(e.Root, e.Path) }

func relTo(root, path string) string {
	if root == "" {
		return path
	}
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}

// Problem is a file that could not be used, with the reason.
type Problem struct {
	Path string
	Root string // the results folder it was found under
	Err  error
}

func (p Problem) String() string { return fmt.Sprintf("%s: %v", p.Path, p.Err) }

// ErrNotTaskResult marks JSON files that are not MTEB task results.
var ErrNotTaskResult = errors.New("not an MTEB task result")

// ModelMeta is what a report reads of a model_meta.json: MTEB writes many
// more fields, in several versions of the format (max_tokens 8192.0,
// memory_usage before memory_usage_mb, ...); only these are used.
type ModelMeta struct {
	Name     string
	Revision string
	// Fields are the file's top-level keys, sorted.
	Fields []string
}

// MetaFile is one model_meta.json found under a results folder.
type MetaFile struct {
	Path string
	Root string
	Meta ModelMeta
	// TaskFiles is how many task result files are beside it (0: the
	// revision folder holds only model_meta.json, as MTEB's results
	// repository's "external" folders do).
	TaskFiles int
}

// RelPath is Path relative to its results folder.
func (m MetaFile) RelPath() string { return relTo(m.Root, m.Path) }

// Results is everything read from result folders.
type Results struct {
	Entries  []Entry
	Problems []Problem
	Metas    []MetaFile
}

// Load reads every task result under the given folders. Folders are laid out
// as MTEB writes them: <dir>/<org>__<model>/<revision>/<Task>.json, with
// model_meta.json beside and our extras in a mimo/ sub-folder. A dir may also
// be one model folder or one revision folder. Unreadable or foreign files are
// returned as problems, never fatal; a missing folder is an error.
func Load(dirs ...string) ([]Entry, []Problem, error) {
	res, err := LoadResults(dirs...)
	return res.Entries, res.Problems, err
}

// LoadResults is Load, with the model_meta.json files as well.
//
// Files are decoded as Python's json.load decodes them (MTEB's reader):
// bare NaN, Infinity and -Infinity are numbers. Both layouts MTEB's
// TaskResult.from_disk reads are read: the current one, and the one before
// MTEB 1.11 (converted as MTEB converts it). Every file that is neither is
// a Problem naming the reason.
func LoadResults(dirs ...string) (Results, error) {
	var res Results
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return Results{}, fmt.Errorf("results folder: %w", err)
		}
		if !st.IsDir() {
			return Results{}, fmt.Errorf("results folder %s: not a folder", dir)
		}
		metas := map[string]int{} // revision folder -> index in res.Metas
		counts := map[string]int{}
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				res.Problems = append(res.Problems, Problem{Path: p, Root: dir, Err: err})
				return nil //nolint:nilerr // an unreadable entry is reported, the walk goes on
			}
			if d.IsDir() {
				if d.Name() == results.ExtrasDir || strings.HasPrefix(d.Name(), ".") && p != dir {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(d.Name(), ".json") {
				return nil
			}
			if d.Name() == "model_meta.json" {
				m, err := readModelMeta(p)
				if err != nil {
					res.Problems = append(res.Problems, Problem{Path: p, Root: dir, Err: err})
					return nil //nolint:nilerr // an unreadable model_meta.json is reported, the walk goes on
				}
				metas[filepath.Dir(p)] = len(res.Metas)
				res.Metas = append(res.Metas, MetaFile{Path: p, Root: dir, Meta: m})
				return nil
			}
			e, err := readEntry(p)
			if err != nil {
				res.Problems = append(res.Problems, Problem{Path: p, Root: dir, Err: err})
				return nil //nolint:nilerr // a file that is not a result is reported, the walk goes on
			}
			e.Root = dir
			counts[filepath.Dir(p)]++
			res.Entries = append(res.Entries, e)
			return nil
		})
		if err != nil {
			return Results{}, fmt.Errorf("results folder %s: %w", dir, err)
		}
		for rev, i := range metas {
			res.Metas[i].TaskFiles = counts[rev]
		}
	}
	sort.SliceStable(res.Entries, func(i, j int) bool {
		a, b := res.Entries[i], res.Entries[j]
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		if a.Task != b.Task {
			return a.Task < b.Task
		}
		return a.Revision < b.Revision
	})
	return res, nil
}

// readModelMeta reads a model_meta.json as MTEB's files are (Python JSON).
func readModelMeta(path string) (ModelMeta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ModelMeta{}, err
	}
	v, err := pyjson.Decode(b)
	if err != nil {
		return ModelMeta{}, fmt.Errorf("model_meta.json: %w", err)
	}
	top, ok := v.(map[string]any)
	if !ok {
		return ModelMeta{}, fmt.Errorf("model_meta.json: a JSON %s, not an object", jsonKind(v))
	}
	var m ModelMeta
	if m.Name, err = optString(top, "name"); err != nil {
		return ModelMeta{}, fmt.Errorf("model_meta.json: %w", err)
	}
	if m.Revision, err = optString(top, "revision"); err != nil {
		return ModelMeta{}, fmt.Errorf("model_meta.json: %w", err)
	}
	m.Fields = sortedKeys(top)
	return m, nil
}

func readEntry(path string) (Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Entry{}, err
	}
	v, err := pyjson.Decode(b)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: %w", ErrNotTaskResult, err)
	}
	r, layout, err := parseTaskResult(v)
	if err != nil {
		return Entry{}, err
	}
	revDir := filepath.Dir(path)
	modelDir := filepath.Dir(revDir)
	e := Entry{
		Model:    strings.ReplaceAll(filepath.Base(modelDir), "__", "/"),
		Revision: filepath.Base(revDir),
		Task:     r.TaskName,
		Path:     path,
		Result:   r,
		Layout:   layout,
	}
	mp := filepath.Join(revDir, "model_meta.json")
	if _, err := os.Stat(mp); err == nil {
		// A model_meta.json that cannot be read is a Problem of its own
		// (LoadResults lists it); the result is still used.
		if m, err := readModelMeta(mp); err == nil {
			e.Meta = &m
			if m.Name != "" {
				e.Model = m.Name
			}
		}
	}
	xp := filepath.Join(revDir, results.ExtrasDir, filepath.Base(path))
	if xb, err := os.ReadFile(xp); err == nil {
		var x results.Extras
		if err := json.Unmarshal(xb, &x); err != nil {
			return Entry{}, fmt.Errorf("extras %s: %w", xp, err)
		}
		e.Extras = &x
		if n, ok := legacyMimoNames[e.Task]; ok {
			e.Task = n // written by mimo under MTEB's name before the rename
		}
	}
	e.MainMetric, e.MainMetricNote = mainMetric(e)
	return e, nil
}

// mimoMainScore is the main score mimo's own tasks write: nDCG@20 for the
// MLIR tasks (the paper's metric), nDCG@10 for MIRACL ("" when unknown).
func mimoMainScore(task string) string {
	switch {
	case isMLIR(task):
		return "ndcg_at_20"
	case isMIRACL(task):
		return "ndcg_at_10"
	}
	return ""
}

// mainMetric finds the score key main_score holds. The task's definition
// says which (mimo's for mimo's runs, MTEB's table for MTEB's tasks); it
// is checked against the file. Without a definition, or when the file
// disagrees with it, the key whose value equals main_score in every subset
// is taken (nDCG@10, then nDCG@20, then the first by name).
func mainMetric(e Entry) (string, string) {
	want := ""
	if e.ByMimo() {
		want = mimoMainScore(e.Task)
	} else if t, ok := mtebTasks[e.Task]; ok {
		want = t.MainScore
	}
	subs := e.subsetScores()
	agrees := func(key string) bool {
		for _, s := range subs {
			m, _ := number(s["main_score"])
			v, err := number(s[key])
			if err != nil || !(v == m || math.IsNaN(v) && math.IsNaN(m)) {
				return false
			}
		}
		return len(subs) > 0
	}
	if want != "" && agrees(want) {
		return want, ""
	}
	var cands []string
	if len(subs) > 0 {
		for k := range subs[0] {
			switch k {
			case "main_score", "hf_subset", "languages", "mteb_version":
				continue
			}
			if agrees(k) {
				cands = append(cands, k)
			}
		}
	}
	sort.Strings(cands)
	for _, pref := range []string{"ndcg_at_10", "ndcg_at_20"} {
		for i, c := range cands {
			if c == pref {
				cands[0], cands[i] = cands[i], cands[0]
			}
		}
		if len(cands) > 0 && cands[0] == pref {
			break
		}
	}
	note := "inferred from the file"
	if want != "" {
		note = fmt.Sprintf("the task's main score is %s, but main_score differs from it in this file", metricLabel(want))
	}
	if len(cands) == 0 {
		return "", note
	}
	return cands[0], note
}

// preferredSplit is the split a mimo table reports: test, else dev, else
// validation, else the first in name order.
func preferredSplit(r results.TaskResult) string {
	for _, s := range []string{"test", "dev", "validation"} {
		if _, ok := r.Scores[s]; ok {
			return s
		}
	}
	splits := sortedKeys(r.Scores)
	if len(splits) == 0 {
		return ""
	}
	return splits[0]
}

// Splits are the splits the main score averages over. For mimo's runs,
// the preferred split (test, else dev, else validation), as the paper
// reports one split. For files written by MTEB, MTEB's convention
// (TaskResult.get_score): every split of the file, restricted to the
// task's eval_splits when mimo knows the task.
func (e Entry) Splits() []string {
	if e.ByMimo() {
		if s := preferredSplit(e.Result); s != "" {
			return []string{s}
		}
		return nil
	}
	var out []string
	t, known := mtebTasks[e.Task]
	for _, s := range splitOrder(sortedKeys(e.Result.Scores)) {
		if known && !slices.Contains(t.EvalSplits, s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// subsetScores are the subsets' score maps over Splits().
func (e Entry) subsetScores() []map[string]any {
	var out []map[string]any
	for _, sp := range e.Splits() {
		out = append(out, e.Result.Scores[sp]...)
	}
	return out
}

// MainScore is the task's main score: the mean of main_score over the
// subsets of Splits() (MTEB's get_score). NaN when there is none.
func (e Entry) MainScore() float64 {
	v, _ := e.Mean("main_score")
	return v
}

// Mean is the mean of a score over the subsets of Splits(), and whether
// every subset has it.
func (e Entry) Mean(key string) (float64, bool) {
	subs := e.subsetScores()
	if len(subs) == 0 {
		return math.NaN(), false
	}
	var sum float64
	for _, s := range subs {
		v, err := number(s[key])
		if err != nil {
			return math.NaN(), false
		}
		sum += v
	}
	return sum / float64(len(subs)), true
}

// Score returns a named score (e.g. "ndcg_at_10") of one subset, from the
// first of Splits() that has the subset.
func (e Entry) Score(subset, name string) (float64, bool) {
	for _, sp := range e.Splits() {
		for _, s := range e.Result.Scores[sp] {
			if hs, _ := s["hf_subset"].(string); hs == subset {
				v, err := number(s[name])
				return v, err == nil
			}
		}
	}
	return 0, false
}

// Subsets lists the hf_subsets of Splits(), without repeats, in file order.
func (e Entry) Subsets() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range e.subsetScores() {
		if hs, _ := s["hf_subset"].(string); hs != "" && !seen[hs] {
			seen[hs] = true
			out = append(out, hs)
		}
	}
	return out
}

// Coverage says which of the task's subsets the file holds, per eval split.
// Only MTEB's tasks mimo knows have a known full set.
func (e Entry) Coverage() coverage {
	t, known := mtebTasks[e.Task]
	if e.ByMimo() {
		known = false
	}
	var c coverage
	c.known = known
	splits := e.Splits()
	if known {
		splits = t.EvalSplits
	}
	for _, sp := range splits {
		sc := splitCoverage{split: sp}
		list, ok := e.Result.Scores[sp]
		if !ok {
			sc.missing = true
		}
		var want map[string]bool
		if known {
			sc.want = len(t.Subsets)
			want = map[string]bool{}
			for _, s := range t.Subsets {
				want[s] = true
			}
		}
		seen := map[string]bool{}
		for _, s := range list {
			hs, _ := s["hf_subset"].(string)
			if seen[hs] {
				continue
			}
			seen[hs] = true
			if known && !want[hs] {
				sc.extra = append(sc.extra, hs)
				continue
			}
			sc.have = append(sc.have, hs)
		}
		c.splits = append(c.splits, sc)
	}
	return c
}
