package training

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/progress"
	"github.com/mimo-mlir/mimo/tokenize"
	"github.com/mimo-mlir/mimo/training/checkpoint"
	"github.com/mimo-mlir/mimo/training/data"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/objective"
	"github.com/mimo-mlir/mimo/training/optim"
	"github.com/mimo-mlir/mimo/training/teacher"
	"github.com/mimo-mlir/mimo/transformer"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Student is the encoder a run trains: the engine's Student plus its
// output dimension and dtype (for psi).
type Student interface {
	gradcache.Student
	Dim() int
}

// Tokenizer is what a run needs of a tokenizer: unpadded encodings with the
// model's special tokens, truncated to maxLen, and the padding id.
type Tokenizer interface {
	EncodeBatch(texts []string, maxLen int) ([]tokenize.Encoding, error)
	PadID() int64
}

// Teacher cache roles.
const (
	RoleSentence = "sentence" // stage 1, English sentences, no prompt
	RoleQuery    = "query"    // stage 2, English queries, the teacher's query prompt
	RoleDocument = "document" // stage 2, English passages, no prompt
)

// Run is one configured training run. Build it with Setup (from a Config:
// loads student, tokenizer, data and teacher) or fill it directly (tests).
type Run struct {
	Cfg     Config
	Backend backends.Backend
	Ctx     *mlctx.Context // holds every variable; the student's under gradcache.StudentScope
	Student Student
	DType   dtypes.DType // of the student's outputs and psi (Float32 unless a test says otherwise)
	Tok     Tokenizer
	Teacher map[string]teacher.Vectors // by Role*
	Pairs   []data.SentencePair
	Rows    []data.ParallelRow
	Langs   []string
	// WriteFolder writes the trained student as a model folder into dir
	// (psi is never written). Nil: no folder.
	WriteFolder func(ctx *mlctx.Context, dir string) error
	// Log receives one JSON line per optimiser step (nil: Output/train-log.jsonl).
	Log io.Writer
	// StopAfter, when > 0, ends Train after that many optimiser steps of the
	// whole run (tests interrupt a run with it; the checkpoint stays behind).
	StopAfter int
	// outLock is the output folder's lock, when Setup took it.
	outLock io.Closer
	// closers are what Setup opened for the run (the lock, teacher
	// caches); phaseRes the current phase's engine and optimiser.
	closers  io.Closer
	phaseRes []io.Closer
	// plan is how every phase's engine and the optimiser use the backend's
	// devices: one per run (the variables keep the mesh they first ran on).
	devPlan *gradcache.Plan
	closed  bool
	// Notes receives what a user should know that is not an error (nil:
	// os.Stderr).
	Notes io.Writer
	// Hooks watch and steer Train (progress, per-step and checkpoint
	// callbacks, stop).
	Hooks Hooks
}

// Files a run writes in its output folder.
const (
	CheckpointFile = "checkpoint.mimo"
	LogFile        = "train-log.jsonl"
	LockFile       = "mimo-train.lock"
)

// State is what a checkpoint records besides the variables.
type State struct {
	Method data.Method `json:"method"`
	Seed   uint64      `json:"seed"`
	Phase  int         `json:"phase"` // index into the run's phases
	Step   int         `json:"step"`  // optimiser steps completed in that phase
	Done   bool        `json:"done"`
	// Config is the run's configuration when the checkpoint was written;
	// a resume compares it with its own (see ResumeMayChange).
	Config *Config `json:"config,omitempty"`
}

// StepLog is one line of the JSONL training log.
type StepLog struct {
	Phase    string             `json:"phase"`
	Step     int                `json:"step"`
	Total    int                `json:"total"`
	Epoch    int                `json:"epoch"`
	Loss     float64            `json:"loss"`
	Terms    map[string]float64 `json:"terms"`
	LR       float64            `json:"lr"`
	GradNorm float64            `json:"grad_norm"`
	Rows     int                `json:"rows"`
	Seconds  float64            `json:"seconds"`
}

