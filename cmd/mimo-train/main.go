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
	"path/filepath"
	"syscall"

	// Teacher and student kinds are linked by adapters/resolver, which
	// training imports.
	"github.com/mimo-mlir/mimo/internal/textset"
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
  mimo-train data all --out corpora   # the paper's OPUS-100 and mMARCO corpora from the Hub

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "texts" {
		return texts(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "data" {
		return dataCmd(ctx, args[1:], stdout, stderr)
	}
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

// texts is `mimo-train texts`: the training-text set of a recorded run
// (its training.json), for models trained before mimo-train wrote one.
func texts(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mimo-train texts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "the run's training.json (required)")
	out := fs.String("out", "", "where to write the set (default: beside the config, "+textset.FileName+")")
	dataDir := fs.String("data", "", "folder that MIMO_DATA/ in the config's sources stands for")
	work := fs.String("work", "", "folder that WORK/ in the config's sources stands for")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mimo-train texts --config DIR/training.json [--data DIR] [--work DIR] [--out FILE]")
		fmt.Fprintln(stderr, "Writes the fingerprints of every text the run trained on (what mimo-eval's contamination check reads); sources whose files are missing are skipped and named.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	c, err := training.ReadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "mimo-train:", err)
		return 1
	}
	expand := map[string]string{}
	if *dataDir != "" {
		expand["MIMO_DATA"] = *dataDir
	}
	if *work != "" {
		expand["WORK"] = *work
	}
	set, rep, err := training.ReadTrainingTexts(c, expand)
	if err != nil {
		fmt.Fprintln(stderr, "mimo-train:", err)
		return 1
	}
	path := *out
	if path == "" {
		path = filepath.Join(filepath.Dir(*cfgPath), textset.FileName)
	}
	if err := set.Write(path); err != nil {
		fmt.Fprintln(stderr, "mimo-train:", err)
		return 1
	}
	for _, m := range rep.Missing {
		fmt.Fprintf(stderr, "mimo-train: note: source %s is not here; its texts are not in the set\n", m)
	}
	return report(stdout, stderr, rep, nil)
}
