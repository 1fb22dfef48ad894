// Package all links in every kind of encoder and resolves a --model
// specification: a model folder, a Hugging Face id (hf:org/name[@rev]), an
// embedding server URL or a registered model name.
package all

import (
	"context"
	"fmt"
	"os"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/lexical"
)

// Open resolves spec to an Encoder.
func Open(ctx context.Context, spec string, opts adapters.Options) (adapters.Encoder, error) {
	if st, err := os.Stat(spec); err == nil && st.IsDir() {
		f, err := adapters.ReadFolder(spec)
		if err != nil {
			return nil, err
		}
		return adapters.OpenFolder(ctx, f, opts)
	}
	if spec == "lexical" {
		// The built-in baseline: hashed character n-grams, no files needed.
		return adapters.OpenFolder(ctx, lexical.DefaultFolder(), opts)
	}
	return nil, fmt.Errorf("model %q: not a model folder (a folder with %s), and no other resolver matched", spec, adapters.FolderFile)
}
