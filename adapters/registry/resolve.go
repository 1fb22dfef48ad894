package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// Downloader fetches one file of a hub repository at a revision and returns
// its local path (kind is "model"). Files of one repository and revision
// must land in one directory tree that mirrors the repository (as the
// Hugging Face cache's snapshots do), so that model.onnx finds its
// model.onnx_data. A missing file must be reported with an error that wraps
// fs.ErrNotExist: optional files are skipped only then.
type Downloader interface {
	Download(ctx context.Context, kind, repo, revision, path string) (string, error)
}

// Committer is a Downloader that can say which commit a downloaded file of
// a branch was last seen at (the hub client's CachedCommit). Resolve then
// records that commit as the folder's revision, so results and cached
// vectors name the model's exact version, not a branch that moves.
type Committer interface {
	Commit(kind, repo, revision, path string) string
}

// ONNX file layouts tried in order: Optimum's onnx/ folder, then the root.
var onnxCandidates = []string{"onnx/model.onnx", "model.onnx"}

// Resolve turns "hf:org/name[@revision]" (or a registry key) into a model
// folder: it downloads tokenizer.json and the ONNX graph (and its external
// weights, model.onnx_data, when the repository has them), or, when the
// repository has no ONNX export, config.json and model.safetensors for the
// native GoMLX encoder (XLM-R, BERT, ModernBERT/mmBERT), and writes
// mimo-model.json with the registry's settings into the downloaded snapshot
// directory (atomically). Unknown repositories take their pooling from
// 1_Pooling/config.json and their dimension from config.json.
func Resolve(ctx context.Context, spec string, dl Downloader) (adapters.Folder, error) {
	return resolve(ctx, spec, dl, onnxCandidates)
}

// ResolveNative is Resolve for the native encoder only: it fetches the
// safetensors weights even when the repository also has an ONNX export, as
// training a student needs (mimo-train --student hf:jhu-clsp/mmBERT-base).
func ResolveNative(ctx context.Context, spec string, dl Downloader) (adapters.Folder, error) {
	return resolve(ctx, spec, dl, nil)
}

