package harness

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/harness/cache"
	"github.com/mimo-mlir/mimo/harness/metrics"
	"github.com/mimo-mlir/mimo/harness/search"
	"github.com/mimo-mlir/mimo/internal/textset"
)

// Version is written into results as mimo_version.
const Version = "0.1.0"

// MTEBVersion is written as mteb_version: the MTEB result format (v2 score
// names) the files follow.
const MTEBVersion = "2.0.0"

// Options configure Evaluate. The zero value is not valid: OutputDir is
// required. Fill the rest or leave it zero for the defaults; Evaluate calls
// Validate.
type Options struct {
	// OutputDir is the results root: files go to
	// OutputDir/<org>__<model>/<revision>/<Task>.json.
	OutputDir string
	// BatchSize is the number of texts per Encode call (default 32).
	BatchSize int
	// Overwrite recomputes tasks whose result file exists (default: reuse),
	// and their vectors: the embedding cache serves none that it held
	// before this run, and the new vectors replace them.
	Overwrite bool
	// Langs keeps only queries and documents in these languages (nil: all).
	Langs []string
	// Splits keeps only the datasets of these splits (nil: all the task
	// has); MTEB's --eval-splits.
	Splits []string
	// Variant selects builder options (tasks.LoadOptions.Variant: Belebele's
	// Arabic, MLQA's split); recorded in the results, since it changes
	// the data.
	Variant map[string]string
	// OnlyCache uses result files already written and evaluates nothing:
	// a task without one is an error wrapping ErrNotCached (MTEB's
	// --overwrite-strategy only-cache).
	OnlyCache bool
	// Depth is the number of documents retrieved per query (default 1000).
	Depth int
	// Ks are the metric cutoffs (default metrics.DefaultKs). Cutoffs above
	// Depth are an error.
	Ks []int
	// RunFile, when set, is where the TREC run of each evaluated dataset is
	// written ("qid Q0 docid rank score tag"). "{task}", "{split}" and
	// "{subset}" in it are replaced; with several tasks "{task}" is
	// required, and two datasets landing on one path are an error.
	RunFile string
	// CacheDir is the embedding cache root (default cache.DefaultDir()).
	CacheDir string
	// NoCache disables the embedding cache.
	NoCache bool
	// StoreDtype is how the embedding cache stores vectors: "" (or
	// "float32", the default) exactly, or "f16" in half precision (half the
	// disk). With f16 every vector, cached or just encoded, is rounded to
	// half precision before it is used, so a cold and a warm run agree;
	// scores change slightly (they are still summed in float32), and the
	// choice is recorded in the results (RunSettings.StoreDtype) and keys
	// logs of its own in the cache. Validate writes "" or "f16".
	StoreDtype string
	// SearchBlock, when > 0, searches each corpus from the embedding cache
	// this many documents at a time (search.SearchStream) instead of holding
	// its vectors in memory, for corpora larger than memory: the same hits,
	// scores and extras bit for bit. It needs the cache.
	SearchBlock int
	// Progress receives progress bars (drawn only on a terminal) and one
	// line per task; nil means os.Stderr. Use io.Discard for silence.
	Progress io.Writer
	// UniformityPairs caps the document pairs uniformity is computed over;
	// larger corpora are sampled (default 1,000,000).
	UniformityPairs int
	// Shard, when N > 0, makes this run one of N that share the encoding:
	// it encodes only the texts it owns (Shard.owns) into the cache, in
	// logs of its own, and writes no result; a run without Shard then finds
	// every vector cached and searches and scores.
	Shard Shard
	// TrainingTexts, when set, is what the model was trained on (the
	// training-texts.mimoset of its folder): each subset's extras then say
	// how many of its queries and documents the model has seen.
	TrainingTexts *textset.Set
	// TrainingDatasets is what the model declares it was trained on, as
	// MTEB's ModelMeta.training_datasets: MTEB task name -> splits (the
	// CLI fills it from the known registry, adapters/registry). It is written
	// to model_meta.json, and a task named in it is flagged in its extras
	// (Extras.DeclaredTraining). It is not part of the encoder's identity:
	// cache keys and stored settings do not depend on it.
	TrainingDatasets map[string][]string
	// License and NParameters are what the model folder says of the model
	// (adapters/resolver.Card), written to model_meta.json as MTEB's
	// license and n_parameters; unset means unknown (null there).
	License     string
	NParameters int64
}

