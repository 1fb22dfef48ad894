// Command mimo-train trains a multilingual retrieval student with one of the
// paper's methods and writes a model folder (kind "native") that
// `mimo-eval --model DIR` evaluates.
//
//	mimo-train --method mimo --config run.json            # stage 1 then stage 2
//	mimo-train --method mimo --stage 2 ...                 # stage 2 alone (ablation)
//	mimo-train --method xlco --student DIR --rows xquad:/data/xquad --output out/xlco
//
// Defaults are the paper's Table 6; a --config JSON file (training.Config
// keys) overrides them and flags override the file. The logic lives in
// github.com/mimo-mlir/mimo/training.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// Teacher kinds.
	_ "github.com/mimo-mlir/mimo/adapters/lexical"
	_ "github.com/mimo-mlir/mimo/adapters/native"
	_ "github.com/mimo-mlir/mimo/adapters/precomputed"
	"github.com/mimo-mlir/mimo/training"
)

const usage = `mimo-train: train a multilingual retriever with the MIMO paper's methods.

Usage:
  mimo-train --method {infonce,xlco,lakda,mimo} [--stage 1|2] [--config FILE] [flags]

Methods (training.md): infonce (same-language pairs), xlco (cross-lingual
pairs), lakda (parallel queries + KL), mimo (stage 1: distil into a frozen
English teacher through psi; stage 2: lambda*XLCO + (1-lambda)*distillation).
--method mimo without --stage runs stage 1 then stage 2. Defaults are the
paper's Table 6; a --config JSON file sets training.Config keys and flags
override it. Every full batch goes through the gradient cache. The output
folder gets checkpoint.mimo (atomic and checksummed, the one before it
kept as checkpoint.mimo.prev; --resume continues exactly, and refuses a
damaged checkpoint or a changed configuration), train-log.jsonl (every loss
term per step) and a model folder (kind "native", psi dropped) that
mimo-eval --model loads. One trainer per output folder (mimo-train.lock);
a folder holding an earlier run needs --resume or --overwrite.

Examples:
  mimo-train --method mimo --student xlmr-folder --teacher teacher-folder \
      --pairs tatoeba:../shared/data/tatoeba --rows xquad:../shared/data/xquad \
      --output out/mimo
  mimo-train --method mimo --stage 1 ... --output out/stage1       # ablation
  mimo-train --method mimo --lambda 0.8 ... --output out/lambda0.8 # lambda sweep
  mimo-train --method lakda --kl one-sided ... --output out/lakda
  mimo-eval --model out/mimo --tasks mini

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, x, err := parseArgs(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2 // parseArgs has printed it
	}
	r, closer, err := training.Setup(ctx, c)
	if err != nil {
		fmt.Fprintln(stderr, "mimo-train:", err)
		return 1
	}
	defer closer.Close()
	r.Notes = stderr
	if x.initBag != "" {
		rep, err := r.InitBag(ctx, x.initBag, training.BagInitOptions{Ridge: x.bagRidge, NoPrior: x.bagNoPrior})
		return report(stdout, stderr, rep, err)
	}
	sum, err := r.Train(ctx)
	return report(stdout, stderr, sum, err)
}

// report prints v as indented JSON on stdout and returns 0, or prints err
// and returns 1.
func report(stdout, stderr io.Writer, v any, err error) int {
	if err != nil {
		fmt.Fprintln(stderr, "mimo-train:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, "mimo-train:", err)
		return 1
	}
	return 0
}
