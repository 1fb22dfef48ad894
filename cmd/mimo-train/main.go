// Command mimo-train trains a multilingual retrieval student with one of the
// paper's methods and writes a model folder (kind "native") that
// `mimo-eval --model DIR` evaluates.
//
//	mimo-train --method mimo --config run.json            # stage 1 then stage 2
//	mimo-train --method mimo --stage 2 ...                 # stage 2 alone (ablation)
//	mimo-train --method xlco --student DIR --rows xquad:/data/xquad --output out/xlco
//
// Defaults are the paper's Table 6; a --config JSON file (training.Config
// keys) overrides them and flags override the file. The logic lives in
// github.com/mimo-mlir/mimo/training.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mimo-mlir/mimo/training"

	// Teacher kinds.
	_ "github.com/mimo-mlir/mimo/adapters/lexical"
	_ "github.com/mimo-mlir/mimo/adapters/native"
	_ "github.com/mimo-mlir/mimo/adapters/precomputed"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mimo-train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `mimo-train: train a multilingual retriever with the MIMO paper's methods.

Usage:
  mimo-train --method {infonce,xlco,lakda,mimo} [--stage 1|2] [--config FILE] [flags]

Methods (training.md): infonce (same-language pairs), xlco (cross-lingual
pairs), lakda (parallel queries + KL), mimo (stage 1: distil into a frozen
English teacher through psi; stage 2: lambda*XLCO + (1-lambda)*distillation).
--method mimo without --stage runs stage 1 then stage 2. Defaults are the
paper's Table 6; a --config JSON file sets training.Config keys and flags
override it. Every full batch goes through the gradient cache. The output
folder gets checkpoint.mimo (atomic; --resume continues exactly),
train-log.jsonl (every loss term per step) and a model folder (kind
"native", psi dropped) that mimo-eval --model loads.

Examples:
  mimo-train --method mimo --student xlmr-folder --teacher teacher-folder \
      --pairs tatoeba:../shared/data/tatoeba --rows xquad:../shared/data/xquad \
      --output out/mimo
  mimo-train --method mimo --stage 1 ... --output out/stage1       # ablation
  mimo-train --method mimo --lambda 0.8 ... --output out/lambda0.8 # lambda sweep
  mimo-train --method lakda --kl one-sided ... --output out/lakda
  mimo-eval --model out/mimo --tasks mini

Flags:
`)
		fs.PrintDefaults()
	}
	d := training.Default()
	var (
		configPath  = fs.String("config", "", "JSON config file (training.Config keys); flags override it")
		method      = fs.String("method", d.Method, "infonce, xlco, lakda or mimo")
		stage       = fs.Int("stage", 0, "mimo only: 1 or 2 alone; 0 runs stage 1 then stage 2")
		seed        = fs.Uint64("seed", d.Seed, "seed of data order, composition, dropout and fresh initialisation")
		langs       = fs.String("langs", "", "comma-separated training languages (default: the paper's 14, as far as the data has them)")
		pairs, rows list
		student     = fs.String("student", "", "student folder: config.json + model.safetensors (+ tokenizer.json), Hugging Face layout")
		studentCfg  = fs.String("student-config", "", "config.json of a fresh, randomly initialised student (instead of --student weights)")
		tokenizer   = fs.String("tokenizer", "", "tokenizer.json (default: the student folder's)")
		pooling     = fs.String("pooling", "", "mean (default) or cls")
		teacherM    = fs.String("teacher", "", "teacher model spec (model folder, ...); its English-side vectors are cached once")
		teacherC    = fs.String("teacher-cache", "", "folder of teacher cache files (default OUTPUT/teacher)")
		prompt      = fs.String("teacher-prompt", "", "query prompt for a teacher without its own (Qwen3-Embedding: see training/teacher.Qwen3QueryPrompt)")
		output      = fs.String("output", "", "output model folder (also holds checkpoint.mimo and train-log.jsonl)")
		steps       = fs.Int("steps", 0, "stop each phase after this many optimiser steps (0: full epochs)")
		epochs      = fs.Int("epochs", 0, "epochs per phase (default 1)")
		batch       = fs.Int("batch", 0, "full batch size of every phase (default: 128 stage 1, 2048 otherwise)")
		miniBatch   = fs.Int("mini-batch", d.MiniBatch, "gradient-cache mini-batch")
		maxLen      = fs.Int("max-length", 0, "max tokens of every phase (default: 256 stage 1, 512 otherwise)")
		lr          = fs.Float64("lr", 0, "learning rate of every phase (default: 1e-4 stage 1, 2e-5 otherwise)")
		lambda      = fs.Float64("lambda", d.Lambda, "mimo stage 2: weight of XLCO")
		bracket     = fs.String("bracket", d.Bracket, "mimo stage 2 distillation: half (authors' code) or sum (paper formula)")
		alpha       = fs.Float64("alpha", d.Alpha, "lakda: weight of the KL term")
		kl          = fs.String("kl", d.KL, "lakda: symmetric, one-sided or original")
		scale       = fs.Float64("scale", d.Scale, "1/tau of the contrastive losses")
		warmup      = fs.Float64("warmup", d.WarmupRatio, "warm-up fraction of each phase's steps")
		wd          = fs.Float64("weight-decay", d.WeightDecay, "AdamW weight decay")
		clip        = fs.Float64("max-grad-norm", d.MaxGradNorm, "gradient clipping norm (0: off)")
		perLang     = fs.Int("per-language", d.PerLanguage, "stage 1: cap of sentence pairs per language")
		noFilter    = fs.Bool("no-filter", false, "stage 1: skip the length/ratio/de-dup filters")
		ckptEvery   = fs.Int("checkpoint-every", d.CheckpointEvery, "checkpoint every N optimiser steps")
		resume      = fs.Bool("resume", false, "resume from OUTPUT/checkpoint.mimo if present")
		name        = fs.String("name", "", "model name in mimo-model.json")
		quiet       = fs.Bool("quiet", false, "no progress bar")
		initBag     = fs.String("init-bag", "", "write a bag-of-words warm start of the fresh student into this folder and exit (training.Run.InitBag; train from it with --student)")
		bagRidge    = fs.Float64("bag-ridge", 0, "--init-bag: ridge, relative to the mean diagonal (default 0.01)")
		bagNoPrior  = fs.Bool("bag-no-prior", false, "--init-bag: shrink towards zero, not the teacher's vector of each token's surface form")
		backendCfg  = fs.String("backend", "", "GoMLX backend (default: $MIMO_TRAIN_BACKEND, else the pure-Go \"go\")")
	)
	fs.Var(&pairs, "pairs", "stage-1 sentence pairs, repeatable: tatoeba:DIR, jsonl:PATH, opus:LANG:PATH")
	fs.Var(&rows, "rows", "query/passage rows, repeatable: xquad:DIR (training articles), mmarco:DIR:QRELS, jsonl:PATH")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	c := d
	if *configPath != "" {
		var err error
		if c, err = training.ReadConfig(*configPath); err != nil {
			fmt.Fprintln(stderr, "mimo-train:", err)
			return 2
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	str := func(n string, dst *string, v string) {
		if set[n] {
			*dst = v
		}
	}
	str("method", &c.Method, *method)
	str("student", &c.Student, *student)
	str("student-config", &c.StudentConfig, *studentCfg)
	str("tokenizer", &c.Tokenizer, *tokenizer)
	str("pooling", &c.Pooling, *pooling)
	str("teacher", &c.Teacher, *teacherM)
	str("teacher-cache", &c.TeacherCache, *teacherC)
	str("teacher-prompt", &c.TeacherPrompt, *prompt)
	str("output", &c.Output, *output)
	str("bracket", &c.Bracket, *bracket)
	str("kl", &c.KL, *kl)
	str("name", &c.Name, *name)
	str("backend", &c.Backend, *backendCfg)
	if set["stage"] {
		c.Stage = *stage
	}
	if set["seed"] {
		c.Seed = *seed
	}
	if set["langs"] {
		c.Langs = strings.Split(*langs, ",")
	}
	if set["pairs"] {
		c.Pairs = pairs
	}
	if set["rows"] {
		c.Rows = rows
	}
	for _, h := range []*training.Hyper{&c.Stage1, &c.Stage2} {
		if set["steps"] {
			h.MaxSteps = *steps
		}
		if set["epochs"] {
			h.Epochs = *epochs
		}
		if set["batch"] {
			h.Batch = *batch
		}
		if set["max-length"] {
			h.MaxLen = *maxLen
		}
		if set["lr"] {
			h.LR = *lr
		}
	}
	f64 := func(n string, dst *float64, v float64) {
		if set[n] {
			*dst = v
		}
	}
	f64("lambda", &c.Lambda, *lambda)
	f64("alpha", &c.Alpha, *alpha)
	f64("scale", &c.Scale, *scale)
	f64("warmup", &c.WarmupRatio, *warmup)
	f64("weight-decay", &c.WeightDecay, *wd)
	f64("max-grad-norm", &c.MaxGradNorm, *clip)
	if set["mini-batch"] {
		c.MiniBatch = *miniBatch
	}
	if set["per-language"] {
		c.PerLanguage = *perLang
	}
	if set["no-filter"] {
		c.NoFilter = *noFilter
	}
	if set["checkpoint-every"] {
		c.CheckpointEvery = *ckptEvery
	}
	if set["resume"] {
		c.Resume = *resume
	}
	if set["quiet"] {
		c.Quiet = *quiet
	}
	r, closer, err := training.Setup(ctx, c)
	if err != nil {
		fmt.Fprintln(stderr, "mimo-train:", err)
		return 1
	}
	defer closer.Close()
	if *initBag != "" {
		rep, err := r.InitBag(ctx, *initBag, training.BagInitOptions{Ridge: *bagRidge, NoPrior: *bagNoPrior})
		return report(stdout, stderr, rep, err)
	}
	sum, err := r.Train(ctx)
	return report(stdout, stderr, sum, err)
}

// report prints v as indented JSON on stdout and returns 0, or prints err
// and returns 1.
func report(stdout, stderr io.Writer, v any, err error) int {
	if err != nil {
		fmt.Fprintln(stderr, "mimo-train:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	return 0
}
