// Command mimo-teacher builds the English teacher that MIMO distils into:
// a latent semantic analysis model (package adapters/lsa) fitted on English
// text and saved as a model folder of kind "lsa", which mimo-eval and the
// training pipeline open like any other model.
//
//	mimo-teacher fit --out DIR [--dims 256] [--seed 1] TEXTFILE...
//
// Each TEXTFILE holds one text per line, or is JSONL (.jsonl, .jsonl.gz or
// any file whose first line starts with "{") with a "text" field per line.
// Fit only on the English side of training data, never on evaluation sets.
package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mimo-mlir/mimo/adapters/lsa"
	"github.com/mimo-mlir/mimo/internal/lines"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mimo-teacher:", err)
		os.Exit(1)
	}
}

const usage = `usage: mimo-teacher fit --out DIR [flags] TEXTFILE...

Fits an LSA teacher on English texts (one per line, or JSONL with "text")
and writes a model folder of kind "lsa".
`

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "fit" {
		fmt.Fprint(stderr, usage)
		return errors.New("want the subcommand \"fit\"")
	}
	fs := flag.NewFlagSet("fit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	out := fs.String("out", "", "model folder to write (required)")
	name := fs.String("name", "", "model name (default: lsa-en-<dims>)")
	dims := fs.Int("dims", lsa.DefaultDims, "embedding dimension")
	seed := fs.Uint64("seed", 1, "SVD random seed")
	minDF := fs.Int("min-df", lsa.DefaultMinDF, "drop features in fewer texts")
	maxDF := fs.Float64("max-df", lsa.DefaultMaxDF, "drop features in more than this fraction of texts")
	maxFeat := fs.Int("max-features", lsa.DefaultMaxFeatures, "keep at most this many word terms")
	chars := fs.Bool("chars", true, "character 3-5-gram features")
	charW := fs.Float64("char-weight", lsa.DefaultCharWeight, "weight of the character block")
	power := fs.Int("power-iters", lsa.DefaultPowerIters, "randomized SVD power iterations")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		fs.Usage()
		return errors.New("need --out and at least one TEXTFILE")
	}
	var texts []string
	for _, p := range fs.Args() {
		ts, err := readTexts(p)
		if err != nil {
			return err
		}
		texts = append(texts, ts...)
	}
	if *name == "" {
		*name = fmt.Sprintf("lsa-en-%d", *dims)
	}
	opts := []lsa.Option{lsa.Dims(*dims), lsa.Seed(*seed), lsa.MinDF(*minDF), lsa.MaxDF(*maxDF),
		lsa.MaxFeatures(*maxFeat), lsa.CharWeight(*charW), lsa.SVDParams(lsa.DefaultOversample, *power), lsa.Name(*name)}
	if !*chars {
		opts = append(opts, lsa.CharNGrams(0, 0, 0))
	}
	start := time.Now()
	fmt.Fprintf(stderr, "fitting %s on %d texts...\n", *name, len(texts))
	m, err := lsa.Fit(ctx, texts, opts...)
	if err != nil {
		return err
	}
	if err := m.Save(*out); err != nil {
		return err
	}
	st := m.Stats()
	fmt.Fprintf(stderr, "wrote %s in %s: %d texts (%d empty), %d word terms + %d char columns, %d non-zeros, %.3f of ‖X‖² explained, σ1 %.3f σ%d %.3f\n",
		*out, time.Since(start).Round(time.Millisecond), st.Texts, st.EmptyTexts, st.WordTerms, st.CharColumns, st.NNZ,
		st.Explained, st.Singular[0], len(st.Singular), st.Singular[len(st.Singular)-1])
	return nil
}

// readTexts reads one text per line, or the "text" field of JSONL lines.
func readTexts(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r = zr
	}
	lr := lines.NewReader(r, path, lines.DefaultLimit) // MIMO_MAX_LINE raises it
	jsonl := strings.Contains(path, ".jsonl")
	var out []string
	for lr.Scan() {
		line, s := lr.Line(), lr.Text()
		if line == 1 && strings.HasPrefix(strings.TrimSpace(s), "{") {
			jsonl = true
		}
		if jsonl {
			if strings.TrimSpace(s) == "" {
				continue
			}
			var rec struct {
				Text *string `json:"text"`
			}
			if err := json.Unmarshal([]byte(s), &rec); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, line, err)
			}
			if rec.Text == nil {
				return nil, fmt.Errorf("%s:%d: no \"text\" field", path, line)
			}
			s = *rec.Text
		}
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	if err := lr.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
