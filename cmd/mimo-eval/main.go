// Command mimo-eval evaluates embedding models on multilingual retrieval
// tasks and writes MTEB-compatible results. Run `mimo-eval -help` for the
// flags and examples; the logic lives in github.com/mimo-mlir/mimo/cmd/mimo-eval/cli.
// The encoder kinds are linked by adapters/resolver (which cli imports),
// the tasks by tasks/catalog.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mimo-mlir/mimo/cmd/mimo-eval/cli"
	_ "github.com/mimo-mlir/mimo/tasks/catalog"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
