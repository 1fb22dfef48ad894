// Package harness is the evaluation engine: for each task it loads the
// datasets, encodes queries and corpus (batched, length-sorted, through the
// on-disk embedding cache), runs exact top-k search, scores the run with
// trec_eval semantics and writes MTEB-compatible result files plus our
// extras (per-language scores, MRC, alignment, uniformity, language
// preference).
//
// The mental model is a pipeline per (task, dataset):
//
//	Task.Load -> encode(queries), encode(corpus) -> search.Normalized ->
//	search.Search (depth 1000) -> metrics.Evaluate -> TaskResult + Extras
//
// A task whose result file exists is read back, not recomputed, unless
// Options.Overwrite (which recomputes the vectors too); a result computed
// with other settings or other model files (Identity.Content) is
// ErrStaleResult. The embedding cache, keyed on the encoder's identity and
// the content of its files, makes a run interrupted half-way through a
// corpus cost only the texts not yet encoded.
package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/harness/cache"
	"github.com/mimo-mlir/mimo/harness/metrics"
	"github.com/mimo-mlir/mimo/harness/search"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
	"github.com/mimo-mlir/mimo/progress"
	"github.com/mimo-mlir/mimo/results"
	"github.com/mimo-mlir/mimo/tasks"
)

// Outcome is what Evaluate produced (or found) for one task.
type Outcome struct {
	Task   tasks.Metadata
	Result results.TaskResult
	// Extras is nil when a reused result has no extras file beside it.
	Extras *results.Extras
	// Path is the MTEB result file.
	Path string
	// Reused is true when the result file existed and was read back.
	Reused bool
	// Sharded is true for a --shard run: this process encoded its share of
	// the texts into the cache and wrote no result (Result is empty).
	Sharded bool
	// Encoded counts the texts this run encoded for the task (a shard's
	// share, in a sharded run).
	Encoded int
}

// MRCKs and PreferenceKs are the cutoffs of the fairness measures in Extras.
var (
	MRCKs        = []int{10, 20}
	PreferenceKs = []int{10, 20}
)

// Evaluate runs enc on every task and returns one Outcome per task, in
// order. Results are written under opts.OutputDir as they complete, so an
// error part-way keeps the finished tasks (and the cached embeddings of the
// unfinished one).
func Evaluate(ctx context.Context, enc adapters.Encoder, ts []tasks.Task, opts Options) (_ []Outcome, err error) {
	if err := opts.Validate(len(ts)); err != nil {
		return nil, err
	}
	if enc == nil {
		return nil, errors.New("harness: nil encoder")
	}
	id := enc.Identity()
	if enc.Dim() <= 0 {
		return nil, fmt.Errorf("harness: encoder %s reports dimension %d", id.Name, enc.Dim())
	}
	ev := &evaluator{enc: enc, id: id, dim: enc.Dim(), opts: opts, runPaths: map[string]string{}}
	if !opts.NoCache {
		// Overwrite recomputes the vectors too: the cache serves none it
		// held before this run.
		c, oerr := cache.OpenWith(opts.CacheDir, cache.Options{Refresh: opts.Overwrite, Warnings: opts.Progress, Writer: opts.Shard.writer()}) // not err: the deferred Close sets the result's
		if oerr != nil {
			return nil, fmt.Errorf("harness: %w", oerr)
		}
		defer func() {
			// Close syncs the cache's logs: a failure there is reported,
			// though the results already written stand.
			if cerr := c.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("harness: %w", cerr)
			}
		}()
		ev.cache = c
	}
	dir, err := results.ModelDir(opts.OutputDir, id.Name, id.Revision)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	var outs []Outcome
	wroteMeta := false
	for _, t := range ts {
		if err := ctx.Err(); err != nil {
			return outs, fmt.Errorf("harness: %w", err)
		}
		out, err := ev.task(ctx, t, dir)
		if err != nil {
			return outs, fmt.Errorf("harness: task %s: %w", t.Metadata().Name, err)
		}
		if !out.Reused && !out.Sharded && !wroteMeta {
			if err := results.WriteJSON(results.ModelMetaPath(dir), ev.modelMeta()); err != nil {
				return outs, fmt.Errorf("harness: %w", err)
			}
			wroteMeta = true
		}
		outs = append(outs, out)
	}
	if ev.cache != nil {
		if err := ev.cache.Flush(); err != nil {
			return outs, fmt.Errorf("harness: %w", err)
		}
	}
	return outs, nil
}