// Validate fills defaults and checks the options; nTasks is how many tasks
// will be evaluated (for the RunFile rule).
func (o *Options) Validate(nTasks int) error {
	var errs []error
	if o.Shard.N < 0 || o.Shard.N > 0 && (o.Shard.I < 0 || o.Shard.I >= o.Shard.N) {
		errs = append(errs, fmt.Errorf("shard %d/%d: want 0 <= i < n", o.Shard.I, o.Shard.N))
	}
	if o.Shard.N > 0 && o.NoCache {
		errs = append(errs, errors.New("a sharded run writes its vectors to the cache: it cannot run without one"))
	}
	switch strings.ToLower(o.StoreDtype) {
	case "", "float32", "f32", "fp32":
		o.StoreDtype = ""
	case "f16", "float16", "fp16":
		o.StoreDtype = cache.F16
	default:
		errs = append(errs, fmt.Errorf("store dtype %q: want float32 or f16", o.StoreDtype))
	}
	if o.SearchBlock < 0 {
		errs = append(errs, fmt.Errorf("search block %d is negative", o.SearchBlock))
	} else if o.SearchBlock > 0 && o.NoCache {
		errs = append(errs, errors.New("a search in blocks reads the corpus from the embedding cache: it cannot run without one"))
	}
	if strings.TrimSpace(o.OutputDir) == "" {
		errs = append(errs, errors.New("output directory is empty"))
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	} else if o.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("batch size %d is negative", o.BatchSize))
	}
	if o.Depth == 0 {
		o.Depth = search.DefaultDepth
	} else if o.Depth < 0 {
		errs = append(errs, fmt.Errorf("depth %d is negative", o.Depth))
	}
	if len(o.Ks) == 0 {
		o.Ks = slices.Clone(metrics.DefaultKs)
	}
	for _, k := range o.Ks {
		if k <= 0 {
			errs = append(errs, fmt.Errorf("cutoff k=%d is not positive", k))
		} else if o.Depth > 0 && k > o.Depth {
			errs = append(errs, fmt.Errorf("cutoff k=%d exceeds the search depth %d", k, o.Depth))
		}
	}
	for _, l := range o.Langs {
		if strings.TrimSpace(l) == "" || strings.ContainsAny(l, ", ") {
			errs = append(errs, fmt.Errorf("language %q is not a language code", l))
		}
	}
	if o.RunFile != "" && nTasks > 1 && !strings.Contains(o.RunFile, "{task}") {
		errs = append(errs, fmt.Errorf("run file %q: with %d tasks it must contain {task}", o.RunFile, nTasks))
	}
	if !o.NoCache && o.CacheDir == "" {
		d, err := cache.DefaultDir()
		if err != nil {
			errs = append(errs, err)
		}
		o.CacheDir = d
	}
	if o.Progress == nil {
		o.Progress = os.Stderr
	}
	if o.UniformityPairs == 0 {
		o.UniformityPairs = 1_000_000
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("harness options: %w", err)
	}
	return nil
}

// Shard is share I (0-based) of N; the zero Shard is the whole run.
type Shard struct{ I, N int }

// ParseShard reads "i/n" (0 <= i < n), the form of a Slurm array index
// ($SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT) or a Kubernetes indexed
// Job's ($JOB_COMPLETION_INDEX/N).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 <= i < n (e.g. 0/8)", s)
	}
	return Shard{I: i, N: n}, nil
}

// owns reports whether the text is this shard's: by its SHA-256, so every
// process agrees without talking and a text shared by two tasks is encoded
// once.
func (s Shard) owns(text string) bool {
	h := cache.HashText(text)
	return binary.BigEndian.Uint64(h[:8])%uint64(s.N) == uint64(s.I)
}

// writer names the shard's cache logs ("" for a whole run).
func (s Shard) writer() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("shard-%d-of-%d", s.I, s.N)
}
