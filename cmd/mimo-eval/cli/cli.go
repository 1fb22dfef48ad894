// Package cli is the command line of mimo-eval: flag parsing, model and task
// resolution, and the subcommands (evaluate, score, tasks, stats). The main
// package only wires os.Args, the standard streams and Ctrl-C into Main, so
// everything here is testable in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/mimo"
	"github.com/mimo-mlir/mimo/adapters/registry"
	"github.com/mimo-mlir/mimo/adapters/resolver"
	"github.com/mimo-mlir/mimo/harness"
	"github.com/mimo-mlir/mimo/reports"
	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/builders"
	"github.com/mimo-mlir/mimo/tasks/local"
	// The default --tasks: the embedded mini benchmark.
	_ "github.com/mimo-mlir/mimo/tasks/mini"
)

// DefaultModelDir is the shipped default model's folder in the checkout
// (the source of the copy embedded in the binary).
const DefaultModelDir = "adapters/mimo"

// DefaultModel returns the --model default: the embedded mimo-mini, the
// same from any working folder (never a silent fallback to another model).
func DefaultModel() string { return mimo.Name }

const usageText = `mimo-eval: evaluate embedding models on multilingual retrieval (MLIR).

Usage:
  mimo-eval [flags]              evaluate --model on --tasks, print a score table
  mimo-eval score [trec_eval flags] QRELS RUN
                                 score a TREC run file exactly as trec_eval 9.0.8
  mimo-eval tasks                list the known tasks
  mimo-eval stats [--tasks T] [--data-dir D] [--langs L] [--source DIR]
                                 load tasks and count queries, docs and qrels per language

Evaluate writes MTEB-compatible results to OUTPUT/<org>__<model>/<revision>/<Task>.json
(plus model_meta.json and our extras under .../mimo/<Task>.json). A task whose result
file already exists is read back, not recomputed, unless --overwrite (which encodes
everything again too). Embeddings are cached on disk (default $MIMO_CACHE or
~/.cache/mimo/embeddings), keyed on the SHA-256 of the model's files (weights,
tokenizer, config), so a re-run or an interrupted run only encodes what is missing,
and an edited model never gets the old model's vectors or results.

Examples:
  mimo-eval                                   # the embedded default model (mimo-mini) on the embedded mini benchmark, from any folder
  mimo-eval -m hf:intfloat/multilingual-e5-small -t XQuAD MLQA -l eng deu zho --output-folder results
                                              # MTEB's spellings work too (-m, -t, -l, --output-folder,
                                              # --overwrite-strategy, --eval-splits, --model-revision)
  mimo-eval --model path/to/model-folder --tasks xquad,belebele
  mimo-eval --model hf:intfloat/multilingual-e5-small --tasks mlir --langs en,de,zh
  mimo-eval --model tei+http://localhost:8080 --tasks XQuADMLIR --batch-size 64
  mimo-eval --model 'openai+http://localhost:8000/v1?model=NAME' --tasks mini
  mimo-eval --data-dir my-task/ --run-file runs/{task}.run
                                              # your own BEIR-like folder (queries/corpus/qrels.jsonl)
  mimo-eval score -q -m ndcg_cut.10,20 qrels.txt runs/XQuADMLIR.run
  mimo-eval --tasks xquad --source /data/xquad --source-flat
                                              # XQuAD from a folder of xquad.{lang}.json files
  mimo-eval --tasks neuclir2023 --dataset-revision neuclir/bench@COMMIT
                                              # NeuCLIR needs neuclir/bench's 40-hex commit (none is known to mimo)
  mimo-eval stats --tasks xquad

Flags:
`

// Main runs mimo-eval with args (without the program name) and returns the
// exit status: 0 success, 1 failure, 2 bad usage.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "score":
			return score(args[1:], stdout, stderr)
		case "tasks":
			return listTasks(args[1:], stdout, stderr)
		case "stats":
			return stats(ctx, args[1:], stdout, stderr)
		case "help":
			args = []string{"-help"}
		}
	}
	return evaluate(ctx, args, stdout, stderr)
}

