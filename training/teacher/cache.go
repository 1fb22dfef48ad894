package teacher

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/precomputed"
)

// A cache file is an adapters/precomputed vectors file. Its keys are the
// exact strings the teacher saw (prompt + text), as that format requires,
// and its identity is the teacher's with the role's prompt recorded under
// the role, so a reader recovers the prompt from the file alone.

// Cache is an open teacher cache file for one role.
type Cache struct {
	f      *precomputed.File
	prompt string
}

// OpenCache opens a cache file written by WriteCache (or BuildCache) for role.
func OpenCache(path string, role adapters.Role) (*Cache, error) {
	f, err := precomputed.Open(path)
	if err != nil {
		return nil, fmt.Errorf("teacher cache: %w", err)
	}
	return &Cache{f: f, prompt: f.Header().Identity.PromptFor(role, "")}, nil
}

// Lookup implements Vectors: the vector of text as the teacher saw it.
func (c *Cache) Lookup(text string) ([]float32, bool) { return c.f.Lookup(c.prompt + text) }

// Dim implements Vectors.
func (c *Cache) Dim() int { return c.f.Dim() }

// Len is the number of stored texts.
func (c *Cache) Len() int { return c.f.Len() }

// Identity is the teacher that wrote the file.
func (c *Cache) Identity() adapters.Identity { return c.f.Header().Identity }

// Close releases the file.
func (c *Cache) Close() error { return c.f.Close() }

func cacheIdentity(enc adapters.Encoder, role adapters.Role, prompt string) adapters.Identity {
	id := enc.Identity()
	prompts := map[string]string{}
	if prompt != "" {
		prompts[string(role)] = prompt
	}
	id.Prompts = prompts
	if id.Dim == 0 {
		id.Dim = enc.Dim()
	}
	return id
}

// BuildCache makes sure the cache file at path holds the teacher's vector of
// every text: texts already in the file are kept (not recomputed), the rest
// are encoded with enc (see Compute) and appended; the file is replaced
// atomically. It returns the number of texts encoded.
func BuildCache(ctx context.Context, enc adapters.Encoder, texts []string, o Options, path string) (int, error) {
	role := o.Role
	if role == "" || o.NoPrompt {
		role = adapters.RoleDocument
	}
	var missing []string
	if _, err := os.Stat(path); err == nil {
		c, err := OpenCache(path, role)
		if err != nil {
			return 0, err
		}
		for _, t := range texts {
			if _, ok := c.Lookup(t); !ok {
				missing = append(missing, t)
			}
		}
		c.Close()
	} else if errors.Is(err, os.ErrNotExist) {
		missing = texts
	} else {
		return 0, fmt.Errorf("teacher cache %s: %w", path, err)
	}
	if len(missing) == 0 {
		return 0, nil
	}
	m, err := Compute(ctx, enc, missing, o)
	if err != nil {
		return 0, err
	}
	w, err := precomputed.Append(path, cacheIdentity(enc, role, m.Prompt))
	if err != nil {
		return 0, fmt.Errorf("teacher cache %s: %w", path, err)
	}
	for _, t := range m.Texts() {
		v, _ := m.Lookup(t)
		if w.Has(m.Prompt + t) {
			continue
		}
		if err := w.Add(m.Prompt+t, v); err != nil {
			w.Abort()
			return 0, fmt.Errorf("teacher cache %s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("teacher cache %s: %w", path, err)
	}
	return m.Len(), nil
}
