package training

import (
	"fmt"
	"os"
	"strings"

	"github.com/mimo-mlir/mimo/internal/textset"
	"github.com/mimo-mlir/mimo/training/data"
)

// TextsReport says which of a configuration's data sources went into a
// training-text set.
type TextsReport struct {
	Texts   int      `json:"texts"`
	Read    []string `json:"read"`
	Missing []string `json:"missing,omitempty"` // sources whose files are not here
}

// ReadTrainingTexts builds the training-text set of a configuration without
// training: what a run of c would write as training-texts.mimoset. It is
// for models trained before the set was recorded (the shipped default):
// expand maps placeholders in source paths (the recipe's MIMO_DATA/ and
// WORK/) to folders here, and a source whose file is missing is skipped and
// named in the report rather than failing, since a partial record still
// flags what it covers.
func ReadTrainingTexts(c Config, expand map[string]string) (*textset.Set, TextsReport, error) {
	langs := c.Langs
	if len(langs) == 0 {
		langs = data.Languages
	}
	for i, l := range langs {
		langs[i] = data.NormalizeLang(l)
	}
	fix := func(src string) (string, bool) {
		kind, rest, _ := strings.Cut(src, ":")
		for k, v := range expand {
			if strings.HasPrefix(rest, k+"/") {
				rest = v + rest[len(k):]
			}
		}
		path := rest
		if kind == "opus" {
			_, path, _ = strings.Cut(rest, ":")
		}
		_, err := os.Stat(path)
		return kind + ":" + rest, err == nil
	}
	var rep TextsReport
	var pairs, rows []string
	for _, src := range c.Pairs {
		if s, ok := fix(src); ok {
			pairs = append(pairs, s)
			rep.Read = append(rep.Read, src)
		} else {
			rep.Missing = append(rep.Missing, src)
		}
	}
	for _, src := range c.Rows {
		if s, ok := fix(src); ok {
			rows = append(rows, s)
			rep.Read = append(rep.Read, src)
		} else {
			rep.Missing = append(rep.Missing, src)
		}
	}
	var b textset.Builder
	if len(pairs) > 0 {
		// Read together, as a run does, so the filter and the per-language
		// cap keep the same pairs.
		cc := c
		cc.Pairs = pairs
		ps, err := readPairs(cc, langs)
		if err != nil {
			return nil, rep, fmt.Errorf("training texts: %w", err)
		}
		for _, p := range ps {
			b.Add(p.En, p.Text)
		}
	}
	if len(rows) > 0 {
		rs, err := readRows(rows, langs)
		if err != nil {
			return nil, rep, fmt.Errorf("training texts: %w", err)
		}
		for _, r := range rs {
			for _, t := range r.Query {
				b.Add(t)
			}
			for _, t := range r.Positive {
				b.Add(t)
			}
		}
	}
	set := b.Set()
	rep.Texts = set.Len()
	return set, rep, nil
}
