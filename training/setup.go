package training

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/all"
	"github.com/mimo-mlir/mimo/adapters/digest"
	"github.com/mimo-mlir/mimo/adapters/native"
	"github.com/mimo-mlir/mimo/tokenize"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
	"github.com/mimo-mlir/mimo/internal/textset"
	"github.com/mimo-mlir/mimo/training/backend"
	"github.com/mimo-mlir/mimo/training/data"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/student"
	"github.com/mimo-mlir/mimo/training/teacher"
)

// Setup builds a Run from a validated Config: the pure-Go (or configured)
// backend, the native student and its tokenizer, the data, and the teacher
// vectors (computed once into the cache folder when a teacher model is
// given). It takes the output folder's lock first (one trainer per folder;
// the teacher cache is written under it), held until the returned closer
// is closed. The closer is the Run itself (Run.Close: everything the run
// owns, GoMLX objects included).
func Setup(ctx context.Context, c Config) (_ *Run, _ io.Closer, err error) {
	if err := c.Validate(); err != nil {
		return nil, nil, fmt.Errorf("training: %w", err)
	}
	var cl closers
	defer func() {
		if err != nil {
			cl.Close()
		}
	}()
	if c.Student != "" && all.IsHubSpec(c.Student) {
		if st, err := os.Stat(c.Student); err != nil || !st.IsDir() { // a local folder of that name wins
			f, err := all.ResolveHubNative(ctx, c.Student)
			if err != nil {
				return nil, nil, fmt.Errorf("training: student: %w", err)
			}
			c.StudentFrom, c.Student = "hf:"+f.Name+"@"+f.Revision, f.Dir
			if c.Pooling == "" {
				c.Pooling = f.Pooling
			}
		}
	}
	lock, err := lockOutput(c.Output)
	if err != nil {
		return nil, nil, err
	}
	cl = append(cl, lock)
	// The effective backend, so that the checkpoint records (and a resume
	// notes) a change of $MIMO_TRAIN_BACKEND too.
	c.Backend = backend.Config(c.Backend)
	b, err := backend.New(c.Backend)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			b.Finalize() // a failed Setup returns no Run to Close
		}
	}()
	gctx := mlctx.New()
	r := &Run{Cfg: c, Backend: b, Ctx: gctx, outLock: lock}

	// Student.
	cfgPath, weights := c.StudentConfig, ""
	if c.Student != "" {
		if cfgPath == "" {
			cfgPath = filepath.Join(c.Student, "config.json")
		}
		weights = filepath.Join(c.Student, "model.safetensors")
	}
	st, err := student.LoadNative(gctx.InAbsPath("/"+gradcache.StudentScope), cfgPath, weights, c.Pooling, int64(c.Seed))
	if err != nil {
		return nil, nil, err
	}
	r.Student = st
	tokPath := c.Tokenizer
	if tokPath == "" && c.Student != "" {
		tokPath = filepath.Join(c.Student, "tokenizer.json")
	}
	if tokPath == "" {
		return nil, nil, fmt.Errorf("training: no tokenizer (--tokenizer tokenizer.json)")
	}
	tok, err := tokenize.Load(tokPath)
	if err != nil {
		return nil, nil, fmt.Errorf("training: %w", err)
	}
	r.Tok = tok
	maxLen := 0
	for _, p := range c.phases() {
		maxLen = max(maxLen, c.hyper(p).MaxLen)
	}
	if maxLen > st.Cfg.MaxSequenceLength() {
		return nil, nil, fmt.Errorf("training: max length %d exceeds the student's %d positions", maxLen, st.Cfg.MaxSequenceLength())
	}
	r.WriteFolder = func(ctx *mlctx.Context, dir string) error {
		if err := WriteNativeFolder(ctx, st.Cfg, tokPath, dir, folderName(c), maxLen, c); err != nil {
			return err
		}
		// What the model saw, for the evaluation's contamination check.
		return r.TrainingTexts().Write(filepath.Join(dir, textset.FileName))
	}

	// Data.
	langs := c.Langs
	if len(langs) == 0 {
		langs = data.Languages
	}
	for i, l := range langs {
		langs[i] = data.NormalizeLang(l)
	}
	phases := c.phases()
	if slices.Contains(phases, phaseStage1) {
		if r.Pairs, err = readPairs(c, langs); err != nil {
			return nil, nil, err
		}
	}
	if slices.ContainsFunc(phases, func(p phase) bool { return p != phaseStage1 }) {
		if r.Rows, err = readRows(c.Rows, langs); err != nil {
			return nil, nil, err
		}
		r.Langs = intersect(langs, data.CommonLanguages(r.Rows))
		if len(r.Langs) < 2 {
			return nil, nil, fmt.Errorf("training: rows share only languages %v of %v", data.CommonLanguages(r.Rows), langs)
		}
	}

	// Teacher.
	if err := r.setupTeacher(ctx, &cl); err != nil {
		return nil, nil, err
	}
	r.closers = cl
	// The run is its own closer: Close releases what Setup opened and what
	// training compiles (GoMLX backend, variables, executables).
	return r, r, nil
}

