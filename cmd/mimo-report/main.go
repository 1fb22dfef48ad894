// Command mimo-report turns result folders (written by mimo-eval or by MTEB)
// into a Markdown report with the paper's tables and figures.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/mimo-mlir/mimo/reports"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("mimo-report", flag.ContinueOnError)
	var dirs multi
	fs.Var(&dirs, "results", "a results folder (repeatable; also positional): <model>/<revision>/<Task>.json as MTEB and mimo-eval write them")
	out := fs.String("out", "report.md", "the Markdown report to write; figures go to a figures/ folder beside it")
	title := fs.String("title", "Retrieval report", "the report's heading")
	noFigs := fs.Bool("no-figures", false, "write tables only")
	mrc := fs.String("mrc", "mrc_at_10", "which MRC cut-off to tabulate (mrc_at_10, mrc_at_20)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `mimo-report: Markdown tables and figures from result folders.

Usage:
  mimo-report --results DIR [--results DIR2 ...] [--out report.md]

Reads every <model>/<revision>/<Task>.json under the folders (mimo-eval's
output, or a folder of MTEB's public results repository), and writes the
MLIR table (models x tasks, average, the paper's published average), MIRACL
per language, per-query-language scores, MRC@k, alignment/uniformity, a
comparison with the paper's numbers and the run settings that differ.
Figures (SVG and PNG) go beside the report. Files that are not MTEB results
are listed under "Skipped files" and do not stop the report.

Examples:
  mimo-report --results results --out results/report.md
  mimo-report results ../mteb-results/results --out compare.md

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	dirs = append(dirs, fs.Args()...)
	if len(dirs) == 0 {
		fmt.Fprintln(os.Stderr, "mimo-report: no results folder given (use --results DIR)")
		fs.Usage()
		return 2
	}
	problems, err := reports.Write(*out, dirs, reports.Options{Title: *title, NoFigures: *noFigs, MRCKey: *mrc})
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "mimo-report: skipped %s\n", p)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mimo-report: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "mimo-report: wrote %s\n", *out)
	return 0
}