// evalFlags are the flags of the default action.
type evalFlags struct {
	model, taskSpec, langs, output, dataDir, runFile, cacheDir, device, ortLib, engine, report string
	batchSize, depth, maxLength, searchBlock                                                   int
	overwrite, noCache                                                                         bool
	overwriteStrategy, evalSplits, modelRevision, shard, storeDtype, variant                   string
	tasksSet                                                                                   bool
	src                                                                                        sourceFlags
}

// sourceFlags choose where the paper's task builders read their files and
// at which revisions.
type sourceFlags struct {
	dir       string
	flat      bool
	revisions string
}

func (s *sourceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.dir, "source", "", "read the benchmarks' dataset files from this local mirror, laid out as DIR/<org>/<dataset>/<files> (e.g. DIR/google/xquad/xquad.en.json), instead of the Hugging Face Hub")
	fs.BoolVar(&s.flat, "source-flat", false, "with --source: DIR itself holds the files of the (single) dataset asked for, as a plain download folder does")
	fs.StringVar(&s.revisions, "dataset-revision", "", "comma-separated REPO@COMMIT: read that dataset repository at this 40-hex commit, recorded in the results (neuclir/bench has no known pin: without one it is read at the commit its main branch has when the run starts, and the results record that commit)")
}

// apply hands the builder tasks among ts their Source, passed explicitly
// (--source; without it each reads the Hub configured from the
// environment), and the revisions of --dataset-revision. A pin that no
// selected task reads is an error.
func (s *sourceFlags) apply(ts []tasks.Task) ([]tasks.Task, error) {
	var src tasks.Source
	if s.dir != "" {
		src = tasks.DirSource{Root: s.dir, Flat: s.flat}
	}
	out := slices.Clone(ts)
	for i, t := range out {
		if bt, ok := t.(*builders.Task); ok && src != nil {
			out[i] = bt.WithSource(src)
		}
	}
	for _, pin := range splitList(s.revisions) {
		repo, rev, ok := strings.Cut(pin, "@")
		if !ok || repo == "" || rev == "" {
			return nil, fmt.Errorf("--dataset-revision %q: want REPO@COMMIT, e.g. neuclir/bench@<40-hex commit>", pin)
		}
		used := false
		for i, t := range out {
			bt, ok := t.(*builders.Task)
			if !ok || !bt.Reads(repo) {
				continue
			}
			pinned, err := bt.WithRevision(repo, rev)
			if err != nil {
				return nil, fmt.Errorf("--dataset-revision: %w", err)
			}
			out[i], used = pinned, true
		}
		if !used {
			return nil, fmt.Errorf("--dataset-revision %s: no selected task reads %s", pin, repo)
		}
	}
	return out, nil
}

// pinBranches pins, for the whole run, every builder task's repository
// that has no commit in this build to the commit its branch points at now
// (builders.Task.PinBranches), saying so on stderr.
func pinBranches(ctx context.Context, ts []tasks.Task, stderr io.Writer) ([]tasks.Task, error) {
	out := slices.Clone(ts)
	for i, t := range out {
		bt, ok := t.(*builders.Task)
		if !ok {
			continue
		}
		pinned, notes, err := bt.PinBranches(ctx)
		if err != nil {
			return nil, err
		}
		for _, n := range notes {
			fmt.Fprintf(stderr, "mimo-eval: note: %s\n", n)
		}
		out[i] = pinned
	}
	return out, nil
}

