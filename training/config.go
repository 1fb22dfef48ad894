// Package training runs the paper's training methods end to end: it composes
// the data (training/data), looks up teacher vectors (training/teacher),
// runs every full batch through the one gradient-cache engine
// (training/gradcache) with the method's objective (training/objective),
// steps AdamW on the paper's schedule (training/optim), logs every step as
// JSONL, checkpoints atomically and resumes exactly (training/checkpoint),
// and writes a model folder the evaluation harness loads.
//
// A run is a list of phases. InfoNCE, XLCO and LaKDA are one phase on the
// stage-2 data and hyper-parameters; MIMO is stage 1 (distillation on
// parallel sentences) then stage 2 (joint XLCO + distillation on parallel
// query/passage rows), or either alone (the paper's Table 3 ablations).
// psi is created in stage 1 and carried into stage 2; the optimiser's
// moments and schedule restart with each phase.
package training

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/mimo-mlir/mimo/training/data"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/losses"
	"github.com/mimo-mlir/mimo/training/optim"
)

// Hyper are the per-stage hyper-parameters of the paper's Table 6.
type Hyper struct {
	LR     float64 `json:"lr"`
	Batch  int     `json:"batch"`
	MaxLen int     `json:"max_length"`
	Epochs int     `json:"epochs"`
	// MaxSteps, when > 0, stops the phase after that many optimiser steps
	// (the schedule is then computed over MaxSteps).
	MaxSteps int `json:"max_steps,omitempty"`
}

// Config is a training run. JSON field names are the config-file keys; the
// command line overrides them.
type Config struct {
	Method data.Method `json:"method"`
	// Stage selects MIMO's stages: 0 both (stage 1 then 2), 1 or 2 alone.
	Stage int    `json:"stage"`
	Seed  uint64 `json:"seed"`
	// Langs restricts training languages (default: the paper's 14, as far
	// as the data has them).
	Langs []string `json:"langs,omitempty"`

	Stage1    Hyper `json:"stage1"`
	Stage2    Hyper `json:"stage2"`
	MiniBatch int   `json:"mini_batch"`

	WarmupRatio float64 `json:"warmup_ratio"`
	WeightDecay float64 `json:"weight_decay"`
	MaxGradNorm float64 `json:"max_grad_norm"`

	Scale   float64 `json:"scale"`   // 1/tau, 20
	Lambda  float64 `json:"lambda"`  // MIMO stage 2, 0.2
	Bracket string  `json:"bracket"` // "half" (authors' code) or "sum" (paper formula)
	Alpha   float64 `json:"alpha"`   // LaKDA, 0.5
	KL      string  `json:"kl"`      // LaKDA: symmetric, one-sided, original

	// Data sources. Pairs (stage 1): "tatoeba:DIR", "jsonl:PATH",
	// "opus:LANG:PATH" (TSV, optionally .gz, English first). Rows (stage 2
	// and baselines): "xquad:DIR" (training articles only), "jsonl:PATH",
	// "mmarco:DIR:PAIRS" (mMARCO layout, PAIRS a qrels.train.tsv).
	Pairs       []string `json:"pairs,omitempty"`
	Rows        []string `json:"rows,omitempty"`
	PerLanguage int      `json:"per_language"` // stage-1 cap, 500,000
	NoFilter    bool     `json:"no_filter,omitempty"`

	// Student: a folder with config.json and model.safetensors (Hugging Face
	// layout), a Hugging Face model ("hf:jhu-clsp/mmBERT-base[@rev]" or a
	// key of adapters/registry, fetched through the hub client and its cache;
	// Setup then sets Student to the snapshot folder and StudentFrom to the
	// spec) or, with StudentConfig, a fresh random initialisation.
	Student       string `json:"student,omitempty"`
	StudentFrom   string `json:"student_from,omitempty"`
	StudentConfig string `json:"student_config,omitempty"`
	Tokenizer     string `json:"tokenizer,omitempty"`
	Pooling       string `json:"pooling,omitempty"` // mean (default) or cls

	// Teacher: a model spec (adapters/resolver) whose English-side vectors are
	// computed once into TeacherCache, or only TeacherCache (a folder of
	// cache files written earlier).
	Teacher       string `json:"teacher,omitempty"`
	TeacherCache  string `json:"teacher_cache,omitempty"`
	TeacherPrompt string `json:"teacher_prompt,omitempty"`

	Output          string `json:"output"`
	CheckpointEvery int    `json:"checkpoint_every"`
	Resume          bool   `json:"resume,omitempty"`
	// Overwrite starts afresh in an output folder that holds an earlier
	// run, removing mimo-train's own files there (see Run.Train).
	Overwrite bool   `json:"overwrite,omitempty"`
	Name      string `json:"name,omitempty"`
	Quiet     bool   `json:"quiet,omitempty"`
	Backend   string `json:"backend,omitempty"`
	// DType is the student's compute dtype: "f32" (default) or "bf16"
	// (bfloat16 matrix products and activations; weights, losses, psi and
	// the optimiser's state stay float32; see transformer.Config.Compute).
	// A configuration without the key (written before it existed) is f32.
	DType string `json:"dtype,omitempty"`
	// Devices and BatchMode are the data-parallel batch semantics
	// (gradcache.Layout). Batch is always the rows of one optimiser step;
	// with Devices D they are split into D shards of Batch/D rows. BatchMode
	// "global" (default, the paper's formula) computes one loss over all
	// Batch rows (negatives gathered across devices: the loss does not
	// depend on D); "per-device" (the authors' scripts: torch DDP, no
	// gather) averages D losses, each over one shard's rows. The authors'
	// step of 2 processes x 2,048 rows is --batch 4096 --devices 2
	// --batch-mode per-device. How the D shards run is the backend's
	// choice (gradcache.Plan): data-parallel over D of its devices when it
	// has that many (GoMLX AutoSharding; --mini-batch must then be a
	// multiple of D), else one after the other on its first device, which
	// gives the numbers a D-device run gives.
	Devices   int    `json:"devices,omitempty"`
	BatchMode string `json:"batch_mode,omitempty"`
	// DeviceExecution records how the devices ran: "data-parallel" or
	// "sequential" (gradcache.Execution). The run sets it from the backend
	// (a value read from a configuration file is replaced); a resume may
	// change it (the numbers agree up to float32 rounding); a training.json
	// without the key was written when every run was sequential.
	DeviceExecution string `json:"device_execution,omitempty"`
}