// Summary is what Train returns: the last loss of each phase and the steps run.
type Summary struct {
	Steps    int                `json:"steps"`
	Last     map[string]StepLog `json:"last"`
	Folder   string             `json:"folder,omitempty"`
	Resumed  bool               `json:"resumed"`
	Finished bool               `json:"finished"`
}

// releasePhase finalises the current phase's engine and optimiser.
func (r *Run) releasePhase() {
	for _, c := range r.phaseRes {
		_ = c.Close() // Finalize reports nothing
	}
	r.phaseRes = nil
}

// Close releases everything the run owns: the compiled graphs of its
// engines and optimiser, the variables, the GoMLX backend, the teacher
// caches and the output folder's lock (errors joined). It is idempotent.
// On xla:cuda, device memory is held until Close, not until the GC runs.
func (r *Run) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.releasePhase()
	var errs []error
	if r.closers != nil {
		errs = append(errs, r.closers.Close())
	}
	if r.Ctx != nil {
		r.Ctx.Finalize()
	}
	if r.Backend != nil {
		r.Backend.Finalize()
	}
	return errors.Join(errs...)
}

// CheckpointPath is where a run keeps its checkpoint.
func (r *Run) CheckpointPath() string { return filepath.Join(r.Cfg.Output, CheckpointFile) }

// save checkpoints st with the run's configuration.
func (r *Run) save(st State) error {
	cfg := r.Cfg
	st.Config = &cfg
	if err := checkpoint.Save(r.CheckpointPath(), r.Ctx, st); err != nil {
		return err
	}
	if r.Hooks.OnCheckpoint != nil {
		r.Hooks.OnCheckpoint(st)
	}
	return nil
}

// note writes a line for the user (nothing if format is empty).
func (r *Run) note(format string, args ...any) {
	if format == "" {
		return
	}
	w := r.Notes
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "mimo-train: "+format+"\n", args...)
}

// resume loads the checkpoint into r.Ctx and returns its state; ok is false
// when there is none (the run then starts from the beginning). A damaged
// checkpoint, one of another format, or one written with a configuration
// that differs in a key outside ResumeMayChange is an error saying what to
// do.
func (r *Run) resume() (st State, ok bool, err error) {
	path := r.CheckpointPath()
	prev := path + checkpoint.PrevSuffix
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if _, perr := os.Stat(prev); perr == nil {
			return st, false, fmt.Errorf("training: resume: %s is missing but %s is there: to resume from it, mv %s %s and run again with --resume; or restart with --overwrite",
				path, prev, prev, path)
		}
		r.note("resume: no %s in %s: starting from the beginning", CheckpointFile, r.Cfg.Output)
		return st, false, nil
	} else if err != nil {
		return st, false, fmt.Errorf("training: resume: %w", err)
	}
	if err := checkpoint.Load(path, r.Ctx, &st); err != nil {
		return st, false, fmt.Errorf("training: resume: %w; %s", err, previousAdvice(path, prev))
	}
	if st.Config == nil {
		return st, false, fmt.Errorf("training: resume: checkpoint %s records no configuration: restart with --overwrite", path)
	}
	refused, allowed := diffConfig(*st.Config, r.Cfg)
	if len(refused) > 0 {
		return st, false, fmt.Errorf("training: %w", &ConfigChangedError{Checkpoint: path, Changes: refused})
	}
	for _, a := range allowed {
		if why := ResumeMayChange[a.Key]; why == "numerics" {
			r.note("resume: %s (allowed: it changes how batches are computed, not what is trained; the result is not bit-identical to an uninterrupted run)", a)
		}
	}
	r.note("resume: from %s, %s", path, st.position(r.Cfg.phases()))
	return st, true, nil
}

// position says where a state is, for people.
func (s State) position(phases []phase) string {
	switch {
	case s.Done:
		return "the run is finished"
	case s.Phase < len(phases) && s.Step == 0:
		return fmt.Sprintf("the start of %s", phases[s.Phase])
	case s.Phase < len(phases):
		return fmt.Sprintf("%s step %d", phases[s.Phase], s.Step)
	}
	return fmt.Sprintf("phase %d step %d", s.Phase, s.Step)
}

