package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/mimo-mlir/mimo/adapters/digest"
)

// FolderFile is the name of the JSON file that makes a folder a model folder.
const FolderFile = "mimo-model.json"

// Folder is the content of mimo-model.json: which kind of encoder a model is
// and everything needed to build it. Paths are relative to the folder.
//
//	{"kind": "onnx", "name": "intfloat/multilingual-e5-large", "revision": "...",
//	 "onnx": "model.onnx", "tokenizer": "tokenizer.json", "pooling": "mean",
//	 "normalize": true, "max_length": 512, "dim": 1024,
//	 "prompts": {"query": "query: ", "document": "passage: "}}
type Folder struct {
	Kind      string            `json:"kind"` // onnx, native, http, precomputed, lexical
	Name      string            `json:"name"`
	Revision  string            `json:"revision,omitempty"`
	Pooling   string            `json:"pooling,omitempty"`   // mean, cls, last-token
	Normalize *bool             `json:"normalize,omitempty"` // default true
	MaxLength int               `json:"max_length,omitempty"`
	Dim       int               `json:"dim,omitempty"`
	Prompts   map[string]string `json:"prompts,omitempty"` // "query", "document", "Task:query"
	License   string            `json:"license,omitempty"`
	// NParameters is reported in model_meta.json when known.
	NParameters int64 `json:"n_parameters,omitempty"`

	// onnx
	ONNX      string `json:"onnx,omitempty"`      // e.g. "model.onnx" or "onnx/model.onnx"
	Tokenizer string `json:"tokenizer,omitempty"` // tokenizer.json
	// native (GoMLX-trained transformer)
	Weights string `json:"weights,omitempty"` // model.safetensors
	Config  string `json:"config,omitempty"`  // config.json (Hugging Face style)
	// http
	URL   string `json:"url,omitempty"`
	API   string `json:"api,omitempty"`   // openai, tei, ollama
	Model string `json:"model,omitempty"` // model name sent to the server
	// precomputed
	Vectors string `json:"vectors,omitempty"`

	// Head lists the modules applied after pooling, in order (a
	// sentence-transformers Dense layer, a normalisation); see HeadStep.
	// The folder's "normalize" then applies after the last one.
	Head []HeadStep `json:"head,omitempty"`

	// Options holds kind-specific settings (e.g. lexical n-gram sizes).
	Options map[string]any `json:"options,omitempty"`

	// Dir is the folder this was read from (not serialised).
	Dir string `json:"-"`
}

// NormalizeOrDefault reports whether vectors are L2-normalised (default true).
func (f Folder) NormalizeOrDefault() bool { return f.Normalize == nil || *f.Normalize }

// Path resolves a path of the folder.
func (f Folder) Path(rel string) string {
	if rel == "" || filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(f.Dir, rel)
}

// PathOr resolves rel, or def when rel is empty: a file the folder may
// name and otherwise keeps under its conventional name.
func (f Folder) PathOr(rel, def string) string {
	if rel == "" {
		return f.Path(def)
	}
	return f.Path(rel)
}

// MaxFolderFileBytes bounds mimo-model.json (it holds settings, never
// weights; the largest in the repository is under 1 kB).
const MaxFolderFileBytes = 1 << 20

// MaxLength and dimension ceilings of a folder: far above any model's
// (the longest context here is 8,192 tokens, the widest vector 4,096),
// low enough to refuse a typo before it sizes a buffer.
const (
	MaxFolderMaxLength = 1 << 20
	MaxFolderDim       = 1 << 20
)