func (f *evalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.model, "model", DefaultModel(), "model: a model folder (with "+adapters.FolderFile+"), hf:org/name[@revision], an embedding server URL, or a registered name: \"mimo-mini\" (the embedded default), \"lexical\", a known model")
	fs.StringVar(&f.taskSpec, "tasks", "mini", "comma-separated task names (case-insensitive, \"Retrieval\"/\"MLIR\" optional; MTEB's names of the paper's tasks, e.g. XQuADRetrieval, select mimo's XQuADMLIR), groups (mlir, miracl, mini, all) or paths of local task folders (with a \"/\": ./scifact)")
	fs.StringVar(&f.langs, "langs", "", "comma-separated language codes to keep (e.g. en,de,zh); empty keeps all")
	fs.StringVar(&f.output, "output", "results", "results folder")
	fs.IntVar(&f.batchSize, "batch-size", 32, "texts per encoder call")
	fs.StringVar(&f.dataDir, "data-dir", "", "comma-separated local task folders (the MIMO authors' layout, a BEIR folder, an MTEB dataset download) or folders of them; replaces --tasks unless --tasks is also given")
	fs.BoolVar(&f.overwrite, "overwrite", false, "recompute tasks whose result file exists, embeddings included: the embedding cache serves none of the vectors it held before this run, and the new ones replace them")
	fs.IntVar(&f.depth, "depth", 1000, "documents retrieved per query")
	fs.StringVar(&f.runFile, "run-file", "", "write the TREC run here; {task}, {split} and {subset} are replaced ({task} is required with several tasks)")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "embedding cache folder (default $MIMO_CACHE or ~/.cache/mimo/embeddings)")
	fs.BoolVar(&f.noCache, "no-cache", false, "do not read or write the embedding cache")
	fs.StringVar(&f.storeDtype, "store-dtype", "float32", "how the embedding cache stores vectors: float32, or f16 (half the disk; vectors are rounded to half precision, which changes scores slightly and is recorded in the results)")
	fs.IntVar(&f.searchBlock, "search-block", 0, "search each corpus from the embedding cache this many documents at a time instead of holding its vectors in memory (for corpora larger than RAM; the same scores bit for bit; e.g. 16384); 0 holds them")
	fs.StringVar(&f.device, "device", "cpu", "cpu, cuda or cuda:N (encoders that support it)")
	fs.StringVar(&f.ortLib, "ort-lib", "", "path of libonnxruntime.so (default $ONNXRUNTIME_LIB, then the project's location)")
	fs.StringVar(&f.engine, "engine", "", "what runs a native model folder: onnxruntime (its ONNX export, cached once per weights; the default on a CPU when the library is found) or gomlx (the GoMLX graph that training runs, for checking)")
	fs.IntVar(&f.maxLength, "max-length", 0, "override the model's maximum input length in tokens (0: the model's)")
	fs.StringVar(&f.report, "report", "", "after evaluating, write a report of --output to this file: Markdown, or one self-contained HTML page when it ends in .html or .htm")
	f.src.register(fs)

	// MTEB's spellings of the same flags (mteb run): -m/--model,
	// -t/--tasks, -l/--languages, --output-folder, plus three of its own.
	fs.StringVar(&f.model, "m", DefaultModel(), "same as --model (MTEB's spelling)")
	fs.StringVar(&f.taskSpec, "t", "mini", "same as --tasks (MTEB's spelling; space- or comma-separated)")
	fs.StringVar(&f.langs, "languages", "", "same as --langs; ISO 639-3 codes (eng, deu, zho) as MTEB takes them, or 639-1")
	fs.StringVar(&f.langs, "l", "", "same as --languages")
	fs.StringVar(&f.output, "output-folder", "results", "same as --output (MTEB's spelling)")
	fs.StringVar(&f.overwriteStrategy, "overwrite-strategy", "", "MTEB's: always (= --overwrite), never and only-missing (reuse result files, compute the rest: the default), only-cache (use result files only; a missing one is an error)")
	fs.StringVar(&f.variant, "variant", "", "builder options, comma-separated KEY=VALUE: belebele_arabic=acm_Arab|arb_Arab (the paper: acm_Arab), mlqa_split=test|dev; recorded in the results")
	fs.StringVar(&f.evalSplits, "eval-splits", "", "evaluate only these splits (comma- or space-separated, e.g. test); default: every split the task has")
	fs.StringVar(&f.shard, "shard", "", "i/n (0 <= i < n): encode only this share of the texts into the cache and write no result, e.g. --shard $SLURM_ARRAY_TASK_ID/8; a final run without --shard then finds everything cached and only searches and scores (docs/sharding.md)")
	fs.StringVar(&f.modelRevision, "model-revision", "", "the revision (commit, branch or tag) of an hf: model; same as hf:org/name@REV")
}

