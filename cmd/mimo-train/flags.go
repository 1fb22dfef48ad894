package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/training"
)

// extras are the flags that are not training.Config keys.
type extras struct {
	config     string
	initBag    string
	bagRidge   float64
	bagNoPrior bool
}

// parseArgs turns the command line into a config; what goes wrong is printed
// on stderr as well as returned. Flags are bound straight
// to the fields of a training.Config. Without --config that config starts
// from training.Default(); with it, the arguments are parsed a second time
// over the file's config, so every flag given overrides the file and every
// flag not given leaves the file's value alone.
func parseArgs(args []string, stderr io.Writer) (training.Config, extras, error) {
	c, x := training.Default(), extras{}
	if err := newFlagSet(&c, &x, stderr).Parse(args); err != nil {
		return c, x, err
	}
	if x.config == "" {
		return c, x, nil
	}
	fc, err := training.ReadConfig(x.config)
	if err != nil {
		fmt.Fprintln(stderr, "mimo-train:", err)
		return c, x, err
	}
	var fx extras
	// The same arguments just parsed, so this cannot fail on a flag.
	if err := newFlagSet(&fc, &fx, io.Discard).Parse(args); err != nil {
		return c, x, err
	}
	return fc, fx, nil
}

func newFlagSet(c *training.Config, x *extras, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mimo-train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&x.config, "config", "", "JSON config file (training.Config keys); flags override it")
	fs.StringVar(&x.initBag, "init-bag", "", "write a bag-of-words warm start of the fresh student into this folder and exit (training.Run.InitBag; train from it with --student)")
	fs.Float64Var(&x.bagRidge, "bag-ridge", 0, "--init-bag: ridge, relative to the mean diagonal (default 0.01)")
	fs.BoolVar(&x.bagNoPrior, "bag-no-prior", false, "--init-bag: shrink towards zero, not the teacher's vector of each token's surface form")

	fs.StringVar((*string)(&c.Method), "method", string(c.Method), "infonce, xlco, lakda or mimo")
	fs.IntVar(&c.Stage, "stage", c.Stage, "mimo only: 1 or 2 alone; 0 runs stage 1 then stage 2")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of data order, composition, dropout and fresh initialisation")
	fs.Var(commaList{&c.Langs}, "langs", "comma-separated training `languages` (default: the paper's 14, as far as the data has them)")
	fs.Var(&repeated{dst: &c.Pairs}, "pairs", "stage-1 sentence pairs, repeatable `source`: tatoeba:DIR, jsonl:PATH, opus:LANG:PATH")
	fs.Var(&repeated{dst: &c.Rows}, "rows", "query/passage rows, repeatable `source`: xquad:DIR (training articles), mmarco:DIR:QRELS, jsonl:PATH")
	fs.StringVar(&c.Student, "student", c.Student, "student: a folder with config.json + model.safetensors (+ tokenizer.json), Hugging Face layout, or hf:ORG/NAME[@REV] (e.g. hf:jhu-clsp/mmBERT-base), fetched through the hub cache")
	fs.StringVar(&c.StudentConfig, "student-config", c.StudentConfig, "config.json of a fresh, randomly initialised student (instead of --student weights)")
	fs.StringVar(&c.Tokenizer, "tokenizer", c.Tokenizer, "tokenizer.json (default: the student folder's)")
	fs.StringVar(&c.Pooling, "pooling", c.Pooling, "mean (default) or cls")
	fs.StringVar(&c.Teacher, "teacher", c.Teacher, "teacher model spec (model folder, ...); its English-side vectors are cached once")
	fs.StringVar(&c.TeacherCache, "teacher-cache", c.TeacherCache, "folder of teacher cache files (default OUTPUT/teacher)")
	fs.StringVar(&c.TeacherPrompt, "teacher-prompt", c.TeacherPrompt, "query prompt for a teacher without its own (Qwen3-Embedding: see training/teacher.Qwen3QueryPrompt)")
	fs.StringVar(&c.Output, "output", c.Output, "output model folder (also holds checkpoint.mimo, checkpoint.mimo.prev, train-log.jsonl and mimo-train.lock, which keeps a second trainer out)")

	// These set the same field of every phase.
	phases := []*training.Hyper{&c.Stage1, &c.Stage2}
	fs.Var(phaseInt(phases, func(h *training.Hyper) *int { return &h.MaxSteps }), "steps", "stop each phase after this many optimiser `steps` (0: full epochs)")
	fs.Var(phaseInt(phases, func(h *training.Hyper) *int { return &h.Epochs }), "epochs", "`epochs` per phase (default 1)")
	fs.Var(phaseInt(phases, func(h *training.Hyper) *int { return &h.Batch }), "batch", "full `batch` size of every phase (default: 128 stage 1, 2048 otherwise)")
	fs.Var(phaseInt(phases, func(h *training.Hyper) *int { return &h.MaxLen }), "max-length", "max `tokens` of every phase (default: 256 stage 1, 512 otherwise)")
	fs.Var(phaseFloat(phases, func(h *training.Hyper) *float64 { return &h.LR }), "lr", "learning `rate` of every phase (default: 1e-4 stage 1, 2e-5 otherwise)")

	fs.IntVar(&c.MiniBatch, "mini-batch", c.MiniBatch, "gradient-cache mini-batch")
	fs.Float64Var(&c.Lambda, "lambda", c.Lambda, "mimo stage 2: weight of XLCO")
	fs.StringVar(&c.Bracket, "bracket", c.Bracket, "mimo stage 2 distillation: half (authors' code) or sum (paper formula)")
	fs.Float64Var(&c.Alpha, "alpha", c.Alpha, "lakda: weight of the KL term")
	fs.StringVar(&c.KL, "kl", c.KL, "lakda: symmetric, one-sided or original")
	fs.Float64Var(&c.Scale, "scale", c.Scale, "1/tau of the contrastive losses")
	fs.Float64Var(&c.WarmupRatio, "warmup", c.WarmupRatio, "warm-up fraction of each phase's steps")
	fs.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "AdamW weight decay")
	fs.Float64Var(&c.MaxGradNorm, "max-grad-norm", c.MaxGradNorm, "gradient clipping norm (0: off)")
	fs.IntVar(&c.PerLanguage, "per-language", c.PerLanguage, "stage 1: cap of sentence pairs per language")
	fs.BoolVar(&c.NoFilter, "no-filter", c.NoFilter, "stage 1: skip the length/ratio/de-dup filters")
	fs.IntVar(&c.CheckpointEvery, "checkpoint-every", c.CheckpointEvery, "checkpoint every N optimiser steps")
	fs.BoolVar(&c.Resume, "resume", c.Resume, "continue the run in OUTPUT from its checkpoint.mimo (from the start if there is none) with the same configuration: "+
		"any other change is refused, naming the keys, except --quiet, --checkpoint-every, --name, --backend, --mini-batch and where --output is; "+
		"train-log.jsonl is cut back to the checkpoint's step")
	fs.BoolVar(&c.Overwrite, "overwrite", c.Overwrite, "start afresh in an OUTPUT that holds an earlier run: removes only the files mimo-train writes there "+
		"(checkpoint.mimo, checkpoint.mimo.prev, train-log.jsonl, model.safetensors, config.json, tokenizer.json, mimo-model.json, training.json "+
		"and their temporary files), never a file it does not know nor one this run reads, and keeps OUTPUT/teacher (the teacher cache, "+
		"checked against the teacher's identity). Without --resume or --overwrite, an OUTPUT holding files is refused")
	fs.StringVar(&c.Name, "name", c.Name, "model name in mimo-model.json")
	fs.BoolVar(&c.Quiet, "quiet", c.Quiet, "no progress bar")
	fs.StringVar(&c.Backend, "backend", c.Backend, "GoMLX backend (default: $GOMLX_BACKEND, else the pure-Go \"go\")")
	fs.IntVar(&c.Devices, "devices", c.Devices, "data-parallel `devices` the batch is split over (the batch semantics, see --batch-mode): with a backend of that many devices or more they run data-parallel "+
		"(GoMLX AutoSharding; --mini-batch must be a multiple), else one after the other on its first device (the same numbers); training.json records which (device_execution)")
	fs.StringVar(&c.BatchMode, "batch-mode", c.BatchMode, "global (one loss over the whole --batch, negatives gathered across devices: the paper's formula) or "+
		"per-device (the mean of one loss per device's --batch/--devices rows, no gather: the authors' scripts, e.g. --batch 4096 --devices 2 --batch-mode per-device)")
	fs.StringVar(&c.DType, "dtype", c.DType, "student compute dtype: f32, or bf16 (bfloat16 products and activations, float32 weights, losses and optimiser state; "+
		"GoMLX's XLA and pure-Go backends both run it); recorded in training.json, and a resume keeps it")
	return fs
}

