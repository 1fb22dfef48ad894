package reports

import (
	"fmt"
	"strings"

	"github.com/mimo-mlir/mimo/results"
)

// Layouts of a task result file, as MTEB's TaskResult.from_disk tells them
// apart (embeddings-benchmark/mteb, mteb/results/task_result.py).
const (
	// LayoutCurrent is the layout of MTEB 1.11 and later: task_name and
	// scores: {split: [{hf_subset, languages, main_score, ...}]}.
	LayoutCurrent = "current"
	// LayoutPre111 is the layout before MTEB 1.11: mteb_dataset_name and
	// one top-level key per split, {split: {hf_subset: {...}}} or
	// {split: {...}} for tasks without subsets, evaluation_time inside the
	// split, main_score often absent. Read by converting it as MTEB's
	// _convert_from_before_v1_11_0 does.
	LayoutPre111 = "pre-1.11"
)

// parseTaskResult reads one decoded result file (Decode's
// output) the way MTEB's TaskResult.from_disk does: the current layout
// first; when that fails and the file is from before 1.11 (mteb_version
// below 1.11.0, or absent), the old layout converted. Errors name the
// field, split and subset.
func parseTaskResult(v any) (results.TaskResult, string, error) {
	top, ok := v.(map[string]any)
	if !ok {
		return results.TaskResult{}, "", fmt.Errorf("%w: the file is a JSON %s, not an object", ErrNotTaskResult, jsonKind(v))
	}
	r, err := parseCurrent(top)
	if err == nil {
		return r, LayoutCurrent, nil
	}
	if !pre111(top) {
		return results.TaskResult{}, "", err
	}
	r, cerr := convertPre111(top)
	if cerr != nil {
		if _, hasScores := top["scores"]; hasScores {
			return results.TaskResult{}, "", err
		}
		return results.TaskResult{}, "", fmt.Errorf("%w (read as the layout before MTEB 1.11)", cerr)
	}
	return r, LayoutPre111, nil
}

// pre111 is MTEB's test for "load as historic data": mteb_version absent,
// or present and below 1.11.0.
func pre111(top map[string]any) bool {
	raw, ok := top["mteb_version"]
	if !ok {
		return true
	}
	s, ok := raw.(string)
	if !ok {
		return false // None, or not a string: MTEB does not convert
	}
	return versionLess(s, []int{1, 11, 0})
}

// versionLess compares the leading numeric release of a PEP 440 version
// ("1.6.3", "1.1.2.dev0", "2.0.0rc1") with want. An unparsable version is
// not "less".
func versionLess(s string, want []int) bool {
	var got []int
	for _, part := range strings.Split(s, ".") {
		n := 0
		digits := 0
		for digits < len(part) && part[digits] >= '0' && part[digits] <= '9' {
			n = n*10 + int(part[digits]-'0')
			digits++
		}
		if digits == 0 {
			break
		}
		got = append(got, n)
		if digits < len(part) {
			break // "0rc1", "dev0" end the release segment
		}
	}
	if len(got) == 0 {
		return false
	}
	for i := 0; i < len(want); i++ {
		g := 0
		if i < len(got) {
			g = got[i]
		}
		if g != want[i] {
			return g < want[i]
		}
	}
	return false
}

// parseCurrent validates the current layout as MTEB's pydantic model does:
// dataset_revision and task_name strings; mteb_version and evaluation_time
// present (null allowed); scores {split: [object]} with main_score,
// hf_subset (a string) and languages (a list) in every entry.
func parseCurrent(top map[string]any) (results.TaskResult, error) {
	var r results.TaskResult
	var err error
	if r.TaskName, err = reqString(top, "task_name"); err != nil {
		return r, err
	}
	if r.DatasetRevision, err = reqString(top, "dataset_revision"); err != nil {
		return r, err
	}
	if _, ok := top["mteb_version"]; !ok {
		return r, fmt.Errorf("%w: field \"mteb_version\" is missing", ErrNotTaskResult)
	}
	if r.MTEBVersion, err = optString(top, "mteb_version"); err != nil {
		return r, err
	}
	if _, ok := top["evaluation_time"]; !ok {
		return r, fmt.Errorf("%w: field \"evaluation_time\" is missing", ErrNotTaskResult)
	}
	if t, err := optNumber(top, "evaluation_time"); err != nil {
		return r, err
	} else if t != nil {
		r.EvaluationTime = *t
	}
	if r.KgCO2Emissions, err = optNumber(top, "kg_co2_emissions"); err != nil {
		return r, err
	}
	rawScores, ok := top["scores"]
	if !ok {
		return r, fmt.Errorf("%w: field \"scores\" is missing", ErrNotTaskResult)
	}
	splits, ok := rawScores.(map[string]any)
	if !ok {
		return r, fmt.Errorf("%w: field \"scores\" is a JSON %s, not an object", ErrNotTaskResult, jsonKind(rawScores))
	}
	if len(splits) == 0 {
		return r, fmt.Errorf("%w: field \"scores\" is empty", ErrNotTaskResult)
	}
	r.Scores = map[string][]map[string]any{}
	for _, split := range sortedKeys(splits) {
		list, ok := splits[split].([]any)
		if !ok {
			return r, fmt.Errorf("%w: scores.%s is a JSON %s, not a list", ErrNotTaskResult, split, jsonKind(splits[split]))
		}
		for i, e := range list {
			s, ok := e.(map[string]any)
			if !ok {
				return r, fmt.Errorf("%w: scores.%s[%d] is a JSON %s, not an object", ErrNotTaskResult, split, i, jsonKind(e))
			}
			if err := checkSubsetScores(s); err != nil {
				return r, fmt.Errorf("%w: scores.%s[%d]: %w", ErrNotTaskResult, split, i, err)
			}
			r.Scores[split] = append(r.Scores[split], s)
		}
	}
	return r, nil
}