// mtebListFlags take several values in MTEB's command line (argparse
// nargs="+": -t A B C); normalizeArgs joins them with commas for Go's flag
// package.
var mtebListFlags = map[string]bool{
	"-t": true, "--t": true, "-tasks": true, "--tasks": true,
	"-l": true, "--l": true, "-languages": true, "--languages": true, "-langs": true, "--langs": true,
	"-eval-splits": true, "--eval-splits": true,
}

// normalizeArgs rewrites "-t A B --x" as "-t A,B --x". The evaluate
// command takes no positional arguments, so a bare word after a list flag
// can only be one more value.
func normalizeArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		if !mtebListFlags[a] || i+1 >= len(args) {
			continue
		}
		vals := []string{args[i+1]}
		i++
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			vals = append(vals, args[i+1])
			i++
		}
		out = append(out, strings.Join(vals, ","))
	}
	return out
}

// applyMTEB folds MTEB's --overwrite-strategy and --model-revision into
// the flags they stand for.
func (f *evalFlags) applyMTEB(opts *harness.Options) error {
	switch f.overwriteStrategy {
	case "":
	case "always":
		opts.Overwrite = true
	case "never", "only-missing":
		// Reuse every result file, compute what is missing: mimo's default.
		// (only-missing reruns missing splits in MTEB; a mimo result file
		// always holds every split evaluated.)
		if f.overwrite {
			return fmt.Errorf("--overwrite-strategy %s contradicts --overwrite", f.overwriteStrategy)
		}
	case "only-cache":
		if f.overwrite {
			return errors.New("--overwrite-strategy only-cache contradicts --overwrite")
		}
		opts.OnlyCache = true
	default:
		return fmt.Errorf("--overwrite-strategy %q: want always, never, only-missing or only-cache", f.overwriteStrategy)
	}
	if f.modelRevision != "" {
		switch {
		case strings.HasPrefix(f.model, "hf:") && strings.Contains(f.model, "@"):
			return fmt.Errorf("--model-revision %s and a revision in --model %s: give one", f.modelRevision, f.model)
		case strings.HasPrefix(f.model, "hf:"):
			f.model += "@" + f.modelRevision
		default:
			return fmt.Errorf("--model-revision is for hf:org/name models; --model %s names its revision itself", f.model)
		}
	}
	return nil
}

func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// usageError is a failure of the command line itself: exit status 2, where
// a failure of the run is 1.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usage(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// fail prints err and returns its exit status.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "mimo-eval: %v\n", err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

func evaluate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f evalFlags
	fs := newFlagSet("mimo-eval", usageText, stderr)
	f.register(fs)
	if err := fs.Parse(normalizeArgs(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		return fail(stderr, usage("unexpected argument %q (subcommands: score, tasks, stats; see -help)", fs.Arg(0)))
	}
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "tasks" || fl.Name == "t" {
			f.tasksSet = true
		}
	})
	ts, opts, err := f.plan(ctx, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	enc, card, err := resolver.OpenCard(ctx, f.model, adapters.Options{Device: f.device, BatchSize: f.batchSize, MaxLength: f.maxLength, ORTLibrary: f.ortLib, CacheDir: opts.CacheDir, Engine: f.engine})
	if err != nil {
		return fail(stderr, err)
	}
	opts.License, opts.NParameters = card.License, card.NParameters
	fmt.Fprintf(stderr, "mimo-eval: model %s: %s\n", f.model, describePrompts(enc.Identity()))
	if h, ok := enc.(interface{ ExportHint(dir string) string }); ok {
		if hint := h.ExportHint(f.model); hint != "" {
			fmt.Fprintf(stderr, "mimo-eval: note: %s\n", hint)
		}
	}
	outs, err := harness.Evaluate(ctx, enc, ts, opts)
	printStats(stderr, enc)
	if cerr := enc.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing model %s: %w", f.model, cerr)
	}
	if terr := printOutcomes(stdout, outs, opts); terr != nil && err == nil {
		err = terr
	}
	if err != nil {
		return fail(stderr, err)
	}
	if f.report != "" {
		problems, err := writeReport(f.report, f.output)
		for _, p := range problems {
			fmt.Fprintf(stderr, "mimo-eval: report: %v\n", p)
		}
		if err != nil {
			return fail(stderr, fmt.Errorf("report %s: %w", f.report, err))
		}
		fmt.Fprintf(stderr, "mimo-eval: report written to %s\n", f.report)
	}
	return 0
}

