// Command minigen renders tasks/mini/source/*.json into tasks/mini/data/*.jsonl
// (run in tasks/mini: it reads ./source and writes ./data).
// Run it with `go generate ./tasks/mini` after editing a source file; the
// package's tests fail while the two disagree.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mimo-mlir/mimo/internal/minisource"
)

func main() {
	if err := run("source", "data"); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(src, dst string) error {
	items, err := minisource.Load(os.DirFS(src))
	if err != nil {
		return err
	}
	q, c, r, err := minisource.Render(items)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{"queries.jsonl", q}, {"corpus.jsonl", c}, {"qrels.jsonl", r}} {
		if err := writeAtomic(filepath.Join(dst, f.name), f.b); err != nil {
			return err
		}
	}
	fmt.Printf("gen: %d passages x %d languages -> %s\n", len(items), len(minisource.Langs), dst)
	return nil
}

func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
