// Package adapters holds the Encoder interface that every model speaks, and
// its implementations: ONNX Runtime transformers, HTTP embedding servers,
// precomputed vectors, the lexical baseline and native (GoMLX-trained)
// students. A model folder (see Folder) says which kind a model is.
//
// The mental model: an Encoder turns a batch of texts, in a role (query or
// document) and for a task, into float32 vectors. It owns its prompts, its
// tokenizer and its pooling; the harness owns batching across the corpus,
// caching, search and scoring.
package adapters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Role says which side of retrieval a text is on. Models with prompts treat
// the two differently (e5's "query: " / "passage: ").
type Role string

const (
	RoleQuery    Role = "query"
	RoleDocument Role = "document"
)

// Request is one batch to encode. Task is the task name (e.g. "XQuADMLIR"),
// used by encoders with per-task prompts; it may be empty.
type Request struct {
	Role  Role
	Task  string
	Texts []string
}

// Identity is everything about an encoder that changes its vectors. It is
// written into result metadata and, hashed, keys the embedding cache.
type Identity struct {
	Name      string `json:"name"`               // e.g. "intfloat/multilingual-e5-large" or "mimo-mini"
	Revision  string `json:"revision,omitempty"` // commit or version; "" when unknown
	Kind      string `json:"kind"`               // onnx, native, http, precomputed, lexical
	Pooling   string `json:"pooling,omitempty"`  // mean, cls, last-token
	Normalize bool   `json:"normalize"`
	MaxLength int    `json:"max_length,omitempty"`
	Dim       int    `json:"dim"`
	Dtype     string `json:"dtype,omitempty"` // float32, float16, bf16
	// Prompts per role ("query", "document") and per "task:role" override.
	Prompts map[string]string `json:"prompts,omitempty"`
	// Head is the post-pooling pipeline (Head.Describe: Dense layers,
	// normalisations between them), "" when the model has none.
	Head string `json:"head,omitempty"`
	// Extra holds kind-specific settings that change vectors (e.g. server URL model name).
	Extra map[string]string `json:"extra,omitempty"`
	// Content is the hex SHA-256 of the bytes of every file the vectors
	// come from (weights, tokenizer, config, ONNX external data; see
	// ContentDigest), "" for encoders without files. Through Key it keeps
	// the embedding cache and the result files of an edited model apart
	// from the original's, whatever revision the folder declares.
	Content string `json:"content,omitempty"`
}

// Key is a stable hash of the identity, for cache keys.
func (id Identity) Key() string {
	b, err := json.Marshal(id) // map keys are sorted by encoding/json
	if err != nil {
		panic(fmt.Sprintf("adapters: identity not serialisable: %v", err))
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:16])
}

// PromptFor returns the prompt this identity prepends for role in task: the
// "task:role" entry if present, else the role entry, else "".
func (id Identity) PromptFor(role Role, task string) string {
	if task != "" {
		if p, ok := id.Prompts[task+":"+string(role)]; ok {
			return p
		}
	}
	return id.Prompts[string(role)]
}

// Encoder encodes texts into vectors. Implementations must be safe for use by
// one goroutine at a time; the harness does not call Encode concurrently on
// the same Encoder. Errors name the failing input (its index in the batch).
type Encoder interface {
	// Encode returns one vector of length Dim() per text, in order.
	Encode(ctx context.Context, req Request) ([][]float32, error)
	// Dim is the embedding dimension.
	Dim() int
	// Identity describes the encoder for caches and result metadata.
	Identity() Identity
	// Close releases C-backed or network resources (ONNX Runtime sessions,
	// GoMLX backends and compiled graphs, files). Every implementation's
	// Close is idempotent: a second call does nothing and returns nil, so a
	// deferred Close after an explicit one is safe.
	Close() error
}