// plan turns the flags into the tasks to run and the harness's options,
// with what the model folder records (training texts, declared training
// data). Errors of the flags themselves are usageErrors.
func (f *evalFlags) plan(ctx context.Context, stderr io.Writer) ([]tasks.Task, harness.Options, error) {
	var opts harness.Options
	langs, err := normalizeLangs(splitList(f.langs))
	if err != nil {
		return nil, opts, usage("--langs: %w", err)
	}
	ts, err := resolveTasks(f.taskSpec, f.tasksSet, f.dataDir, stderr)
	if err == nil {
		ts, err = f.src.apply(ts)
	}
	if err != nil {
		return nil, opts, usageError{err}
	}
	variant, err := builders.ParseVariant(f.variant)
	if err != nil {
		return nil, opts, usage("--%w", err)
	}
	switch f.engine {
	case adapters.EngineAuto, adapters.EngineONNXRuntime, adapters.EngineGoMLX:
	default:
		return nil, opts, usage("--engine %q: want %s or %s", f.engine, adapters.EngineONNXRuntime, adapters.EngineGoMLX)
	}
	if ts, err = pinBranches(ctx, ts, stderr); err != nil {
		return nil, opts, err
	}
	opts = harness.Options{
		Variant:   variant,
		OutputDir: f.output,
		BatchSize: f.batchSize,
		Overwrite: f.overwrite,
		Langs:     langs,
		Splits:    splitList(f.evalSplits),
		Depth:     f.depth,
		RunFile:   f.runFile,
		CacheDir:  f.cacheDir,
		NoCache:   f.noCache,
		Progress:  stderr,

		StoreDtype:  f.storeDtype,
		SearchBlock: f.searchBlock,
	}
	if f.shard != "" {
		if opts.Shard, err = harness.ParseShard(f.shard); err != nil {
			return nil, opts, usage("--shard: %w", err)
		}
	}
	if err := f.applyMTEB(&opts); err != nil {
		return nil, opts, usageError{err}
	}
	if err := opts.Validate(len(ts)); err != nil {
		return nil, opts, usageError{err}
	}
	if dir := resolver.LocalDir(f.model); dir != "" {
		set, err := readTrainingTexts(dir)
		if err != nil {
			return nil, opts, err
		}
		if set != nil {
			opts.TrainingTexts = set
			fmt.Fprintf(stderr, "mimo-eval: %s records %d training texts: results say how many queries and documents it has seen\n", f.model, set.Len())
		}
	}
	if d := declaredTrainingData(f.model); len(d) > 0 {
		opts.TrainingDatasets = d
		fmt.Fprintf(stderr, "mimo-eval: %s declares %d training datasets (MTEB's training_datasets): tasks among them are marked \"declared\"\n", f.model, len(d))
	}
	return ts, opts, nil
}

// printOutcomes prints the results table, or for a shard what it encoded.
func printOutcomes(stdout io.Writer, outs []harness.Outcome, opts harness.Options) error {
	if len(outs) == 0 {
		return nil
	}
	if opts.Shard.N > 0 {
		n := 0
		for _, o := range outs {
			n += o.Encoded
		}
		fmt.Fprintf(stdout, "shard %d/%d: %d texts encoded into %s; run again without --shard to score\n", opts.Shard.I, opts.Shard.N, n, cacheDirOf(opts))
		return nil
	}
	return harness.WriteTable(stdout, outs)
}