// ReadFolder reads dir/mimo-model.json strictly (see ParseFolder). A
// folder without one that holds a Hugging Face model's tokenizer.json (a
// plain or sentence-transformers download) is read by ReadPlainFolder.
func ReadFolder(dir string) (Folder, error) {
	p := filepath.Join(dir, FolderFile)
	fh, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		if _, terr := os.Stat(filepath.Join(dir, "tokenizer.json")); terr == nil {
			return ReadPlainFolder(dir)
		}
	}
	if err != nil {
		return Folder{}, fmt.Errorf("model folder %s: %w", dir, err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, MaxFolderFileBytes+1))
	if err != nil {
		return Folder{}, fmt.Errorf("model folder %s: %w", p, err)
	}
	if len(b) > MaxFolderFileBytes {
		return Folder{}, fmt.Errorf("model folder %s: larger than %d bytes", p, MaxFolderFileBytes)
	}
	f, err := ParseFolder(b)
	if err != nil {
		return Folder{}, fmt.Errorf("model folder %s: %w", p, err)
	}
	f.Dir = dir
	return f, nil
}

// folderFields are the JSON names of Folder's fields.
var folderFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeFor[Folder]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}()

// ParseFolder parses the content of a mimo-model.json strictly: one JSON
// object and nothing after it, every field one of Folder's, spelled
// exactly (encoding/json alone would accept "Max_Length") and given once,
// "kind" present, and numbers in range (max_length and dim in [0, 2^20],
// n_parameters not negative). Errors name the field, or the line and
// column of a syntax error.
func ParseFolder(b []byte) (Folder, error) {
	if err := checkFolderKeys(b); err != nil {
		return Folder{}, err
	}
	var f Folder
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Folder{}, fmt.Errorf("field %q: want %s, got a JSON %s (%s)", te.Field, te.Type, te.Value, where(b, te.Offset))
		}
		return Folder{}, jsonErr(b, err)
	}
	if f.Kind == "" {
		return Folder{}, errors.New("field \"kind\" is missing")
	}
	for _, c := range []struct {
		field string
		v     int64
		max   int64
	}{
		{"max_length", int64(f.MaxLength), MaxFolderMaxLength},
		{"dim", int64(f.Dim), MaxFolderDim},
		{"n_parameters", f.NParameters, math.MaxInt64},
	} {
		if c.v < 0 || c.v > c.max {
			if c.max == math.MaxInt64 {
				return Folder{}, fmt.Errorf("field %q: %d is negative", c.field, c.v)
			}
			return Folder{}, fmt.Errorf("field %q: %d is out of range [0, %d]", c.field, c.v, c.max)
		}
	}
	return f, nil
}

// checkFolderKeys walks the top-level object: exact field names, each once,
// and nothing after the object.
func checkFolderKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return jsonErr(b, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want a JSON object, got %v", tok)
	}
	seen := map[string]bool{}
	for dec.More() {
		off := dec.InputOffset()
		off += int64(len(b[off:]) - len(bytes.TrimLeft(b[off:], " \t\r\n,")))
		tok, err := dec.Token()
		if err != nil {
			return jsonErr(b, err)
		}
		key, _ := tok.(string)
		if !folderFields[key] {
			known := make([]string, 0, len(folderFields))
			for k := range folderFields {
				known = append(known, k)
			}
			sort.Strings(known)
			return fmt.Errorf("unknown field %q (%s; known: %s)", key, where(b, off), strings.Join(known, ", "))
		}
		if seen[key] {
			return fmt.Errorf("field %q given twice (%s)", key, where(b, off))
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jsonErr(b, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return jsonErr(b, err)
	}
	off := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		off += int64(len(b[off:]) - len(bytes.TrimLeft(b[off:], " \t\r\n")))
		return fmt.Errorf("trailing data after the JSON object (%s)", where(b, off))
	}
	return nil
}

// jsonErr adds the line and column to a syntax error.
func jsonErr(b []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s: %w", where(b, se.Offset), err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: unexpected end of JSON", where(b, int64(len(b))))
	}
	return err
}

// where is "line L, column C" of byte offset off of b (both from 1).
func where(b []byte, off int64) string {
	off = min(max(off, 0), int64(len(b)))
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(b[:off], '\n'))
	return fmt.Sprintf("line %d, column %d", line, col)
}

