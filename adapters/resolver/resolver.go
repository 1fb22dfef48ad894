// Package resolver resolves a --model specification to an Encoder, and
// links in every kind of encoder it can open (import it, blank or not,
// wherever models are opened from user input; no main lists the kinds).
// A specification is one of:
//
//   - a model folder (a folder with mimo-model.json), of any registered kind;
//   - "mimo-mini": the default model, embedded in the binary (adapters/mimo);
//   - "lexical": the built-in lexical baseline (no files needed);
//   - an embedding server: "openai+http://host:port/v1?model=NAME",
//     "tei+http://host:port", "ollama+http://host:11434?model=NAME"
//     (see adapters/httpenc for every parameter);
//   - a pool of servers of one model: "pool:" and server specs joined by
//     commas, "pool:tei+http://a:8080,tei+http://b:8080" (httpenc.Pool);
//   - a Hugging Face model: "hf:org/name[@revision]", or a name from the
//     registry of known models (adapters/registry), downloaded through the hub
//     client and its cache (HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_OFFLINE).
package resolver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/httpenc"
	"github.com/mimo-mlir/mimo/adapters/lexical"
	// Folder kinds register themselves.
	_ "github.com/mimo-mlir/mimo/adapters/lsa"
	"github.com/mimo-mlir/mimo/adapters/mimo"
	_ "github.com/mimo-mlir/mimo/adapters/native"
	_ "github.com/mimo-mlir/mimo/adapters/onnx"
	_ "github.com/mimo-mlir/mimo/adapters/precomputed"
	"github.com/mimo-mlir/mimo/adapters/registry"
	"github.com/mimo-mlir/mimo/hub"
)

// Open resolves spec to an Encoder. The caller closes it.
func Open(ctx context.Context, spec string, opts adapters.Options) (adapters.Encoder, error) {
	enc, _, err := OpenCard(ctx, spec, opts)
	return enc, err
}

// Card is what a model folder says about the model beyond its vectors, for
// model_meta.json: MTEB's license and n_parameters (zero values: unknown,
// written as null). It is not part of the encoder's Identity, so it never
// changes a cache key.
type Card struct {
	License     string
	NParameters int64
}

// OpenCard is Open, also returning the folder's Card (empty for servers and
// pools, which describe no files).
func OpenCard(ctx context.Context, spec string, opts adapters.Options) (adapters.Encoder, Card, error) {
	f, ok, err := folderFor(ctx, spec)
	if err != nil {
		return nil, Card{}, err
	}
	if !ok {
		enc, err := openServer(ctx, spec)
		return enc, Card{}, err
	}
	enc, err := adapters.OpenFolder(ctx, f, opts)
	if err != nil {
		return nil, Card{}, err
	}
	return enc, Card{License: f.License, NParameters: f.NParameters}, nil
}

// folderFor is the folder spec names; ok is false for server specs.
func folderFor(ctx context.Context, spec string) (adapters.Folder, bool, error) {
	if st, err := os.Stat(spec); err == nil && st.IsDir() {
		f, err := adapters.ReadFolder(spec)
		return f, err == nil, err
	}
	switch {
	case spec == mimo.Name:
		dir, err := mimo.Dir()
		if err != nil {
			return adapters.Folder{}, false, err
		}
		f, err := adapters.ReadFolder(dir)
		return f, err == nil, err
	case spec == "lexical":
		return lexical.DefaultFolder(), true, nil
	case httpenc.IsPoolSpec(spec), httpenc.IsSpec(spec):
		return adapters.Folder{}, false, nil
	case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
		return adapters.Folder{}, false, fmt.Errorf("model %q: say which server API it speaks: openai+%s?model=NAME, tei+%s or ollama+%s?model=NAME", spec, spec, spec, spec)
	case strings.HasPrefix(spec, "hf:") || isKnown(spec):
		f, err := ResolveHub(ctx, spec)
		return f, err == nil, err
	}
	return adapters.Folder{}, false, fmt.Errorf("model %q: not a model folder (a folder with %s), not \"mimo-mini\" or \"lexical\", not a server spec (openai+http://...) or pool of them (pool:SPEC,SPEC), not hf:org/name and not a known model (known: %s)",
		spec, adapters.FolderFile, strings.Join(knownNames(), ", "))
}

// openServer opens an embedding-server spec or a pool of them.
func openServer(ctx context.Context, spec string) (adapters.Encoder, error) {
	if httpenc.IsPoolSpec(spec) {
		return httpenc.OpenPool(ctx, spec)
	}
	return httpenc.Open(ctx, spec)
}

// LocalDir is the folder on disk a spec opens, when it opens one without
// downloading (a model folder, or the embedded mimo-mini); "" otherwise.
// Callers read extra files of the folder from it (training-texts.mimoset).
func LocalDir(spec string) string {
	if st, err := os.Stat(spec); err == nil && st.IsDir() {
		return spec
	}
	if spec == mimo.Name {
		if dir, err := mimo.Dir(); err == nil {
			return dir
		}
	}
	return ""
}

// ResolveHub downloads an hf: model (or a known model) through the hub
// client and returns its folder description.
func ResolveHub(ctx context.Context, spec string) (adapters.Folder, error) {
	c, err := hub.New()
	if err != nil {
		return adapters.Folder{}, fmt.Errorf("model %q: %w", spec, err)
	}
	return registry.Resolve(ctx, spec, hubDownloader{c})
}

// ResolveHubNative is ResolveHub for the native encoder's files (config.json,
// model.safetensors, tokenizer.json) even when the repository has an ONNX
// export: a student to train.
func ResolveHubNative(ctx context.Context, spec string) (adapters.Folder, error) {
	c, err := hub.New()
	if err != nil {
		return adapters.Folder{}, fmt.Errorf("model %q: %w", spec, err)
	}
	return registry.ResolveNative(ctx, spec, hubDownloader{c})
}

// IsHubSpec reports whether spec names a Hugging Face model: "hf:org/name"
// or a key of the known-model registry.
func IsHubSpec(spec string) bool {
	return strings.HasPrefix(spec, "hf:") || isKnown(spec)
}

func isKnown(name string) bool {
	_, ok := registry.Lookup(name)
	return ok
}

func knownNames() []string {
	var out []string
	for _, m := range registry.All() {
		out = append(out, m.Key)
	}
	return out
}

// hubDownloader adapts the hub client to registry.Downloader: kinds are named
// by string there, and a missing file must wrap fs.ErrNotExist.
type hubDownloader struct{ c *hub.Client }

// Commit implements registry.Committer.
func (h hubDownloader) Commit(kind, repo, revision, path string) string {
	return h.c.CachedCommit(repoKind(kind), repo, revision, path)
}

func repoKind(kind string) hub.RepoKind {
	if kind == "dataset" {
		return hub.Dataset
	}
	return hub.Model
}

func (h hubDownloader) Download(ctx context.Context, kind, repo, revision, path string) (string, error) {
	k := repoKind(kind)
	p, err := h.c.Download(ctx, k, repo, revision, path)
	// Offline, a file the cache lacks counts as absent for the resolver,
	// which then tries its next candidate (root model.onnx, then the
	// safetensors weights): a model fully cached without onnx/model.onnx
	// works offline. The error stays ErrOffline for the caller that has no
	// candidate left.
	if err != nil && (errors.Is(err, hub.ErrNotFound) || errors.Is(err, hub.ErrOffline)) && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w (%w)", err, fs.ErrNotExist)
	}
	return p, err
}
