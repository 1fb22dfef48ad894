package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/training/corpora"
)

const dataUsage = `mimo-train data: build the paper's training corpora from the Hugging Face Hub.

Usage:
  mimo-train data {opus|mmarco|all} --out DIR [flags]

  opus    stage 1: OPUS-100 English-X pairs, filtered as the paper's Appendix B.1
          (10-512 characters, length ratio < 3, English de-duplication, 500,000
          per language, English identity pairs), into DIR/pairs.jsonl
          (train with --pairs jsonl:DIR/pairs.jsonl)
  mmarco  stage 2: mMARCO's parallel (query, positive) rows in the 14 languages,
          into DIR/rows.jsonl (train with --rows jsonl:DIR/rows.jsonl; the
          182-pair round robin is applied at training time, its counts are in
          DIR/manifest.json)
  all     both, into DIR/stage1 and DIR/stage2

Revisions are pinned commits (the defaults are the ones the layouts were
checked at); a branch needs --allow-unpinned and the manifest records the
commit it resolved to. A killed build resumes where it stopped when run again
with the same flags; a finished folder is not rebuilt (--overwrite rebuilds).
The Hub client follows HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE and HF_HUB_OFFLINE.

Flags:
`

type dataFlags struct {
	out, hubDir, revision, prefix, langs string
	allowUnpinned, overwrite, strict     bool
	seed                                 uint64
	perLanguage, maxPairs                int
}

// dataCmd is `mimo-train data`: the logic is training/corpora's.
func dataCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, dataUsage)
		return 2
	}
	what := args[0]
	fs := flag.NewFlagSet("mimo-train data", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, dataUsage); fs.PrintDefaults() }
	var f dataFlags
	fs.StringVar(&f.out, "out", "", "build folder (required)")
	fs.StringVar(&f.hubDir, "hub-dir", "", "read a folder laid out as the Hub serves it (DIR/datasets/ORG/NAME/...: the fixtures) instead of the Hub")
	fs.StringVar(&f.revision, "revision", "", "dataset revision (default: the pinned commit of "+corpora.OPUSRepo+" or "+corpora.MMARCORepo+")")
	fs.StringVar(&f.prefix, "prefix", corpora.MMARCOPrefix, "mmarco: folder of queries/ and collections/ (data/google on the main branch)")
	fs.StringVar(&f.langs, "langs", "", "comma-separated languages (default: the paper's)")
	fs.BoolVar(&f.allowUnpinned, "allow-unpinned", false, "accept a branch or tag as --revision and record the commit it resolves to")
	fs.BoolVar(&f.overwrite, "overwrite", false, "rebuild a folder that holds a build")
	fs.BoolVar(&f.strict, "strict", false, "opus: fail when a language's count differs from the paper's Table 5")
	fs.Uint64Var(&f.seed, "seed", 42, "seed of the per-language cap (and of the composition counts: training's --seed)")
	fs.IntVar(&f.perLanguage, "per-language", 500_000, "opus: cap of pairs per language")
	fs.IntVar(&f.maxPairs, "max-pairs", 0, "mmarco: keep the first N unique (query, positive) pairs (0: all)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if f.out == "" || fs.NArg() > 0 || (what != "opus" && what != "mmarco" && what != "all") {
		fs.Usage()
		return 2
	}
	src, err := dataSource(f.hubDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "mimo-train:", err)
		return 1
	}
	var results []any
	if what == "opus" || what == "all" {
		m, err := corpora.BuildOPUS(ctx, src, subdir(f.out, what, "stage1"), opusOptions(f), stderr)
		if err != nil {
			fmt.Fprintln(stderr, "mimo-train:", err)
			return 1
		}
		printOPUS(stderr, m)
		if f.strict && len(m.PaperDiff) > 0 {
			fmt.Fprintf(stderr, "mimo-train: --strict: %v differ from Table 5\n", m.PaperDiff)
			return 1
		}
		results = append(results, m)
	}
	if what == "mmarco" || what == "all" {
		m, err := corpora.BuildMMARCO(ctx, src, subdir(f.out, what, "stage2"), mmarcoOptions(f), stderr)
		if err != nil {
			fmt.Fprintln(stderr, "mimo-train:", err)
			return 1
		}
		fmt.Fprintf(stderr, "mimo-train data: %d stage-2 rows (paper %d); mimo/xlco pair uses %v, infonce %v\n",
			m.Rows, m.PaperRows, m.Compositions["mimo"].Counts, m.Compositions["infonce"].Counts)
		results = append(results, m)
	}
	if len(results) == 1 {
		return report(stdout, stderr, results[0], nil)
	}
	return report(stdout, stderr, results, nil)
}

func subdir(out, what, stage string) string {
	if what == "all" {
		return filepath.Join(out, stage)
	}
	return out
}

func dataSource(hubDir string, stderr io.Writer) (corpora.Source, error) {
	if hubDir != "" {
		return corpora.DirSource{Root: hubDir}, nil
	}
	c, err := hub.New(hub.WithProgress(stderr))
	if err != nil {
		return nil, err
	}
	return corpora.HubSource{Client: c}, nil
}

func splitLangs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func opusOptions(f dataFlags) corpora.OPUSOptions {
	o := corpora.PaperOPUS(f.seed)
	if f.revision != "" {
		o.Revision = f.revision
	}
	if ls := splitLangs(f.langs); ls != nil {
		o.Langs, o.English = nil, false
		for _, l := range ls {
			if l == "en" {
				o.English = true
			} else {
				o.Langs = append(o.Langs, l)
			}
		}
	}
	o.Filter.PerLanguage = f.perLanguage
	o.AllowUnpinned, o.Overwrite = f.allowUnpinned, f.overwrite
	return o
}

func mmarcoOptions(f dataFlags) corpora.MMARCOOptions {
	o := corpora.PaperMMARCO(f.seed)
	if f.revision != "" {
		o.Revision = f.revision
	}
	if ls := splitLangs(f.langs); ls != nil {
		o.Langs = ls
	}
	o.Prefix, o.MaxPairs = f.prefix, f.maxPairs
	o.AllowUnpinned, o.Overwrite = f.allowUnpinned, f.overwrite
	return o
}

// printOPUS prints the per-language counts next to Table 5's.
func printOPUS(w io.Writer, m *corpora.OPUSManifest) {
	langs := append([]string(nil), m.Options.Langs...)
	if m.Options.English {
		langs = append(langs, "en")
	}
	fmt.Fprintf(w, "mimo-train data: stage 1 from %s@%s (commit %s)%s\n", m.Dataset, m.Revision, m.Commit, map[bool]string{true: ", already built", false: ""}[m.Reused])
	fmt.Fprintf(w, "  %-4s %9s %9s %9s %9s %9s %9s %9s\n", "lang", "rows", "length", "ratio", "dup", "capped", "pairs", "Table 5")
	for _, l := range langs {
		c := m.Counts[l]
		paper := "-"
		if m.Paper != nil {
			paper = fmt.Sprint(m.Paper[l])
		}
		fmt.Fprintf(w, "  %-4s %9d %9d %9d %9d %9d %9d %9s\n", l, c["in"], c["length"], c["ratio"], c["duplicate"], c["capped"], c["out"], paper)
	}
	fmt.Fprintf(w, "  total %d pairs (paper 5,647,936) -> %s\n", m.Total, m.Output)
}