// previousAdvice says what to do when the checkpoint at path cannot be
// used: resume from the previous one if it is intact, else restart.
func previousAdvice(path, prev string) string {
	info, err := checkpoint.Verify(prev)
	if errors.Is(err, fs.ErrNotExist) {
		return "there is no previous checkpoint: restart with --overwrite"
	}
	if err != nil {
		return fmt.Sprintf("the previous checkpoint is not usable either (%v): restart with --overwrite", err)
	}
	var st State
	where := "its step unknown"
	if json.Unmarshal(info.State, &st) == nil {
		where = fmt.Sprintf("phase %d step %d", st.Phase, st.Step)
		if st.Config != nil {
			where = st.position(st.Config.phases())
		}
	}
	return fmt.Sprintf("the previous checkpoint %s (%s) is intact: to resume from it, mv %s %s and run again with --resume; or restart with --overwrite",
		prev, where, prev, path)
}

// example is one row of a phase: the texts of each student stream and the
// English texts whose teacher vectors are its targets.
type example struct {
	streams []string
	targets []string
}

type phasePlan struct {
	name     phase
	obj      gradcache.Objective
	hyper    Hyper
	examples []example
	roles    []string // teacher role of each target
}

func (r *Run) plan(p phase) (phasePlan, error) {
	c := r.Cfg
	pl := phasePlan{name: p, hyper: c.hyper(p)}
	switch p {
	case phaseStage1:
		pl.obj = objective.Stage1{}
		pl.roles = []string{RoleSentence}
		for _, s := range r.Pairs {
			pl.examples = append(pl.examples, example{streams: []string{s.Text}, targets: []string{s.En}})
		}
		if len(pl.examples) == 0 {
			return pl, fmt.Errorf("mimo stage 1: no sentence pairs")
		}
		return pl, nil
	case phaseStage2:
		pl.obj = objective.Stage2{Opts: c.stage2()}
		pl.roles = []string{RoleQuery, RoleDocument}
	default:
		switch c.Method {
		case data.MethodInfoNCE:
			pl.obj = objective.Contrastive{Scale: c.Scale}
		case data.MethodXLCO:
			pl.obj = objective.Contrastive{Scale: c.Scale, CrossLingual: true}
		case data.MethodLaKDA:
			pl.obj = objective.LaKDA{Opts: c.lakda()}
		}
	}
	if len(r.Rows) == 0 {
		return pl, fmt.Errorf("%s: no query/passage rows", p)
	}
	ex, err := data.Compose(c.Method, len(r.Rows), r.Langs, c.Seed)
	if err != nil {
		return pl, err
	}
	for i, e := range ex {
		row := r.Rows[i]
		var x example
		switch {
		case c.Method == data.MethodLaKDA:
			x.streams = []string{row.Query[e.QLang], row.Query[e.QLang2], row.Positive[e.PLang]}
		default:
			x.streams = []string{row.Query[e.QLang], row.Positive[e.PLang]}
		}
		if p == phaseStage2 {
			if !row.Has("en") {
				return pl, fmt.Errorf("mimo stage 2: row %q has no English side for the teacher", row.ID)
			}
			x.targets = []string{row.Query["en"], row.Positive["en"]}
		}
		for s, t := range x.streams {
			if t == "" {
				return pl, fmt.Errorf("%s: row %q lacks stream %d in its assigned language (%+v)", p, row.ID, s, e)
			}
		}
		pl.examples = append(pl.examples, x)
	}
	return pl, nil
}

func (pl phasePlan) batchesPerEpoch() int {
	return (len(pl.examples) + pl.hyper.Batch - 1) / pl.hyper.Batch
}

func (pl phasePlan) totalSteps() int {
	if pl.hyper.MaxSteps > 0 {
		return pl.hyper.MaxSteps
	}
	return pl.batchesPerEpoch() * pl.hyper.Epochs
}

