// Package builders rebuilds the benchmarks of the MIMO paper from their
// sources on the Hugging Face Hub, exactly as /work/shared/spec/tasks.md
// defines them.
//
// The mental model: a builder is a pure function from files to Datasets.
// It reads every input through a tasks.Source (the Hub client, a warm cache,
// a local copy of the files, or test fixtures served in the Hub's URL
// layout), applies the task's rules (ids, de-duplication, relevance sets,
// language codes) and returns []tasks.Dataset. Nothing in a builder knows
// where the bytes come from, so the same code runs against the Hub, a
// mirror, a user's download folder and the fixtures under testdata/.
//
// Each builder is wrapped in a Task (Metadata + Load) and registered with
// tasks.Register from init(): the MLIR tasks (group "mlir": Belebele, MLQA,
// XQuAD, MultiEuP-v2, NeuCLIR 2022/2023) and MIRACL (group "miracl").
// Registered tasks have no Source of their own: they read the Hub through
// a client configured from the environment (HF_ENDPOINT, HF_TOKEN, HF_HOME,
// HF_HUB_OFFLINE) at Load. WithSource and New give a task any other Source,
// passed explicitly (e.g. `mimo-eval --source DIR`, which the command line
// hands to each selected task).
//
// Every missing, truncated or unexpectedly shaped input is an error that
// names the repository, revision, file, line/row and column.
package builders

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/mimo-mlir/mimo/internal/pathsafe"
	"github.com/mimo-mlir/mimo/tasks"
)

// Ref names one dataset repository at one revision on the Hub.
type Ref struct {
	Repo     string
	Revision string
}

func (r Ref) String() string { return r.Repo + "@" + r.Revision }

// buildFunc is the shape every builder has: the Source, the task's
// repositories (Task.refs, in order) and the options.
type buildFunc func(ctx context.Context, src tasks.Source, refs []Ref, opts tasks.LoadOptions) ([]tasks.Dataset, error)

// ErrUnpinned is wrapped by the error of a build that would read a
// repository at no fixed commit: give its 40-hex commit (WithRevision).
var ErrUnpinned = errors.New("no pinned revision")

// unpinned is how Metadata.Revision shows a repository without a pin.
const unpinned = "unpinned"

// pinnedRef checks that r names a 40-hex commit.
func pinnedRef(r Ref) error {
	if !pathsafe.IsCommit(r.Revision) {
		return fmt.Errorf("%s: revision %q is not a 40-hex commit: pass the commit to read (builders.Task.WithRevision, mimo-eval --dataset-revision %s@COMMIT): %w",
			r.Repo, r.Revision, r.Repo, ErrUnpinned)
	}
	return nil
}

// Task is a benchmark built from source files: metadata plus a builder and
// the Source it reads (WithSource, New). A Task without a Source (the
// registered ones) reads the Hugging Face Hub through a client configured
// from the environment at Load (HubFromEnvironment); there is no
// package-wide default to set.
type Task struct {
	meta  tasks.Metadata
	refs  []Ref // the repositories the build reads; meta.Source and meta.Revision join them
	build buildFunc
	src   tasks.Source
}

// syncMeta sets meta.Source and meta.Revision from refs ("a + b").
func (t *Task) syncMeta() {
	repos := make([]string, len(t.refs))
	revs := make([]string, len(t.refs))
	for i, r := range t.refs {
		repos[i], revs[i] = r.Repo, r.Revision
		if revs[i] == "" {
			revs[i] = unpinned
		}
	}
	t.meta.Source = strings.Join(repos, " + ")
	t.meta.Revision = strings.Join(revs, " + ")
}

// Reads reports whether the task reads the repository repo.
func (t *Task) Reads(repo string) bool {
	return slices.ContainsFunc(t.refs, func(r Ref) bool { return r.Repo == repo })
}

