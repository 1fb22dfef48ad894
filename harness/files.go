package harness

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/adapters"
)

// ModelDir returns OUTPUT/<org>__<model>/<revision>, following MTEB's naming
// rules: "/" in the name becomes "__", spaces become "_", and a model
// without a revision goes under "no_revision_available".
func ModelDir(output string, id adapters.Identity) string {
	name := strings.ReplaceAll(strings.ReplaceAll(id.Name, "/", "__"), " ", "_")
	if name == "" {
		name = "unnamed_model"
	}
	rev := id.Revision
	if rev == "" {
		rev = NoRevision
	}
	return filepath.Join(output, name, rev)
}

// ResultPath is the MTEB result file of task under modelDir.
func ResultPath(modelDir, task string) string { return filepath.Join(modelDir, task+".json") }

// ModelMetaPath is model_meta.json under modelDir.
func ModelMetaPath(modelDir string) string { return filepath.Join(modelDir, "model_meta.json") }

// ExtrasPath is our extras file of task under modelDir.
func ExtrasPath(modelDir, task string) string {
	return filepath.Join(modelDir, ExtrasDir, task+".json")
}

// ReadResult reads an MTEB result file.
func ReadResult(path string) (TaskResult, error) {
	var r TaskResult
	err := readJSON(path, &r)
	return r, err
}

// ReadExtras reads one of our extras files.
func ReadExtras(path string) (Extras, error) {
	var e Extras
	err := readJSON(path, &e)
	return e, err
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// writeJSON writes v, indented, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writeAtomic(path, append(b, '\n'))
}

// writeAtomic writes data to a temporary file beside path, syncs it and
// renames it into place, so readers see the old file or the new one, never
// a half-written one.
func writeAtomic(path string, data []byte) error {
	return writeAtomicFunc(path, func(w *bufio.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func writeAtomicFunc(path string, fill func(w *bufio.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<16)
	if err := fill(w); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// RunLine formats one line of a TREC run: "qid Q0 docid rank score tag".
// The score is written with the shortest representation that reads back to
// the same float32, so re-scoring the file reproduces our ties exactly.
func RunLine(qid, docID string, rank int, score float32, tag string) string {
	return qid + " Q0 " + docID + " " + strconv.Itoa(rank) + " " +
		strconv.FormatFloat(float64(score), 'g', -1, 32) + " " + tag
}

// runPath expands the RunFile template.
func runPath(tmpl, task, split, subset string) string {
	r := strings.NewReplacer("{task}", task, "{split}", split, "{subset}", subset)
	return r.Replace(tmpl)
}