// batchRows returns the example indices of optimiser step k (0-based):
// epoch k / nb visits the examples in a seeded order of its own (derived
// from the run seed, the epoch and the phase), so the data cursor of a
// checkpoint is just the step number.
func (pl phasePlan) batchRows(seed uint64, k int) (epoch int, idx []int) {
	nb := pl.batchesPerEpoch()
	epoch = k / nb
	order := data.Order(len(pl.examples), seed+uint64(epoch)*0x9e37+uint64(len(pl.name)))
	from := (k % nb) * pl.hyper.Batch
	return epoch, order[from:min(from+pl.hyper.Batch, len(order))]
}

func (r *Run) tokens(texts []string, maxLen int) (gradcache.Tokens, error) {
	enc, err := r.Tok.EncodeBatch(texts, maxLen)
	if err != nil {
		return gradcache.Tokens{}, err
	}
	l := 1
	for _, e := range enc {
		l = max(l, len(e.IDs))
	}
	// Pad to a multiple of 16 (within maxLen) so batches share compiled shapes.
	l = min((l+15)/16*16, max(maxLen, l))
	t := gradcache.Tokens{IDs: make([]int32, len(enc)*l), Mask: make([]int32, len(enc)*l), Batch: len(enc), Len: l}
	pad := int32(r.Tok.PadID())
	for i, e := range enc {
		for j := 0; j < l; j++ {
			if j < len(e.IDs) {
				t.IDs[i*l+j] = int32(e.IDs[j])
				t.Mask[i*l+j] = int32(e.Mask[j])
			} else {
				t.IDs[i*l+j] = pad
			}
		}
	}
	return t, nil
}

func (r *Run) batch(pl phasePlan, idx []int) (gradcache.Batch, error) {
	var b gradcache.Batch
	for s := 0; s < pl.obj.Streams(); s++ {
		texts := make([]string, len(idx))
		for i, k := range idx {
			texts[i] = pl.examples[k].streams[s]
		}
		t, err := r.tokens(texts, pl.hyper.MaxLen)
		if err != nil {
			return b, fmt.Errorf("%s: stream %d: %w", pl.name, s, err)
		}
		b.Streams = append(b.Streams, t)
	}
	for k := 0; k < pl.obj.Targets(); k++ {
		v := r.Teacher[pl.roles[k]]
		if v == nil {
			return b, fmt.Errorf("%s: no teacher vectors for role %q", pl.name, pl.roles[k])
		}
		texts := make([]string, len(idx))
		for i, j := range idx {
			texts[i] = pl.examples[j].targets[k]
		}
		flat, err := teacher.Gather(v, texts)
		if err != nil {
			return b, fmt.Errorf("%s: %s targets: %w", pl.name, pl.roles[k], err)
		}
		b.Targets = append(b.Targets, tensors.FromFlatDataAndDimensions(flat, len(idx), v.Dim()))
	}
	return b, nil
}

// Hooks let a caller watch and steer Train without Train writing to the
// process's streams: every field is optional.
type Hooks struct {
	// Progress is where the per-phase progress is drawn (a bar on a
	// terminal, a line a minute elsewhere: package progress). Nil: os.Stderr,
	// unless Cfg.Quiet.
	Progress io.Writer
	// OnStep is called after each optimiser step, once its log line is
	// written.
	OnStep func(StepLog)
	// OnCheckpoint is called after each checkpoint is written.
	OnCheckpoint func(State)
	// Stop is asked before each step; true ends Train as StopAfter does
	// (nil error, the last checkpoint left behind).
	Stop func(State) bool
}