// Batch modes of Config.BatchMode.
const (
	BatchGlobal    = "global"
	BatchPerDevice = "per-device"
)

// Compute dtypes of Config.DType.
const (
	DTypeF32  = "f32"
	DTypeBF16 = "bf16"
)

// ComputeDType is the GoMLX dtype of c.DType ("" is f32).
func (c Config) ComputeDType() (dtypes.DType, error) {
	switch c.DType {
	case "", DTypeF32:
		return dtypes.Float32, nil
	case DTypeBF16:
		return dtypes.BFloat16, nil
	default:
		return dtypes.InvalidDType, fmt.Errorf("dtype %q: want %s or %s", c.DType, DTypeF32, DTypeBF16)
	}
}

// Default is the paper's setting (Table 6 and Section 4): stage 1 lr 1e-4,
// batch 128, max length 256; stage 2 (and the baselines) lr 2e-5, batch
// 2048, max length 512; one epoch; mini-batches of 32; 10% warm-up; scale 20;
// lambda 0.2; LaKDA alpha 0.5 with the symmetric KL.
func Default() Config {
	o := optim.Default()
	return Config{
		Method:          data.MethodMIMO,
		Seed:            42,
		Stage1:          Hyper{LR: 1e-4, Batch: 128, MaxLen: 256, Epochs: 1},
		Stage2:          Hyper{LR: 2e-5, Batch: 2048, MaxLen: 512, Epochs: 1},
		MiniBatch:       32,
		WarmupRatio:     0.1,
		WeightDecay:     o.WeightDecay,
		MaxGradNorm:     o.MaxGradNorm,
		Scale:           losses.DefaultScale,
		Lambda:          0.2,
		Bracket:         string(losses.BracketHalf),
		Alpha:           0.5,
		KL:              string(losses.KLSymmetric),
		PerLanguage:     500_000,
		CheckpointEvery: 500,
		TeacherPrompt:   "",
		DType:           DTypeF32,
		Devices:         1,
		BatchMode:       BatchGlobal,
	}
}

// ReadConfig overlays the JSON file on Default (unknown keys are errors).
func ReadConfig(path string) (Config, error) {
	c := Default()
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("training config: %w", err)
	}
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("training config %s: %w", path, err)
	}
	return c, nil
}