type evaluator struct {
	enc      adapters.Encoder
	id       adapters.Identity
	dim      int
	opts     Options
	cache    *cache.Cache
	runPaths map[string]string // run file path -> dataset that wrote it

	shardEncoded int // texts encoded by this shard (Options.Shard)
}

// encodeShare is a sharded run's work on one dataset: encode this shard's
// share of the queries and documents into the cache, nothing else.
func (ev *evaluator) encodeShare(ctx context.Context, meta tasks.Metadata, ds tasks.Dataset) (int, error) {
	before := ev.shardEncoded
	texts := func(n int, at func(int) (string, string)) ([]string, []string) {
		ids, ts := make([]string, n), make([]string, n)
		for i := range n {
			ids[i], ts[i] = at(i)
		}
		return ids, ts
	}
	qids, qtexts := texts(len(ds.Queries), func(i int) (string, string) { return ds.Queries[i].ID, ds.Queries[i].Text })
	if _, err := ev.encode(ctx, adapters.RoleQuery, meta.Name, qids, qtexts, false); err != nil {
		return 0, err
	}
	dids, dtexts := texts(len(ds.Corpus), func(i int) (string, string) { return ds.Corpus[i].ID, ds.Corpus[i].Text })
	if _, err := ev.encode(ctx, adapters.RoleDocument, meta.Name, dids, dtexts, false); err != nil {
		return 0, err
	}
	return ev.shardEncoded - before, nil
}

func (ev *evaluator) logf(format string, args ...any) {
	fmt.Fprintf(ev.opts.Progress, format+"\n", args...)
}

func (ev *evaluator) task(ctx context.Context, t tasks.Task, dir string) (Outcome, error) {
	meta := t.Metadata()
	path, err := results.ResultPath(dir, meta.Name)
	if err != nil {
		return Outcome{}, err
	}
	xpath, err := results.ExtrasPath(dir, meta.Name)
	if err != nil {
		return Outcome{}, err
	}
	if !ev.opts.Overwrite {
		ok, err := exists(path)
		if err != nil {
			return Outcome{}, err
		}
		if ok {
			r, err := results.ReadResult(path)
			if err != nil {
				return Outcome{}, err
			}
			out := Outcome{Task: meta, Result: r, Path: path, Reused: true}
			if ok, _ := exists(xpath); ok {
				x, err := results.ReadExtras(xpath)
				if err != nil {
					return Outcome{}, err
				}
				if diff := settingsDiff(x.Settings, ev.settings(meta)); diff != "" {
					return Outcome{}, fmt.Errorf("%w: %s was computed with other settings (%s); pass --overwrite to recompute, or use another --output",
						ErrStaleResult, path, diff)
				}
				out.Extras = &x
			}
			ev.logf("%s: reusing %s (pass --overwrite to recompute)", meta.Name, path)
			return out, nil
		}
	}

	if ev.opts.OnlyCache {
		return Outcome{}, fmt.Errorf("no result file %s, and only cached results may be used (--overwrite-strategy only-cache): %w", path, ErrNotCached)
	}
	start := time.Now()
	dss, err := t.Load(ctx, tasks.LoadOptions{Langs: ev.opts.Langs, Variant: ev.opts.Variant})
	if err != nil {
		return Outcome{}, fmt.Errorf("load: %w", err)
	}
	if len(dss) == 0 {
		return Outcome{}, errors.New("load: no dataset (check --langs)")
	}
	if dss, err = keepSplits(dss, ev.opts.Splits); err != nil {
		return Outcome{}, err
	}
	res := results.TaskResult{
		DatasetRevision: meta.Revision,
		TaskName:        meta.Name,
		MTEBVersion:     MTEBVersion,
		Scores:          map[string][]map[string]any{},
	}
	x := results.Extras{TaskName: meta.Name, Model: ev.id.Name, Settings: ev.settings(meta), DeclaredTraining: declaredTraining(ev.opts.TrainingDatasets, meta.Name)}
	if x.Sizes = sizeCheck(meta, dss, ev.opts); x.Sizes != nil && !x.Sizes.Match {
		ev.logf("%s: warning: %v", meta.Name, tasks.CheckSizes(meta, dss))
	}
	if ev.opts.Shard.N > 0 {
		n := 0
		for _, ds := range dss {
			k, err := ev.encodeShare(ctx, meta, ds)
			if err != nil {
				return Outcome{}, fmt.Errorf("split %s, subset %s: %w", ds.Split, ds.Subset, err)
			}
			n += k
		}
		ev.logf("%s: shard %d/%d: %d texts encoded into the cache (results come from a run without --shard)", meta.Name, ev.opts.Shard.I, ev.opts.Shard.N, n)
		return Outcome{Task: meta, Sharded: true, Encoded: n}, nil
	}
	for _, ds := range dss {
		scores, sx, err := ev.dataset(ctx, meta, ds)
		if err != nil {
			return Outcome{}, fmt.Errorf("split %s, subset %s: %w", sx.Split, sx.Subset, err)
		}
		res.Scores[sx.Split] = append(res.Scores[sx.Split], scores)
		x.Subsets = append(x.Subsets, sx)
	}
	res.EvaluationTime = time.Since(start).Seconds()
	// Extras first: the MTEB file is the "task done" marker.
	if err := results.WriteJSON(xpath, x); err != nil {
		return Outcome{}, err
	}
	if err := results.WriteJSON(path, res); err != nil {
		return Outcome{}, err
	}
	ev.logf("%s: %s = %.5f (%.1fs) -> %s", meta.Name, MainScore(meta), meanMain(res), res.EvaluationTime, path)
	return Outcome{Task: meta, Result: res, Extras: &x, Path: path}, nil
}

