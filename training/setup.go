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
	"github.com/mimo-mlir/mimo/adapters/resolver"
	"github.com/mimo-mlir/mimo/internal/textset"
	"github.com/mimo-mlir/mimo/tokenize"
	"github.com/mimo-mlir/mimo/training/data"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/teacher"
	"github.com/mimo-mlir/mimo/transformer"
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
	if err := resolveHubStudent(ctx, &c); err != nil {
		return nil, nil, err
	}
	lock, err := lockOutput(c.Output)
	if err != nil {
		return nil, nil, err
	}
	cl = append(cl, lock)
	// The effective backend, so that the checkpoint records (and a resume
	// notes) a change of $GOMLX_BACKEND too.
	bcfg, err := transformer.BackendConfig(c.Backend, "")
	if err != nil {
		return nil, nil, fmt.Errorf("training: %w", err)
	}
	c.Backend = transformer.SequentialOps(bcfg)
	b, err := transformer.NewBackend(c.Backend)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			b.Finalize() // a failed Setup returns no Run to Close
		}
	}()
	r := &Run{Cfg: c, Backend: b, Ctx: mlctx.New(), outLock: lock}
	if err := r.setupStudent(); err != nil {
		return nil, nil, err
	}
	if err := r.setupData(); err != nil {
		return nil, nil, err
	}
	if err := r.setupTeacher(ctx, &cl); err != nil {
		return nil, nil, err
	}
	r.closers = cl
	// The run is its own closer: Close releases what Setup opened and what
	// training compiles (GoMLX backend, variables, executables).
	return r, r, nil
}

// resolveHubStudent fetches an hf: student (unless a local folder has that
// name) and points c at its folder, recording where it came from.
func resolveHubStudent(ctx context.Context, c *Config) error {
	if c.Student == "" || !resolver.IsHubSpec(c.Student) {
		return nil
	}
	if st, err := os.Stat(c.Student); err == nil && st.IsDir() { // a local folder of that name wins
		return nil
	}
	f, err := resolver.ResolveHubNative(ctx, c.Student)
	if err != nil {
		return fmt.Errorf("training: student: %w", err)
	}
	c.StudentFrom, c.Student = "hf:"+f.Name+"@"+f.Revision, f.Dir
	if c.Pooling == "" {
		c.Pooling = f.Pooling
	}
	return nil
}

// setupStudent loads the student and its tokenizer: the files its folder's
// mimo-model.json names (config.json, model.safetensors, tokenizer.json
// when it names none), the flags' config and tokenizer first; and sets how
// the trained folder is written.
func (r *Run) setupStudent() error {
	c := r.Cfg
	var files transformer.Files
	if c.Student != "" {
		var err error
		if files, err = transformer.StudentFiles(c.Student); err != nil {
			return fmt.Errorf("training: student: %w", err)
		}
	}
	cfgPath, weights, tokPath := files.Config, files.Weights, files.Tokenizer
	if c.StudentConfig != "" {
		cfgPath = c.StudentConfig
	}
	if c.Tokenizer != "" {
		tokPath = c.Tokenizer
	}
	st, err := transformer.LoadStudent(r.Ctx.InAbsPath("/"+gradcache.StudentScope), cfgPath, weights, c.Pooling, int64(c.Seed))
	if err != nil {
		return err
	}
	if st.Cfg.Compute, err = c.ComputeDType(); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	r.Student = st
	if tokPath == "" {
		return fmt.Errorf("training: no tokenizer (--tokenizer tokenizer.json)")
	}
	tok, err := tokenize.Load(tokPath)
	if err != nil {
		return fmt.Errorf("training: %w", err)
	}
	r.Tok = tok
	maxLen := 0
	for _, p := range c.phases() {
		maxLen = max(maxLen, c.hyper(p).MaxLen)
	}
	if maxLen > st.Cfg.MaxSequenceLength() {
		return fmt.Errorf("training: max length %d exceeds the student's %d positions", maxLen, st.Cfg.MaxSequenceLength())
	}
	r.WriteFolder = func(ctx *mlctx.Context, dir string) error {
		run := c
		run.DeviceExecution = r.Cfg.DeviceExecution // Train records it
		if err := writeStudentFolder(ctx, st.Cfg, tokPath, dir, folderName(c), maxLen, run); err != nil {
			return err
		}
		// What the model saw, for the evaluation's contamination check.
		return r.TrainingTexts().Write(filepath.Join(dir, textset.FileName))
	}
	return nil
}

// setupData reads the phases' data: stage-1 pairs, parallel rows and the
// languages the rows share.
func (r *Run) setupData() error {
	c := r.Cfg
	langs := c.Langs
	if len(langs) == 0 {
		langs = data.Languages
	}
	for i, l := range langs {
		langs[i] = data.NormalizeLang(l)
	}
	phases := c.phases()
	var err error
	if slices.Contains(phases, phaseStage1) {
		if r.Pairs, err = readPairs(c, langs); err != nil {
			return err
		}
	}
	if slices.ContainsFunc(phases, func(p phase) bool { return p != phaseStage1 }) {
		if r.Rows, err = readRows(c.Rows, langs); err != nil {
			return err
		}
		r.Langs = intersect(langs, data.CommonLanguages(r.Rows))
		if len(r.Langs) < 2 {
			return fmt.Errorf("training: rows share only languages %v of %v", data.CommonLanguages(r.Rows), langs)
		}
	}
	return nil
}

func folderName(c Config) string {
	if c.Name != "" {
		return c.Name
	}
	n := "mimo-trained-" + string(c.Method)
	if c.Method == data.MethodMIMO && c.Stage != 0 {
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
		enc, err = resolver.Open(ctx, c.Teacher, adapters.Options{})
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

// writeStudentFolder writes the student under ctx's StudentScope as a
// native model folder (transformer.WriteFolder) with training.json (the
// run's configuration) beside it; psi is not written. The revision is
// METHOD-seedSEED-HASH (see transformer.FolderSpec).
func writeStudentFolder(ctx *mlctx.Context, cfg transformer.Config, tokenizerPath, dir, name string, maxLen int, run Config) error {
	_, err := transformer.WriteFolder(ctx.InAbsPath("/"+gradcache.StudentScope), cfg, dir, transformer.FolderSpec{
		Name: name, RevisionPrefix: fmt.Sprintf("%s-seed%d", run.Method, run.Seed),
		Tokenizer: tokenizerPath, MaxLength: maxLen,
		Extra: []transformer.ExtraFile{{Name: ConfigFile, Data: mustJSON(run)}},
	})
	return err
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}
