// Command mimo-eval evaluates embedding models on multilingual retrieval
// tasks and writes MTEB-compatible results. Run `mimo-eval -help` for the
// flags and examples; the logic lives in github.com/mimo-mlir/mimo/cmd/mimo-eval/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// Encoder kinds a model folder can name (adapters/all resolves --model;
	// these register the kinds it opens).
	_ "github.com/mimo-mlir/mimo/adapters/httpenc"
	_ "github.com/mimo-mlir/mimo/adapters/lexical"
	_ "github.com/mimo-mlir/mimo/adapters/native"
	_ "github.com/mimo-mlir/mimo/adapters/onnx"
	_ "github.com/mimo-mlir/mimo/adapters/precomputed"
	"github.com/mimo-mlir/mimo/cmd/mimo-eval/cli"
	// Task builders register the paper's benchmarks; mini registers the
	// embedded mini benchmark and heldout the held-out XQuAD split (both in
	// group "mini", the default --tasks; the split is skipped with a note
	// when ../shared/data is absent).
	_ "github.com/mimo-mlir/mimo/tasks/builders"
	_ "github.com/mimo-mlir/mimo/tasks/heldout"
	_ "github.com/mimo-mlir/mimo/tasks/mini"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