// ErrStaleResult means an existing result file was computed with settings that
// change scores (languages, depth, encoder identity, prompts, max length,
// dtype, dataset revision) other than the current run's.
var ErrStaleResult = errors.New("existing result does not match this run")

// variantString is v as sorted "key=value" pairs joined by commas.
func variantString(v map[string]string) string {
	kv := make([]string, 0, len(v))
	for k, x := range v {
		kv = append(kv, k+"="+x)
	}
	slices.Sort(kv)
	return strings.Join(kv, ",")
}

// settingsDiff names the score-changing settings in which a stored result
// differs from the current run ("" when none). Batch size is not one of
// them: scores do not depend on it (tested).
func settingsDiff(stored, now results.RunSettings) string {
	var d []string
	if strings.Join(stored.Splits, ",") != strings.Join(now.Splits, ",") {
		d = append(d, fmt.Sprintf("splits %q, now %q", strings.Join(stored.Splits, ","), strings.Join(now.Splits, ",")))
	}
	if sv, nv := variantString(stored.Variant), variantString(now.Variant); sv != nv {
		d = append(d, fmt.Sprintf("variant %q, now %q", sv, nv))
	}
	if strings.Join(stored.Langs, ",") != strings.Join(now.Langs, ",") {
		d = append(d, fmt.Sprintf("langs %q, now %q", strings.Join(stored.Langs, ","), strings.Join(now.Langs, ",")))
	}
	if stored.Depth != now.Depth {
		d = append(d, fmt.Sprintf("depth %d, now %d", stored.Depth, now.Depth))
	}
	if stored.MaxLength != now.MaxLength {
		d = append(d, fmt.Sprintf("max length %d, now %d", stored.MaxLength, now.MaxLength))
	}
	if stored.Dtype != now.Dtype {
		d = append(d, fmt.Sprintf("dtype %s, now %s", stored.Dtype, now.Dtype))
	}
	if stored.StoreDtype != now.StoreDtype {
		d = append(d, fmt.Sprintf("store dtype %s, now %s", orFloat32(stored.StoreDtype), orFloat32(now.StoreDtype)))
	}
	if stored.DatasetRevision != now.DatasetRevision {
		d = append(d, fmt.Sprintf("dataset revision %s, now %s", stored.DatasetRevision, now.DatasetRevision))
	}
	if !maps.Equal(stored.Prompts, now.Prompts) {
		d = append(d, "prompts")
	}
	se, ne := maps.Clone(stored.Encoder), maps.Clone(now.Encoder)
	if sc, nc := se["content"], ne["content"]; sc != nc {
		d = append(d, fmt.Sprintf("model files (content sha256 %v, now %v)", orNone(sc), orNone(nc)))
	}
	delete(se, "content")
	delete(ne, "content")
	a, _ := json.Marshal(se)
	b, _ := json.Marshal(ne)
	if string(a) != string(b) {
		d = append(d, "encoder identity")
	}
	return strings.Join(d, "; ")
}