// Train runs (or resumes) every phase, then writes the model folder.
//
// It holds the output folder's lock for the whole run (Setup takes it
// earlier, when the Run comes from Setup). Without Cfg.Resume the folder
// must hold no earlier run (Cfg.Overwrite removes one: see prepareOutput).
// With Cfg.Resume it continues from OUTPUT/checkpoint.mimo, refusing a
// damaged checkpoint or a changed configuration (see ResumeMayChange), and
// cuts OUTPUT/train-log.jsonl back to the checkpoint's step, so that the
// finished log equals an uninterrupted run's.
func (r *Run) Train(ctx context.Context) (Summary, error) {
	c := r.Cfg
	sum := Summary{Last: map[string]StepLog{}}
	if c.Output == "" {
		return sum, fmt.Errorf("training: no output folder")
	}
	if c.Resume && c.Overwrite {
		return sum, fmt.Errorf("training: --resume and --overwrite exclude each other")
	}
	if r.outLock == nil {
		l, err := lockOutput(c.Output)
		if err != nil {
			return sum, err
		}
		defer l.Close()
	}
	if err := r.prepareOutput(); err != nil {
		return sum, err
	}
	if r.DType == dtypes.InvalidDType {
		r.DType = dtypes.Float32
	}
	if err := r.planDevices(); err != nil {
		return sum, err
	}
	st, err := r.startState(&sum)
	if err != nil {
		return sum, err
	}
	lw, closeLog, err := r.openLog()
	if err != nil {
		return sum, err
	}
	defer closeLog()
	phases := c.phases()
	ran := 0
	for pi := st.Phase; pi < len(phases) && !st.Done; pi++ {
		stopped, err := r.runPhase(ctx, phases, pi, &st, &sum, &ran, lw)
		if err != nil || stopped {
			return sum, err
		}
		// Phase boundary: the next phase starts from step 0.
		next := State{Method: st.Method, Seed: st.Seed, Phase: pi + 1, Done: pi+1 == len(phases)}
		if err := r.save(next); err != nil {
			return sum, err
		}
		st = next
	}
	sum.Finished = true
	if r.WriteFolder != nil {
		if err := r.WriteFolder(r.Ctx, c.Output); err != nil {
			return sum, fmt.Errorf("training: model folder: %w", err)
		}
		sum.Folder = c.Output
	}
	return sum, nil
}

// planDevices chooses how Cfg.Devices run on the backend (gradcache.Plan),
// refuses a --mini-batch that data-parallel execution cannot split, records
// the choice in Cfg.DeviceExecution (the checkpoints' and training.json's
// configuration) and says it in one line.
func (r *Run) planDevices() error {
	c := &r.Cfg
	if r.devPlan == nil {
		p, err := gradcache.NewPlan(r.Backend, c.Devices)
		if err != nil {
			return fmt.Errorf("training: --devices %d: %w", c.Devices, err)
		}
		if p.Execution() == gradcache.DataParallel && c.MiniBatch%p.Devices() != 0 {
			return fmt.Errorf("training: --mini-batch %d does not split evenly over --devices %d: backend %s has %d devices, so they run data-parallel and every mini-batch is sharded over them; give a --mini-batch that is a multiple of %d",
				c.MiniBatch, p.Devices(), r.Backend.Name(), r.Backend.NumDevices(), p.Devices())
		}
		r.devPlan = p
		if n := p.Note(); n != "" {
			r.note("%s", n)
		}
	}
	c.DeviceExecution = string(r.devPlan.Execution())
	return nil
}

// startState seeds the run and, with Cfg.Resume, reads the checkpoint and
// cuts the log back to it.
func (r *Run) startState(sum *Summary) (State, error) {
	c := r.Cfg
	st := State{Method: c.Method, Seed: c.Seed}
	if err := r.Ctx.SetRNGStateFromSeed(int64(c.Seed)); err != nil {
		return st, fmt.Errorf("training: %w", err)
	}
	if !c.Resume {
		return st, nil
	}
	saved, ok, err := r.resume()
	if err != nil {
		return st, err
	}
	if ok {
		st, sum.Resumed = saved, true
	}
	if r.Log == nil {
		note, err := truncateLog(filepath.Join(c.Output, LogFile), c.phases(), st)
		if err != nil {
			return st, err
		}
		r.note(note)
	}
	return st, nil
}

// stepLogger writes one JSON line per step, flushed (and checked) after
// every step.
type stepLogger struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

func (l stepLogger) write(line StepLog) error {
	if err := l.enc.Encode(line); err != nil {
		return fmt.Errorf("training: log: %w", err)
	}
	if err := l.bw.Flush(); err != nil {
		return fmt.Errorf("training: log: %w", err)
	}
	return nil
}

