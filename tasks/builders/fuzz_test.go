package builders

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/tasks"
)

// FuzzBuild runs a builder over the fixture repositories with one of the
// files it reads replaced by fuzzed bytes (issue 12, "Fuzzing, in CI"):
// Belebele's JSONL rows, MLQA's and XQuAD's Parquet/JSON rows,
// MultiEuP-v2's CSV, NeuCLIR's TSV and qrels, MIRACL's and NeuCLIR's MTEB
// Parquet. c picks a golden case (task and options), file one of the files
// that case reads. The invariant: no panic, no hang, no allocation beyond
// the input's size; an error is non-empty and names the repository. Seeds:
// every file each case reads, as it is, and testdata/fuzz/FuzzBuild/.
func FuzzBuild(f *testing.F) {
	opened := make([][]fileRef, len(goldenCases))
	for i, c := range goldenCases {
		rec := &recordingSource{base: tasks.DirSource{Root: fixtures}}
		task, err := newTask(c.task, rec)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := task.Load(context.Background(), c.opts); err != nil {
			f.Fatalf("%s: %v", c.name, err)
		}
		opened[i] = rec.opened
		// Seeds: up to six of the files, evenly spread (the parquet shards
		// of one repository look alike); the fuzzer reaches the others
		// through file.
		step := max(1, len(rec.opened)/6)
		for j := 0; j < len(rec.opened); j += step {
			ref := rec.opened[j]
			b, err := os.ReadFile(filepath.Join(fixtures, filepath.FromSlash(ref.repo), filepath.FromSlash(ref.path)))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), uint16(j), b)
		}
	}
	f.Fuzz(func(t *testing.T, c uint8, file uint16, data []byte) {
		if len(data) > 1<<20 {
			t.Skip()
		}
		gc := goldenCases[int(c)%len(goldenCases)]
		files := opened[int(c)%len(goldenCases)]
		ref := files[int(file)%len(files)]
		src := &overlaySource{base: tasks.DirSource{Root: fixtures}, ref: ref, data: data}
		task, err := newTask(gc.task, src)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := task.Load(context.Background(), gc.opts)
		if err != nil {
			msg := err.Error()
			if strings.TrimSpace(msg) == "" {
				t.Fatalf("empty error %#v", err)
			}
			if !strings.Contains(msg, ref.repo) {
				t.Fatalf("error %q does not name the repository %s (fuzzed file %s)", msg, ref.repo, ref.path)
			}
			return
		}
		for _, d := range ds {
			ids := map[string]bool{}
			for _, q := range d.Queries {
				if q.ID == "" || ids[q.ID] {
					t.Fatalf("%s: empty or duplicate query id %q accepted", gc.name, q.ID)
				}
				ids[q.ID] = true
			}
			docs := map[string]bool{}
			for _, doc := range d.Corpus {
				if doc.ID == "" || docs[doc.ID] {
					t.Fatalf("%s: empty or duplicate doc id %q accepted", gc.name, doc.ID)
				}
				docs[doc.ID] = true
			}
			// Judgements may name documents never in the corpus (MTEB and
			// trec_eval count them: finish keeps them), but every judged
			// query is a query of the dataset with a relevant document.
			for qid, rels := range d.Qrels {
				if !ids[qid] {
					t.Fatalf("%s: qrels of %q, not a query of the dataset", gc.name, qid)
				}
				pos := false
				for _, r := range rels {
					pos = pos || r > 0
				}
				if !pos {
					t.Fatalf("%s: query %q kept without a relevant document", gc.name, qid)
				}
			}
			for id := range ids {
				if _, ok := d.Qrels[id]; !ok {
					t.Fatalf("%s: query %q has no judgements", gc.name, id)
				}
			}
		}
	})
}

type fileRef struct{ repo, path string }

// recordingSource records the files a build opens, in order, once each.
type recordingSource struct {
	base   tasks.Source
	opened []fileRef
}

func (r *recordingSource) Open(ctx context.Context, repo, revision, path string) (io.ReadCloser, error) {
	rc, err := r.base.Open(ctx, repo, revision, path)
	if err == nil {
		ref := fileRef{repo, path}
		seen := false
		for _, o := range r.opened {
			seen = seen || o == ref
		}
		if !seen {
			r.opened = append(r.opened, ref)
		}
	}
	return rc, err
}

func (r *recordingSource) List(ctx context.Context, repo, revision string) ([]string, error) {
	return r.base.List(ctx, repo, revision)
}

func (r *recordingSource) Describe() string { return r.base.Describe() }

// overlaySource serves data in place of one file of base.
type overlaySource struct {
	base tasks.Source
	ref  fileRef
	data []byte
}

func (o *overlaySource) Open(ctx context.Context, repo, revision, path string) (io.ReadCloser, error) {
	if repo == o.ref.repo && path == o.ref.path {
		return io.NopCloser(bytes.NewReader(o.data)), nil
	}
	return o.base.Open(ctx, repo, revision, path)
}

func (o *overlaySource) List(ctx context.Context, repo, revision string) ([]string, error) {
	return o.base.List(ctx, repo, revision)
}

func (o *overlaySource) Describe() string { return "fuzz overlay on " + o.base.Describe() }