func orFloat32(dtype string) string {
	if dtype == "" {
		return "float32"
	}
	return dtype
}

func orNone(v any) any {
	if v == nil {
		return "none recorded"
	}
	return v
}

func (ev *evaluator) settings(meta tasks.Metadata) results.RunSettings {
	var enc map[string]any
	if b, err := json.Marshal(ev.id); err == nil {
		_ = json.Unmarshal(b, &enc)
	}
	dtype := ev.id.Dtype
	if dtype == "" {
		dtype = "float32"
	}
	return results.RunSettings{
		DatasetRevision: meta.Revision,
		DatasetSource:   meta.Source,
		Encoder:         enc,
		BatchSize:       ev.opts.BatchSize,
		Dtype:           dtype,
		StoreDtype:      ev.opts.StoreDtype,
		MaxLength:       ev.id.MaxLength,
		Prompts: map[string]string{
			string(adapters.RoleQuery):    ev.id.PromptFor(adapters.RoleQuery, meta.Name),
			string(adapters.RoleDocument): ev.id.PromptFor(adapters.RoleDocument, meta.Name),
		},
		Langs:       ev.opts.Langs,
		Splits:      ev.opts.Splits,
		Variant:     ev.opts.Variant,
		Depth:       ev.opts.Depth,
		MimoVersion: Version,
	}
}

func (ev *evaluator) modelMeta() results.ModelMeta {
	rev := ev.id.Revision
	if rev == "" {
		rev = results.NoRevision
	}
	m := results.ModelMeta{
		Name:             ev.id.Name,
		Revision:         rev,
		Languages:        []string{},
		EmbedDim:         ev.dim,
		SimilarityFnName: "cosine",
		// MTEB validates framework against its own list (mteb's Frameworks
		// literal: API, PyTorch, Sentence Transformers, ...); "mimo" is not
		// on it. An embedding server is MTEB's "API"; for the rest MTEB's
		// own "no metadata" value, an empty list, is the honest one.
		Framework: []string{},
	}
	if ev.id.Kind == "http" {
		m.Framework = []string{"API"}
	}
	if len(ev.opts.TrainingDatasets) > 0 {
		// MTEB's ModelMeta.training_datasets is a set of task names (it was
		// a name -> splits dict before); model_meta.json holds the names.
		m.TrainingDatasets = slices.Sorted(maps.Keys(ev.opts.TrainingDatasets))
	}
	if ev.id.MaxLength > 0 {
		ml := ev.id.MaxLength
		m.MaxTokens = &ml
	}
	if ev.opts.License != "" {
		l := ev.opts.License
		m.License = &l
	}
	if ev.opts.NParameters > 0 {
		n := ev.opts.NParameters
		m.NParameters = &n
	}
	return m
}

// declaredTraining is the task's entry in the model's declared training
// datasets, nil when the task is not among them.
func declaredTraining(declared map[string][]string, task string) *results.DeclaredTraining {
	splits, ok := declared[task]
	if !ok {
		return nil
	}
	return &results.DeclaredTraining{Declared: true, Dataset: task, Splits: slices.Clone(splits)}
}

// sizeCheck compares the built sizes with the paper's (Table 7, in the
// task's metadata). Only the whole task is comparable: nothing is checked
// under --langs or --eval-splits, or for a task without expected sizes.
func sizeCheck(meta tasks.Metadata, dss []tasks.Dataset, opts Options) *results.SizeCheck {
	if len(opts.Langs) > 0 || len(opts.Splits) > 0 || len(opts.Variant) > 0 || meta.ExpectedQueries+meta.ExpectedCorpus+meta.ExpectedQrels == 0 {
		return nil
	}
	c := &results.SizeCheck{Expected: results.Sizes{Queries: meta.ExpectedQueries, Corpus: meta.ExpectedCorpus, Qrels: meta.ExpectedQrels}}
	for _, d := range dss {
		c.Built.Queries += len(d.Queries)
		c.Built.Corpus += len(d.Corpus)
		for _, rel := range d.Qrels {
			c.Built.Qrels += len(rel)
		}
	}
	c.Match = tasks.CheckSizes(meta, dss) == nil
	return c
}

