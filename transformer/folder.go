package transformer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/digest"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// Kind is the model-folder kind of a transformer folder, which
// adapters/native registers.
const Kind = "native"

// The conventional names of a native folder's files, used when
// mimo-model.json does not name them (and for a plain Hugging Face
// download, which has none).
const (
	ConfigFile    = "config.json"
	WeightsFile   = "model.safetensors"
	TokenizerFile = "tokenizer.json"
)

// Files are the paths of a native model folder's parts.
type Files struct {
	Config, Weights, Tokenizer string
}

// FolderFiles are the files of folder f: what its mimo-model.json names,
// else the conventional names, resolved against f.Dir.
func FolderFiles(f adapters.Folder) Files {
	return Files{
		Config:    f.PathOr(f.Config, ConfigFile),
		Weights:   f.PathOr(f.Weights, WeightsFile),
		Tokenizer: f.PathOr(f.Tokenizer, TokenizerFile),
	}
}

// ReadFolderConfig reads the config of folder f, with the folder's pooling
// (when it names one) in place of the config's.
func ReadFolderConfig(f adapters.Folder) (Config, error) {
	cfg, err := ReadConfig(FolderFiles(f).Config)
	if err != nil {
		return Config{}, err
	}
	if f.Pooling != "" {
		cfg.Pooling = f.Pooling
		if err := cfg.Validate(); err != nil {
			return Config{}, err
		}
	}
	return cfg, nil
}

// StudentFiles are the files a student is read from in folder dir: what
// dir/mimo-model.json names when the folder has one (FolderFiles; a folder
// of another kind, such as an "onnx" folder that also carries the
// safetensors, names only its tokenizer), else dir's config.json,
// model.safetensors and tokenizer.json (a Hugging Face download).
func StudentFiles(dir string) (Files, error) {
	if _, err := os.Stat(filepath.Join(dir, adapters.FolderFile)); errors.Is(err, fs.ErrNotExist) {
		return FolderFiles(adapters.Folder{Dir: dir}), nil
	}
	f, err := adapters.ReadFolder(dir)
	if err != nil {
		return Files{}, err
	}
	return FolderFiles(f), nil
}

// FolderSpec is what WriteFolder records besides the weights and config.
type FolderSpec struct {
	Name string
	// RevisionPrefix starts the revision, PREFIX-HASH, HASH the first 12
	// hex digits of the written weights' SHA-256: the embedding cache and
	// the result files are keyed by name and revision, so two runs that
	// differ in anything the prefix does not say must not share one, and
	// a bit-identical rebuild keeps its own.
	RevisionPrefix string
	Tokenizer      string // the tokenizer.json to copy into the folder
	MaxLength      int
	// Extra files, written in order before mimo-model.json.
	Extra []ExtraFile
}

// ExtraFile is a further file of a folder WriteFolder writes (e.g.
// training.json, the run's configuration).
type ExtraFile struct {
	Name string
	Data []byte
}

// WriteFolder writes the encoder under ctx (the scope its variables live
// in) as a model folder of kind "native" in dir that mimo-eval --model DIR
// loads: model.safetensors (Hugging Face names), config.json,
// tokenizer.json, the spec's extra files, then mimo-model.json last (every
// file atomically), and returns the folder it wrote (Dir set).
func WriteFolder(ctx *mlctx.Context, cfg Config, dir string, spec FolderSpec) (adapters.Folder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return adapters.Folder{}, err
	}
	weights := filepath.Join(dir, WeightsFile)
	if err := SaveSafetensors(ctx, cfg, weights); err != nil {
		return adapters.Folder{}, err
	}
	if err := cfg.WriteConfig(filepath.Join(dir, ConfigFile)); err != nil {
		return adapters.Folder{}, err
	}
	tb, err := os.ReadFile(spec.Tokenizer)
	if err != nil {
		return adapters.Folder{}, fmt.Errorf("tokenizer: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, TokenizerFile), tb, 0o644); err != nil {
		return adapters.Folder{}, err
	}
	sum, err := digest.File(weights)
	if err != nil {
		return adapters.Folder{}, err
	}
	norm := true
	f := adapters.Folder{
		Kind: Kind, Name: spec.Name, Revision: spec.RevisionPrefix + "-" + sum[:12],
		Pooling: cfg.Pooling, Normalize: &norm, MaxLength: spec.MaxLength, Dim: cfg.HiddenSize,
		Weights: WeightsFile, Config: ConfigFile, Tokenizer: TokenizerFile,
		NParameters: cfg.NumParameters(),
	}
	if f.Pooling == "" {
		f.Pooling = PoolingMean
	}
	fb, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return adapters.Folder{}, err
	}
	for _, x := range spec.Extra {
		if err := atomicfile.WriteFile(filepath.Join(dir, x.Name), x.Data, 0o644); err != nil {
			return adapters.Folder{}, err
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, adapters.FolderFile), append(fb, '\n'), 0o644); err != nil {
		return adapters.Folder{}, err
	}
	f.Dir = dir
	return f, nil
}