// resolveTasks turns --tasks and --data-dir into tasks: the local folders
// alone when only --data-dir is given, both when --tasks is given too. An
// item of --tasks that is a path (it holds a "/" or starts with ".") is a
// local folder too, as are --data-dir's: a task folder in any layout
// tasks/local reads (the MIMO authors', BEIR's, MTEB's download), or a
// folder of such folders.
//
// A task whose data is absent here (tasks.Checker) is skipped with a note
// when a group selected it, and is an error when it was named.
func resolveTasks(spec string, specSet bool, dataDirs string, stderr io.Writer) ([]tasks.Task, error) {
	var ts []tasks.Task
	dirs := splitList(dataDirs)
	var names, paths []string
	for _, item := range splitList(spec) {
		if strings.ContainsAny(item, "/"+string(filepath.Separator)) || strings.HasPrefix(item, ".") {
			paths = append(paths, item)
		} else {
			names = append(names, item)
		}
	}
	spec = strings.Join(names, ",")
	if (len(dirs) == 0 || specSet) && (len(names) > 0 || len(paths) == 0) {
		sel, notes, err := tasks.SelectNotes(spec)
		if err != nil {
			return nil, fmt.Errorf("--tasks: %w", err)
		}
		for _, n := range notes {
			fmt.Fprintf(stderr, "mimo-eval: %s\n", n)
		}
		for _, t := range sel {
			c, ok := t.(tasks.Checker)
			if !ok {
				ts = append(ts, t)
				continue
			}
			if err := c.Available(); err != nil {
				if named(spec, t.Metadata()) {
					return nil, fmt.Errorf("--tasks: %w", err)
				}
				fmt.Fprintf(stderr, "mimo-eval: skipping %s: %v\n", t.Metadata().Name, err)
				continue
			}
			ts = append(ts, t)
		}
		if len(ts) == 0 && len(dirs) == 0 && len(paths) == 0 {
			return nil, fmt.Errorf("--tasks %q: no selected task has its data here", spec)
		}
	}
	for _, group := range []struct {
		flag string
		dirs []string
	}{{"--tasks", paths}, {"--data-dir", dirs}} {
		for _, d := range group.dirs {
			lts, err := local.OpenAll(d)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", group.flag, err)
			}
			for _, t := range lts {
				ts = append(ts, t)
			}
		}
	}
	return ts, nil
}

