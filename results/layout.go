package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
	"github.com/mimo-mlir/mimo/internal/pathsafe"
	"github.com/mimo-mlir/mimo/internal/pyjson"
)

// NoRevision is MTEB's folder name for a model without a revision.
const NoRevision = "no_revision_available"

// ModelDir returns OUTPUT/<org>__<model>/<revision>, following MTEB's naming
// rules: "/" in the name becomes "__", spaces become "_", and a model
// without a revision goes under "no_revision_available". A name or revision
// that would not stay one folder below output (".." or a separator in the
// revision, a control character anywhere) is an error naming the field,
// returned before any path is built: both come from outside (mimo-model.json,
// a Hub mirror's headers).
func ModelDir(output, modelName, revision string) (string, error) {
	name := strings.ReplaceAll(strings.ReplaceAll(modelName, "/", "__"), " ", "_")
	if name == "" {
		name = "unnamed_model"
	}
	if err := pathsafe.Component("model name", name); err != nil {
		return "", err
	}
	rev := revision
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

// ReadModelMeta reads a model_meta.json into m.
func ReadModelMeta(path string, m *ModelMeta) error { return readJSON(path, m) }

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

// WriteJSON writes v (a TaskResult, Extras or ModelMeta), indented, atomically
// (temp file + rename: a reader never sees half a file).
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}