// openLog opens Run.Log, or OUTPUT/train-log.jsonl (appended to on a
// resume, truncated otherwise).
func (r *Run) openLog() (stepLogger, func(), error) {
	logw, closeLog := r.Log, func() {}
	if logw == nil {
		mode := os.O_CREATE | os.O_APPEND | os.O_WRONLY
		if !r.Cfg.Resume {
			mode |= os.O_TRUNC
		}
		f, err := os.OpenFile(filepath.Join(r.Cfg.Output, LogFile), mode, 0o644)
		if err != nil {
			return stepLogger{}, nil, fmt.Errorf("training: log: %w", err)
		}
		logw, closeLog = f, func() { _ = f.Close() }
	}
	bw := bufio.NewWriter(logw)
	return stepLogger{bw: bw, enc: json.NewEncoder(bw)}, closeLog, nil
}

// startPhase plans phase pi and builds its psi, engine and optimiser (the
// previous phase's are released first); a phase entered afresh starts
// from step 0 with a reset optimiser and zero gradients.
func (r *Run) startPhase(phases []phase, pi int, st *State) (phasePlan, *gradcache.Engine, *optim.AdamW, error) {
	c := r.Cfg
	pl, err := r.plan(phases[pi])
	if err != nil {
		return pl, nil, nil, fmt.Errorf("training: %w", err)
	}
	if pl.obj.Targets() > 0 {
		td := r.Teacher[pl.roles[0]]
		if td == nil {
			return pl, nil, nil, fmt.Errorf("training: %s: no teacher vectors for role %q", pl.name, pl.roles[0])
		}
		if err := r.warmPsi(td.Dim()); err != nil {
			return pl, nil, nil, fmt.Errorf("training: %w", err)
		}
		if err := objective.InitPsi(r.Ctx.InAbsPath("/"+gradcache.LossScope), r.Student.Dim(), td.Dim(), c.Seed+7, r.DType); err != nil {
			return pl, nil, nil, fmt.Errorf("training: %w", err)
		}
	}
	r.releasePhase() // the previous phase's compiled graphs
	eng, err := gradcache.New(r.Backend, r.Ctx, r.Student, pl.obj, gradcache.Options{
		MiniBatch: c.MiniBatch, Train: true, TrimPadding: true,
		Devices: c.Devices, PerDevice: c.BatchMode == BatchPerDevice, Plan: r.devPlan,
	})
	if err != nil {
		return pl, nil, nil, fmt.Errorf("training: %w", err)
	}
	r.phaseRes = append(r.phaseRes, eng)
	ocfg := optim.Default()
	ocfg.WeightDecay, ocfg.MaxGradNorm = c.WeightDecay, c.MaxGradNorm
	opt, err := optim.NewAdamW(r.Backend, r.Ctx, eng.Params(), eng.Accumulators(), ocfg, optim.WithPlan(eng.Plan()))
	if err != nil {
		return pl, nil, nil, fmt.Errorf("training: %w", err)
	}
	r.phaseRes = append(r.phaseRes, opt)
	if pi != st.Phase || st.Step == 0 {
		st.Phase, st.Step = pi, 0
		if err := opt.Reset(); err != nil {
			return pl, nil, nil, fmt.Errorf("training: %w", err)
		}
		if err := eng.ZeroGradients(); err != nil {
			return pl, nil, nil, err
		}
	}
	return pl, eng, opt, nil
}

// progressWriter is where Train draws progress: Hooks.Progress, else
// os.Stderr unless Cfg.Quiet.
func (r *Run) progressWriter() io.Writer {
	if r.Hooks.Progress != nil {
		return r.Hooks.Progress
	}
	if r.Cfg.Quiet {
		return nil
	}
	return os.Stderr
}