// Validate reports the first inconsistency.
func (c Config) Validate() error {
	switch c.Method {
	case data.MethodInfoNCE, data.MethodXLCO, data.MethodLaKDA:
		if c.Stage != 0 {
			return fmt.Errorf("--stage is for mimo only, method is %s", c.Method)
		}
	case data.MethodMIMO:
		if c.Stage < 0 || c.Stage > 2 {
			return fmt.Errorf("mimo stage %d: want 1, 2 or 0 (both)", c.Stage)
		}
	default:
		return fmt.Errorf("method %q: want infonce, xlco, lakda or mimo", c.Method)
	}
	for _, p := range c.phases() {
		h := c.hyper(p)
		what := c.phaseName(p)
		if h.LR <= 0 || h.Batch <= 0 || h.MaxLen <= 1 || (h.Epochs <= 0 && h.MaxSteps <= 0) {
			return fmt.Errorf("%s: lr %g, batch %d, max length %d, epochs %d: all must be positive", what, h.LR, h.Batch, h.MaxLen, h.Epochs)
		}
		if p == phaseStage1 && len(c.Pairs) == 0 {
			return fmt.Errorf("mimo stage 1 needs parallel sentence pairs (--pairs tatoeba:DIR, jsonl:PATH or opus:LANG:PATH; `mimo-train data opus --out DIR` builds the paper's from the Hub into DIR/pairs.jsonl)")
		}
		if p != phaseStage1 && len(c.Rows) == 0 {
			return fmt.Errorf("%s needs parallel query/passage rows (--rows xquad:DIR, mmarco:DIR:QRELS or jsonl:PATH; `mimo-train data mmarco --out DIR` builds the paper's from the Hub into DIR/rows.jsonl)", what)
		}
		if (p == phaseStage1 || p == phaseStage2) && c.Teacher == "" && c.TeacherCache == "" {
			return fmt.Errorf("%s needs a teacher (--teacher or --teacher-cache)", what)
		}
	}
	if _, err := c.ComputeDType(); err != nil {
		return err
	}
	if err := c.validateDevices(); err != nil {
		return err
	}
	if c.MiniBatch <= 0 {
		return fmt.Errorf("mini-batch %d must be positive", c.MiniBatch)
	}
	if err := c.lakda().Validate(); err != nil && c.Method == data.MethodLaKDA {
		return err
	}
	if err := c.stage2().Validate(); err != nil && c.Method == data.MethodMIMO {
		return err
	}
	if c.Student == "" && c.StudentConfig == "" {
		return fmt.Errorf("no student: give --student DIR (config.json + model.safetensors), --student hf:ORG/NAME or --student-config FILE")
	}
	if c.Output == "" {
		return fmt.Errorf("no output folder (--output)")
	}
	if c.Resume && c.Overwrite {
		return fmt.Errorf("--resume and --overwrite exclude each other: --resume continues the run in %s, --overwrite starts it afresh", c.Output)
	}
	return nil
}

func (c Config) validateDevices() error {
	if c.Devices < 0 {
		return fmt.Errorf("devices %d: want 1 or more (0: 1)", c.Devices)
	}
	switch c.BatchMode {
	case "", BatchGlobal, BatchPerDevice:
	default:
		return fmt.Errorf("batch mode %q: want %s or %s", c.BatchMode, BatchGlobal, BatchPerDevice)
	}
	switch gradcache.Execution(c.DeviceExecution) {
	case "", gradcache.Sequential, gradcache.DataParallel:
	default:
		return fmt.Errorf("device_execution %q: want %s or %s (the run records it; leave it out)", c.DeviceExecution, gradcache.Sequential, gradcache.DataParallel)
	}
	for _, p := range c.phases() {
		if h := c.hyper(p); c.Devices > 1 && h.Batch%c.Devices != 0 {
			return fmt.Errorf("%s: batch %d does not split evenly over %d devices", c.phaseName(p), h.Batch, c.Devices)
		}
	}
	return nil
}

func (c Config) lakda() losses.LaKDAOptions {
	o := losses.DefaultLaKDA()
	o.Alpha, o.Scale, o.Mode = c.Alpha, c.Scale, losses.KLMode(c.KL)
	return o
}

func (c Config) stage2() losses.Stage2Options {
	return losses.Stage2Options{Lambda: c.Lambda, Scale: c.Scale, Bracket: losses.Bracket(c.Bracket)}
}

// phase is one training phase of a run.
type phase string

const (
	phaseStage1   phase = "mimo-stage1"
	phaseStage2   phase = "mimo-stage2"
	phaseBaseline phase = "baseline"
)

// phaseName names p in messages: the phase, or for a baseline's one phase
// the method the user asked for.
func (c Config) phaseName(p phase) string {
	if p == phaseBaseline {
		return string(c.Method)
	}
	return string(p)
}

func (c Config) phases() []phase {
	switch c.Method {
	case data.MethodMIMO:
		switch c.Stage {
		case 1:
			return []phase{phaseStage1}
		case 2:
			return []phase{phaseStage2}
		default:
			return []phase{phaseStage1, phaseStage2}
		}
	default:
		return []phase{phaseBaseline}
	}
}

func (c Config) hyper(p phase) Hyper {
	if p == phaseStage1 {
		return c.Stage1
	}
	return c.Stage2
}