// ErrNotCached is wrapped when Options.OnlyCache finds no result file.
var ErrNotCached = errors.New("result not cached")

// keepSplits keeps the datasets of the named splits (all when splits is
// empty; a dataset without a split is "test"); none left is an error naming
// the splits the task has.
func keepSplits(dss []tasks.Dataset, splits []string) ([]tasks.Dataset, error) {
	if len(splits) == 0 {
		return dss, nil
	}
	var kept []tasks.Dataset
	have := map[string]bool{}
	for _, ds := range dss {
		sp := ds.Split
		if sp == "" {
			sp = "test"
		}
		have[sp] = true
		if slices.Contains(splits, sp) {
			kept = append(kept, ds)
		}
	}
	if len(kept) == 0 {
		names := slices.Sorted(maps.Keys(have))
		return nil, fmt.Errorf("none of the splits %v (--eval-splits); the task has %v", splits, names)
	}
	return kept, nil
}

// uniformitySeed seeds the pair sample of uniformity on large corpora.
const uniformitySeed = 1

// DefaultMainScore is the main score of a task whose metadata names none
// (MTEB's retrieval default).
const DefaultMainScore = "ndcg_at_10"

// MainScore is the task's main score name, or DefaultMainScore.
func MainScore(m tasks.Metadata) string {
	if m.MainScore == "" {
		return DefaultMainScore
	}
	return m.MainScore
}

func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// cacheKey is the cache log of the role's vectors for task.
func (ev *evaluator) cacheKey(role adapters.Role, task string) cache.Key {
	return cache.Key{Model: ev.id.Key(), Role: string(role), Prompt: ev.id.PromptFor(role, task), Dtype: ev.opts.StoreDtype}
}

// cached is what the cache holds of texts: a vector per text (nil for a
// miss; none at all, without reading them, unless keep) and the misses.
func (ev *evaluator) cached(key cache.Key, texts []string, keep bool) ([][]float32, []int, error) {
	switch {
	case ev.cache == nil:
		miss := make([]int, len(texts))
		for i := range miss {
			miss[i] = i
		}
		return make([][]float32, len(texts)), miss, nil
	case keep:
		return ev.cache.Get(key, texts)
	}
	miss, err := ev.cache.Missing(key, texts)
	return nil, miss, err
}

// encode returns one vector per text: cached ones from the cache, the rest
// from the encoder, deduplicated, longest first (less padding per batch),
// each batch added to the cache as soon as it is encoded so an interrupted
// run resumes where it stopped. Every vector is checked (dimension, NaN,
// Inf, zero norm); a bad one is an error naming the text's id. Unless keep,
// it only makes sure the cache holds every vector and returns none.
func (ev *evaluator) encode(ctx context.Context, role adapters.Role, task string, ids, texts []string, keep bool) ([][]float32, error) {
	key := ev.cacheKey(role, task)
	vecs, miss, err := ev.cached(key, texts, keep)
	if err != nil {
		return nil, err
	}
	// Deduplicate: first index per distinct text, and the others it serves.
	first := map[string]int{}
	dups := map[int][]int{}
	var pending []int
	for _, i := range miss {
		if f, ok := first[texts[i]]; ok {
			dups[f] = append(dups[f], i)
			continue
		}
		first[texts[i]] = i
		pending = append(pending, i)
	}
	if ev.opts.Shard.N > 0 {
		mine := pending[:0]
		for _, i := range pending {
			if ev.opts.Shard.owns(texts[i]) {
				mine = append(mine, i)
			}
		}
		pending = mine
		ev.shardEncoded += len(pending)
	}
	sort.SliceStable(pending, func(a, b int) bool { return len(texts[pending[a]]) > len(texts[pending[b]]) })

	if len(pending) > 0 {
		ev.logf("%s: encoding %d %s (%d cached)", task, len(pending), plural(role), len(texts)-len(miss))
		if ev.cache != nil && ev.cache.ReadOnly(key) {
			ev.logf("%s: the embedding cache of this model is in use by another process; these %s will not be cached", task, plural(role))
		}
	}
	bar := progress.New(ev.opts.Progress, int64(len(pending)), task+" "+plural(role))
	defer bar.Finish()
	for s := 0; s < len(pending); s += ev.opts.BatchSize {
		idx := pending[s:min(s+ev.opts.BatchSize, len(pending))]
		out, err := ev.encodeBatch(ctx, key, role, task, ids, texts, idx)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			if keep {
				vecs[i] = out[j]
				for _, d := range dups[i] {
					vecs[d] = out[j]
				}
			}
		}
		bar.Add(len(idx))
	}
	return vecs, nil
}