// checkSubsetScores is MTEB's _validate_scores_dict, plus: main_score must
// be a number (MTEB averages it; NaN is a number).
func checkSubsetScores(s map[string]any) error {
	if _, ok := s["hf_subset"].(string); !ok {
		return fmt.Errorf("hf_subset is missing or not a string")
	}
	if _, ok := s["languages"].([]any); !ok {
		return fmt.Errorf("subset %q: languages is missing or not a list", s["hf_subset"])
	}
	if _, err := number(s["main_score"]); err != nil {
		return fmt.Errorf("subset %q: main_score: %w", s["hf_subset"], err)
	}
	return nil
}

// convertPre111 converts the layout before MTEB 1.11 as MTEB's
// _convert_from_before_v1_11_0 does:
//   - dataset_revision, mteb_dataset_name and mteb_version are taken out
//     (defaults "dataset revision not available", "mteb version not
//     available"); every other top-level key is a split;
//   - evaluation_time is taken out of each split and summed;
//   - if no split holds a nested object (other than the similarity groups
//     cos_sim, euclidean, manhattan, dot, max and v_measures), each split is
//     one subset "default";
//   - the groups cos_sim, manhattan, euclidean, dot, max, similarity are
//     flattened to cosine_*, manhattan_*, euclidean_*, dot_*, max_*,
//     similarity_*;
//   - main_score, when absent, is the task's main score metric; MTEB looks
//     it up in its task registry, mimo in its table of MTEB tasks; a task
//     outside that table without main_score is an error naming it;
//   - renamed tasks get their new names; XPQARetrieval's "fr" subset becomes
//     "fra-fra", MLSUMClustering*'s "default" of 1.1.2/1.1.3.dev0 "fr".
//
// MTEB also fills each subset's languages from the task's metadata; mimo
// leaves them empty (the report does not use them).
func convertPre111(top map[string]any) (results.TaskResult, error) {
	var r results.TaskResult
	name, ok := top["mteb_dataset_name"].(string)
	if !ok {
		return r, fmt.Errorf("%w: neither \"task_name\" (MTEB 1.11 and later) nor \"mteb_dataset_name\" (before 1.11) is present as a string", ErrNotTaskResult)
	}
	if n, ok := mtebRenamedTasks[name]; ok {
		name = n
	}
	r.TaskName = name
	r.DatasetRevision = "dataset revision not available"
	if raw, ok := top["dataset_revision"]; ok {
		s, _ := raw.(string) // null stays empty, as MTEB keeps None
		r.DatasetRevision = s
	}
	r.MTEBVersion = "mteb version not available"
	if raw, ok := top["mteb_version"]; ok {
		s, _ := raw.(string)
		r.MTEBVersion = s
	}
	splits, evalTime, err := pre111Splits(top)
	if err != nil {
		return r, err
	}
	r.EvaluationTime = evalTime
	bySplit, err := pre111Subsets(splits)
	if err != nil {
		return r, err
	}
	if err := pre111Scores(name, bySplit); err != nil {
		return r, err
	}
	pre111Renames(name, r.MTEBVersion, bySplit)
	r.Scores = map[string][]map[string]any{}
	for _, split := range sortedKeys(bySplit) {
		for _, sub := range sortedKeys(bySplit[split]) {
			s := bySplit[split][sub]
			s["hf_subset"] = sub
			s["languages"] = []any{}
			r.Scores[split] = append(r.Scores[split], s)
		}
	}
	return r, nil
}

// pre111Splits reads the splits of a file from before MTEB 1.11 (every
// top-level object but the three metadata fields), each copied without its
// evaluation_time, and the sum of those times.
func pre111Splits(top map[string]any) (splits map[string]map[string]any, evalTime float64, err error) {
	splits = map[string]map[string]any{}
	for k, v := range top {
		switch k {
		case "dataset_revision", "mteb_dataset_name", "mteb_version":
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, 0, fmt.Errorf("%w: split %q is a JSON %s, not an object", ErrNotTaskResult, k, jsonKind(v))
		}
		cp := make(map[string]any, len(m))
		for kk, vv := range m {
			cp[kk] = vv
		}
		if t, ok := cp["evaluation_time"]; ok {
			f, err := number(t)
			if err != nil {
				return nil, 0, fmt.Errorf("%w: %s.evaluation_time: %w", ErrNotTaskResult, k, err)
			}
			evalTime += f
			delete(cp, "evaluation_time")
		}
		splits[k] = cp
	}
	if len(splits) == 0 {
		return nil, 0, fmt.Errorf("%w: no split in the file", ErrNotTaskResult)
	}
	return splits, evalTime, nil
}