// WithRevision returns a copy of the task that reads repo (one of its
// repositories) at revision, a 40-hex commit; Metadata().Revision, which
// results record, names it.
func (t *Task) WithRevision(repo, revision string) (*Task, error) {
	c := *t
	c.refs = slices.Clone(t.refs)
	i := slices.IndexFunc(c.refs, func(r Ref) bool { return r.Repo == repo })
	if i < 0 {
		repos := make([]string, len(t.refs))
		for j, r := range t.refs {
			repos[j] = r.Repo
		}
		return nil, fmt.Errorf("%s reads no repository %s (it reads %s)", t.meta.Name, repo, strings.Join(repos, ", "))
	}
	c.refs[i].Revision = revision
	if err := pinnedRef(c.refs[i]); err != nil {
		return nil, fmt.Errorf("%s: %w", t.meta.Name, err)
	}
	c.syncMeta()
	return &c, nil
}

// Metadata implements tasks.Task.
func (t *Task) Metadata() tasks.Metadata { return t.meta }

// Load implements tasks.Task: it builds the task's datasets from its Source.
func (t *Task) Load(ctx context.Context, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	src := t.src
	if src == nil {
		var err error
		if src, err = HubFromEnvironment(); err != nil {
			return nil, fmt.Errorf("%s: %w", t.meta.Name, err)
		}
	}
	ds, err := t.build(ctx, src, t.refs, opts)
	if err != nil {
		return nil, fmt.Errorf("%s (from %s): %w", t.meta.Name, src.Describe(), err)
	}
	return ds, nil
}

// WithSource returns a copy of the task that reads its files from src.
func (t *Task) WithSource(src tasks.Source) *Task {
	c := *t
	c.src = src
	return &c
}

// all lists the tasks this package knows, in registration order; each entry
// makes a fresh Task so callers cannot mutate the registered ones.
var all []func() *Task

func register(mk func() *Task) {
	made := func() *Task {
		t := mk()
		t.syncMeta()
		return t
	}
	all = append(all, made)
	tasks.Register(made())
}

// Names returns the names of every task this package builds, sorted.
func Names() []string {
	out := make([]string, 0, len(all))
	for _, mk := range all {
		out = append(out, mk().meta.Name)
	}
	sort.Strings(out)
	return out
}

// New returns the named task (tasks.Match: case-insensitive, "Retrieval"
// or "MLIR" optional, old names accepted) reading its files from src; a nil
// src means the Hub configured from the environment. Use it to build a task from a local copy of its source
// files: tasks.DirSource{Root: dir} holding dir/<repo>/<path>, or
// tasks.DirSource{Root: dir, Flat: true} for a task with a single repository.
func New(name string, src tasks.Source) (*Task, error) {
	for _, mk := range all {
		t := mk()
		if ok, _ := tasks.Match(name, t.meta); ok {
			t.src = src
			return t, nil
		}
	}
	return nil, fmt.Errorf("builders: unknown task %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Variants are the LoadOptions.Variant keys the builders read and the
// values each takes, the default first (mimo-eval --variant KEY=VALUE).
var Variants = map[string][]string{
	BelebeleArabicVariant: {"acm_Arab", "arb_Arab"},
	MLQASplitVariant:      {"test", "dev", "validation"},
}

// ParseVariant reads "KEY=VALUE,KEY=VALUE" (mimo-eval --variant) into a
// LoadOptions.Variant, refusing a key or value that no builder reads.
func ParseVariant(spec string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(spec, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		allowed, known := Variants[k]
		if !ok || !known {
			keys := make([]string, 0, len(Variants))
			for key := range Variants {
				keys = append(keys, key)
			}
			sort.Strings(keys)
			return nil, fmt.Errorf("variant %q: want KEY=VALUE with KEY one of %s", kv, strings.Join(keys, ", "))
		}
		if !slices.Contains(allowed, v) {
			return nil, fmt.Errorf("variant %s=%q: want one of %s", k, v, strings.Join(allowed, ", "))
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("variant %s given twice", k)
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
