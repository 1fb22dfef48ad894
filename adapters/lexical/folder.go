package lexical

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// A lexical model folder:
//
//	{"kind": "lexical", "name": "lexical-xquad-idf",
//	 "options": {"dim": 4096, "min_n": 3, "max_n": 5, "cjk_max_n": 2, "idf": "idf.bin"}}
//
// Every option is optional; "idf" names an IDF table written by WriteIDF.

func init() { adapters.RegisterKind("lexical", open) }

// DefaultFolder is the folder equivalent of Default, for resolvers that
// turn the name "lexical" into a model folder.
func DefaultFolder() adapters.Folder {
	return adapters.Folder{Kind: "lexical", Name: "lexical", Dim: DefaultDim}
}

func open(_ context.Context, f adapters.Folder, _ adapters.Options) (adapters.Encoder, error) {
	cfg, err := configOf(f)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	e, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	return e, nil
}

func configOf(f adapters.Folder) (Config, error) {
	cfg := Config{Name: f.Name, Dim: f.Dim}
	for k, v := range f.Options {
		switch k {
		case "dim", "min_n", "max_n", "cjk_max_n":
			n, ok := v.(float64) // encoding/json's number
			if !ok || n != math.Trunc(n) || n < 1 || n > 1<<24 {
				return cfg, fmt.Errorf("option %q: want a positive integer, got %v", k, v)
			}
			switch k {
			case "dim":
				if cfg.Dim != 0 && cfg.Dim != int(n) {
					return cfg, fmt.Errorf("option \"dim\" %v disagrees with field \"dim\" %d", n, cfg.Dim)
				}
				cfg.Dim = int(n)
			case "min_n":
				cfg.MinN = int(n)
			case "max_n":
				cfg.MaxN = int(n)
			case "cjk_max_n":
				cfg.CJKMaxN = int(n)
			}
		case "idf":
			p, ok := v.(string)
			if !ok || p == "" {
				return cfg, fmt.Errorf("option \"idf\": want a file name, got %v", v)
			}
			idf, err := ReadIDF(f.Path(p))
			if err != nil {
				return cfg, err
			}
			cfg.IDF = idf
		default:
			return cfg, fmt.Errorf("unknown option %q (known: dim, min_n, max_n, cjk_max_n, idf)", k)
		}
	}
	if cfg.IDF != nil && cfg.Dim == 0 {
		cfg.Dim = len(cfg.IDF)
	}
	return cfg, nil
}

// idfMagic starts an IDF file: magic, uint32 dim (little endian), then dim
// float32 weights (little endian).
var idfMagic = []byte("MIMOIDF1")

// WriteIDF stores an IDF table atomically (temp file + rename).
func WriteIDF(path string, idf []float32) error {
	var buf bytes.Buffer
	buf.Write(idfMagic)
	if err := binary.Write(&buf, binary.LittleEndian, uint32(len(idf))); err != nil {
		return fmt.Errorf("idf %s: %w", path, err)
	}
	if err := binary.Write(&buf, binary.LittleEndian, idf); err != nil {
		return fmt.Errorf("idf %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}

// ReadIDF reads a table written by WriteIDF.
func ReadIDF(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lexical idf: %w", err)
	}
	if len(b) < len(idfMagic)+4 || !bytes.Equal(b[:len(idfMagic)], idfMagic) {
		return nil, fmt.Errorf("lexical idf %s: not an IDF file (bad magic)", path)
	}
	dim := binary.LittleEndian.Uint32(b[len(idfMagic):])
	body := b[len(idfMagic)+4:]
	if uint64(len(body)) != uint64(dim)*4 {
		return nil, fmt.Errorf("lexical idf %s: header says %d weights, file holds %d bytes of them", path, dim, len(body))
	}
	idf := make([]float32, dim)
	for i := range idf {
		idf[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return idf, nil
}
