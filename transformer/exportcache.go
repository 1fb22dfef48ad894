package transformer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/adapters/digest"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// exportVersion names what ExportONNX writes. Change it with any change to
// the exported graph, so that exports cached by an older build are not
// reused.
const exportVersion = "mimo-onnx-export-1"

// ExportFileName is the graph's name inside a cached export (its weights
// are beside it, in ExportFileName+"_data").
const ExportFileName = "model.onnx"

// DefaultExportCache is where CachedExport keeps exports unless told
// otherwise: mimo/onnx-exports in the user's cache folder
// ($XDG_CACHE_HOME, else ~/.cache), beside mimo's embedding cache.
func DefaultExportCache() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("transformer: no cache folder for ONNX exports: %w", err)
	}
	return filepath.Join(base, "mimo", "onnx-exports"), nil
}

// ExportKey is the name of the export of files' config and weights: the
// SHA-256 of exportVersion and the two files' SHA-256 (adapters/digest,
// remembered in memo), so an edited model gets a new export, and the same
// bytes anywhere share one.
func ExportKey(files Files, memo *digest.Memo) (string, error) {
	sum, err := memo.Sum(digest.Part{Name: "config", Path: files.Config}, digest.Part{Name: "weights", Path: files.Weights})
	if err != nil {
		return "", fmt.Errorf("transformer: export key: %w", err)
	}
	h := sha256.Sum256([]byte(exportVersion + "\x00" + sum))
	return hex.EncodeToString(h[:]), nil
}

// CachedExport returns the path of the ONNX export (ExportONNX) of the
// model in files, made once under root: in root/KEY (ExportKey), filled
// through a temporary folder and a rename (atomicfile.FillDir), so a
// crash never leaves half an export under that name and processes
// exporting at once agree on one. fresh reports whether this call wrote
// it. cfg must be the configuration read from files.Config.
func CachedExport(cfg Config, files Files, root string, memo *digest.Memo) (path string, fresh bool, err error) {
	key, err := ExportKey(files, memo)
	if err != nil {
		return "", false, err
	}
	dir := filepath.Join(root, key[:32])
	path = filepath.Join(dir, ExportFileName)
	if atomicfile.DirComplete(dir) {
		return path, false, nil
	}
	err = atomicfile.FillDir(dir, []byte(key+"\n"), func(tmp string) error {
		ctx := mlctx.New()
		defer ctx.Finalize()
		if err := LoadSafetensors(ctx, cfg, files.Weights); err != nil {
			return err
		}
		return ExportONNX(ctx, cfg, filepath.Join(tmp, ExportFileName))
	})
	if err != nil {
		return "", false, fmt.Errorf("transformer: ONNX export of %s: %w", files.Weights, err)
	}
	return path, true, nil
}