// repeated is a repeatable flag: its first use replaces the value it starts
// with (the default or the config file's), later uses append.
type repeated struct {
	dst *[]string
	set bool
}

func (r *repeated) String() string {
	if r == nil || r.dst == nil {
		return ""
	}
	return strings.Join(*r.dst, ",")
}

func (r *repeated) Set(s string) error {
	if !r.set {
		*r.dst, r.set = nil, true
	}
	*r.dst = append(*r.dst, s)
	return nil
}

// commaList is a comma-separated list flag.
type commaList struct{ dst *[]string }

func (l commaList) String() string {
	if l.dst == nil {
		return ""
	}
	return strings.Join(*l.dst, ",")
}

func (l commaList) Set(s string) error {
	*l.dst = strings.Split(s, ",")
	return nil
}

// phaseValue sets one field in every phase's Hyper. Its printed default is
// empty: the phases' defaults differ, and the usage line says them.
type phaseValue struct {
	set func(string) error
}

func (p phaseValue) String() string     { return "" }
func (p phaseValue) Set(s string) error { return p.set(s) }

func phaseInt(phases []*training.Hyper, field func(*training.Hyper) *int) phaseValue {
	return phaseValue{func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		for _, h := range phases {
			*field(h) = v
		}
		return nil
	}}
}

func phaseFloat(phases []*training.Hyper, field func(*training.Hyper) *float64) phaseValue {
	return phaseValue{func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		for _, h := range phases {
			*field(h) = v
		}
		return nil
	}}
}