// pre111Subsets groups each split's scores by subset: a split whose values
// include objects other than MTEB's score groups holds one object per
// subset, else it is the "default" subset.
func pre111Subsets(splits map[string]map[string]any) (map[string]map[string]map[string]any, error) {
	groups := map[string]bool{"v_measures": true, "cos_sim": true, "euclidean": true, "manhattan": true, "dot": true, "max": true}
	hasSubsets := false
	for _, sp := range splits {
		for k, v := range sp {
			if _, isObj := v.(map[string]any); isObj && !groups[k] {
				hasSubsets = true
			}
		}
	}
	bySplit := map[string]map[string]map[string]any{}
	for split, sp := range splits {
		bySplit[split] = map[string]map[string]any{}
		if !hasSubsets {
			bySplit[split]["default"] = sp
			continue
		}
		for sub, v := range sp {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: %s.%s is a JSON %s, not the object of a subset", ErrNotTaskResult, split, sub, jsonKind(v))
			}
			cp := make(map[string]any, len(m))
			for kk, vv := range m {
				cp[kk] = vv
			}
			bySplit[split][sub] = cp
		}
	}
	return bySplit, nil
}

// pre111Scores renames the score groups of every subset as MTEB 1.11
// does (cos_sim_x -> cosine_x, ...) and fills main_score from the task's
// main metric where the file lacks it.
func pre111Scores(name string, bySplit map[string]map[string]map[string]any) error {
	task, known := mtebTasks[name]
	for _, split := range sortedKeys(bySplit) {
		for _, sub := range sortedKeys(bySplit[split]) {
			s := bySplit[split][sub]
			for _, g := range []struct{ name, prev string }{
				{"cosine", "cos_sim"}, {"manhattan", "manhattan"}, {"euclidean", "euclidean"},
				{"dot", "dot"}, {"max", "max"}, {"similarity", "similarity"},
			} {
				prev, ok := s[g.prev]
				if !ok || prev == nil {
					delete(s, g.prev)
					continue
				}
				delete(s, g.prev)
				if pm, ok := prev.(map[string]any); ok {
					for k, v := range pm {
						s[g.name+"_"+k] = v
					}
				}
			}
			if _, ok := s["main_score"]; !ok {
				switch {
				case !known:
					return fmt.Errorf("%w: %s.%s has no main_score, and task %s is not one mimo knows the main score of (MTEB fills it from its task registry)",
						ErrNotTaskResult, split, sub, name)
				case s[task.MainScore] == nil:
					return fmt.Errorf("%w: %s.%s has neither main_score nor %s, the main score of %s", ErrNotTaskResult, split, sub, task.MainScore, name)
				default:
					s["main_score"] = s[task.MainScore]
				}
			}
			if _, err := number(s["main_score"]); err != nil {
				return fmt.Errorf("%w: %s.%s.main_score: %w", ErrNotTaskResult, split, sub, err)
			}
		}
	}
	return nil
}

// pre111Renames applies MTEB's subset renames for files of two tasks
// written before 1.11.
func pre111Renames(name, mtebVersion string, bySplit map[string]map[string]map[string]any) {
	if name == "XPQARetrieval" {
		if t, ok := bySplit["test"]; ok {
			if fr, ok := t["fr"]; ok {
				t["fra-fra"] = fr
				delete(t, "fr")
			}
		}
	}
	if (name == "MLSUMClusteringP2P" || name == "MLSUMClusteringS2S") && (mtebVersion == "1.1.2.dev0" || mtebVersion == "1.1.3.dev0") {
		if t, ok := bySplit["test"]; ok {
			if d, ok := t["default"]; ok {
				t["fr"] = d
				delete(t, "default")
			}
		}
	}
}

func reqString(m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", fmt.Errorf("%w: field %q is missing", ErrNotTaskResult, key)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: field %q is a JSON %s, not a string", ErrNotTaskResult, key, jsonKind(v))
	}
	return s, nil
}

func optString(m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: field %q is a JSON %s, not a string", ErrNotTaskResult, key, jsonKind(v))
	}
	return s, nil
}

func optNumber(m map[string]any, key string) (*float64, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	f, ok := v.(float64)
	if !ok {
		return nil, fmt.Errorf("%w: field %q is a JSON %s, not a number", ErrNotTaskResult, key, jsonKind(v))
	}
	return &f, nil
}

// jsonKind names a decoded value's JSON type for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// number reads a JSON number decoded into any (float64 from the Python
// JSON reader, json.Number from others). NaN and ±Inf are numbers, as in
// Python.
func number(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case interface{ Float64() (float64, error) }:
		return x.Float64()
	case nil:
		return 0, fmt.Errorf("missing or null")
	default:
		return 0, fmt.Errorf("a JSON %s, not a number", jsonKind(v))
	}
}