// encodeBatch encodes the texts idx, checks the vectors (rounded to half
// precision first for an f16 store) and puts them into the cache.
func (ev *evaluator) encodeBatch(ctx context.Context, key cache.Key, role adapters.Role, task string, ids, texts []string, idx []int) ([][]float32, error) {
	batch := make([]string, 0, len(idx))
	for _, i := range idx {
		batch = append(batch, texts[i])
	}
	out, err := ev.enc.Encode(ctx, adapters.Request{Role: role, Task: task, Texts: batch})
	if err != nil {
		return nil, fmt.Errorf("encode %s %q..%q: %w", plural(role), ids[idx[0]], ids[idx[len(idx)-1]], err)
	}
	if len(out) != len(batch) {
		return nil, fmt.Errorf("encode %s %q..%q: encoder returned %d vectors for %d texts", plural(role), ids[idx[0]], ids[idx[len(idx)-1]], len(out), len(batch))
	}
	for j, v := range out {
		if key.Dtype == cache.F16 {
			cache.RoundF16(v)
		}
		if err := search.Check(v, ev.dim); err != nil {
			return nil, fmt.Errorf("%s %q: %w", role, ids[idx[j]], err)
		}
	}
	if ev.cache != nil {
		if err := ev.cache.Put(key, batch, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func plural(r adapters.Role) string {
	if r == adapters.RoleQuery {
		return "queries"
	}
	return string(r) + "s"
}

// queryBatch is how many queries' ranked lists (as metrics.Run, with
// string ids) exist at once while scoring: memory stays O(batch x depth)
// on top of the search hits, even for tasks with 40k queries.
const queryBatch = 2048

// evaluateInBatches scores the ranked lists with metrics.Evaluate a batch of
// queries at a time. Per-query values do not depend on the other queries,
// so the merged result is what one call on everything would return.
func evaluateInBatches(qrels tasks.Qrels, qids, dids []string, hits [][]search.Hit, ks []int) (map[string]map[string]float64, error) {
	perQuery := map[string]map[string]float64{}
	for s := 0; s < len(qids); s += queryBatch {
		e := min(s+queryBatch, len(qids))
		run := make(metrics.Run, e-s)
		sub := make(metrics.Qrels, e-s)
		for i := s; i < e; i++ {
			run[qids[i]] = scored(hits[i], dids)
			if j, ok := qrels[qids[i]]; ok {
				sub[qids[i]] = j
			}
		}
		pq, err := metrics.Evaluate(sub, run, ks, metrics.Options{})
		if err != nil {
			return nil, err
		}
		maps.Copy(perQuery, pq)
	}
	return perQuery, nil
}

func scored(hs []search.Hit, dids []string) []metrics.Scored {
	list := make([]metrics.Scored, len(hs))
	for r, h := range hs {
		list[r] = metrics.Scored{ID: dids[h.Doc], Score: h.Score}
	}
	return list
}

func (ev *evaluator) writeRun(task, split, subset string, qids, dids []string, hits [][]search.Hit) error {
	path, err := runPath(ev.opts.RunFile, task, split, subset)
	if err != nil {
		return err
	}
	who := task + "/" + split + "/" + subset
	if prev, ok := ev.runPaths[path]; ok {
		return fmt.Errorf("run file %s would hold both %s and %s: put {task}, {split} or {subset} in the run file name", path, prev, who)
	}
	ev.runPaths[path] = who
	tag := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' {
			return '_'
		}
		return r
	}, ev.id.Name)
	if tag == "" {
		tag = "mimo"
	}
	order := make([]int, len(qids))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return qids[order[a]] < qids[order[b]] })
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		for _, i := range order {
			for r, h := range hits[i] {
				if _, err := io.WriteString(w, RunLine(qids[i], dids[h.Doc], r+1, h.Score, tag)+"\n"); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// meanMain is the mean of main_score over a result's subsets.
func meanMain(r results.TaskResult) float64 {
	var sum float64
	var n int
	for _, list := range r.Scores {
		for _, s := range list {
			if v, ok := s["main_score"].(float64); ok {
				sum += v
				n++
			}
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