// Opener builds an Encoder from a model folder of its kind.
type Opener func(ctx context.Context, f Folder, opts Options) (Encoder, error)

// Options are run-time settings that apply to every kind.
type Options struct {
	// Device: "cpu" (default) or "cuda" / "cuda:N".
	Device string
	// BatchSize is a hint for encoders that batch internally (0: their default).
	BatchSize int
	// MaxLength overrides the folder's max length when > 0.
	MaxLength int
	// ORTLibrary is the path of libonnxruntime.so (else $ONNXRUNTIME_LIB, else the
	// project's default location).
	ORTLibrary string
	// CacheDir is the embedding cache folder, where the memo of model file
	// digests (digest.MemoFile) is kept so that a model's files are read
	// to be hashed only when they change. "" keeps the memo in memory, for
	// this process only.
	CacheDir string
	// Engine runs native model folders: "" (auto: ONNX Runtime, on the
	// folder's ONNX export cached once per weights, when the library is
	// found and the GoMLX backend would be the pure-Go one; else GoMLX),
	// EngineONNXRuntime, or EngineGoMLX (the GoMLX graph, as training
	// runs it: for checking). Other kinds ignore it.
	Engine string
	// ExportDir is where native folders' ONNX exports are cached ("":
	// mimo/onnx-exports in the user's cache folder).
	ExportDir string
}

// Engines of native model folders (Options.Engine).
const (
	EngineAuto        = ""
	EngineONNXRuntime = "onnxruntime"
	EngineGoMLX       = "gomlx"
)

// ContentDigest is Identity.Content for a model made of parts: the SHA-256
// of their bytes (adapters/digest), remembered in the memo of
// opts.CacheDir.
func ContentDigest(opts Options, parts ...digest.Part) (string, error) {
	return digest.Shared(opts.CacheDir).Sum(parts...)
}

var (
	kindsMu sync.RWMutex
	kinds   = map[string]Opener{}
)

// RegisterKind makes a kind of model folder openable. Implementations call it
// from init(); import github.com/mimo-mlir/mimo/adapters/resolver for every kind.
func RegisterKind(kind string, o Opener) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := kinds[kind]; dup {
		panic("adapters: kind registered twice: " + kind)
	}
	kinds[kind] = o
}

// Kinds lists registered kinds.
func Kinds() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ErrUnknownKind is returned for a folder whose kind no package registered.
var ErrUnknownKind = errors.New("unknown model kind")

// OpenFolder opens the encoder a model folder describes.
func OpenFolder(ctx context.Context, f Folder, opts Options) (Encoder, error) {
	kindsMu.RLock()
	o, ok := kinds[f.Kind]
	kindsMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("model folder %s: kind %q: %w (known: %s)", f.Dir, f.Kind, ErrUnknownKind, strings.Join(Kinds(), ", "))
	}
	return o(ctx, f, opts)
}

// IntOption reads the positive integer f.Options[key]; ok is false when the
// key is absent.
func (f Folder) IntOption(key string) (v int, ok bool, err error) {
	raw, ok := f.Options[key]
	if !ok {
		return 0, false, nil
	}
	n, isNum := raw.(float64)
	if !isNum || n != math.Trunc(n) || n <= 0 {
		return 0, false, fmt.Errorf("options.%s: want a positive integer, got %v", key, raw)
	}
	return int(n), true, nil
}

// LocalRevision stands in for the revision of a model folder that names
// none: the size and modification time of each of its weight files that
// exists ("local-<size>-<unix nanoseconds>", joined by "+"), so replacing
// the weights keeps the embedding cache and the result files apart. "" when
// none exists.
func LocalRevision(paths ...string) string {
	var parts []string
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			parts = append(parts, fmt.Sprintf("local-%d-%d", fi.Size(), fi.ModTime().UnixNano()))
		}
	}
	return strings.Join(parts, "+")
}