// resolve is Resolve trying the ONNX files onnxAt, in order, before the
// native encoder's.
func resolve(ctx context.Context, spec string, dl Downloader, onnxAt []string) (adapters.Folder, error) {
	s, err := ParseSpec(spec)
	if err != nil {
		return adapters.Folder{}, err
	}
	m, isKnown := Lookup(s.Name)
	repo := s.Name
	if isKnown {
		repo = m.Repo
	}
	rev := s.Revision
	if rev == "" {
		rev = m.Revision
	}
	if rev == "" {
		rev = "main"
	}
	where := fmt.Sprintf("model %s@%s", repo, rev)
	get := func(path string) (string, error) {
		p, err := dl.Download(ctx, "model", repo, rev, path)
		if err != nil {
			return "", fmt.Errorf("%s: %s: %w", where, path, err)
		}
		return p, nil
	}
	tokPath, err := get("tokenizer.json")
	if err != nil {
		return adapters.Folder{}, err
	}
	var onnxRel, onnxPath string
	var tried []string
	for _, c := range onnxAt {
		p, err := get(c)
		if err == nil {
			onnxRel, onnxPath = c, p
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return adapters.Folder{}, err
		}
		tried = append(tried, c)
	}
	f := adapters.Folder{Kind: "onnx", Name: repo, Revision: rev}
	if c, ok := dl.(Committer); ok {
		if commit := c.Commit("model", repo, rev, "tokenizer.json"); commit != "" {
			f.Revision = commit
		}
	}
	// The sentence-transformers files (modules.json and the modules'
	// configs), read as for a local folder: every module is applied or
	// the model refused. A known model's registry settings win over the
	// files' pooling, length, dimension and prompts; its head (Dense
	// layers) comes from the files all the same.
	if err := adapters.ReadSentenceTransformers(&f, get); err != nil {
		return adapters.Folder{}, fmt.Errorf("%s: %w", where, err)
	}
	if isKnown {
		norm := m.Normalize
		f.Pooling, f.Normalize, f.MaxLength, f.Dim = m.Pooling, &norm, m.MaxLength, m.Dim
		f.Prompts, f.License, f.NParameters = m.Prompts, m.License, m.NParameters
	}
	if onnxPath == "" {
		return resolveNative(f, tokPath, get, where, tried)
	}
	// ONNX from here on.
	dataRel := onnxRel + "_data"
	if dataPath, err := get(dataRel); err == nil {
		if filepath.Dir(dataPath) != filepath.Dir(onnxPath) {
			return adapters.Folder{}, fmt.Errorf("%s: %s and %s were downloaded to different directories; ONNX Runtime needs them side by side", where, onnxRel, dataRel)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return adapters.Folder{}, err
	}

	// The snapshot root: where the repository's files are mirrored.
	root, ok := strings.CutSuffix(filepath.ToSlash(tokPath), "/tokenizer.json")
	if ok && strings.HasSuffix(filepath.ToSlash(onnxPath), "/"+onnxRel) && strings.TrimSuffix(filepath.ToSlash(onnxPath), "/"+onnxRel) == root {
		f.ONNX, f.Tokenizer = onnxRel, "tokenizer.json"
		f.Dir = filepath.FromSlash(root)
	} else {
		f.ONNX, f.Tokenizer = onnxPath, tokPath
		f.Dir = filepath.Dir(tokPath)
	}
	if err := localizeHead(&f, get); err != nil {
		return adapters.Folder{}, fmt.Errorf("%s: %w", where, err)
	}
	if err := writeFolder(f); err != nil {
		return adapters.Folder{}, fmt.Errorf("%s: %w", where, err)
	}
	return f, nil
}

// localizeHead points each Dense step of f at the folder its weights were
// downloaded to, when that is not the step's path under f.Dir (a
// Downloader that does not mirror the repository).
func localizeHead(f *adapters.Folder, get func(string) (string, error)) error {
	for i, s := range f.Head {
		if s.Type != adapters.StepDense {
			continue
		}
		p, err := get(path.Join(s.Path, adapters.DenseWeightsFile))
		if err != nil {
			return err
		}
		if d := filepath.Dir(p); d != filepath.Join(f.Dir, filepath.FromSlash(s.Path)) {
			f.Head[i].Path = d
		}
	}
	return nil
}

// nativeFiles are what the native encoder reads, besides tokenizer.json.
var nativeFiles = []string{"config.json", "model.safetensors"}

// resolveNative makes f a native folder of the repository's safetensors
// weights, for a repository without an ONNX export (tried lists where one
// was looked for).
func resolveNative(f adapters.Folder, tokPath string, get func(string) (string, error), where string, tried []string) (adapters.Folder, error) {
	for _, name := range nativeFiles {
		p, err := get(name)
		if errors.Is(err, fs.ErrNotExist) {
			hint := ""
			if name == "model.safetensors" {
				if _, ierr := get("model.safetensors.index.json"); ierr == nil {
					hint = "; the weights are sharded (model.safetensors.index.json), which the native encoder does not read"
				}
			}
			if len(tried) == 0 {
				return adapters.Folder{}, fmt.Errorf("%s: no %s for the native encoder%s", where, name, hint)
			}
			return adapters.Folder{}, fmt.Errorf("%s: no ONNX export (tried %s) and no %s for the native encoder%s: export one with Optimum (optimum-cli export onnx --task feature-extraction)",
				where, strings.Join(tried, ", "), name, hint)
		}
		if err != nil {
			return adapters.Folder{}, err
		}
		if filepath.Dir(p) != filepath.Dir(tokPath) {
			return adapters.Folder{}, fmt.Errorf("%s: %s and tokenizer.json were downloaded to different directories", where, name)
		}
	}
	f.Kind = "native"
	f.Dir = filepath.Dir(tokPath)
	f.Tokenizer, f.Config, f.Weights = "tokenizer.json", "config.json", "model.safetensors"
	if err := localizeHead(&f, get); err != nil {
		return adapters.Folder{}, fmt.Errorf("%s: %w", where, err)
	}
	if err := writeFolder(f); err != nil {
		return adapters.Folder{}, fmt.Errorf("%s: %w", where, err)
	}
	return f, nil
}

// writeFolder writes f.Dir/mimo-model.json atomically.
func writeFolder(f adapters.Folder) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(f.Dir, adapters.FolderFile), append(b, '\n'), 0o644)
}
