package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
	"github.com/mimo-mlir/mimo/internal/pathsafe"
	"github.com/mimo-mlir/mimo/internal/pyjson"
)

// ModelDir returns OUTPUT/<org>__<model>/<revision>, following MTEB's naming
// rules: "/" in the name becomes "__", spaces become "_", and a model
// without a revision goes under "no_revision_available". A name or revision
// that would not stay one folder below output (".." or a separator in the
// revision, a control character anywhere) is an error naming the field,
// returned before any path is built: both come from outside (mimo-model.json,
// a Hub mirror's headers).
func ModelDir(output string, id adapters.Identity) (string, error) {
	name := strings.ReplaceAll(strings.ReplaceAll(id.Name, "/", "__"), " ", "_")
	if name == "" {
		name = "unnamed_model"
	}
	if err := pathsafe.Component("model name", name); err != nil {
		return "", err
	}
	rev := id.Revision
	if rev == "" {
		rev = NoRevision
	}
	if err := pathsafe.Component("model revision", rev); err != nil {
		return "", err
	}
	return filepath.Join(output, name, rev), nil
}

// ResultPath is the MTEB result file of task under modelDir; a task name
// that is not one safe file name is an error.
func ResultPath(modelDir, task string) (string, error) {
	if err := pathsafe.Component("task name", task); err != nil {
		return "", err
	}
	return filepath.Join(modelDir, task+".json"), nil
}

// ModelMetaPath is model_meta.json under modelDir.
func ModelMetaPath(modelDir string) string { return filepath.Join(modelDir, "model_meta.json") }

// ExtrasPath is our extras file of task under modelDir.
func ExtrasPath(modelDir, task string) (string, error) {
	if err := pathsafe.Component("task name", task); err != nil {
		return "", err
	}
	return filepath.Join(modelDir, ExtrasDir, task+".json"), nil
}

// ReadResult reads an MTEB result file, as MTEB's own reader (Python's
// json) does: bare NaN, Infinity and -Infinity in the scores are read as
// floats, so a file MTEB wrote is reused, not refused.
func ReadResult(path string) (TaskResult, error) {
	var r TaskResult
	b, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("read %s: %w", path, err)
	}
	if err := pyjson.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("parse %s: %w", path, err)
	}
	return r, nil
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
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}

// RunLine formats one line of a TREC run: "qid Q0 docid rank score tag".
// The score is written with the shortest representation that reads back to
// the same float32, so re-scoring the file reproduces our ties exactly.
func RunLine(qid, docID string, rank int, score float32, tag string) string {
	return qid + " Q0 " + docID + " " + strconv.Itoa(rank) + " " +
		strconv.FormatFloat(float64(score), 'g', -1, 32) + " " + tag
}

// runPath expands the RunFile template. The template is the user's; the
// values put into it come from task definitions and must each stay one path
// component.
func runPath(tmpl, task, split, subset string) (string, error) {
	for _, v := range [][2]string{{"task name", task}, {"split", split}, {"subset", subset}} {
		if err := pathsafe.Component(v[0], v[1]); err != nil {
			return "", err
		}
	}
	r := strings.NewReplacer("{task}", task, "{split}", split, "{subset}", subset)
	return r.Replace(tmpl), nil
}