// named reports whether the selection names the task itself (not a group).
func named(spec string, m tasks.Metadata) bool {
	for _, item := range splitList(spec) {
		if ok, _ := tasks.Match(item, m); ok {
			return true
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func newTable(w io.Writer, header ...any) *tablewriter.Table {
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header(header...)
	return t
}

func size(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func listTasks(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("mimo-eval tasks", "Usage: mimo-eval tasks [--group G]\n\nLists the registered tasks with their metadata.\n\nFlags:\n", stderr)
	group := fs.String("group", "", "only this group (mlir, miracl, mini, ...)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	t := newTable(stdout, "task", "group", "main score", "languages", "queries", "corpus", "qrels", "source", "revision", "license")
	n := 0
	for _, task := range tasks.All() {
		m := task.Metadata()
		if *group != "" && !strings.EqualFold(*group, m.Group) {
			continue
		}
		rev := m.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if err := t.Append(m.Name, m.Group, m.MainScore, strings.Join(m.Languages, " "),
			size(m.ExpectedQueries), size(m.ExpectedCorpus), size(m.ExpectedQrels), m.Source, rev, m.License); err != nil {
			fmt.Fprintf(stderr, "mimo-eval tasks: %v\n", err)
			return 1
		}
		n++
	}
	if n == 0 {
		fmt.Fprintln(stderr, "mimo-eval tasks: no task registered in this group")
		return 1
	}
	if err := t.Render(); err != nil {
		fmt.Fprintf(stderr, "mimo-eval tasks: %v\n", err)
		return 1
	}
	return 0
}

func stats(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("mimo-eval stats", "Usage: mimo-eval stats [--tasks T] [--data-dir D] [--langs L] [--source DIR [--source-flat]] [--dataset-revision REPO@COMMIT] [--variant KEY=VALUE]\n\n"+
		"Loads each task and prints, per dataset, the number of queries, documents, qrels\n"+
		"and positive qrels per language, with the expected totals (paper Table 7) when known.\n\nFlags:\n", stderr)
	spec := fs.String("tasks", "mini", "tasks or groups, as for evaluation")
	dataDir := fs.String("data-dir", "", "comma-separated local task folders")
	langs := fs.String("langs", "", "comma-separated language codes to keep")
	variantSpec := fs.String("variant", "", "builder options, KEY=VALUE, as for evaluation")
	var src sourceFlags
	src.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	specSet := false
	fs.Visit(func(fl *flag.Flag) { specSet = specSet || fl.Name == "tasks" })
	ts, err := resolveTasks(*spec, specSet, *dataDir, stderr)
	if err == nil {
		ts, err = src.apply(ts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mimo-eval stats: %v\n", err)
		return 2
	}
	variant, err := builders.ParseVariant(*variantSpec)
	if err != nil {
		fmt.Fprintf(stderr, "mimo-eval stats: --%v\n", err)
		return 2
	}
	if ts, err = pinBranches(ctx, ts, stderr); err != nil {
		fmt.Fprintf(stderr, "mimo-eval stats: %v\n", err)
		return 1
	}
	for _, task := range ts {
		m := task.Metadata()
		dss, err := task.Load(ctx, tasks.LoadOptions{Langs: splitList(*langs), Variant: variant})
		if err != nil {
			fmt.Fprintf(stderr, "mimo-eval stats: %s: %v\n", m.Name, err)
			return 1
		}
		for _, ds := range dss {
			fmt.Fprintf(stdout, "%s (split %s, subset %s)\n", m.Name, orDefault(ds.Split, "test"), orDefault(ds.Subset, "default"))
			t := newTable(stdout, "lang", "queries", "docs", "qrels", "positives")
			for _, s := range tasks.Stats(ds) {
				l := s.Lang
				if l == "" {
					l = "(none)"
				}
				if err := t.Append(l, s.Queries, s.Docs, s.Qrels, s.Positives); err != nil {
					fmt.Fprintf(stderr, "mimo-eval stats: %v\n", err)
					return 1
				}
			}
			if m.ExpectedQueries+m.ExpectedCorpus+m.ExpectedQrels > 0 && len(dss) == 1 {
				if err := t.Append("expected", size(m.ExpectedQueries), size(m.ExpectedCorpus), size(m.ExpectedQrels), ""); err != nil {
					fmt.Fprintf(stderr, "mimo-eval stats: %v\n", err)
					return 1
				}
			}
			if err := t.Render(); err != nil {
				fmt.Fprintf(stderr, "mimo-eval stats: %v\n", err)
				return 1
			}
			for reason, n := range ds.Skipped {
				fmt.Fprintf(stdout, "skipped: %d (%s)\n", n, reason)
			}
			fmt.Fprintln(stdout)
		}
	}
	return 0
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// writeReport writes the report of the results folder to path: an HTML
// page for a .html or .htm path, else Markdown with figures beside it.
func writeReport(path, results string) ([]reports.Problem, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		res, err := reports.WriteHTML(path, []string{results}, reports.Options{})
		return res.Problems, err
	}
	return reports.Write(path, []string{results}, reports.Options{})
}

// declaredTrainingData is what the known registry says the Hub model spec
// (a registry key, "org/name" or "hf:org/name[@rev]") was trained on; nil
// for a local folder or a model the registry does not know.
func declaredTrainingData(spec string) map[string][]string {
	if resolver.LocalDir(spec) != "" {
		return nil
	}
	sp, err := registry.ParseSpec(spec)
	if err != nil {
		return nil
	}
	m, ok := registry.Lookup(sp.Name)
	if !ok {
		return nil
	}
	return m.TrainingDatasets
}

// printStats prints what an encoder says about its run (an encoder pool's
// per-replica throughput), when it has a Stats method.
func printStats(w io.Writer, enc adapters.Encoder) {
	if s, ok := enc.(interface{ Stats() string }); ok {
		for _, line := range strings.Split(strings.TrimRight(s.Stats(), "\n"), "\n") {
			if line != "" {
				fmt.Fprintf(w, "mimo-eval: %s\n", line)
			}
		}
	}
}
