// Command mimo-report turns result folders (written by mimo-eval or by MTEB)
// into a Markdown report with the paper's tables and figures.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mimo-mlir/mimo/reports"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// usageText is the help above the flags.
const usageText = `mimo-report: Markdown tables and figures from result folders.

Usage:
  mimo-report --results DIR [--results DIR2 ...] [--out report.md] [--html report.html]

Reads every <model>/<revision>/<Task>.json under the folders (mimo-eval's
output, or a folder of MTEB's public results repository), and writes the
MLIR table (models x tasks, average, the paper's published average), MIRACL
per language, per-query-language scores, MRC@k, alignment/uniformity,
paired randomisation tests between models on the same task (from the
per-query scores mimo-eval keeps in its extras; p-values beside the
differences), a comparison with the paper's numbers and the run settings
that differ.
Figures (SVG and PNG) go beside the report.

Result files are read as MTEB reads them: bare NaN/Infinity (Python's
json), the layout before MTEB 1.11 as well as the current one. Each column
names the metric really in it (MTEB's main score is nDCG@10 for Belebele,
MLQA, XQuAD and MIRACL, nDCG@20 for NeuCLIR); a file covering only some of
a task's subsets shows its coverage and is not ranked as whole. Files
written by MTEB are tabulated apart from mimo's pooled MLIR runs. Every
file that cannot be read is named, with the reason, under "Skipped files"
and on stderr; it does not stop the report.

With --html the same report (same tables, same numbers) is also written as
one HTML page that needs nothing else: tables sortable by any column,
filters by task, query language and model, the figures inline as SVG with
values on hover. Without --out, --html writes the page only.

Examples:
  mimo-report --results results --out results/report.md
  mimo-report --results results --html results/report.html
  mimo-report results ../mteb-results/results --out compare.md

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("mimo-report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dirs multi
	fs.Var(&dirs, "results", "a results folder (repeatable; also positional): <model>/<revision>/<Task>.json as MTEB and mimo-eval write them")
	out := fs.String("out", "report.md", "the Markdown report to write; figures go to a figures/ folder beside it")
	title := fs.String("title", "Retrieval report", "the report's heading")
	htmlOut := fs.String("html", "", "also (or, without --out, only) write the report as one self-contained HTML page to this file: sortable tables, filters, inline SVG figures")
	noFigs := fs.Bool("no-figures", false, "write tables only")
	mrc := fs.String("mrc", "mrc_at_10", "which MRC cut-off to tabulate (mrc_at_10, mrc_at_20)")
	baseline := fs.String("baseline", "", "the model the significance tables compare with every other (its label, name, or the name's last part); default: per task, the best main score")
	draws := fs.Int("draws", reports.DefaultDraws, "draws of each paired randomisation test")
	paperOut := fs.String("paper-tables", "", "write only the paper's Tables 2, 3, 4, 8, 9 and Figures 2-5 in the paper's shape (each cell ours (paper)) to this file, for runs named as scripts/paper.sh names them")
	paperSuffix := fs.String("paper-suffix", "", "--paper-tables: the suffix of the recipe's model names (\"-mini\")")
	paperLambdas := fs.String("paper-lambdas", "0.0,0.2,0.4,0.6,0.8,1.0", "--paper-tables: the lambdas of the sweep")
	seed := fs.Uint64("seed", reports.DefaultSeed, "seed of the paired randomisation tests (numpy's default_rng(seed) stream, afresh per test)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
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
		fmt.Fprintln(stderr, "mimo-report: no results folder given (use --results DIR)")
		fs.Usage()
		return 2
	}
	if *paperOut != "" {
		return paperTables(*paperOut, dirs, *paperSuffix, *paperLambdas, *title, stderr)
	}
	outSet := false
	fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
	if *draws <= 0 || *seed == 0 {
		fmt.Fprintf(stderr, "mimo-report: --draws %d --seed %d: both must be positive\n", *draws, *seed)
		return 2
	}
	opts := reports.Options{Title: *title, NoFigures: *noFigs, MRCKey: *mrc, Baseline: *baseline, Draws: *draws, Seed: *seed}
	var res reports.Results
	var err error
	var wrote []string
	if *htmlOut == "" || outSet {
		res, err = reports.WriteResults(*out, dirs, opts)
		wrote = append(wrote, *out)
	}
	if err == nil && *htmlOut != "" {
		res, err = reports.WriteHTML(*htmlOut, dirs, opts)
		wrote = append(wrote, *htmlOut)
	}
	for _, p := range res.Problems {
		fmt.Fprintf(stderr, "mimo-report: skipped %s\n", p)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mimo-report: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "mimo-report: read %s\n", res.Summary())
	for _, w := range wrote {
		fmt.Fprintf(stderr, "mimo-report: wrote %s\n", w)
	}
	return 0
}

func paperTables(out string, dirs []string, suffix, lambdas, title string, stderr io.Writer) int {
	ls, err := reports.ParseLambdas(lambdas)
	if err != nil {
		fmt.Fprintf(stderr, "mimo-report: --paper-lambdas: %v\n", err)
		return 2
	}
	res, err := reports.WritePaperTables(out, dirs, reports.PaperSetup{Suffix: suffix, Lambdas: ls}, title)
	for _, p := range res.Problems {
		fmt.Fprintf(stderr, "mimo-report: skipped %s\n", p)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mimo-report: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "mimo-report: read %s\nmimo-report: wrote %s\n", res.Summary(), out)
	return 0
}