func folderName(c Config) string {
	if c.Name != "" {
		return c.Name
	}
	n := "mimo-trained-" + c.Method
	if c.Method == MethodMIMO && c.Stage != 0 {
		n += fmt.Sprintf("-stage%d", c.Stage)
	}
	return n
}

type closers []io.Closer

func (c closers) Close() error {
	var errs []error
	for _, x := range c {
		errs = append(errs, x.Close())
	}
	return errors.Join(errs...)
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func readPairs(c Config, langs []string) ([]data.SentencePair, error) {
	var all []data.SentencePair
	for _, src := range c.Pairs {
		kind, rest, _ := strings.Cut(src, ":")
		var ps []data.SentencePair
		var err error
		switch kind {
		case "tatoeba":
			ps, err = data.ReadTatoeba(rest, langs)
		case "jsonl":
			ps, err = data.ReadPairsJSONL(rest)
		case "opus":
			lang, path, ok := strings.Cut(rest, ":")
			if !ok {
				return nil, fmt.Errorf("training: pairs source %q: want opus:LANG:PATH", src)
			}
			ps, err = data.ReadOPUSTSV(path, lang)
		default:
			return nil, fmt.Errorf("training: pairs source %q: want tatoeba:DIR, jsonl:PATH or opus:LANG:PATH", src)
		}
		if err != nil {
			return nil, fmt.Errorf("training: %w", err)
		}
		all = append(all, ps...)
	}
	var kept []data.SentencePair
	for _, p := range all {
		if p.Lang != "en" && slices.Contains(langs, p.Lang) {
			kept = append(kept, p)
		}
	}
	if !c.NoFilter {
		f := data.PaperFilter(c.Seed)
		f.PerLanguage = c.PerLanguage
		kept, _ = f.Apply(kept)
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("training: no sentence pairs left in %v for languages %v", c.Pairs, langs)
	}
	return kept, nil
}

func readRows(srcs []string, langs []string) ([]data.ParallelRow, error) {
	var rows []data.ParallelRow
	for _, src := range srcs {
		kind, rest, _ := strings.Cut(src, ":")
		switch kind {
		case "xquad":
			var have []string
			for _, l := range langs {
				if _, err := os.Stat(filepath.Join(rest, "xquad."+l+".json")); err == nil {
					have = append(have, l)
				}
			}
			train, _, err := data.ReadXQuAD(rest, have)
			if err != nil {
				return nil, fmt.Errorf("training: %w", err)
			}
			rows = append(rows, data.Rows(train)...)
		case "mmarco":
			dir, pairs, ok := strings.Cut(rest, ":")
			if !ok {
				return nil, fmt.Errorf("training: rows source %q: want mmarco:DIR:PAIRS (qrels.train.tsv)", src)
			}
			rs, dropped, err := data.ReadMMARCO(dir, pairs, langs)
			if err != nil {
				return nil, fmt.Errorf("training: %w", err)
			}
			if dropped > 0 {
				fmt.Fprintf(os.Stderr, "mimo-train: mmarco: dropped %d pairs missing in some language\n", dropped)
			}
			rows = append(rows, rs...)
		case "jsonl":
			rs, err := data.ReadRowsJSONL(rest)
			if err != nil {
				return nil, fmt.Errorf("training: %w", err)
			}
			rows = append(rows, rs...)
		default:
			return nil, fmt.Errorf("training: rows source %q: want xquad:DIR, mmarco:DIR:PAIRS or jsonl:PATH", src)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("training: no rows in %v", srcs)
	}
	return rows, nil
}

// TrainingTexts is the set of every text the run trains on: both sides of
// the stage-1 pairs and every language version of the stage-2 rows (the
// fingerprints mimo-eval compares a task's queries and documents with).
func (r *Run) TrainingTexts() *textset.Set {
	var b textset.Builder
	for _, p := range r.Pairs {
		b.Add(p.En, p.Text)
	}
	for _, row := range r.Rows {
		for _, t := range row.Query {
			b.Add(t)
		}
		for _, t := range row.Positive {
			b.Add(t)
		}
	}
	return b.Set()
}

// teacherTexts lists, per role, the English texts whose vectors the run needs.
func (r *Run) teacherTexts() map[string][]string {
	out := map[string][]string{}
	for _, p := range r.Cfg.phases() {
		switch p {
		case phaseStage1:
			for _, s := range r.Pairs {
				out[RoleSentence] = append(out[RoleSentence], s.En)
			}
		case phaseStage2:
			for _, row := range r.Rows {
				out[RoleQuery] = append(out[RoleQuery], row.Query["en"])
				out[RoleDocument] = append(out[RoleDocument], row.Positive["en"])
			}
		}
	}
	return out
}

func (r *Run) setupTeacher(ctx context.Context, cl *closers) error {
	need := r.teacherTexts()
	if len(need) == 0 {
		return nil
	}
	c := r.Cfg
	dir := c.TeacherCache
	if dir == "" {
		dir = filepath.Join(c.Output, "teacher")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("training: teacher cache: %w", err)
	}
	var enc adapters.Encoder
	if c.Teacher != "" {
		var err error
		enc, err = all.Open(ctx, c.Teacher, adapters.Options{})
		if err != nil {
			return fmt.Errorf("training: teacher: %w", err)
		}
		defer enc.Close()
	}
	r.Teacher = map[string]teacher.Vectors{}
	for _, role := range []string{RoleSentence, RoleQuery, RoleDocument} {
		texts := need[role]
		if len(texts) == 0 {
			continue
		}
		path := filepath.Join(dir, role+".mvec")
		arole := adapters.RoleDocument
		if role == RoleQuery {
			arole = adapters.RoleQuery
		}
		if enc != nil {
			o := teacher.Options{Role: arole, QueryPrompt: c.TeacherPrompt, NoPrompt: role == RoleSentence}
			if _, err := teacher.BuildCache(ctx, enc, texts, o, path); err != nil {
				return fmt.Errorf("training: %w", err)
			}
		}
		cache, err := teacher.OpenCache(path, arole)
		if err != nil {
			return fmt.Errorf("training: %w (give --teacher to compute it)", err)
		}
		*cl = append(*cl, cache)
		missing := 0
		first := ""
		for _, t := range texts {
			if _, ok := cache.Lookup(t); !ok {
				if missing == 0 {
					first = t
				}
				missing++
			}
		}
		if missing > 0 {
			return fmt.Errorf("training: teacher cache %s lacks %d of %d %s texts (first: %.60q); give --teacher to fill it", path, missing, len(texts), role, first)
		}
		r.Teacher[role] = cache
	}
	return nil
}

// WriteNativeFolder writes the student under ctx's StudentScope as a model
// folder of kind "native" that mimo-eval --model DIR loads: model.safetensors
// (Hugging Face names), config.json, tokenizer.json and mimo-model.json, plus
// training.json (the run's configuration). psi is not written.
//
// The revision is METHOD-seedSEED-HASH, HASH the first 12 hex digits of the
// weights' SHA-256: the embedding cache and the result files are keyed by
// name and revision, so two runs that differ in anything but method and
// seed (steps, data, student) must not share one, and a bit-identical
// rebuild keeps its own.
func WriteNativeFolder(ctx *mlctx.Context, cfg native.Config, tokenizerPath, dir, name string, maxLen int, run Config) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := native.SaveSafetensors(ctx.InAbsPath("/"+gradcache.StudentScope), cfg, filepath.Join(dir, "model.safetensors")); err != nil {
		return err
	}
	if err := cfg.WriteConfig(filepath.Join(dir, "config.json")); err != nil {
		return err
	}
	tb, err := os.ReadFile(tokenizerPath)
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "tokenizer.json"), tb, 0o644); err != nil {
		return err
	}
	sum, err := digest.File(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return err
	}
	norm := true
	f := adapters.Folder{
		Kind: native.Kind, Name: name, Revision: fmt.Sprintf("%s-seed%d-%s", run.Method, run.Seed, sum[:12]),
		Pooling: cfg.Pooling, Normalize: &norm, MaxLength: maxLen, Dim: cfg.HiddenSize,
		Weights: "model.safetensors", Config: "config.json", Tokenizer: "tokenizer.json",
		NParameters: cfg.NumParameters(),
	}
	if f.Pooling == "" {
		f.Pooling = native.PoolingMean
	}
	fb, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "training.json"), mustJSON(run), 0o644); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, adapters.FolderFile), append(fb, '\n'), 0o644)
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}
