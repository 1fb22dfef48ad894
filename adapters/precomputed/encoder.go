package precomputed

import (
	"context"
	"fmt"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/digest"
)

// A precomputed model folder:
//
//	{"kind": "precomputed", "vectors": "vectors.mvec"}
//
// "name" and "prompts", when given, override the file's identity (e.g. to
// evaluate vectors a tool wrote under another name); "dim", when given, must
// match the file.

func init() { adapters.RegisterKind("precomputed", openFolder) }

func openFolder(_ context.Context, f adapters.Folder, opts adapters.Options) (adapters.Encoder, error) {
	if f.Vectors == "" {
		return nil, fmt.Errorf("model folder %s: kind precomputed needs field \"vectors\"", f.Dir)
	}
	v, err := Open(f.Path(f.Vectors))
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	if f.Dim != 0 && f.Dim != v.Dim() {
		v.Close()
		return nil, fmt.Errorf("model folder %s: dim %d, but %s holds vectors of %d", f.Dir, f.Dim, f.Vectors, v.Dim())
	}
	e := NewEncoder(v)
	if f.Name != "" {
		e.ident.Name = f.Name
	}
	if f.Prompts != nil {
		e.ident.Prompts = f.Prompts
	}
	// The vectors are the file's: key the harness's cache on its bytes (the
	// producing model's digest, from the header, stays in Extra).
	content, err := adapters.ContentDigest(opts, digest.Part{Name: "vectors", Path: f.Path(f.Vectors)})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	if e.ident.Content != "" {
		e.ident.Extra["source_content"] = e.ident.Content
	}
	e.ident.Content = content
	return e, nil
}

// Encoder serves a File's vectors. Its identity is the file's, with Kind
// "precomputed" and the producing model's kind in Extra["source_kind"].
type Encoder struct {
	f     *File
	ident adapters.Identity
}

// NewEncoder serves f; Close closes f.
func NewEncoder(f *File) *Encoder {
	id := f.Header().Identity
	extra := map[string]string{}
	for k, v := range id.Extra {
		extra[k] = v
	}
	if id.Kind != "" && id.Kind != "precomputed" {
		extra["source_kind"] = id.Kind
	}
	id.Extra = extra
	id.Kind = "precomputed"
	id.Dim = f.Dim()
	return &Encoder{f: f, ident: id}
}

// Dim implements adapters.Encoder.
func (e *Encoder) Dim() int { return e.f.Dim() }

// Identity implements adapters.Encoder.
func (e *Encoder) Identity() adapters.Identity { return e.ident }

// Close implements adapters.Encoder (idempotent: File.Close is).
func (e *Encoder) Close() error { return e.f.Close() }

// Encode implements adapters.Encoder: it prepends the identity's prompt for
// the request's role and task and looks the result up. A text that is not
// in the file is an error naming its index and text.
func (e *Encoder) Encode(ctx context.Context, req adapters.Request) ([][]float32, error) {
	prompt := e.ident.PromptFor(req.Role, req.Task)
	out := make([][]float32, len(req.Texts))
	for i, t := range req.Texts {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		v := make([]float32, e.f.Dim())
		ok, err := e.f.LookupInto(v, prompt+t)
		if err != nil {
			return nil, fmt.Errorf("text %d: %w", i, err)
		}
		if !ok {
			return nil, fmt.Errorf("precomputed %s: text %d (%s, prompt %q) has no vector: %q", e.f.Path(), i, req.Role, prompt, clip(t))
		}
		out[i] = v
	}
	return out, nil
}