// runPhase runs phase pi's remaining steps. stopped reports an end asked
// for (StopAfter, Hooks.Stop); an interrupted context saves a checkpoint
// and returns its error.
func (r *Run) runPhase(ctx context.Context, phases []phase, pi int, st *State, sum *Summary, ran *int, lw stepLogger) (stopped bool, err error) {
	c := r.Cfg
	pl, eng, opt, err := r.startPhase(phases, pi, st)
	if err != nil {
		return false, err
	}
	total := pl.totalSteps()
	sched := optim.NewSchedule(total, c.WarmupRatio)
	bar := progress.New(r.progressWriter(), int64(total), string(pl.name), progress.Unit("steps"), progress.StartAt(int64(st.Step)))
	defer bar.Finish()
	for st.Step < total {
		if err := ctx.Err(); err != nil {
			// Interrupted: keep what was done, so --resume continues from here.
			if serr := r.save(*st); serr != nil {
				return false, errors.Join(err, serr)
			}
			return false, err
		}
		if (r.StopAfter > 0 && *ran >= r.StopAfter) || (r.Hooks.Stop != nil && r.Hooks.Stop(*st)) {
			return true, nil
		}
		t0 := time.Now()
		epoch, idx := pl.batchRows(c.Seed, st.Step)
		b, err := r.batch(pl, idx)
		if err != nil {
			return false, fmt.Errorf("training: step %d: %w", st.Step+1, err)
		}
		res, err := eng.Accumulate(b)
		if err != nil {
			return false, fmt.Errorf("training: %s step %d: %w", pl.name, st.Step+1, err)
		}
		lr := c.hyper(pl.name).LR * sched.Factor(st.Step)
		norm, err := opt.Step(lr, st.Step+1)
		if err != nil {
			return false, fmt.Errorf("training: %s step %d: %w", pl.name, st.Step+1, err)
		}
		st.Step++
		*ran++
		sum.Steps++
		line := StepLog{Phase: string(pl.name), Step: st.Step, Total: total, Epoch: epoch, Loss: res.Loss,
			Terms: map[string]float64{}, LR: lr, GradNorm: norm, Rows: len(idx), Seconds: time.Since(t0).Seconds()}
		for k, n := range pl.obj.TermNames() {
			line.Terms[n] = res.Terms[k]
		}
		if err := lw.write(line); err != nil {
			return false, err
		}
		sum.Last[string(pl.name)] = line
		if r.Hooks.OnStep != nil {
			r.Hooks.OnStep(line)
		}
		bar.Add(1)
		if c.CheckpointEvery > 0 && st.Step%c.CheckpointEvery == 0 && st.Step < total {
			if err := r.save(*st); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

// PsiFile is the name of the file in a student folder that holds a trained
// psi (tensors "psi.weight" [student_dim, teacher_dim] and "psi.bias"
// [teacher_dim]) to start distillation from, instead of a random one.
const PsiFile = "psi.safetensors"

// warmPsi sets psi from the student folder's psi.safetensors, when there is
// one and psi does not exist yet (a resumed run has its own).
func (r *Run) warmPsi(teacherDim int) error {
	lctx := r.Ctx.InAbsPath("/" + gradcache.LossScope)
	if r.Cfg.Student == "" || objective.HasPsi(lctx) {
		return nil
	}
	path := filepath.Join(r.Cfg.Student, PsiFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil // no warm start beside the student: train psi from scratch
	} else if err != nil {
		return fmt.Errorf("training: warm psi: %w", err)
	}
	ts, err := transformer.ReadTensors(path)
	if err != nil {
		return err
	}
	var w, b *transformer.Tensor
	for i := range ts {
		switch ts[i].Name {
		case "psi.weight":
			w = &ts[i]
		case "psi.bias":
			b = &ts[i]
		}
	}
	in := r.Student.Dim()
	if w == nil || b == nil || len(w.Shape) != 2 || w.Shape[0] != in || w.Shape[1] != teacherDim {
		return fmt.Errorf("%s: want psi.weight [%d %d] and psi.bias [%d]", path, in, teacherDim, teacherDim)
	}
	return objective.SetPsi(lctx, in, teacherDim, w.Data, b.Data, r.DType)
}
